package io.keybridge.dspread

import io.keybridge.KeyLoadResult
import io.keybridge.KeyLoader
import io.keybridge.KeyServiceClient
import io.keybridge.KeyServiceConfig
import io.keybridge.KeyServiceException
import io.keybridge.LoadFailure
import io.keybridge.LoadRequest
import io.keybridge.LoaderOptions
import io.keybridge.ProvisionProgress
import io.keybridge.ProvisionReport
import io.keybridge.ProvisionedSlot
import io.keybridge.ReaderTransport
import io.keybridge.ServiceFailure
import io.keybridge.jni.KeyServiceSettings
import io.keybridge.jni.ProvisionListener
import io.keybridge.jni.ReaderException
import kotlinx.coroutines.runBlocking

/**
 * [KeyLoaderBackend] on the uniffi bindings, so that [QPOSService] (one Java-facing API for the
 * JNI and the Kotlin layers) also works over a [ReaderTransport] the app writes in Kotlin or Java
 * for Bluetooth or USB. Blocking: [QPOSService] calls it on its worker thread. Its results are the
 * Java classes of `io.keybridge.jni` the JNI backend reports too.
 */
class UniffiKeyLoaderBackend(private val loader: KeyLoader) : KeyLoaderBackend {
    /** The key type goes into the load's B0, as the vendor SDK sends it. */
    override fun load(
        keyBlock: String,
        keyIndex: Int,
        ksn: String?,
        keyType: QPOSService.TR31KeyType?,
        expectedKcv: String?,
        timeoutMs: Int,
    ): KeyLoaderBackend.Result {
        val kcv = expectedKcv?.let {
            it.hexToBytesOrNull() ?: return KeyLoaderBackend.Result.failed("INPUT_INVALID", "the expected KCV is not hex")
        }
        val request = LoadRequest(
            slot = keyIndex,
            expectedKcv = kcv,
            ksn = ksn,
            timeoutMs = timeoutMs.takeIf { it > 0 },
            keyType = keyType?.name,
        )
        val report = runBlocking { loader.loadReport(keyBlock, request) }
        val loaded = report.loaded ?: return report.failure!!.toResult()
        return KeyLoaderBackend.Result.loaded(loaded.readerKcvHex, loaded.kcvVerification.name, loaded.keyUsage, loaded.warnings)
    }

    override fun keyCheckValue(keyIndex: Int): KeyLoaderBackend.Result {
        val report = runBlocking { loader.kcvReport(keyIndex) }
        return report.kcv?.let { KeyLoaderBackend.Result.keyCheckValue(it.toHexUpper()) } ?: report.failure!!.toResult()
    }

    override fun deviceInfo(): KeyLoaderBackend.Result {
        val report = runBlocking { loader.deviceInfoReport() }
        val info = report.info ?: return report.failure!!.toResult()
        return KeyLoaderBackend.Result.deviceInfo(mapOf("posId" to info.posId, "psamId" to info.psamId, "extra" to info.extra))
    }

    override fun provision(settings: KeyServiceSettings, listener: ProvisionListener?): ProvisionResult {
        val config = KeyServiceConfig(
            baseUrl = settings.baseUrl,
            token = settings.token,
            connectTimeoutMs = settings.connectTimeoutMs.takeIf { it > 0 },
            requestTimeoutMs = settings.requestTimeoutMs.takeIf { it > 0 },
            maxAttempts = settings.maxAttempts.takeIf { it > 0 },
            rootCertificatesPem = settings.rootCertificatesPem,
            clientIdentityPem = settings.clientIdentityPem,
            allowInsecureHttp = settings.isAllowInsecureHttp,
        )
        val progress = listener?.let { ListenerProgress(it) }
        return try {
            val report = KeyServiceClient(config).use { client -> runBlocking { loader.provision(client, progress = progress) } }
            ProvisionResult.of(report.toJava())
        } catch (e: KeyServiceException) {
            ProvisionResult.failed(e.toJava())
        }
    }

    override fun close() {
        loader.disconnect()
        loader.close()
    }

    /** The uniffi progress callbacks, told to a Java [ProvisionListener]. */
    private class ListenerProgress(private val listener: ProvisionListener) : ProvisionProgress {
        override fun keysReceived(requestId: String, slots: Int) = listener.keysReceived(requestId, slots)

        override fun slotStarted(slot: Int) = listener.slotStarted(slot)

        override fun slotFinished(slot: ProvisionedSlot) = listener.slotFinished(slot.toJava())
    }

    companion object {
        /** A [QPOSService] on a reader reachable over TCP (`host:port`). */
        @JvmStatic
        @JvmOverloads
        fun openTcp(address: String, options: LoaderOptions = LoaderOptions()): QPOSService =
            QPOSService.getInstance(UniffiKeyLoaderBackend(KeyLoader.openTcp(address, options)))

        /** A [QPOSService] on a transport the app implements (Bluetooth SPP, BLE, USB). */
        @JvmStatic
        @JvmOverloads
        fun withTransport(transport: ReaderTransport, options: LoaderOptions = LoaderOptions()): QPOSService =
            QPOSService.getInstance(UniffiKeyLoaderBackend(KeyLoader.withTransport(transport, options)))
    }
}

private fun ByteArray.toHexUpper(): String = joinToString("") { "%02X".format(it) }

private fun String.hexToBytesOrNull(): ByteArray? {
    val hex = trim()
    if (hex.length % 2 != 0 || hex.any { Character.digit(it, 16) < 0 }) return null
    return ByteArray(hex.length / 2) { hex.substring(2 * it, 2 * it + 2).toInt(16).toByte() }
}

/** A refusal is the reader's verdict (the vendor's `false` result), anything else `onError`. */
private fun LoadFailure.toResult() =
    if (refused) KeyLoaderBackend.Result.refused(dspreadError, message) else KeyLoaderBackend.Result.failed(dspreadError, message)

// The uniffi results as the Java classes the JNI backend reports, so that QPOSService's listener
// sees one shape whichever backend loads.

private fun LoadFailure.toJava() = ReaderException(message, dspreadError, refused)

private fun KeyLoadResult.toJava() =
    io.keybridge.jni.KeyLoadResult(slot, keyUsage, readerKcvHex, kcvVerification.name, warnings.joinToString("\n"))

private fun ProvisionedSlot.toJava() = io.keybridge.jni.ProvisionedSlot(
    slot, keyArn, ksn, serviceKcv, serviceKcvAlgorithm, outcome.name, readerKcvHex, verified, verdict?.name,
    loaded?.toJava(), failure?.toJava(),
)

private fun ServiceFailure.toJava() =
    io.keybridge.jni.KeyServiceException(kind.name, message, status ?: 0, code, retryAfterMs ?: -1)

private fun ProvisionReport.toJava() = io.keybridge.jni.ProvisionReport(
    posId, requestId, slots.map { it.toJava() }.toTypedArray(), cancelled, reportFailure?.toJava(), allVerified,
)

/** `toString()` is the error's sentence (its `message` is a dump of its fields). */
private fun KeyServiceException.toJava(): io.keybridge.jni.KeyBridgeException {
    fun service(kind: String, status: Int = 0, code: String? = null, retryAfterMs: Long? = null) =
        io.keybridge.jni.KeyServiceException(kind, toString(), status, code, retryAfterMs ?: -1)
    return when (this) {
        is KeyServiceException.InvalidConfig -> service("INVALID_CONFIG")
        is KeyServiceException.Refused -> service("REFUSED", status, code)
        is KeyServiceException.Unavailable -> service("UNAVAILABLE", status, code, retryAfterMs)
        is KeyServiceException.Network -> service("NETWORK")
        is KeyServiceException.Protocol -> service("PROTOCOL")
        is KeyServiceException.Reader -> failure.toJava()
        is KeyServiceException.Cancelled -> ReaderException(toString(), "UNKNOWN")
    }
}
