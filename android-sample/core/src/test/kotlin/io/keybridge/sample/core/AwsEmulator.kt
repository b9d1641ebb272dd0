package io.keybridge.sample.core

import java.time.Duration
import java.time.Instant
import java.util.concurrent.TimeUnit

/**
 * The real AWS Payment Cryptography emulator, `keybridge aws-emulator --port 0`, as a child
 * process, preloaded with the reader's KEK (as AWS would hold it after the key ceremony) and a
 * TDES PIN key. First stdout line: `aws-emulator listening on http://127.0.0.1:PORT`.
 */
class AwsEmulator(readerKek: ByteArray, val pinKey: ByteArray = randomBytes(16)) : AutoCloseable {
    private val process: Process
    val url: String

    init {
        val cli = System.getProperty("keybridge.cli") ?: error("set -Dkeybridge.cli to the keybridge binary")
        process = ProcessBuilder(
            cli, "aws-emulator", "--port", "0",
            "--key", "$KEK_ALIAS=K0:AES_128:${readerKek.toHex()}",
            "--key", "$PIN_KEY_ALIAS=P0:TDES_2KEY:${pinKey.toHex()}",
        ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val first = process.inputStream.bufferedReader().readLine() ?: error("aws-emulator exited (${process.waitFor()})")
        url = first.substringAfter("listening on ").trim()
        check(url.startsWith("http://")) { "unexpected first line from aws-emulator: $first" }
    }

    /** The app's backend: hands out session credentials the emulator accepts (or not, with [secret]). */
    fun backend(lifetime: Duration = Duration.ofMinutes(15), secret: String = SECRET) = CredentialsProvider {
        SessionCredentials(ACCESS_KEY_ID, secret, "session-token-" + randomBytes(8).toHex(), Instant.now().plus(lifetime))
    }

    fun exporter() = KeybridgeAwsExporter(endpointUrl = url)

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }

    companion object {
        const val KEK_ALIAS = "alias/reader-kek"
        const val PIN_KEY_ALIAS = "alias/pin-key"
        val REQUEST = ExportRequest("us-east-1", PIN_KEY_ALIAS, KEK_ALIAS)

        // The emulator's defaults: the example credentials of the AWS documentation.
        private const val ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
        private const val SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    }
}
