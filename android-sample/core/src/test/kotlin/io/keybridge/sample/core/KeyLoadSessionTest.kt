package io.keybridge.sample.core

import io.keybridge.KcvAlgorithm
import io.keybridge.KcvMethod
import io.keybridge.KcvVerification
import io.keybridge.keyCheckValue
import java.net.ServerSocket
import java.time.Duration
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

/** The session against the real reader simulator (over the Kotlin TCP [ReaderLink]) and the real AWS emulator. */
class KeyLoadSessionTest {
    private val kek = randomBytes(16)
    private val closeables = mutableListOf<AutoCloseable>()

    @AfterTest
    fun tearDown() = closeables.asReversed().forEach { it.close() }

    private fun simulator(vararg faults: String) = ReaderSimulator(kek, *faults).also { closeables += it }

    private fun aws() = AwsEmulator(kek).also { closeables += it }

    private fun session(aws: AwsEmulator? = null, backend: CredentialsProvider? = aws?.backend()) =
        KeyLoadSession(credentials = backend, exporter = aws?.exporter()).also { closeables += it }

    private suspend fun connected(sim: ReaderSimulator, session: KeyLoadSession = session()) = session.also {
        assertIs<SessionState.Connected>(it.connect(sim.link()), it.log.value.joinToString("\n"))
    }

    @Test
    fun `a good pasted block loads and the verdict shows matching KCVs`(): Unit = runBlocking {
        val session = connected(simulator())
        val key = WrappedKey(kek)

        val validated = assertIs<SessionState.Validated>(session.fetch(KeySource.Pasted(key.keyBlock, key.kcvHex.lowercase())))
        assertEquals("P0", validated.inspection.header.keyUsage)
        assertEquals("D", validated.inspection.header.version)

        val loaded = assertIs<SessionState.Loaded>(session.send())
        assertEquals(key.kcvHex, loaded.verdict.readerKcvHex)
        assertEquals(key.kcvHex, loaded.verdict.expectedKcv?.hex)
        assertEquals(KcvVerification.MATCHED_EXPECTED, loaded.verdict.verification)
        assertTrue(loaded.verdict.kcvMatched)
        assertEquals(Step.entries.toSet(), session.log.value.map { it.step }.toSet())
    }

    @Test
    fun `a block wrapped under another KEK ends in the MAC error`(): Unit = runBlocking {
        val session = connected(simulator())
        assertIs<SessionState.Validated>(session.fetch(KeySource.Pasted(WrappedKey(randomBytes(16)).keyBlock)))

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

        val failed = assertIs<SessionState.Failed>(session.fetch(KeySource.Pasted(bad)))
        assertEquals(Step.VALIDATE, failed.step)
        assertEquals(ErrorKind.MALFORMED_BLOCK, failed.error.kind)
        assertTrue("position 5" in failed.error.detail, failed.error.detail)
        assertFailsWith<IllegalStateException> { session.send() } // nothing validated, nothing to send
    }

    @Test
    fun `a block the load policy refuses stops at validation and says why`(): Unit = runBlocking {
        val session = connected(simulator())
        val macKey = WrappedKey(kek, header = "D0000M3TC00E0000") // usage M3: not a key the reader loads

        val failed = assertIs<SessionState.Failed>(session.fetch(KeySource.Pasted(macKey.keyBlock)))
        assertEquals(Step.VALIDATE, failed.step)
        assertEquals(ErrorKind.REFUSED, failed.error.kind)
        assertTrue("M3" in failed.error.detail, failed.error.detail)
    }

    @Test
    fun `a block under the factory KBPK is shown with its warning and still loads`(): Unit = runBlocking {
        val factoryKbpk = "0123456789ABCDEFFEDCBA9876543210".chunked(2).map { it.toInt(16).toByte() }.toByteArray()
        val session = connected(ReaderSimulator(factoryKbpk).also { closeables += it })
        val key = WrappedKey(factoryKbpk)

        val validated = assertIs<SessionState.Validated>(session.fetch(KeySource.Pasted(key.keyBlock, key.kcvHex)))
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
        session.fetch(KeySource.Pasted(key.keyBlock, wrongKcv))

        val failed = assertIs<SessionState.Failed>(session.send())
        assertEquals(ErrorKind.KCV_MISMATCH, failed.error.kind)
        assertTrue(key.kcvHex in failed.error.detail && wrongKcv in failed.error.detail, failed.error.detail)
    }

    @Test
    fun `an entered KCV that is not hex fails the fetch step`(): Unit = runBlocking {
        val session = connected(simulator())
        val failed = assertIs<SessionState.Failed>(session.fetch(KeySource.Pasted(WrappedKey(kek).keyBlock, "12XY56")))
        assertEquals(Step.FETCH, failed.step)
        assertEquals(ErrorKind.INVALID_INPUT, failed.error.kind)
    }

    @Test
    fun `a key exported from AWS with the backend's short-lived credentials loads with the AWS KCV`(): Unit = runBlocking {
        val aws = aws()
        val session = connected(simulator(), session(aws))
        val pinKeyKcv = keyCheckValue(aws.pinKey, KcvAlgorithm.TDES, KcvMethod.LEGACY).toHex()

        val validated = assertIs<SessionState.Validated>(session.fetch(KeySource.AwsExport(AwsEmulator.REQUEST)))
        assertEquals(ExpectedKcv(pinKeyKcv, legacy = true, origin = "AWS ANSI_X9_24"), validated.inspection.expectedKcv)
        assertEquals("P0", validated.inspection.header.keyUsage)

        val loaded = assertIs<SessionState.Loaded>(session.send())
        assertEquals(pinKeyKcv, loaded.verdict.readerKcvHex)
        assertEquals(KcvVerification.MATCHED_EXPECTED, loaded.verdict.verification)
        assertTrue(session.log.value.none { "EXAMPLEKEY" in it.message || "session-token" in it.message })
    }

    @Test
    fun `expired credentials from the backend never reach AWS`(): Unit = runBlocking {
        val aws = aws()
        val session = connected(simulator(), session(aws, aws.backend(lifetime = Duration.ofSeconds(-1))))

        val failed = assertIs<SessionState.Failed>(session.fetch(KeySource.AwsExport(AwsEmulator.REQUEST)))
        assertEquals(Step.FETCH, failed.step)
        assertEquals(ErrorKind.CREDENTIALS, failed.error.kind)
        assertTrue(session.log.value.none { it.message.startsWith("exported") })
    }

    @Test
    fun `credentials AWS refuses fail the fetch step as a credentials problem`(): Unit = runBlocking {
        val aws = aws()
        val session = connected(simulator(), session(aws, aws.backend(secret = "not-the-secret")))

        val failed = assertIs<SessionState.Failed>(session.fetch(KeySource.AwsExport(AwsEmulator.REQUEST)))
        assertEquals(Step.FETCH, failed.step)
        assertEquals(ErrorKind.CREDENTIALS, failed.error.kind)
    }

    @Test
    fun `an AWS error fails the fetch step with its message`(): Unit = runBlocking {
        val aws = aws()
        val session = connected(simulator(), session(aws))
        val request = AwsEmulator.REQUEST.copy(keyIdentifier = "alias/missing")

        val failed = assertIs<SessionState.Failed>(session.fetch(KeySource.AwsExport(request)))
        assertEquals(ErrorKind.AWS_EXPORT, failed.error.kind)
        assertTrue("no such key" in failed.error.detail, failed.error.detail)
    }

    @Test
    fun `cancelling the send coroutine cancels the load and says so`(): Unit = runBlocking {
        val session = connected(simulator("--delay-ms", "1500"))
        session.fetch(KeySource.Pasted(WrappedKey(kek).keyBlock))

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
        assertFailsWith<IllegalStateException> { session.fetch(KeySource.Pasted("x")) }
    }
}
