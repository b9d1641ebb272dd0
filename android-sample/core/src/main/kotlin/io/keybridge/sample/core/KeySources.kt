package io.keybridge.sample.core

/**
 * A key block pasted or scanned (QR, keyboard-wedge scanner) exactly as AWS or the HSM returned it,
 * with the KCV the operator expects: the offline path, when the reader is not provisioned from the
 * key service.
 */
data class PastedBlock(val text: String, val expectedKcvHex: String? = null)

/**
 * The KCV the key should have, as the operator typed it. Readers report the legacy KCV (ECB of
 * zeros), so only [legacy] values can be compared with the reader's.
 */
data class ExpectedKcv(val hex: String, val legacy: Boolean, val origin: String) {
    /** [hex] as bytes, for `LoadRequest.expectedKcv` ([hex] is validated where it enters the app). */
    fun bytes(): ByteArray = hex.chunked(2).map { it.toInt(16).toByte() }.toByteArray()
}

/**
 * The operator's sign-in to the key service (`keybridge serve`): its URL and the operator token it
 * issued for the operator's group of readers. The app holds it in memory only; [toString] never
 * shows the token, and neither does the session's log.
 */
class ServiceLogin(val url: String, internal val operatorToken: String) {
    override fun toString() = "ServiceLogin(url=$url, token=<redacted>)"
}
