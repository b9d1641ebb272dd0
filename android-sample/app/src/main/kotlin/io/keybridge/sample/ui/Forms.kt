package io.keybridge.sample.ui

import android.annotation.SuppressLint
import android.content.pm.PackageManager
import android.hardware.usb.UsbManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import io.keybridge.sample.core.PastedBlock
import io.keybridge.sample.core.ReaderLink
import io.keybridge.sample.core.ServiceLogin
import io.keybridge.sample.transport.BleReaderTransport
import io.keybridge.sample.transport.BluetoothReaders
import io.keybridge.sample.transport.UsbSerialTransport
import kotlinx.coroutines.launch

/**
 * Pick a reader: a TCP address (the desktop simulator through `adb reverse tcp:7000 tcp:7000`),
 * a paired Bluetooth reader (SPP) or one found by a BLE scan, or a USB serial device. Asks for
 * the Bluetooth runtime permissions and the USB device permission when they are needed.
 */
@SuppressLint("MissingPermission") // Bluetooth calls happen only after `granted` is true
@Composable
fun ReaderPicker(onPick: (ReaderLink) -> Unit) = Section("Reader") {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var address by rememberSaveable { mutableStateOf("127.0.0.1:7000") }
    val bluetooth = remember { BluetoothReaders(context) }
    fun granted() = BluetoothReaders.permissions.all {
        ContextCompat.checkSelfPermission(context, it) == PackageManager.PERMISSION_GRANTED
    }
    var permissionDenied by remember { mutableStateOf(false) }
    val askBluetooth = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { result ->
        permissionDenied = !result.values.all { it }
        if (!permissionDenied) bluetooth.refresh()
    }
    DisposableEffect(Unit) { onDispose { if (granted()) bluetooth.stopScan() } }

    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(address, { address = it }, label = { Text("host:port") }, singleLine = true)
        Button(onClick = {
            val host = address.substringBeforeLast(':')
            address.substringAfterLast(':').toIntOrNull()?.let { onPick(ReaderLink.tcp(host, it)) }
        }) { Text("TCP") }
    }

    OutlinedButton(onClick = { if (granted()) bluetooth.refresh() else askBluetooth.launch(BluetoothReaders.permissions) }) {
        Text("Find Bluetooth readers")
    }
    if (permissionDenied) Text("Bluetooth permission denied: allow \"Nearby devices\" in the app's settings.")
    bluetooth.paired.forEach { device ->
        TextButton(onClick = { onPick(bluetooth.sppLink(device)) }) { Text("SPP  ${device.name ?: device.address}") }
    }
    bluetooth.bleFound.forEach { device ->
        TextButton(onClick = { onPick(BleReaderTransport.link(context, device)) }) { Text("BLE  ${device.name ?: device.address}") }
    }

    val usb: UsbManager? = remember { context.getSystemService(UsbManager::class.java) }
    usb?.deviceList.orEmpty().values.forEach { device ->
        TextButton(onClick = {
            scope.launch {
                val manager = checkNotNull(usb) // listed only when there is a USB host service
                if (UsbSerialTransport.requestPermission(context, manager, device)) {
                    onPick(UsbSerialTransport.link(manager, device))
                }
            }
        }) { Text("USB  ${device.productName ?: device.deviceName}") }
    }
}

/**
 * Sign in to the key service with its URL and an operator token, then provision the connected
 * reader from it. The token is kept in memory only: not saved across restarts, never logged.
 */
@Composable
fun ServiceForm(
    defaultUrl: String,
    login: ServiceLogin?,
    onSignIn: (url: String, operatorToken: String) -> Unit,
    onSignOut: () -> Unit,
    onProvision: () -> Unit,
) = Section("Key service") {
    if (login == null) {
        var url by rememberSaveable { mutableStateOf(defaultUrl) }
        var token by remember { mutableStateOf("") } // not saved: it is a credential
        OutlinedTextField(url, { url = it }, Modifier.fillMaxWidth(), label = { Text("Service URL") }, singleLine = true)
        OutlinedTextField(
            token, { token = it }, Modifier.fillMaxWidth(), label = { Text("Operator token") }, singleLine = true,
            visualTransformation = PasswordVisualTransformation(),
        )
        Button(
            onClick = {
                onSignIn(url, token)
                token = ""
            },
            enabled = url.isNotBlank() && token.isNotBlank(),
        ) { Text("Sign in") }
    } else {
        Text("Signed in to ${login.url}")
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = onProvision) { Text("Provision this reader") }
            OutlinedButton(onClick = onSignOut) { Text("Sign out") }
        }
    }
}

/** The offline path: paste (or scan with a keyboard-wedge barcode scanner) a key block and its KCV. */
@Composable
fun PasteForm(onFetch: (PastedBlock) -> Unit) = Section("Offline: paste a key block") {
    var block by rememberSaveable { mutableStateOf("") }
    var kcv by rememberSaveable { mutableStateOf("") }
    OutlinedTextField(
        block, { block = it }, Modifier.fillMaxWidth(), label = { Text("TR-31 key block") },
        textStyle = TextStyle(fontFamily = FontFamily.Monospace), minLines = 3,
    )
    OutlinedTextField(kcv, { kcv = it }, label = { Text("Expected KCV (optional)") }, singleLine = true)
    Button(onClick = { onFetch(PastedBlock(block, kcv.ifBlank { null })) }, enabled = block.isNotBlank()) {
        Text("Inspect")
    }
}
