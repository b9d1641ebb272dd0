package io.keybridge

import io.keybridge.testing.KeyService
import java.util.Collections
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Records the progress callbacks as `keys:N`, `start:SLOT`, `finish:SLOT:OUTCOME`. */
open class RecordingProgress : ProvisionProgress {
    val events: MutableList<String> = Collections.synchronizedList(mutableListOf())

    override fun keysReceived(requestId: String, slots: Int) {
        events += "keys:$slots"
    }

    override fun slotStarted(slot: Int) {
        events += "start:$slot"
    }

    override fun slotFinished(slot: ProvisionedSlot) {
        events += "finish:${slot.slot}:${slot.outcome}"
    }
}

/**
 * `KeyLoader.provision` from Kotlin against `keybridge serve` and the AWS emulator as processes and
 * the reader simulator: what the reader holds, what the service recorded and the typed failures.
 */
class ProvisionTest {
    private val closeables = mutableListOf<AutoCloseable>()

    @AfterTest
    fun tearDown() = closeables.asReversed().forEach { it.close() }

    private fun <T : AutoCloseable> T.closing(): T = also { closeables += it }

    private val fast = LoaderOptions(commandTimeoutMs = 500, maxRetries = 0)

    private fun client(service: KeyService, token: String, maxAttempts: Int? = null) =
        KeyServiceClient(KeyServiceConfig(service.url, token, maxAttempts = maxAttempts)).closing()

    private fun reader(service: KeyService, posId: String, vararg faults: String, options: LoaderOptions = LoaderOptions()) =
        KeyLoader.openTcp(Simulator.tcp(*service.readerFlags(posId, *faults)).closing().address, options).closing()

    @Test
    fun everyIssuedSlotIsLoadedVerifiedWhereAwsAllowsAndReported() = runBlocking<Unit> {
        val service = KeyService().closing()
        val posId = "A0010001"
        val client = client(service, service.enrol(posId))
        val loader = reader(service, posId)
        val progress = RecordingProgress()

        val report = loader.provision(client, ProvisionOptions(), progress)

        assertEquals(posId, report.posId)
        assertFalse(report.cancelled)
        assertNull(report.reportFailure)
        assertEquals(listOf(0, 1, 2, 3), report.slots.map { it.slot })
        assertEquals(
            listOf("keys:4") + (0..3).flatMap { listOf("start:$it", "finish:$it:LOADED") },
            progress.events,
        )
        for (slot in report.slots) {
            // What the reader holds now is what the report says it loaded.
            assertEquals(loader.keyCheckValue(slot.slot).toHex(), slot.readerKcvHex, "slot ${slot.slot}")
            assertEquals(slot.readerKcvHex, slot.loaded?.readerKcvHex)
            assertNull(slot.failure)
        }
        val (aesPin, tdesPin, tdesDukpt, aesDukpt) = report.slots
        // AWS's CMAC KCV of an AES key cannot be compared with a reader's: loaded, not verified.
        assertEquals("CMAC", aesPin.serviceKcvAlgorithm)
        assertEquals(keyCheckValue(service.pinKeyAes, KcvAlgorithm.AES, KcvMethod.LEGACY).toHex(), aesPin.readerKcvHex)
        assertEquals(listOf(false, true, true, false), report.slots.map { it.verified })
        assertEquals(
            listOf(Verdict.UNVERIFIABLE, Verdict.VERIFIED, Verdict.VERIFIED, Verdict.UNVERIFIABLE),
            report.slots.map { it.verdict },
        )
        val tdesKcv = keyCheckValue(service.pinKeyTdes, KcvAlgorithm.TDES, KcvMethod.LEGACY).toHex()
        assertEquals(listOf(tdesKcv, tdesKcv), listOf(tdesPin.readerKcvHex, tdesPin.serviceKcv))
        assertEquals(KcvVerification.MATCHED_EXPECTED, tdesPin.loaded?.kcvVerification)
        assertTrue(tdesDukpt.ksn!!.startsWith(KeyService.KSI), tdesDukpt.ksn)
        assertTrue(aesDukpt.ksn!!.startsWith(KeyService.BDK_ID), aesDukpt.ksn)
        assertFalse(report.allVerified, "the AES keys cannot be verified against AWS's CMAC KCVs")

        val view = client.device(posId)
        assertEquals(report.requestId, view.lastRequest?.requestId)
        assertEquals(RequestState.ANSWERED, view.lastRequest?.state)
        assertEquals(report.slots.map { it.verdict }, view.slots.map { it.report?.verdict })
        assertEquals(report.slots.map { it.readerKcvHex }, view.slots.map { it.report?.readerKcv })
        assertEquals(report.slots.map { it.ksn }, view.slots.map { it.ksn })
        // The view is rust-core's own record: the wire's u8 slot, AWS's name for the KCV method.
        assertEquals(listOf<UByte>(0u, 1u, 2u, 3u), view.slots.map { it.slot })
        assertEquals(listOf("CMAC", "ANSI_X9_24", "ANSI_X9_24", "CMAC"), view.slots.map { it.kcvAlgorithm })
        assertEquals(report.slots.map { it.serviceKcvAlgorithm }, view.slots.map { it.kcvAlgorithm })
    }

    @Test
    fun anOperatorTokenProvisionsEveryReaderOfItsGroup() = runBlocking<Unit> {
        val service = KeyService().closing()
        val operator = client(service, service.operatorToken())
        for (posId in listOf("B001", "B002")) {
            service.enrol(posId, profile = "dukpt")
            val report = reader(service, posId).provision(operator)
            assertTrue(report.allVerified, report.toString())
        }
        // Each reader got its own Initial Key ID.
        assertTrue(operator.device("B001").slots.single().ksn != operator.device("B002").slots.single().ksn)
    }

    /** Progress is for display: a callback that throws changes nothing that is loaded or reported. */
    @Test
    fun aProgressCallbackThatThrowsChangesNothing() = runBlocking<Unit> {
        val service = KeyService().closing()
        val posId = "B003"
        val client = client(service, service.enrol(posId, profile = "dukpt"))
        val throwing = object : RecordingProgress() {
            override fun keysReceived(requestId: String, slots: Int) {
                super.keysReceived(requestId, slots)
                error("a UI that throws")
            }

            override fun slotFinished(slot: ProvisionedSlot) {
                super.slotFinished(slot)
                error("a UI that throws")
            }
        }
        val report = reader(service, posId).provision(client, progress = throwing)
        assertEquals(listOf("keys:1", "start:0", "finish:0:LOADED"), throwing.events)
        assertTrue(report.allVerified, report.toString())
        assertEquals(Verdict.VERIFIED, client.device(posId).slots.single().report?.verdict)
    }

    /**
     * Cancelling the coroutine once the first slot is loaded: the call ends in CancellationException,
     * the other slots are not attempted, and the service is told of the slot that was loaded and
     * that the others were never sent (failed: the reader cannot hold them).
     */
    @Test
    fun cancellingHalfwayLeavesTheServiceViewConsistent() = runBlocking<Unit> {
        val service = KeyService().closing()
        val posId = "C001"
        val client = client(service, service.enrol(posId))
        val loader = reader(service, posId)
        lateinit var job: Job
        val progress = object : RecordingProgress() {
            override fun slotFinished(slot: ProvisionedSlot) {
                super.slotFinished(slot)
                // Returns once the coroutine is cancelled and the Rust future dropped: the
                // provisioning sees the cancellation before the next slot.
                job.cancel()
                runBlocking { job.join() }
            }
        }
        var outcome: Result<ProvisionReport>? = null
        job = launch(Dispatchers.Default) { outcome = runCatching { loader.provision(client, progress = progress) } }
        job.join()

        assertIs<CancellationException>(outcome?.exceptionOrNull(), "$outcome")
        // The next call waits for the cancelled one to wind down, report included.
        val loadedKcv = loader.keyCheckValue(0).toHex()
        assertEquals(listOf("keys:4", "start:0", "finish:0:LOADED"), progress.events)
        val view = client.device(posId)
        assertEquals(4, view.slots.size, "every slot was issued")
        assertTrue(view.slots.all { it.requestId == view.lastRequest?.requestId })
        assertEquals(SlotOutcome.LOADED, view.slots[0].report?.outcome)
        assertEquals(loadedKcv, view.slots[0].report?.readerKcv)
        assertEquals(
            listOf(SlotOutcome.FAILED, SlotOutcome.FAILED, SlotOutcome.FAILED),
            view.slots.drop(1).map { it.report?.outcome },
            "slots 1–3 were never sent",
        )
    }

    @Test
    fun aRevokedTokenIsRefusedWithTheServicesCodeAndNothingIsLoaded() = runBlocking<Unit> {
        val service = KeyService().closing()
        val posId = "D001"
        val token = service.enrol(posId)
        service.revoke(token)
        val progress = RecordingProgress()
        val refused = assertFailsWith<KeyServiceException.Refused> {
            reader(service, posId).provision(client(service, token), progress = progress)
        }
        assertEquals(401, refused.status)
        assertEquals("token_revoked", refused.code)
        assertFalse(token in refused.toString() || token in refused.message.orEmpty(), refused.toString())
        assertEquals(emptyList(), progress.events, "no key arrived")
    }

    @Test
    fun anAwsOutageIsUnavailableWithTheServicesRetryAdvice() = runBlocking<Unit> {
        val service = KeyService("--throttle-first", "1000000").closing()
        val posId = "D002"
        val client = client(service, service.enrol(posId, profile = "dukpt"), maxAttempts = 1)
        val unavailable = assertFailsWith<KeyServiceException.Unavailable> { reader(service, posId).provision(client) }
        assertEquals(503, unavailable.status)
        assertEquals("aws_unavailable", unavailable.code)
        assertTrue((unavailable.retryAfterMs ?: 0) > 0, unavailable.toString())
    }

    @Test
    fun aReaderThatRefusesEveryBlockIsReportedFailedSlotBySlot() = runBlocking<Unit> {
        val service = KeyService().closing()
        val posId = "E001"
        val client = client(service, service.enrol(posId))
        val report = reader(service, posId, "--status", "mac-error").provision(client)

        assertNull(report.reportFailure)
        assertEquals(4, report.slots.size)
        for (slot in report.slots) {
            assertEquals(SlotOutcome.FAILED, slot.outcome)
            assertEquals(LoadFailureKind.MAC_MISMATCH, slot.failure?.kind)
            assertEquals("MAC_ERROR", slot.failure?.dspreadError)
            assertNull(slot.verdict)
            assertNull(slot.loaded)
        }
        assertEquals(List(4) { SlotOutcome.FAILED }, client.device(posId).slots.map { it.report?.outcome })
    }

    @Test
    fun aReaderThatDoesNotAnswerStopsBeforeTheServiceIsAsked() = runBlocking<Unit> {
        val service = KeyService().closing()
        val posId = "E002"
        val client = client(service, service.enrol(posId))
        val stopped = assertFailsWith<KeyServiceException.Reader> {
            reader(service, posId, "--drop", "100", options = fast).provision(client)
        }
        assertEquals(LoadFailureKind.NO_RESPONSE, stopped.failure.kind)
        assertNull(client.device(posId).lastRequest, "no key request was made")
    }

    @Test
    fun settingsThatCannotWorkAreNamedAndTheTokenIsNeverPrinted() {
        val token = "kbt_0123456789_secret-part"
        val config = KeyServiceConfig("http://10.1.2.3:8080", token)
        assertFalse(token in config.toString(), config.toString())
        val invalid = assertFailsWith<KeyServiceException.InvalidConfig> { KeyServiceClient(config) }
        assertEquals("base URL", invalid.field)
        assertContains(invalid.toString(), "loopback")
        val timeout = assertFailsWith<KeyServiceException.InvalidConfig> {
            KeyServiceClient(KeyServiceConfig("https://keys.example.com", token, requestTimeoutMs = -5))
        }
        assertEquals("requestTimeoutMs", timeout.field)
        KeyServiceClient(KeyServiceConfig("http://127.0.0.1:9", token)).use { assertFalse(token in it.toString(), it.toString()) }
    }
}
