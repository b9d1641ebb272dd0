package io.keybridge.sample.core

import io.keybridge.KcvAlgorithm
import io.keybridge.KcvMethod
import io.keybridge.SlotOutcome
import io.keybridge.Verdict
import io.keybridge.keyCheckValue
import io.keybridge.testing.KeyService
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking

/**
 * The operator's path: sign in to the key service with an operator token and provision the
 * connected reader, against `keybridge serve` and the AWS emulator as processes and the reader
 * simulator over the app's own TCP [ReaderLink].
 */
class ProvisionSessionTest {
    private val closeables = mutableListOf<AutoCloseable>()
    private val service = KeyService().also { closeables += it }
    private val login = ServiceLogin(service.url, service.operatorToken())

    @AfterTest
    fun tearDown() = closeables.asReversed().forEach { it.close() }

    /** A session connected to a simulated reader registered with the service as [posId]. */
    private suspend fun connected(posId: String, profile: String = "standard", vararg faults: String): KeyLoadSession {
        service.enrol(posId, profile)
        val reader = ReaderSimulator(service.kek, "--pos-id", posId, *faults).also { closeables += it }
        val session = KeyLoadSession().also { closeables += it }
        assertIs<SessionState.Connected>(session.connect(reader.link()), session.log.value.joinToString("\n"))
        return session
    }

    @Test
    fun `the operator provisions the reader and sees each slot's verdict and KCV`(): Unit = runBlocking {
        val session = connected("5A01")

        val provisioned = assertIs<SessionState.Provisioned>(session.provision(login), session.log.value.joinToString("\n"))

        val slots = provisioned.report.slots
        assertEquals(listOf(0, 1, 2, 3), slots.map { it.slot })
        assertTrue(slots.all { it.outcome == SlotOutcome.LOADED }, slots.toString())
        assertEquals(listOf(Verdict.UNVERIFIABLE, Verdict.VERIFIED, Verdict.VERIFIED, Verdict.UNVERIFIABLE), slots.map { it.verdict })
        assertEquals(keyCheckValue(service.pinKeyTdes, KcvAlgorithm.TDES, KcvMethod.LEGACY).toHex(), slots[1].readerKcvHex)
        val log = session.log.value.joinToString("\n")
        assertTrue("slot 1: loaded, reader KCV ${slots[1].readerKcvHex}, verified against AWS's KCV" in log, log)
        assertTrue("slot 2: the service judged it verified" in log, log)
        assertFalse(login.operatorToken in log, "the token is never logged")
        assertFalse(login.operatorToken in login.toString())
    }

    @Test
    fun `a revoked operator token ends the step with the service's refusal`(): Unit = runBlocking {
        val session = connected("5A02")
        val revoked = ServiceLogin(service.url, service.operatorToken())
        service.revoke(revoked.operatorToken)

        val failed = assertIs<SessionState.Failed>(session.provision(revoked))
        assertEquals(Step.PROVISION, failed.step)
        assertEquals(ErrorKind.SERVICE_REFUSED, failed.error.kind)
        assertTrue("token_revoked" in failed.error.detail, failed.error.detail)
        assertFalse(revoked.operatorToken in failed.error.detail)
    }

    @Test
    fun `a service URL that would send the token in clear is invalid input`(): Unit = runBlocking {
        val session = connected("5A03")
        val failed = assertIs<SessionState.Failed>(session.provision(ServiceLogin("http://192.0.2.7:8080", login.operatorToken)))
        assertEquals(ErrorKind.INVALID_INPUT, failed.error.kind)
        assertTrue("loopback" in failed.error.detail, failed.error.detail)
    }

    @Test
    fun `a reader that refuses the blocks is shown slot by slot`(): Unit = runBlocking {
        val session = connected("5A04", "dukpt", "--status", "mac-error")

        val provisioned = assertIs<SessionState.Provisioned>(session.provision(login))

        val slot = provisioned.report.slots.single()
        assertEquals(SlotOutcome.FAILED, slot.outcome)
        assertEquals("MAC_ERROR", slot.failure?.dspreadError)
        assertNull(slot.verdict)
        assertFalse(provisioned.report.allVerified)
        assertTrue(
            session.log.value.any { it.level == LogLevel.ERROR && it.message.startsWith("slot 0: failed") && "MAC_ERROR" in it.message },
            session.log.value.joinToString("\n"),
        )
    }

    @Test
    fun `cancelling the provisioning says so and the connection takes the next one`(): Unit = runBlocking {
        val session = connected("5A05", "dukpt", "--delay-ms", "400")

        val job = launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) { session.provision(login) }
        session.state.first { it is SessionState.Working && it.what == "loading slot 0" }
        job.cancelAndJoin()

        val failed = assertIs<SessionState.Failed>(session.state.value)
        assertEquals(Step.PROVISION, failed.step)
        assertEquals(ErrorKind.CANCELLED, failed.error.kind)
        val again = assertIs<SessionState.Provisioned>(session.provision(login), session.log.value.joinToString("\n"))
        assertTrue(again.report.allVerified, again.report.toString())
    }
}
