package io.keybridge.sample.core

import io.keybridge.KcvVerification
import io.keybridge.KeyLoader
import io.keybridge.KeyServiceClient
import io.keybridge.KeyServiceConfig
import io.keybridge.LoadRequest
import io.keybridge.LoaderOptions
import io.keybridge.ProvisionOptions
import io.keybridge.ProvisionProgress
import io.keybridge.ProvisionedSlot
import io.keybridge.SlotOutcome
import io.keybridge.Tr31KeyBlock
import io.keybridge.Tr31Profile
import java.time.Instant
import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

/**
 * The app's logic, free of Android, as a state machine the screens observe through [state] and
 * [log]: connect, then [provision] the reader from the key service (the operator's sign-in, no
 * AWS credentials on the device), or, offline, paste a key block: fetch → validate → send → verdict.
 *
 * Each step is a suspend call made by the UI (from a ViewModel scope); cancelling the coroutine
 * cancels the step, and for [send] and [provision] the reader exchange itself (keybridge drops the
 * native call; a provisioning reports what it loaded before it stops). One step runs at a time. A
 * failed step leaves earlier results in place: after a failed send the user can send again
 * without fetching again.
 *
 * [rootCertificatesPem] gives the key service client the CA roots to trust, read off the caller's
 * thread for each provisioning: on Android native code cannot read the platform's trust store.
 */
class KeyLoadSession(
    private val options: LoaderOptions = LoaderOptions(),
    private val slot: Int = 0,
    private val rootCertificatesPem: (() -> ByteArray)? = null,
    private val io: CoroutineDispatcher = Dispatchers.IO,
    private val clock: () -> Instant = Instant::now,
) : AutoCloseable {
    private val mutableState = MutableStateFlow<SessionState>(SessionState.Idle)
    private val mutableLog = MutableStateFlow<List<LogEntry>>(emptyList())
    private val running = AtomicBoolean(false)
    private var loader: KeyLoader? = null

    /** The block validated last, kept after a failed send so that the screens can offer "send again". */
    var inspection: Inspection? = null
        private set

    val state: StateFlow<SessionState> = mutableState.asStateFlow()
    val log: StateFlow<List<LogEntry>> = mutableLog.asStateFlow()

    init {
        require(slot in 0..9) { "key slot $slot is outside 0–9" }
    }

    /** Opens [link] and asks the reader who it is. Replaces any earlier connection. */
    suspend fun connect(link: ReaderLink): SessionState = exclusive {
        closeLoader()
        step(Step.CONNECT, "connecting to ${link.label}") {
            val transport = withContext(io) { link.open() }
            val opened = KeyLoader.withTransport(transport, options)
            val info = try {
                opened.deviceInfo()
            } catch (e: Throwable) {
                opened.disconnect()
                opened.close()
                throw e
            }
            loader = opened
            record(Step.CONNECT, LogLevel.INFO, "connected: POS ID ${info.posId}")
            SessionState.Connected(link.label, info.posId)
        }?.let { mutableState.value = it }
    }

    /**
     * Provisions the connected reader from the key service the operator signed in to: its keys are
     * requested, each slot is loaded and its KCV checked (against AWS's where comparable), and every
     * outcome is reported back to the service, whose verdicts the result shows.
     */
    suspend fun provision(login: ServiceLogin): SessionState = exclusive {
        val loader = checkNotNull(loader) { "connect to a reader first" }
        inspection = null
        step(Step.PROVISION, "provisioning the reader from ${login.url}") {
            val client = withContext(io) {
                val config = KeyServiceConfig(login.url, login.operatorToken, rootCertificatesPem = rootCertificatesPem?.invoke())
                KeyServiceClient(config)
            }
            val report = client.use { loader.provision(it, ProvisionOptions(), ProvisionLog()) }
            report.slots.forEach { slot ->
                slot.verdict?.let { record(Step.PROVISION, LogLevel.INFO, "slot ${slot.slot}: the service judged it ${it.name.lowercase()}") }
            }
            report.reportFailure?.let { record(Step.PROVISION, LogLevel.WARNING, "the service did not get the report: ${it.message}") }
            report
        }?.let { mutableState.value = SessionState.Provisioned(it) }
    }

    /** Takes a pasted key block, then validates it (decodes the header, applies the load policy). */
    suspend fun fetch(pasted: PastedBlock): SessionState = exclusive {
        val loader = checkNotNull(loader) { "connect to a reader first" }
        inspection = null
        val fetched = step(Step.FETCH, "reading the pasted key block") {
            Fetched(
                pasted.text.trim(),
                pasted.expectedKcvHex?.let { ExpectedKcv(normalizedKcv(it), legacy = true, origin = "entered") },
            )
        } ?: return@exclusive
        val validated = step(Step.VALIDATE, "validating the key block (${fetched.keyBlock.length} characters)") {
            validate(loader, fetched)
        } ?: return@exclusive
        inspection = validated
        mutableState.value = SessionState.Validated(validated)
    }

    /** Sends the validated block with `sendTR31Key` and compares the reader's KCV. */
    suspend fun send(): SessionState = exclusive {
        val loader = checkNotNull(loader) { "connect to a reader first" }
        val validated = checkNotNull(inspection) { "get and validate a key block first" }
        step(Step.SEND, "sending the ${validated.header.keyUsage} key block to slot $slot") {
            val expected = validated.expectedKcv?.takeIf { it.legacy }?.bytes()
            val request = LoadRequest(slot, expected, null, null)
            val result = loader.sendTr31KeyWith(validated.keyBlock, request)
            record(Step.SEND, LogLevel.INFO, "the reader accepted the key in ${result.elapsedMs} ms")
            val verdict = Verdict(
                slot = result.slot,
                keyUsage = result.keyUsage,
                readerKcvHex = result.readerKcvHex,
                expectedKcv = validated.expectedKcv,
                verification = result.kcvVerification,
                warnings = result.warnings,
                elapsedMs = result.elapsedMs,
            )
            record(Step.VERDICT, if (verdict.kcvMatched) LogLevel.INFO else LogLevel.WARNING, verdict.summary())
            result.warnings.forEach { record(Step.VERDICT, LogLevel.WARNING, it) }
            verdict
        }?.let { mutableState.value = SessionState.Loaded(it) }
    }

    /** Closes the reader connection and starts over. */
    override fun close() {
        closeLoader()
        inspection = null
        mutableState.value = SessionState.Idle
    }

    private fun validate(loader: KeyLoader, fetched: Fetched): Inspection {
        val profile = Tr31Profile(options.lenient, options.allowWeakWrapping)
        val header = Tr31KeyBlock.parseWith(fetched.keyBlock, profile).use { it.header() }
        record(
            Step.VALIDATE,
            LogLevel.INFO,
            "version ${header.version}, usage ${header.keyUsage} (${header.keyUsageMeaning}), " +
                "algorithm ${header.algorithm} (${header.algorithmMeaning}), mode ${header.modeOfUse}, " +
                "${header.optionalBlocks.size} optional block(s)",
        )
        val warnings = loader.check(fetched.keyBlock)
        warnings.forEach { record(Step.VALIDATE, LogLevel.WARNING, it) }
        return Inspection(fetched.keyBlock, header, warnings, fetched.expectedKcv)
    }

    /**
     * Runs one step: shows it as working and logs it. A failure becomes [SessionState.Failed] and
     * `null`; cancellation is recorded as such and rethrown, as coroutines require.
     */
    private suspend fun <T : Any> step(step: Step, what: String, body: suspend () -> T): T? {
        mutableState.value = SessionState.Working(step, what)
        record(step, LogLevel.INFO, what)
        return try {
            body()
        } catch (e: CancellationException) {
            fail(step, UserError(ErrorKind.CANCELLED, "cancelled during ${step.name.lowercase()}"))
            throw e
        } catch (e: Exception) {
            fail(step, UserError.from(e))
            null
        }
    }

    private fun fail(step: Step, error: UserError) {
        record(step, LogLevel.ERROR, error.toString())
        mutableState.value = SessionState.Failed(step, error)
    }

    private fun record(step: Step, level: LogLevel, message: String) {
        mutableLog.update { it + LogEntry(clock(), step, level, message) }
    }

    /** One step at a time: a second tap while a step runs is a programming error in the UI. */
    private suspend fun exclusive(body: suspend () -> Unit): SessionState {
        check(running.compareAndSet(false, true)) { "a step is already running" }
        try {
            body()
            return mutableState.value
        } finally {
            running.set(false)
        }
    }

    private fun closeLoader() {
        loader?.let {
            it.disconnect()
            it.close()
        }
        loader = null
    }

    /** Shows each slot as it is loaded, in the state and the log. Called on a keybridge thread. */
    private inner class ProvisionLog : ProvisionProgress {
        override fun keysReceived(requestId: String, slots: Int) =
            record(Step.PROVISION, LogLevel.INFO, "the key service issued $slots key(s) (request $requestId)")

        override fun slotStarted(slot: Int) {
            mutableState.value = SessionState.Working(Step.PROVISION, "loading slot $slot")
        }

        override fun slotFinished(slot: ProvisionedSlot) {
            val level = if (slot.outcome == SlotOutcome.LOADED) LogLevel.INFO else LogLevel.ERROR
            record(Step.PROVISION, level, slot.summary())
        }
    }

    private data class Fetched(val keyBlock: String, val expectedKcv: ExpectedKcv?)
}

/** An entered KCV as upper-case hex: 6–10 hex digits (3-byte legacy up to 5-byte CMAC). */
internal fun normalizedKcv(text: String): String {
    val hex = text.filterNot { it.isWhitespace() }.uppercase()
    require(hex.length in 6..10 && hex.length % 2 == 0 && hex.all { it in "0123456789ABCDEF" }) {
        "expected KCV '$text' must be 6 to 10 hex digits (3 to 5 bytes)"
    }
    return hex
}

/** One slot as the step log shows it: outcome, reader KCV, whether verified, KSN, or why it failed. */
internal fun ProvisionedSlot.summary(): String = buildString {
    append("slot $slot: ${outcome.name.lowercase()}")
    readerKcvHex?.let { append(", reader KCV $it") }
    when {
        verified -> append(", verified against AWS's KCV")
        outcome == SlotOutcome.LOADED -> append(", not verifiable (AWS's KCV is $serviceKcvAlgorithm)")
    }
    ksn?.let { append(", KSN $it") }
    failure?.let { append(" — ${it.dspreadError}: ${it.message}") }
}

private fun Verdict.summary(): String {
    val expected = expectedKcv?.let { "${it.hex} (${it.origin})" } ?: "none"
    return when (verification) {
        KcvVerification.MATCHED_KEY_BLOCK -> "reader KCV $readerKcvHex matches the block's KC block; expected $expected"
        KcvVerification.MATCHED_EXPECTED -> "reader KCV $readerKcvHex matches the expected KCV $expected"
        KcvVerification.UNVERIFIED -> "reader KCV $readerKcvHex not compared (expected $expected)"
    }
}
