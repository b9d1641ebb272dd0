package io.keybridge.sample.transport

import android.Manifest
import android.bluetooth.BluetoothDevice
import android.bluetooth.BluetoothManager
import android.bluetooth.le.ScanCallback
import android.bluetooth.le.ScanFilter
import android.bluetooth.le.ScanResult
import android.bluetooth.le.ScanSettings
import android.content.Context
import android.os.Build
import android.os.ParcelUuid
import androidx.annotation.RequiresPermission
import androidx.compose.runtime.mutableStateListOf

/**
 * Bluetooth readers to offer: the paired (bonded) devices, reached over SPP, and devices found by a
 * short BLE scan for service 0xFF00. Call only with the [permissions] granted.
 */
class BluetoothReaders(private val context: Context) {
    private val adapter = context.getSystemService(BluetoothManager::class.java)?.adapter
    val paired = mutableStateListOf<BluetoothDevice>()
    val bleFound = mutableStateListOf<BluetoothDevice>()

    private val scanCallback = object : ScanCallback() {
        override fun onScanResult(callbackType: Int, result: ScanResult) {
            if (bleFound.none { it.address == result.device.address }) bleFound += result.device
        }
    }

    @RequiresPermission(allOf = [Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN])
    fun refresh() {
        val adapter = adapter ?: return
        paired.clear()
        paired += adapter.bondedDevices.orEmpty()
        bleFound.clear()
        val filter = ScanFilter.Builder().setServiceUuid(ParcelUuid(BleReaderTransport.SERVICE)).build()
        val settings = ScanSettings.Builder().setScanMode(ScanSettings.SCAN_MODE_LOW_LATENCY).build()
        adapter.bluetoothLeScanner?.startScan(listOf(filter), settings, scanCallback)
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_SCAN)
    fun stopScan() {
        adapter?.bluetoothLeScanner?.stopScan(scanCallback)
    }

    @RequiresPermission(allOf = [Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN])
    fun sppLink(device: BluetoothDevice) = BluetoothSpp.link(checkNotNull(adapter), device)

    companion object {
        /** Runtime permissions: the Android 12+ Bluetooth pair, or location for BLE scans before that. */
        val permissions: Array<String> = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            arrayOf(Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN)
        } else {
            arrayOf(Manifest.permission.ACCESS_FINE_LOCATION)
        }
    }
}
