package io.keybridge

import java.net.InetSocketAddress
import java.net.Socket
import java.net.SocketTimeoutException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlin.test.Test
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/** A [ReaderTransport] written in Kotlin over a plain socket, as an app would write one over Bluetooth. */
class SocketTransport(address: String) : ReaderTransport {
    private val socket = Socket().apply {
        val (host, port) = address.split(':')
        connect(InetSocketAddress(host, port.toInt()), 5_000)
        tcpNoDelay = true
    }
    var bytesWritten = 0
        private set

    override fun read(maxLen: Int, timeoutMs: Int): ByteArray {
        socket.soTimeout = timeoutMs.coerceAtLeast(1)
        val buffer = ByteArray(maxLen)
        val n = try {
            socket.getInputStream().read(buffer)
        } catch (e: SocketTimeoutException) {
            return ByteArray(0)
        }
        if (n < 0) throw ReaderTransportException.Closed()
        return buffer.copyOf(n)
    }

    override fun write(data: ByteArray) {
        socket.getOutputStream().apply { write(data); flush() }
        bytesWritten += data.size
    }

    override fun disconnect() = socket.close()
}

class KeyLoaderTest {
    private val fast = LoaderOptions(commandTimeoutMs = 1_500, maxRetries = 0)

    @Test
    fun loadsAKeyOverTcpAndVerifiesTheReaderKcv() = runBlocking<Unit> {
        Simulator.tcp().use { sim ->
            KeyLoader.openTcp(sim.address, LoaderOptions()).use { loader ->
                val result = loader.sendTr31Key(TestBlocks.pinBlock)
                assertEquals(0, result.slot)
                assertEquals("P0", result.keyUsage)
                assertEquals(TestBlocks.pinKeyKcv, result.readerKcvHex)
                assertEquals(KcvVerification.MATCHED_KEY_BLOCK, result.kcvVerification)
                assertTrue(result.warnings.any { "factory KBPK" in it }, result.warnings.toString())
                assertEquals(TestBlocks.pinKeyKcv, loader.keyCheckValue(0).toHex())
            }
        }
    }

    @Test
    fun loadsAKeyThroughAReaderTransportWrittenInKotlin() = runBlocking<Unit> {
        Simulator.tcp().use { sim ->
            val transport = SocketTransport(sim.address)
            KeyLoader.withTransport(transport, LoaderOptions()).use { loader ->
                val result = loader.sendTr31KeyWith(TestBlocks.pinBlock, LoadRequest(slot = 3))
                assertEquals(TestBlocks.pinKeyKcv, result.readerKcvHex)
                assertTrue(transport.bytesWritten > TestBlocks.pinBlock.length, "the frames went through Kotlin")
                loader.disconnect()
                assertTrue(loader.isDisconnected())
            }
        }
    }

    @Test
    fun invalidInputArrivesAsTypedExceptionsAndNothingIsSent() = runBlocking<Unit> {
        Simulator.tcp().use { sim ->
            KeyLoader.openTcp(sim.address, fast).use { loader ->
                val malformed = assertFailsWith<ReaderException.InvalidBlock> {
                    loader.sendTr31Key(TestBlocks.pinBlock.replaceRange(5, 7, "Q9"))
                }
                assertContains(malformed.message!!, "key usage at position 5")
                assertFailsWith<ReaderException.InvalidArgument> {
                    loader.sendTr31KeyWith(TestBlocks.pinBlock, LoadRequest(slot = 10))
                }
                // A MAC key: a valid block, but not a usage the reader firmware takes.
                val mac = Tr31KeyBlock.wrap(TestBlocks.factoryKbpk, "B0000M3TC00E0000", TestBlocks.pinKey, Tr31WrapOptions())
                    .use { it.text() }
                assertFailsWith<ReaderException.Refused> { loader.sendTr31Key(mac) }
                assertFailsWith<ReaderException.Refused> { loader.check(mac) }
                // Nothing was sent: slot 0 is still empty, and the next load succeeds.
                assertEquals(TestBlocks.pinKeyKcv, loader.sendTr31Key(TestBlocks.pinBlock).readerKcvHex)
            }
        }
    }

    @Test
    fun readerFailuresArriveAsTypedExceptions() = runBlocking<Unit> {
        Simulator.tcp("--status", "mac-error").use { sim ->
            KeyLoader.openTcp(sim.address, fast).use { loader ->
                val e = assertFailsWith<ReaderException.MacMismatch> { loader.sendTr31Key(TestBlocks.pinBlock) }
                assertContains(e.message!!, "MAC")
            }
        }
        // The reader stores the key and the line drops mid-answer: nobody can tell, so not a
        // plain failure either.
        Simulator.tcp("--disconnect-mid-frame").use { sim ->
            KeyLoader.openTcp(sim.address, fast).use { loader ->
                assertFailsWith<ReaderException.Indeterminate> { loader.sendTr31Key(TestBlocks.pinBlock) }
            }
        }
        Simulator.tcp("--drop", "100").use { sim ->
            KeyLoader.openTcp(sim.address, fast).use { loader ->
                // The load's answer is lost and so is the KCV read that would settle it.
                assertFailsWith<ReaderException.Indeterminate> { loader.sendTr31Key(TestBlocks.pinBlock) }
                assertFailsWith<ReaderException.NoResponse> { loader.keyCheckValue(0) }
            }
        }
        val port = Simulator.tcp().use { it.address }
        assertFailsWith<ReaderException.Transport> { KeyLoader.openTcp(port, fast) }
    }

    @Test
    fun aDisconnectedLoaderAndAConcurrentCallAreTypedErrors() = runBlocking<Unit> {
        Simulator.tcp("--delay-ms", "800").use { sim ->
            KeyLoader.openTcp(sim.address, LoaderOptions()).use { loader ->
                val first = async(Dispatchers.Default) { loader.sendTr31Key(TestBlocks.pinBlock) }
                delay(200)
                assertFailsWith<ReaderException.CallInProgress> { loader.keyCheckValue(0) }
                assertEquals(TestBlocks.pinKeyKcv, first.await().readerKcvHex)
                loader.disconnect()
                assertFailsWith<ReaderException.Closed> { loader.sendTr31Key(TestBlocks.pinBlock) }
            }
        }
    }

    @Test
    fun cancellingTheCoroutineCancelsTheLoad() = runBlocking<Unit> {
        Simulator.tcp("--delay-ms", "3000").use { sim ->
            KeyLoader.openTcp(sim.address, LoaderOptions(commandTimeoutMs = 10_000)).use { loader ->
                var outcome: Result<KeyLoadResult>? = null
                val job = launch(Dispatchers.Default) { outcome = runCatching { loader.sendTr31Key(TestBlocks.pinBlock) } }
                delay(300)
                val cancelledAt = System.nanoTime()
                job.cancelAndJoin()
                assertTrue(outcome?.exceptionOrNull() is kotlinx.coroutines.CancellationException, "$outcome")
                // A new call right away waits for the cancelled one to wind down instead of
                // answering CallInProgress. The simulator answers one frame at a time, each after
                // 3 s: this KCV read is answered ~6 s after the load was sent (the load's own
                // answer first). Behind a load that was not cancelled it would also wait for the
                // load's KCV check: ~9 s.
                assertEquals(3, loader.keyCheckValue(0).size)
                assertTrue((System.nanoTime() - cancelledAt) / 1_000_000 < 7_500)
            }
        }
    }

    @Test
    fun eightConcurrentLoadsOnSeparateReaders() = runBlocking<Unit> {
        val simulators = List(8) { Simulator.tcp("--delay-ms", "100") }
        try {
            val loaders = simulators.map { KeyLoader.openTcp(it.address, LoaderOptions()) }
            val started = System.nanoTime()
            val results = loaders.mapIndexed { i, loader ->
                async(Dispatchers.Default) { loader.sendTr31KeyWith(TestBlocks.pinBlock, LoadRequest(slot = i % 10)) }
            }.awaitAll()
            val elapsedMs = (System.nanoTime() - started) / 1_000_000
            results.forEachIndexed { i, r ->
                assertEquals(i % 10, r.slot)
                assertEquals(TestBlocks.pinKeyKcv, r.readerKcvHex)
            }
            // Each load waits ~4 delayed answers; run one after the other 8 would take > 3 s.
            assertTrue(elapsedMs < 3_000, "8 loads took $elapsedMs ms: they did not run in parallel")
            loaders.forEach { it.close() }
        } finally {
            simulators.forEach { it.close() }
        }
    }
}
