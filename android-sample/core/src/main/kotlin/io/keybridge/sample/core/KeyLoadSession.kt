package io.keybridge.sample.core

import io.keybridge.KcvVerification
import io.keybridge.KeyLoader
import io.keybridge.LoadRequest
import io.keybridge.LoaderOptions
import io.keybridge.ReaderException
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
 * The app's logic, free of Android: connect → fetch → validate → send → verdict, as a state
 * machine the screens observe through [state] and [log].
 *
 * Each step is a suspend call made by the UI (from a ViewModel scope); cancelling the coroutine
 * cancels the step, and for [send] the load itself (keybridge drops the native call and stops the
 * reader exchange). One step runs at a time. A failed step leaves earlier results in place: after
 * a failed send the user can send again without fetching again.
 *
 * AWS exports need a [CredentialsProvider] (the app's backend, which hands out short-lived
 * credentials) and a [KeyExporter]; without them only pasted blocks are available.
 */
class KeyLoadSession(
    private val options: LoaderOptions = LoaderOptions(),
    private val slot: Int = 0,
    private val credentials: CredentialsProvider? = null,
    private val exporter: KeyExporter? = null,
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

    /** Gets a key block from [source], then validates it (decodes the header, applies the load policy). */
    suspend fun fetch(source: KeySource): SessionState = exclusive {
        val loader = checkNotNull(loader) { "connect to a reader first" }
        inspection = null
        val fetched = step(Step.FETCH, describe(source)) { fetchFrom(source) } ?: return@exclusive
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

    private suspend fun fetchFrom(source: KeySource): Fetched = when (source) {
        is KeySource.Pasted -> Fetched(
            source.text.trim(),
            source.expectedKcvHex?.let { ExpectedKcv(normalizedKcv(it), legacy = true, origin = "entered") },
        )
        is KeySource.AwsExport -> exportFromAws(source.request)
    }

    private suspend fun exportFromAws(request: ExportRequest): Fetched {
        val provider = credentials ?: throw KeySourceException(ErrorKind.CREDENTIALS, "this build has no backend configured")
        val keyExporter = exporter ?: throw KeySourceException(ErrorKind.AWS_EXPORT, "this build has no AWS exporter")
        val creds = sourced(ErrorKind.CREDENTIALS) { provider.credentials() }
        if (creds.isExpired(clock())) {
            throw KeySourceException(ErrorKind.CREDENTIALS, "the backend issued credentials that expired at ${creds.expiration}")
        }
        record(Step.FETCH, LogLevel.INFO, "temporary credentials ${creds.accessKeyId}, valid until ${creds.expiration}")
        val exported = sourced(ErrorKind.AWS_EXPORT) { keyExporter.export(request, creds) }
        record(
            Step.FETCH,
            LogLevel.INFO,
            "exported ${request.keyIdentifier} under ${request.wrappingKeyIdentifier}: " +
                "${exported.keyBlock.length} characters, KCV ${exported.kcv?.hex ?: "none"}",
        )
        return Fetched(exported.keyBlock.trim(), exported.kcv?.let { it.copy(hex = normalizedKcv(it.hex)) })
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

    private fun describe(source: KeySource) = when (source) {
        is KeySource.Pasted -> "reading the pasted key block"
        is KeySource.AwsExport -> "exporting ${source.request.keyIdentifier} from AWS Payment Cryptography (${source.request.region})"
    }

    private data class Fetched(val keyBlock: String, val expectedKcv: ExpectedKcv?)
}

/** Wraps a backend/AWS failure as [KeySourceException] of [kind], letting cancellation through. */
private suspend fun <T> sourced(kind: ErrorKind, call: suspend () -> T): T = try {
    call()
} catch (e: CancellationException) {
    throw e
} catch (e: KeySourceException) {
    throw e
} catch (e: Exception) {
    throw KeySourceException(kind, e.message ?: e.javaClass.simpleName, e)
}

/** An entered KCV as upper-case hex: 6–10 hex digits (3-byte legacy up to 5-byte CMAC). */
internal fun normalizedKcv(text: String): String {
    val hex = text.filterNot { it.isWhitespace() }.uppercase()
    require(hex.length in 6..10 && hex.length % 2 == 0 && hex.all { it in "0123456789ABCDEF" }) {
        "expected KCV '$text' must be 6 to 10 hex digits (3 to 5 bytes)"
    }
    return hex
}

private fun Verdict.summary(): String {
    val expected = expectedKcv?.let { "${it.hex} (${it.origin})" } ?: "none"
    return when (verification) {
        KcvVerification.MATCHED_KEY_BLOCK -> "reader KCV $readerKcvHex matches the block's KC block; expected $expected"
        KcvVerification.MATCHED_EXPECTED -> "reader KCV $readerKcvHex matches the expected KCV $expected"
        KcvVerification.UNVERIFIED -> "reader KCV $readerKcvHex not compared (expected $expected)"
    }
}
