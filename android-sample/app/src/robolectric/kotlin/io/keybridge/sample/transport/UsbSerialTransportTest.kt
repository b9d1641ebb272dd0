package io.keybridge.sample.transport

import android.app.Application
import android.hardware.usb.IUsbSerialReader
import android.hardware.usb.UsbConfiguration
import android.hardware.usb.UsbConstants
import android.hardware.usb.UsbDevice
import android.hardware.usb.UsbDeviceConnection
import android.hardware.usb.UsbEndpoint
import android.hardware.usb.UsbInterface
import android.hardware.usb.UsbManager
import android.os.Parcelable
import io.keybridge.ReaderTransport
import io.keybridge.ReaderTransportException
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadow.api.Shadow
import org.robolectric.shadows.ShadowUsbDeviceConnection

/**
 * The USB serial transport on Android's real USB host classes, with Robolectric's UsbManager and
 * UsbDeviceConnection shadows: a CDC-ACM reader (a communications interface and a data interface
 * with two bulk endpoints) is found, claimed and written to; a device that is not CDC-ACM is
 * refused with its name. Robolectric's connection shadow sends every bulk transfer to its outgoing
 * pipe whatever the endpoint, so the read side (a bulk IN transfer) cannot be driven here: the
 * SPP and BLE tests load keys end to end; this one checks what the shadow can show.
 */
@RunWith(RobolectricTestRunner::class)
class UsbSerialTransportTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val usb: UsbManager = app.getSystemService(UsbManager::class.java)
    private val opened = mutableListOf<ReaderTransport>()

    @AfterTest
    fun tearDown() = opened.forEach { it.disconnect() }

    @Test
    fun `a CDC-ACM reader opens and what the loader writes goes out whole on the bulk endpoint`() {
        val device = reader("/dev/bus/usb/001/004", cdcControl(), cdcData(bulkIn = true, bulkOut = true))
        shadowOf(usb).addOrUpdateUsbDevice(device, true)
        val link = UsbSerialTransport.link(usb, device)
        assertEquals("USB QPOS mini", link.label)

        val transport = link.open().also { opened += it }
        // Larger than one 64-byte packet: write() goes on until every byte is out.
        val frame = ByteArray(200) { (it * 7).toByte() }
        transport.write(frame)
        val sent = ByteArray(frame.size)
        val outgoing = Shadow.extract<ShadowUsbDeviceConnection>(connectionOf(transport)).outgoingDataStream
        var n = 0
        while (n < sent.size) n += outgoing.read(sent, n, sent.size - n).also { assertTrue(it > 0) }
        assertContentEquals(frame, sent)
    }

    @Test
    fun `a closed transport refuses to read and write`() {
        val device = reader("/dev/bus/usb/001/005", cdcControl(), cdcData(bulkIn = true, bulkOut = true))
        shadowOf(usb).addOrUpdateUsbDevice(device, true)
        val transport = UsbSerialTransport.link(usb, device).open()
        transport.disconnect()
        assertFailsWith<ReaderTransportException.Closed> { transport.write(byteArrayOf(1)) }
        assertFailsWith<ReaderTransportException.Closed> { transport.read(16, 10) }
    }

    @Test
    fun `a device without a CDC data interface is refused by name`() {
        val device = reader("/dev/bus/usb/001/006", cdcControl())
        shadowOf(usb).addOrUpdateUsbDevice(device, true)
        val error = assertFailsWith<ReaderTransportException.Io> { UsbSerialTransport.link(usb, device).open() }
        assertTrue("/dev/bus/usb/001/006 is not a CDC-ACM serial device" in error.reason, error.reason)
    }

    @Test
    fun `a data interface without a bulk OUT endpoint is refused by name`() {
        val device = reader("/dev/bus/usb/001/007", cdcControl(), cdcData(bulkIn = true, bulkOut = false))
        shadowOf(usb).addOrUpdateUsbDevice(device, true)
        val error = assertFailsWith<ReaderTransportException.Io> { UsbSerialTransport.link(usb, device).open() }
        assertTrue("no bulk endpoints on /dev/bus/usb/001/007" in error.reason, error.reason)
    }

    @Test
    fun `a device the user already granted needs no permission dialog`(): Unit = runBlocking {
        val device = reader("/dev/bus/usb/001/008", cdcControl(), cdcData(bulkIn = true, bulkOut = true))
        shadowOf(usb).addOrUpdateUsbDevice(device, true)
        assertTrue(UsbSerialTransport.requestPermission(app, usb, device))
    }

    private fun reader(name: String, vararg interfaces: UsbInterface): UsbDevice {
        val configuration = UsbConfiguration(1, "default", 0x80, 50).apply { setInterfaces(arrayOf<Parcelable>(*interfaces)) }
        return UsbDevice.Builder(
            name, 0x2d37, 0x0001, 0, 0, 0, "Dspread", "QPOS mini", "1.00", arrayOf(configuration), "QP1",
            false, false, false, false, false,
        ).build(IUsbSerialReader.Default()) // the system's serial-number reader; never asked here
    }

    private fun cdcControl() = UsbInterface(0, 0, "CDC control", UsbConstants.USB_CLASS_COMM, 2, 1).apply {
        setEndpoints(arrayOf<Parcelable>(UsbEndpoint(0x83, UsbConstants.USB_ENDPOINT_XFER_INT, 16, 10)))
    }

    private fun cdcData(bulkIn: Boolean, bulkOut: Boolean) =
        UsbInterface(1, 0, "CDC data", UsbConstants.USB_CLASS_CDC_DATA, 0, 0).apply {
            setEndpoints(
                listOfNotNull(
                    UsbEndpoint(0x81, UsbConstants.USB_ENDPOINT_XFER_BULK, 64, 0).takeIf { bulkIn },
                    UsbEndpoint(0x02, UsbConstants.USB_ENDPOINT_XFER_BULK, 64, 0).takeIf { bulkOut },
                ).toTypedArray<Parcelable>(),
            )
        }

    /** The connection the transport opened (the shadow hands out a new one per openDevice). */
    private fun connectionOf(transport: ReaderTransport) = UsbSerialTransport::class.java.getDeclaredField("connection")
        .apply { isAccessible = true }.get(transport) as UsbDeviceConnection
}
