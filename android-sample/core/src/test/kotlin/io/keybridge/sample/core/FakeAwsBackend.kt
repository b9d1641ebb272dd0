package io.keybridge.sample.core

import java.time.Duration
import java.time.Instant

/**
 * Stands in for the app's backend plus AWS Payment Cryptography: it issues short-lived session
 * credentials and, on `ExportKey` with credentials it issued that are still valid, wraps a fresh
 * working key under the KEK it shares with the reader (the simulator's KEK) — so the real
 * KeyLoader and the real reader simulator decide the outcome.
 */
class FakeAwsBackend(private val kek: ByteArray, private val lifetime: Duration = Duration.ofMinutes(15)) {
    private val issued = mutableMapOf<String, SessionCredentials>()
    var exports = 0
        private set

    val credentials = CredentialsProvider {
        val id = "ASIA" + randomBytes(8).toHex()
        SessionCredentials(id, randomBytes(20).toHex(), randomBytes(32).toHex(), Instant.now().plus(lifetime))
            .also { issued[id] = it }
    }

    val exporter = KeyExporter { request, creds ->
        val known = issued[creds.accessKeyId]
        if (known == null || known.sessionToken != creds.sessionToken || creds.isExpired()) {
            throw KeySourceException(ErrorKind.AWS_EXPORT, "UnrecognizedClientException: the security token is invalid")
        }
        if (request.wrappingKeyIdentifier != READER_KEK_ALIAS) {
            throw IllegalArgumentException("ResourceNotFoundException: ${request.wrappingKeyIdentifier}")
        }
        exports++
        val key = WrappedKey(kek)
        ExportedKey(key.keyBlock, ExpectedKcv(key.kcvHex, legacy = true, origin = "AWS"))
    }

    companion object {
        const val READER_KEK_ALIAS = "alias/reader-kek"
        val REQUEST = ExportRequest("us-east-1", "alias/pin-key", READER_KEK_ALIAS)
    }
}
