package io.keybridge.sample.core

import io.keybridge.KcvVerification
import java.net.ServerSocket
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking

/** The offline path, a pasted key block, against the real reader simulator (over the Kotlin TCP [ReaderLink]). */
class KeyLoadSessionTest {
    private val kek = randomBytes(16)
    private val closeables = mutableListOf<AutoCloseable>()

    @AfterTest
    fun tearDown() = closeables.asReversed().forEach { it.close() }

    private fun simulator(vararg faults: String) = ReaderSimulator(kek, *faults).also { closeables += it }

    private fun session() = KeyLoadSession().also { closeables += it }

    private suspend fun connected(sim: ReaderSimulator, session: KeyLoadSession = session()) = session.also {
        assertIs<SessionState.Connected>(it.connect(sim.link()), it.log.value.joinToString("\n"))
    }

    @Test
    fun `a good pasted block loads and the verdict shows matching KCVs`(): Unit = runBlocking {
        val session = connected(simulator())
        val key = WrappedKey(kek)

        val validated = assertIs<SessionState.Validated>(session.fetch(PastedBlock(key.keyBlock, key.kcvHex.lowercase())))
        assertEquals("P0", validated.inspection.header.keyUsage)
        assertEquals("D", validated.inspection.header.version)

        val loaded = assertIs<SessionState.Loaded>(session.send())
        assertEquals(key.kcvHex, loaded.verdict.readerKcvHex)
        assertEquals(key.kcvHex, loaded.verdict.expectedKcv?.hex)
        assertEquals(KcvVerification.MATCHED_EXPECTED, loaded.verdict.verification)
        assertTrue(loaded.verdict.kcvMatched)
        assertEquals(setOf(Step.CONNECT, Step.FETCH, Step.VALIDATE, Step.SEND, Step.VERDICT), session.log.value.map { it.step }.toSet())
    }

    @Test
    fun `a block wrapped under another KEK ends in the MAC error`(): Unit = runBlocking {
        val session = connected(simulator())
        assertIs<SessionState.Validated>(session.fetch(PastedBlock(WrappedKey(randomBytes(16)).keyBlock)))

        val failed = assertIs<SessionState.Failed>(session.send())
        assertEquals(Step.SEND, failed.step)
        assertEquals(ErrorKind.MAC_ERROR, failed.error.kind)
        assertTrue("MAC" in failed.error.detail, failed.error.detail)
        assertEquals(LogLevel.ERROR, session.log.value.last().level)
    }

    @Test
    fun `a malformed pasted block stops at validation naming the field and position`(): Unit = runBlocking {
        val session = connected(simulator())
        val good = WrappedKey(kek).keyBlock
        val bad = good.substring(0, 5) + "?" + good.substring(6) // key usage starts at position 5

        val failed = assertIs<SessionState.Failed>(session.fetch(PastedBlock(bad)))
        assertEquals(Step.VALIDATE, failed.step)
        assertEquals(ErrorKind.MALFORMED_BLOCK, failed.error.kind)
        assertTrue("position 5" in failed.error.detail, failed.error.detail)
        assertFailsWith<IllegalStateException> { session.send() } // nothing validated, nothing to send
    }

    @Test
    fun `a block the load policy refuses stops at validation and says why`(): Unit = runBlocking {
        val session = connected(simulator())
        val macKey = WrappedKey(kek, header = "D0000M3TC00E0000") // usage M3: not a key the reader loads

        val failed = assertIs<SessionState.Failed>(session.fetch(PastedBlock(macKey.keyBlock)))
        assertEquals(Step.VALIDATE, failed.step)
        assertEquals(ErrorKind.REFUSED, failed.error.kind)
        assertTrue("M3" in failed.error.detail, failed.error.detail)
    }

    @Test
    fun `a block under the factory KBPK is shown with its warning and still loads`(): Unit = runBlocking {
        val factoryKbpk = "0123456789ABCDEFFEDCBA9876543210".chunked(2).map { it.toInt(16).toByte() }.toByteArray()
        val session = connected(ReaderSimulator(factoryKbpk).also { closeables += it })
        val key = WrappedKey(factoryKbpk)

        val validated = assertIs<SessionState.Validated>(session.fetch(PastedBlock(key.keyBlock, key.kcvHex)))
        assertTrue(validated.inspection.warnings.any { "factory KBPK" in it }, validated.inspection.warnings.toString())
        assertTrue(session.log.value.any { it.level == LogLevel.WARNING && "factory KBPK" in it.message })
        val loaded = assertIs<SessionState.Loaded>(session.send())
        assertEquals(key.kcvHex, loaded.verdict.readerKcvHex)
    }

    @Test
    fun `a KCV that is not the reader's is a mismatch, not a success`(): Unit = runBlocking {
        val session = connected(simulator())
        val key = WrappedKey(kek)
        val wrongKcv = WrappedKey(kek).kcvHex
        session.fetch(PastedBlock(key.keyBlock, wrongKcv))

        val failed = assertIs<SessionState.Failed>(session.send())
        assertEquals(ErrorKind.KCV_MISMATCH, failed.error.kind)
        assertTrue(key.kcvHex in failed.error.detail && wrongKcv in failed.error.detail, failed.error.detail)
    }

    @Test
    fun `an entered KCV that is not hex fails the fetch step`(): Unit = runBlocking {
        val session = connected(simulator())
        val failed = assertIs<SessionState.Failed>(session.fetch(PastedBlock(WrappedKey(kek).keyBlock, "12XY56")))
        assertEquals(Step.FETCH, failed.step)
        assertEquals(ErrorKind.INVALID_INPUT, failed.error.kind)
    }

    @Test
    fun `cancelling the send coroutine cancels the load and says so`(): Unit = runBlocking {
        val session = connected(simulator("--delay-ms", "1500"))
        session.fetch(PastedBlock(WrappedKey(kek).keyBlock))

        val job = launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) { session.send() }
        session.state.first { it is SessionState.Working && it.step == Step.SEND }
        delay(200)
        job.cancelAndJoin()

        val failed = assertIs<SessionState.Failed>(session.state.value)
        assertEquals(Step.SEND, failed.step)
        assertEquals(ErrorKind.CANCELLED, failed.error.kind)
        // The exchange really stopped: the same connection takes the next send at once.
        assertIs<SessionState.Loaded>(session.send(), session.log.value.joinToString("\n"))
    }

    @Test
    fun `an unreachable reader fails the connect step`(): Unit = runBlocking {
        val closedPort = ServerSocket(0).use { it.localPort }
        val session = session()

        val failed = assertIs<SessionState.Failed>(session.connect(ReaderLink.tcp("127.0.0.1", closedPort)))
        assertEquals(Step.CONNECT, failed.step)
        assertEquals(ErrorKind.READER_UNREACHABLE, failed.error.kind)
        assertFailsWith<IllegalStateException> { session.fetch(PastedBlock("x")) }
    }
}
