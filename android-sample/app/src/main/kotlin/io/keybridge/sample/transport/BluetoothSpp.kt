package io.keybridge.sample.transport

import android.Manifest
import android.bluetooth.BluetoothAdapter
import android.bluetooth.BluetoothDevice
import androidx.annotation.RequiresPermission
import io.keybridge.ReaderTransportException
import io.keybridge.sample.core.ReaderLink
import io.keybridge.sample.core.StreamReaderTransport
import java.io.IOException
import java.util.UUID

/** Classic Bluetooth readers: an RFCOMM socket on the serial-port profile, read and written as a stream. */
object BluetoothSpp {
    /** The Serial Port Profile service class UUID, which Dspread readers advertise. */
    val SPP_UUID: UUID = UUID.fromString("00001101-0000-1000-8000-00805F9B34FB")

    /** Needs BLUETOOTH_CONNECT (and BLUETOOTH_SCAN to stop discovery) on Android 12+. */
    @RequiresPermission(allOf = [Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN])
    fun link(adapter: BluetoothAdapter, device: BluetoothDevice) =
        ReaderLink("Bluetooth ${device.name ?: device.address}") {
            // Discovery slows RFCOMM connections down to the point of timing out.
            adapter.cancelDiscovery()
            val socket = device.createRfcommSocketToServiceRecord(SPP_UUID)
            try {
                socket.connect()
            } catch (e: IOException) {
                socket.close()
                throw ReaderTransportException.Io("cannot connect to ${device.address} over SPP: ${e.message}")
            }
            StreamReaderTransport(socket.inputStream, socket.outputStream, socket)
        }
}
