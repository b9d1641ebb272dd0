package io.keybridge.testing

import java.io.BufferedReader
import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import java.util.concurrent.TimeUnit

/**
 * The key service as it runs for real, on this machine, for host-JVM tests of the bindings and of
 * the sample app: `keybridge aws-emulator` preloaded with a fleet's keys, `keybridge serve` on
 * SQLite with nothing but a configuration file, and enrolment through the admin commands
 * (`keybridge devices add`, `keybridge tokens create|revoke`) on the same database. Every reader
 * shares one AES-256 KEK ([kek]); run it with [readerFlags] on `keybridge simulate`.
 *
 * Profiles: `standard` (slot 0 AES PIN key, slot 1 TDES PIN key, slot 2 TDES DUKPT initial key
 * with KSI [KSI], slot 3 AES DUKPT initial key with BDK ID [BDK_ID]) and `dukpt` (slot 0 only, a
 * TDES DUKPT initial key). [emulatorFlags] are `keybridge aws-emulator` fault options.
 */
class KeyService(vararg emulatorFlags: String) : AutoCloseable {
    /** The KEK every reader holds, as AWS holds it under `alias/kek`. */
    val kek: ByteArray = randomBytes(32)

    /** The PIN keys of slots 0 (AES-128) and 1 (TDES) of the `standard` profile. */
    val pinKeyAes: ByteArray = randomBytes(16)
    val pinKeyTdes: ByteArray = randomBytes(16)

    private val cli = System.getProperty("keybridge.cli") ?: error("set -Dkeybridge.cli to the keybridge binary")
    private val dir: Path = Files.createTempDirectory("keybridge-service")
    private val config: Path = dir.resolve("keybridge.toml")
    private val emulator: Process
    private val server: Process

    /** Both processes print more after their first line: their stdout stays open. */
    private val outputs = mutableListOf<BufferedReader>()
    private val tokenIds = mutableMapOf<String, String>()

    /** `http://127.0.0.1:PORT`: plain HTTP, which the client allows to loopback only. */
    val url: String

    init {
        val keys = dir.resolve("keys.txt")
        Files.writeString(
            keys,
            listOf(
                "alias/kek=K0:AES_256:${kek.toHex()}",
                "alias/pin-aes=P0:AES_128:${pinKeyAes.toHex()}",
                "alias/pin-tdes=P0:TDES_2KEY:${pinKeyTdes.toHex()}",
                "alias/bdk-tdes=B0:TDES_2KEY:${randomBytes(16).toHex()}",
                "alias/bdk-aes=B0:AES_128:${randomBytes(16).toHex()}",
            ).joinToString("\n"),
        )
        emulator = ProcessBuilder(listOf(cli, "aws-emulator", "--port", "0", "--keys-file", keys.toString()) + emulatorFlags)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val endpoint = firstLine(emulator, "aws-emulator").substringAfter("listening on ").trim()
        Files.writeString(config, configToml(endpoint, dir.resolve("keys.db")))
        server = ProcessBuilder(cli, "serve", "--config", config.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .also {
                it.environment().remove("KEYBRIDGE_CONFIG")
                it.environment().putAll(AWS_ENVIRONMENT)
            }
            .start()
        url = firstLine(server, "keybridge serve").substringAfterLast(' ')
        check(url.startsWith("http://127.0.0.1:")) { "keybridge serve: unexpected first line ending in $url" }
    }

    /** Registers reader [posId] (hex, as `device info` reports it) and returns a device token for it. */
    @JvmOverloads
    fun enrol(posId: String, profile: String = "standard", group: String = GROUP): String {
        admin("devices", "add", posId, "--kek", "alias/kek", "--profile", profile, "--group", group)
        return token("--device", posId)
    }

    /** A token for an operator who may provision every reader of [group]. */
    @JvmOverloads
    fun operatorToken(group: String = GROUP): String = token("--operator", group)

    /** Revokes [token] (`keybridge tokens revoke`): the service refuses it from now on. */
    fun revoke(token: String) {
        admin("tokens", "revoke", tokenIds.getValue(token))
    }

    /**
     * `keybridge simulate` options for a reader holding the fleet's KEK and reporting [posId], with
     * the simulator's [faults] options.
     */
    fun readerFlags(posId: String, vararg faults: String): Array<String> =
        arrayOf("--kek", kek.toHex(), "--pos-id", posId, *faults)

    override fun close() {
        for (process in listOf(server, emulator)) {
            process.destroy()
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
        }
        outputs.forEach { runCatching { it.close() } }
        dir.toFile().deleteRecursively()
    }

    private fun token(vararg scope: String): String {
        val json = admin("tokens", "create", *scope, "--json")
        fun field(name: String) = Regex(""""$name"\s*:\s*"([^"]+)"""").find(json)?.groupValues?.get(1)
            ?: error("keybridge tokens create printed no $name")
        return field("token").also { tokenIds[it] = field("id") }
    }

    /** Runs an admin command on the service's database and returns its standard output. */
    private fun admin(vararg args: String): String {
        val process = ProcessBuilder(listOf(cli) + args + listOf("--config", config.toString()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .also { it.environment().remove("KEYBRIDGE_CONFIG") }
            .start()
        val out = process.inputStream.bufferedReader().readText()
        check(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0) { "keybridge ${args.first()} ${args[1]} failed" }
        return out
    }

    private fun firstLine(process: Process, what: String): String {
        val out = process.inputStream.bufferedReader().also { outputs += it }
        return out.readLine() ?: error("$what exited before it was ready (exit ${process.waitFor()})")
    }

    companion object {
        const val GROUP = "shop-1"
        const val KSI = "FFFF987654"
        const val BDK_ID = "12345678"

        /** The emulator's default credentials and region, where `keybridge serve` looks for them. */
        private val AWS_ENVIRONMENT = mapOf(
            "AWS_ACCESS_KEY_ID" to "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY" to "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_REGION" to "us-east-1",
        )

        private fun configToml(awsEndpoint: String, database: Path) = """
            [server]
            listen = "127.0.0.1:0"

            [database]
            url = "$database"

            [aws]
            region = "us-east-1"
            endpoint_url = "$awsEndpoint"
            retry_initial_backoff_ms = 5
            calls_per_second = 1000
            burst = 1000

            [log]
            filter = "warn"

            [profiles.standard]
            slots = [
              { slot = 0, key = "alias/pin-aes" },
              { slot = 1, key = "alias/pin-tdes" },
              { slot = 2, dukpt = "tdes", bdk = "alias/bdk-tdes", ksi = "$KSI" },
              { slot = 3, dukpt = "aes", bdk = "alias/bdk-aes", bdk_id = "$BDK_ID" },
            ]

            [profiles.dukpt]
            slots = [{ slot = 0, dukpt = "tdes", bdk = "alias/bdk-tdes", ksi = "$KSI" }]
        """.trimIndent()

        private val random = SecureRandom()

        private fun randomBytes(n: Int) = ByteArray(n).also(random::nextBytes)

        private fun ByteArray.toHex() = joinToString("") { "%02X".format(it) }
    }
}
