package io.keybridge.dspread

import io.keybridge.KeyLoader
import io.keybridge.LoadFailure
import io.keybridge.LoadRequest
import io.keybridge.LoaderOptions
import io.keybridge.ReaderTransport
import kotlinx.coroutines.runBlocking

/**
 * [KeyLoaderBackend] on the uniffi bindings, so that [QPOSService] (one Java-facing API for the
 * JNI and the Kotlin layers) also works over a [ReaderTransport] the app writes in Kotlin for
 * Bluetooth or USB. Blocking: [QPOSService] calls it on its worker thread.
 */
class UniffiKeyLoaderBackend(private val loader: KeyLoader) : KeyLoaderBackend {
    override fun load(keyBlock: String, keyIndex: Int, ksn: String?, timeoutMs: Int): KeyLoaderBackend.Result {
        val slot = keyIndex.toUByteOrNull()
            ?: return KeyLoaderBackend.Result.failed("INPUT_INVALID", "key index $keyIndex is outside 0–9")
        val request = LoadRequest(slot = slot, ksn = ksn, timeoutMs = timeoutMs.takeIf { it > 0 }?.toUInt())
        val report = runBlocking { loader.loadReport(keyBlock, request) }
        return report.loaded?.let { KeyLoaderBackend.Result.ok(it.readerKcvHex) } ?: report.failure!!.toResult()
    }

    override fun keyCheckValue(keyIndex: Int): KeyLoaderBackend.Result {
        val slot = keyIndex.toUByteOrNull()
            ?: return KeyLoaderBackend.Result.failed("INPUT_INVALID", "key index $keyIndex is outside 0–9")
        val report = runBlocking { loader.kcvReport(slot) }
        return report.kcv?.let { KeyLoaderBackend.Result.ok(it.toHexUpper()) } ?: report.failure!!.toResult()
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
            QPOSService(UniffiKeyLoaderBackend(KeyLoader.openTcp(address, options)))

        /** A [QPOSService] on a transport the app implements (Bluetooth SPP, BLE, USB). */
        @JvmStatic
        @JvmOverloads
        fun withTransport(transport: ReaderTransport, options: LoaderOptions = LoaderOptions()): QPOSService =
            QPOSService(UniffiKeyLoaderBackend(KeyLoader.withTransport(transport, options)))
    }
}

private fun Int.toUByteOrNull(): UByte? = if (this in 0..255) toUByte() else null

private fun ByteArray.toHexUpper(): String = joinToString("") { "%02X".format(it) }

private fun LoadFailure.toResult() = KeyLoaderBackend.Result.failed(dspreadError, message)
