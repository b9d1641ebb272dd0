package io.keybridge.dspread

import io.keybridge.KeyLoader
import io.keybridge.LoadFailure
import io.keybridge.LoadRequest
import io.keybridge.LoaderOptions
import io.keybridge.ReaderTransport
import kotlinx.coroutines.runBlocking

/**
 * [KeyLoaderBackend] on the uniffi bindings, so that [QPOSService] (one Java-facing API for the
 * JNI and the Kotlin layers) also works over a [ReaderTransport] the app writes in Kotlin or Java
 * for Bluetooth or USB. Blocking: [QPOSService] calls it on its worker thread.
 */
class UniffiKeyLoaderBackend(private val loader: KeyLoader) : KeyLoaderBackend {
    override fun load(keyBlock: String, keyIndex: Int, ksn: String?, expectedKcv: String?, timeoutMs: Int): KeyLoaderBackend.Result {
        val kcv = expectedKcv?.let {
            it.hexToBytesOrNull() ?: return KeyLoaderBackend.Result.failed("INPUT_INVALID", "the expected KCV is not hex")
        }
        val request = LoadRequest(slot = keyIndex, expectedKcv = kcv, ksn = ksn, timeoutMs = timeoutMs.takeIf { it > 0 })
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

    override fun close() {
        loader.disconnect()
        loader.close()
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

private fun LoadFailure.toResult() = KeyLoaderBackend.Result.failed(dspreadError, message)
