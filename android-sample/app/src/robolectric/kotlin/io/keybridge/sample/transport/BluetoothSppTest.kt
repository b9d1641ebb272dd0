package io.keybridge.sample.transport

import android.Manifest
import android.app.Application
import android.bluetooth.BluetoothAdapter
import android.bluetooth.BluetoothManager
import io.keybridge.KcvVerification
import io.keybridge.sample.core.KeyLoadSession
import io.keybridge.sample.core.PastedBlock
import io.keybridge.sample.core.ReaderSimulator
import io.keybridge.sample.core.SessionState
import io.keybridge.sample.core.WrappedKey
import io.keybridge.sample.core.randomBytes
import java.io.IOException
import kotlin.concurrent.thread
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf

/**
 * The SPP transport on Android's real Bluetooth classes: BluetoothSpp opens an RFCOMM socket on
 * the serial-port UUID, and the app's KeyLoadSession loads a key through it into the reader
 * simulator. Robolectric's BluetoothSocket shadow gives the socket's two pipes; [ReaderWire]
 * joins them to the simulator.
 */
@RunWith(RobolectricTestRunner::class)
class BluetoothSppTest {
    private val kek = randomBytes(16)
    private val closeables = mutableListOf<AutoCloseable>()
    private val app: Application = RuntimeEnvironment.getApplication()
    private val adapter: BluetoothAdapter = app.getSystemService(BluetoothManager::class.java).adapter

    @AfterTest
    fun tearDown() = closeables.asReversed().forEach { it.close() }

    @Test
    fun `a key loads over an RFCOMM socket into the reader and its KCV is checked`(): Unit = runBlocking {
        shadowOf(app).grantPermissions(Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN)
        val device = adapter.getRemoteDevice("00:11:22:33:44:55")
        val sim = ReaderSimulator(kek).also { closeables += it }
        // Robolectric's device hands out one socket: the one BluetoothSpp connects is this one.
        val socket = shadowOf(device.createRfcommSocketToServiceRecord(BluetoothSpp.SPP_UUID))
        val feeder = socket.inputStreamFeeder
        val wire = ReaderWire(sim.port) { feeder.write(it); feeder.flush() }.also { closeables += it }
        thread(isDaemon = true, name = "spp-to-reader") {
            val chunk = ByteArray(512)
            while (!wire.isClosed) {
                // A pipe reports "write end dead" while empty once the thread that wrote last has
                // ended (the loader writes from more than one thread): wait for the next writer.
                val n = try {
                    socket.outputStreamSink.read(chunk)
                } catch (e: IOException) {
                    Thread.sleep(1)
                    continue
                }
                if (n < 0) break
                wire.send(chunk.copyOf(n))
            }
        }

        val session = KeyLoadSession().also { closeables += it }
        val link = BluetoothSpp.link(adapter, device)
        assertEquals("Bluetooth 00:11:22:33:44:55", link.label)
        assertIs<SessionState.Connected>(session.connect(link), session.log.value.joinToString("\n"))
        val key = WrappedKey(kek)
        assertIs<SessionState.Validated>(session.fetch(PastedBlock(key.keyBlock, key.kcvHex)))
        val loaded = assertIs<SessionState.Loaded>(session.send(), session.log.value.joinToString("\n"))
        assertEquals(key.kcvHex, loaded.verdict.readerKcvHex)
        assertEquals(KcvVerification.MATCHED_EXPECTED, loaded.verdict.verification)
        assertTrue(loaded.verdict.kcvMatched)
    }

    @Test
    fun `an RFCOMM socket that cannot connect is a transport error naming the device`(): Unit = runBlocking {
        shadowOf(app).grantPermissions(Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN)
        val device = adapter.getRemoteDevice("00:11:22:33:44:66")
        // Closed by the stack before the app connects (the reader went away): connect() throws.
        device.createRfcommSocketToServiceRecord(BluetoothSpp.SPP_UUID).close()

        val session = KeyLoadSession().also { closeables += it }
        val failed = assertIs<SessionState.Failed>(session.connect(BluetoothSpp.link(adapter, device)))
        assertTrue("00:11:22:33:44:66" in failed.error.detail, failed.error.detail)
        assertTrue("SPP" in failed.error.detail, failed.error.detail)
    }
}
