package io.keybridge.sample.transport

import android.Manifest
import android.bluetooth.BluetoothDevice
import android.bluetooth.BluetoothGatt
import android.bluetooth.BluetoothGattCallback
import android.bluetooth.BluetoothGattCharacteristic
import android.bluetooth.BluetoothGattDescriptor
import android.bluetooth.BluetoothProfile
import android.content.Context
import android.os.Build
import androidx.annotation.RequiresPermission
import io.keybridge.ReaderTransport
import io.keybridge.ReaderTransportException
import io.keybridge.sample.core.ByteInbox
import io.keybridge.sample.core.ReaderLink
import java.util.UUID
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * A reader over Bluetooth LE: frames are written to one characteristic of service 0xFF00 and
 * arrive as notifications on the other. GATT is callback-driven; this class turns it into the
 * blocking read/write [ReaderTransport] wants: notifications go into a [ByteInbox], and each
 * write waits for the stack's acknowledgement before the next chunk, as GATT requires.
 */
@Suppress("MissingPermission") // every entry point requires BLUETOOTH_CONNECT, checked by the caller
class BleReaderTransport private constructor(device: BluetoothDevice, context: Context) :
    BluetoothGattCallback(), ReaderTransport {

    private val inbox = ByteInbox()
    /** Completion of the GATT operation in flight: `true` for success. One at a time. */
    private val completions = LinkedBlockingQueue<Boolean>()
    private lateinit var writeCharacteristic: BluetoothGattCharacteristic
    @Volatile private var chunkSize = 20 // the default ATT MTU (23) minus 3, until the MTU exchange says more
    /** Last: callbacks may start before the constructor returns, and they use the fields above. */
    private val gatt: BluetoothGatt = device.connectGatt(context, false, this, BluetoothDevice.TRANSPORT_LE)

    private fun await(what: String) {
        val ok = completions.poll(OPERATION_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            ?: throw ReaderTransportException.Io("BLE: no answer to $what")
        if (!ok) throw ReaderTransportException.Io("BLE: $what failed")
    }

    /** Connect → MTU → services → enable notifications, each awaited. */
    private fun setUp() {
        await("connect")
        gatt.requestMtu(WANTED_MTU)
        await("MTU request")
        if (!gatt.discoverServices()) throw ReaderTransportException.Io("BLE: service discovery did not start")
        await("service discovery")
        val service = gatt.getService(SERVICE) ?: throw ReaderTransportException.Io("BLE: no service 0xFF00")
        writeCharacteristic = service.getCharacteristic(WRITE_CHARACTERISTIC)
            ?: throw ReaderTransportException.Io("BLE: no write characteristic $WRITE_CHARACTERISTIC")
        val notify = service.getCharacteristic(NOTIFY_CHARACTERISTIC)
            ?: throw ReaderTransportException.Io("BLE: no notify characteristic $NOTIFY_CHARACTERISTIC")
        gatt.setCharacteristicNotification(notify, true)
        val cccd = notify.getDescriptor(CLIENT_CONFIG) ?: throw ReaderTransportException.Io("BLE: notifications unavailable")
        if (Build.VERSION.SDK_INT >= 33) {
            gatt.writeDescriptor(cccd, BluetoothGattDescriptor.ENABLE_NOTIFICATION_VALUE)
        } else {
            @Suppress("DEPRECATION")
            cccd.value = BluetoothGattDescriptor.ENABLE_NOTIFICATION_VALUE
            @Suppress("DEPRECATION")
            gatt.writeDescriptor(cccd)
        }
        await("enabling notifications")
    }

    override fun read(maxLen: Int, timeoutMs: Int): ByteArray = inbox.take(maxLen, timeoutMs.toLong())

    override fun write(data: ByteArray) {
        for (start in data.indices step chunkSize) {
            val chunk = data.copyOfRange(start, minOf(start + chunkSize, data.size))
            val type = BluetoothGattCharacteristic.WRITE_TYPE_DEFAULT
            if (Build.VERSION.SDK_INT >= 33) {
                gatt.writeCharacteristic(writeCharacteristic, chunk, type)
            } else {
                @Suppress("DEPRECATION")
                writeCharacteristic.writeType = type
                @Suppress("DEPRECATION")
                writeCharacteristic.value = chunk
                @Suppress("DEPRECATION")
                gatt.writeCharacteristic(writeCharacteristic)
            }
            await("write")
        }
    }

    override fun disconnect() {
        gatt.disconnect()
        gatt.close()
        inbox.close()
    }

    override fun onConnectionStateChange(gatt: BluetoothGatt, status: Int, newState: Int) {
        when (newState) {
            BluetoothProfile.STATE_CONNECTED -> completions.offer(status == BluetoothGatt.GATT_SUCCESS)
            BluetoothProfile.STATE_DISCONNECTED -> {
                completions.offer(false)
                inbox.close()
            }
        }
    }

    override fun onMtuChanged(gatt: BluetoothGatt, mtu: Int, status: Int) {
        if (status == BluetoothGatt.GATT_SUCCESS) chunkSize = mtu - 3
        completions.offer(true) // a refused MTU request leaves the default: not an error
    }

    override fun onServicesDiscovered(gatt: BluetoothGatt, status: Int) {
        completions.offer(status == BluetoothGatt.GATT_SUCCESS)
    }

    override fun onDescriptorWrite(gatt: BluetoothGatt, descriptor: BluetoothGattDescriptor, status: Int) {
        completions.offer(status == BluetoothGatt.GATT_SUCCESS)
    }

    override fun onCharacteristicWrite(gatt: BluetoothGatt, c: BluetoothGattCharacteristic, status: Int) {
        completions.offer(status == BluetoothGatt.GATT_SUCCESS)
    }

    // Android 13+ delivers notifications here …
    override fun onCharacteristicChanged(gatt: BluetoothGatt, c: BluetoothGattCharacteristic, value: ByteArray) {
        if (c.uuid == NOTIFY_CHARACTERISTIC) inbox.offer(value)
    }

    // … and older versions here.
    @Deprecated("Android 12 and lower")
    override fun onCharacteristicChanged(gatt: BluetoothGatt, c: BluetoothGattCharacteristic) {
        @Suppress("DEPRECATION")
        if (Build.VERSION.SDK_INT < 33 && c.uuid == NOTIFY_CHARACTERISTIC) inbox.offer(c.value.copyOf())
    }

    companion object {
        val SERVICE: UUID = bluetoothUuid(0xFF00)

        // TO CONFIRM ON HARDWARE: public material names characteristics 0xFF01 and 0xFF02 but not
        // which one takes writes and which one notifies. Swap these two if the reader stays silent.
        val WRITE_CHARACTERISTIC: UUID = bluetoothUuid(0xFF01)
        val NOTIFY_CHARACTERISTIC: UUID = bluetoothUuid(0xFF02)

        /** Client Characteristic Configuration descriptor, written to turn notifications on. */
        private val CLIENT_CONFIG: UUID = bluetoothUuid(0x2902)
        private const val WANTED_MTU = 247
        private const val OPERATION_TIMEOUT_MS = 10_000L

        /** Needs BLUETOOTH_CONNECT on Android 12+. Connecting happens in [ReaderLink.open], off the main thread. */
        @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
        fun link(context: Context, device: BluetoothDevice) = ReaderLink("BLE ${device.name ?: device.address}") {
            val transport = BleReaderTransport(device, context.applicationContext)
            try {
                transport.setUp()
            } catch (e: Exception) {
                transport.disconnect()
                throw e
            }
            transport
        }

        private fun bluetoothUuid(short: Int): UUID = UUID.fromString("%08X-0000-1000-8000-00805F9B34FB".format(short))
    }
}
