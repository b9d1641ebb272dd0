package io.keybridge.sample.transport

import android.Manifest
import android.app.Application
import android.bluetooth.BluetoothAdapter
import android.bluetooth.BluetoothDevice
import android.bluetooth.BluetoothGatt
import android.bluetooth.BluetoothGattCallback
import android.bluetooth.BluetoothGattCharacteristic
import android.bluetooth.BluetoothGattDescriptor
import android.bluetooth.BluetoothGattService
import android.bluetooth.BluetoothManager
import io.keybridge.KcvVerification
import io.keybridge.sample.core.KeyLoadSession
import io.keybridge.sample.core.PastedBlock
import io.keybridge.sample.core.ReaderSimulator
import io.keybridge.sample.core.SessionState
import io.keybridge.sample.core.WrappedKey
import io.keybridge.sample.core.randomBytes
import java.util.Collections
import java.util.UUID
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowBluetoothGatt

/**
 * The BLE transport on Android's real GATT classes: BleReaderTransport connects, asks for a larger
 * MTU, discovers service 0xFF00, turns notifications on and writes frames in MTU-sized chunks,
 * each acknowledged before the next. Robolectric's BluetoothGatt shadow plays the stack; the
 * reader behind it is the real simulator, reached through [ReaderWire]: written characteristic
 * values go to it, and its answers come back as notifications. The app's KeyLoadSession loads a
 * key through it.
 */
@RunWith(RobolectricTestRunner::class)
class BleReaderTransportTest {
    private val kek = randomBytes(16)
    private val closeables = mutableListOf<AutoCloseable>()
    private val app: Application = RuntimeEnvironment.getApplication()
    private val adapter: BluetoothAdapter = app.getSystemService(BluetoothManager::class.java).adapter

    @AfterTest
    fun tearDown() = closeables.asReversed().forEach { it.close() }

    /** The reader's GATT service as the stack discovers it: a write and a notify characteristic. */
    private fun readerService(): BluetoothGattService {
        val service = BluetoothGattService(BleReaderTransport.SERVICE, BluetoothGattService.SERVICE_TYPE_PRIMARY)
        service.addCharacteristic(
            BluetoothGattCharacteristic(
                BleReaderTransport.WRITE_CHARACTERISTIC,
                BluetoothGattCharacteristic.PROPERTY_WRITE,
                BluetoothGattCharacteristic.PERMISSION_WRITE,
            ),
        )
        val notify = BluetoothGattCharacteristic(BleReaderTransport.NOTIFY_CHARACTERISTIC, BluetoothGattCharacteristic.PROPERTY_NOTIFY, 0)
        notify.addDescriptor(BluetoothGattDescriptor(CLIENT_CONFIG, BluetoothGattDescriptor.PERMISSION_WRITE))
        service.addCharacteristic(notify)
        return service
    }

    /** Waits for the transport's connectGatt (it runs on the session's I/O thread). */
    private fun gattOf(device: BluetoothDevice): BluetoothGatt {
        val deadline = System.nanoTime() + 10_000_000_000L
        while (System.nanoTime() < deadline) {
            shadowOf(device).bluetoothGatts.firstOrNull()?.let { return it }
            Thread.sleep(5)
        }
        error("the transport never called connectGatt")
    }

    @Test
    fun `a key loads over GATT into the reader in MTU-sized acknowledged writes`(): Unit = runBlocking {
        shadowOf(app).grantPermissions(Manifest.permission.BLUETOOTH_CONNECT)
        val device = adapter.getRemoteDevice("00:11:22:33:44:77")
        val sim = ReaderSimulator(kek).also { closeables += it }
        val session = KeyLoadSession().also { closeables += it }

        val connecting = async(Dispatchers.Default) { session.connect(BleReaderTransport.link(app, device)) }
        val gatt = gattOf(device)
        val shadow: ShadowBluetoothGatt = shadowOf(gatt)
        val service = readerService()
        shadow.addDiscoverableService(service)
        shadow.allowCharacteristicNotification(service.getCharacteristic(BleReaderTransport.NOTIFY_CHARACTERISTIC))
        // The transport is the GATT callback; the stack's side of it is played here.
        val transport = shadow.gattCallback
        val written = Collections.synchronizedList(mutableListOf<ByteArray>())
        val wire = ReaderWire(sim.port) { answer ->
            transport.onCharacteristicChanged(gatt, service.getCharacteristic(BleReaderTransport.NOTIFY_CHARACTERISTIC), answer)
        }.also { closeables += it }
        shadow.setGattCallback(object : BluetoothGattCallback() {
            override fun onConnectionStateChange(g: BluetoothGatt, status: Int, newState: Int) =
                transport.onConnectionStateChange(g, status, newState)

            override fun onMtuChanged(g: BluetoothGatt, mtu: Int, status: Int) = transport.onMtuChanged(g, mtu, status)

            override fun onServicesDiscovered(g: BluetoothGatt, status: Int) = transport.onServicesDiscovered(g, status)

            override fun onDescriptorWrite(g: BluetoothGatt, d: BluetoothGattDescriptor, status: Int) {
                assertContentEquals(BluetoothGattDescriptor.ENABLE_NOTIFICATION_VALUE, d.value)
                transport.onDescriptorWrite(g, d, status)
            }

            override fun onCharacteristicWrite(g: BluetoothGatt, c: BluetoothGattCharacteristic, status: Int) {
                @Suppress("DEPRECATION")
                val chunk = c.value.copyOf()
                written += chunk
                wire.send(chunk)
                transport.onCharacteristicWrite(g, c, status)
            }
        })
        shadow.notifyConnection(device.address)

        assertIs<SessionState.Connected>(connecting.await(), session.log.value.joinToString("\n"))
        val key = WrappedKey(kek)
        assertIs<SessionState.Validated>(session.fetch(PastedBlock(key.keyBlock, key.kcvHex)))
        val loaded = assertIs<SessionState.Loaded>(session.send(), session.log.value.joinToString("\n"))
        assertEquals(key.kcvHex, loaded.verdict.readerKcvHex)
        assertEquals(KcvVerification.MATCHED_EXPECTED, loaded.verdict.verification)
        // The shadow granted the 247-byte MTU the transport asked for: no chunk is longer than 244.
        assertTrue(written.isNotEmpty())
        assertTrue(written.all { it.size <= 244 }, written.map { it.size }.toString())
    }

    @Test
    fun `a reader without the key-loading service fails the connection and closes GATT`(): Unit = runBlocking {
        shadowOf(app).grantPermissions(Manifest.permission.BLUETOOTH_CONNECT)
        val device = adapter.getRemoteDevice("00:11:22:33:44:88")
        val session = KeyLoadSession().also { closeables += it }

        val connecting = async(Dispatchers.Default) { session.connect(BleReaderTransport.link(app, device)) }
        val gatt = gattOf(device)
        val shadow: ShadowBluetoothGatt = shadowOf(gatt)
        shadow.addDiscoverableService(BluetoothGattService(UUID.randomUUID(), BluetoothGattService.SERVICE_TYPE_PRIMARY))
        shadow.notifyConnection(device.address)

        val failed = assertIs<SessionState.Failed>(connecting.await())
        assertTrue("0xFF00" in failed.error.detail, failed.error.detail)
        assertTrue(shadow.isClosed)
    }

    private companion object {
        val CLIENT_CONFIG: UUID = UUID.fromString("00002902-0000-1000-8000-00805F9B34FB")
    }
}
