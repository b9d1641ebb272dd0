package io.keybridge.sample.transport

import android.app.PendingIntent
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.hardware.usb.UsbConstants
import android.hardware.usb.UsbDevice
import android.hardware.usb.UsbDeviceConnection
import android.hardware.usb.UsbEndpoint
import android.hardware.usb.UsbInterface
import android.hardware.usb.UsbManager
import android.os.Build
import io.keybridge.ReaderTransport
import io.keybridge.ReaderTransportException
import io.keybridge.sample.core.ReaderLink
import kotlin.coroutines.resume
import kotlinx.coroutines.suspendCancellableCoroutine

/**
 * A reader on USB as a CDC-ACM serial device, through the Android USB host API: the data
 * interface's bulk endpoints carry the bytes, and the communications interface is told 115200 8N1
 * (SET_LINE_CODING) and DTR/RTS on (SET_CONTROL_LINE_STATE), which many CDC devices wait for.
 */
class UsbSerialTransport private constructor(
    private val connection: UsbDeviceConnection,
    private val interfaces: List<UsbInterface>,
    private val input: UsbEndpoint,
    private val output: UsbEndpoint,
) : ReaderTransport {
    /** A bulk IN read must ask for at least a whole packet; what the caller did not want waits here. */
    private var pending = ByteArray(0)
    @Volatile private var closed = false

    override fun read(maxLen: Int, timeoutMs: Int): ByteArray {
        if (closed) throw ReaderTransportException.Closed()
        if (pending.isEmpty()) {
            val buffer = ByteArray(maxOf(maxLen, input.maxPacketSize))
            // -1 is a timeout or an error alike; a detached device shows up as `closed` next time.
            val n = connection.bulkTransfer(input, buffer, buffer.size, timeoutMs)
            if (n <= 0) return ByteArray(0)
            pending = buffer.copyOf(n)
        }
        val n = minOf(maxLen, pending.size)
        return pending.copyOf(n).also { pending = pending.copyOfRange(n, pending.size) }
    }

    override fun write(data: ByteArray) {
        var offset = 0
        while (offset < data.size) {
            if (closed) throw ReaderTransportException.Closed()
            val n = connection.bulkTransfer(output, data, offset, data.size - offset, WRITE_TIMEOUT_MS)
            if (n < 0) throw ReaderTransportException.Io("USB bulk write failed")
            offset += n
        }
    }

    override fun disconnect() {
        closed = true
        interfaces.forEach { connection.releaseInterface(it) }
        connection.close()
    }

    companion object {
        private const val WRITE_TIMEOUT_MS = 2_000
        private const val CONTROL_TIMEOUT_MS = 1_000
        private const val BAUD_RATE = 115_200
        private const val REQUEST_TYPE_CLASS_INTERFACE_OUT = 0x21 // host→device | class | interface
        private const val SET_LINE_CODING = 0x20
        private const val SET_CONTROL_LINE_STATE = 0x22
        private const val DTR_AND_RTS = 0x03
        private const val ACTION_USB_PERMISSION = "io.keybridge.sample.USB_PERMISSION"

        /** Needs the user's permission for [device]: see [requestPermission]. */
        fun link(usb: UsbManager, device: UsbDevice) = ReaderLink("USB ${device.productName ?: device.deviceName}") {
            open(usb, device)
        }

        private fun open(usb: UsbManager, device: UsbDevice): UsbSerialTransport {
            val all = (0 until device.interfaceCount).map(device::getInterface)
            val control = all.firstOrNull { it.interfaceClass == UsbConstants.USB_CLASS_COMM }
            val data = all.firstOrNull { it.interfaceClass == UsbConstants.USB_CLASS_CDC_DATA }
                ?: throw ReaderTransportException.Io("${device.deviceName} is not a CDC-ACM serial device")
            val endpoints = (0 until data.endpointCount).map(data::getEndpoint)
                .filter { it.type == UsbConstants.USB_ENDPOINT_XFER_BULK }
            val input = endpoints.firstOrNull { it.direction == UsbConstants.USB_DIR_IN }
            val output = endpoints.firstOrNull { it.direction == UsbConstants.USB_DIR_OUT }
            if (input == null || output == null) throw ReaderTransportException.Io("no bulk endpoints on ${device.deviceName}")
            val connection = usb.openDevice(device)
                ?: throw ReaderTransportException.Io("cannot open ${device.deviceName} (permission?)")
            val claimed = listOfNotNull(control, data)
            if (!claimed.all { connection.claimInterface(it, true) }) {
                connection.close()
                throw ReaderTransportException.Io("${device.deviceName} is in use")
            }
            val transport = UsbSerialTransport(connection, claimed, input, output)
            if (control != null) {
                // dwDTERate (little-endian), bCharFormat 0 = 1 stop bit, bParityType 0 = none, bDataBits 8.
                val lineCoding = byteArrayOf(
                    BAUD_RATE.toByte(), (BAUD_RATE shr 8).toByte(), (BAUD_RATE shr 16).toByte(), (BAUD_RATE shr 24).toByte(),
                    0, 0, 8,
                )
                val index = control.id
                val ok = connection.controlTransfer(
                    REQUEST_TYPE_CLASS_INTERFACE_OUT, SET_LINE_CODING, 0, index, lineCoding, lineCoding.size, CONTROL_TIMEOUT_MS,
                ) >= 0 && connection.controlTransfer(
                    REQUEST_TYPE_CLASS_INTERFACE_OUT, SET_CONTROL_LINE_STATE, DTR_AND_RTS, index, null, 0, CONTROL_TIMEOUT_MS,
                ) >= 0
                if (!ok) {
                    transport.disconnect()
                    throw ReaderTransportException.Io("${device.deviceName} refused 115200 8N1")
                }
            }
            return transport
        }

        /** Asks the user for access to [device] (the system dialog); true if granted. */
        suspend fun requestPermission(context: Context, usb: UsbManager, device: UsbDevice): Boolean {
            if (usb.hasPermission(device)) return true
            return suspendCancellableCoroutine { continuation ->
                val receiver = object : BroadcastReceiver() {
                    override fun onReceive(c: Context, intent: Intent) {
                        context.unregisterReceiver(this)
                        if (continuation.isActive) {
                            continuation.resume(intent.getBooleanExtra(UsbManager.EXTRA_PERMISSION_GRANTED, false))
                        }
                    }
                }
                val filter = IntentFilter(ACTION_USB_PERMISSION)
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                    context.registerReceiver(receiver, filter, Context.RECEIVER_NOT_EXPORTED)
                } else {
                    // Before Android 13 there is no flag. A forged broadcast could only claim a
                    // grant: openDevice then still fails without the real permission.
                    context.registerReceiver(receiver, filter)
                }
                continuation.invokeOnCancellation { runCatching { context.unregisterReceiver(receiver) } }
                // Mutable, because the system adds the grant to the intent; explicit (setPackage), as
                // Android 14 requires of mutable pending intents.
                val intent = Intent(ACTION_USB_PERMISSION).setPackage(context.packageName)
                val pending = PendingIntent.getBroadcast(context, 0, intent, PendingIntent.FLAG_MUTABLE)
                usb.requestPermission(device, pending)
            }
        }
    }
}
