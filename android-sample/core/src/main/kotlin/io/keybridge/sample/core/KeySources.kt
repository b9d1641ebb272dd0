package io.keybridge.sample.core

import java.time.Instant

/** Where the key block comes from. */
sealed interface KeySource {
    /** Pasted or scanned (QR) text, exactly as AWS or the HSM returned it, with the KCV the user expects. */
    data class Pasted(val text: String, val expectedKcvHex: String? = null) : KeySource

    /** `ExportKey` from AWS Payment Cryptography, wrapped under the KEK the reader holds. */
    data class AwsExport(val request: ExportRequest) : KeySource
}

/**
 * The KCV the key should have, from AWS or typed by the user. Readers report the legacy KCV
 * (ECB of zeros), so only [legacy] values can be compared with the reader's; AWS returns CMAC
 * KCVs for AES keys, which are shown but not compared.
 */
data class ExpectedKcv(val hex: String, val legacy: Boolean, val origin: String) {
    /** [hex] as bytes, for `LoadRequest.expectedKcv` ([hex] is validated where it enters the app). */
    fun bytes(): ByteArray = hex.chunked(2).map { it.toInt(16).toByte() }.toByteArray()
}

/**
 * Short-lived AWS credentials (STS session credentials: minutes, scoped to `ExportKey` on one
 * key) that the app's backend hands out after authenticating the device or the operator. The APK
 * never holds long-lived access keys. [toString] does not print the secret or the token.
 */
class SessionCredentials(
    val accessKeyId: String,
    val secretAccessKey: String,
    val sessionToken: String,
    val expiration: Instant,
) {
    fun isExpired(now: Instant = Instant.now()) = !now.isBefore(expiration)

    override fun toString() = "SessionCredentials(accessKeyId=$accessKeyId, expiration=$expiration, secret=<redacted>)"
}

/** The app's backend: whatever it takes (login, device attestation) to get [SessionCredentials]. */
fun interface CredentialsProvider {
    suspend fun credentials(): SessionCredentials
}

/** Which key to export, under which KEK (key ARNs or aliases), in which region. */
data class ExportRequest(val region: String, val keyIdentifier: String, val wrappingKeyIdentifier: String)

/** A TR-31 block as `ExportKey` returned it, and its KCV. */
data class ExportedKey(val keyBlock: String, val kcv: ExpectedKcv?)

/**
 * Calls AWS Payment Cryptography `ExportKey` (TR-31, wrapped under [ExportRequest.wrappingKeyIdentifier])
 * with the given credentials: [KeybridgeAwsExporter].
 */
fun interface KeyExporter {
    suspend fun export(request: ExportRequest, credentials: SessionCredentials): ExportedKey
}

/** A failure of the backend or of AWS, as the session reports it ([kind] is CREDENTIALS or AWS_EXPORT). */
class KeySourceException(val kind: ErrorKind, message: String, cause: Throwable? = null) : Exception(message, cause)
