package io.keybridge

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths

/** What `keybridge tr34 build --json` prints: the token (hex), its KEK's legacy KCV and the SDK envelope (hex). */
class Tr34Token(val token: String, val kcv: String, val envelope: String)

/**
 * TR-34 tokens made the way a KDH makes them, for the simulator's reader (testkit identity 1,
 * which trusts the AWS emulator's KDH CA and holds its KDH certificate): the reader's certificate
 * and a fresh nonce from `keybridge kek credentials`, then `keybridge tr34 build` signed with the
 * emulator's KDH key (the committed testkit PKI). The simulator serves one connection at a time,
 * so call this while no loader is connected; the nonce outlives the CLI's connection and is good
 * for the reader's next envelope only.
 */
object Tr34Tokens {
    private val cli = System.getProperty("keybridge.cli", "target/debug/keybridge")

    /** A KEK header the reader accepts: K0, TDES. */
    const val KEK_HEADER = "D0000K0TB00E0000"

    /** A token carrying [kekHex] for the reader behind [sim], with the nonce it has just issued. */
    @JvmStatic
    fun forReader(sim: Simulator, kekHex: String): Tr34Token {
        val credentials = cli("kek", "credentials", "--tcp", sim.address, "--json")
        val krdCert = Files.createTempFile("keybridge-krd", ".pem")
        try {
            Files.writeString(krdCert, field(credentials, "certificate"))
            val pki = repoFile("testkit/src/emulator/tr34_pki")
            val built = cli(
                "tr34", "build", "--kdh-key", pki.resolve("kdh.key").toString(), "--kdh-cert", pki.resolve("kdh.pem").toString(),
                "--krd-cert", krdCert.toString(), "--key", kekHex, "--header", KEK_HEADER,
                "--nonce", field(credentials, "nonce"), "--json",
            )
            return Tr34Token(field(built, "token"), field(built, "kcv"), field(built, "envelope"))
        } finally {
            Files.delete(krdCert)
        }
    }

    /** Runs the CLI and returns its standard output; fails with its error output unless it exits 0. */
    @JvmStatic
    fun cli(vararg args: String): String {
        val errors = File.createTempFile("keybridge-cli", ".err")
        try {
            val process = ProcessBuilder(listOf(cli) + args).redirectError(errors).start()
            process.outputStream.close()
            val out = process.inputStream.readBytes().toString(Charsets.UTF_8)
            val status = process.waitFor()
            if (status != 0) throw AssertionError("keybridge ${args.joinToString(" ")}: exit $status: ${errors.readText()}")
            return out
        } finally {
            errors.delete()
        }
    }

    /** A string field of the CLI's one-line JSON (its values here: hex, and PEM with `\n` escapes). */
    private fun field(json: String, name: String): String {
        val key = "\"$name\":\""
        val at = json.indexOf(key)
        if (at < 0) throw AssertionError("no $name in $json")
        val value = StringBuilder()
        var i = at + key.length
        while (json[i] != '"') {
            if (json[i] == '\\') {
                i++
                value.append(if (json[i] == 'n') '\n' else json[i])
            } else {
                value.append(json[i])
            }
            i++
        }
        return value.toString()
    }

    /** A file of the repository: the tests run from its root or from below it. */
    private fun repoFile(relative: String): Path =
        generateSequence(Paths.get("").toAbsolutePath()) { it.parent }
            .map { it.resolve(relative) }
            .firstOrNull { Files.exists(it) }
            ?: throw AssertionError("$relative is not under the working directory or any parent of it")
}
