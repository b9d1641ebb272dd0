package io.keybridge

import java.io.BufferedReader
import java.io.InputStreamReader
import java.util.concurrent.TimeUnit

/**
 * The reader simulator as a real process: `keybridge simulate --tcp 0` with fault flags. Its
 * address is parsed from its first stdout line; closing stdin stops it, and it then prints its
 * deviation log (`deviations: N`, then one `deviation: …` line each: frames a real reader would
 * not accept). [close] fails with those lines unless there were none, so every test that drives
 * the simulator asserts 0 deviations; [deviations] reads them explicitly. (The bindings are
 * built without serial ports, as they ship for phones: no pty here.)
 */
class Simulator private constructor(
    private val process: Process,
    private val stdout: BufferedReader,
    /** `127.0.0.1:PORT`. */
    val address: String,
) : AutoCloseable {
    private var log: List<String>? = null

    /**
     * Stops the simulator and returns its deviation log, one line per deviation (empty: every
     * frame was one a real reader accepts). Idempotent.
     */
    @Synchronized
    fun deviations(): List<String> {
        log?.let { return it }
        runCatching { process.outputStream.close() }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor()
            throw AssertionError("the simulator did not stop within 30 s: its deviation log is unread")
        }
        val lines = stdout.readLines()
        val count = lines.firstOrNull { it.startsWith("deviations: ") }?.removePrefix("deviations: ")?.trim()?.toIntOrNull()
            ?: error("the simulator printed no deviation count: $lines")
        val found = lines.filter { it.startsWith("deviation: ") }
        check(found.size == count) { "the simulator counted $count deviations but listed $found" }
        return found.also { log = it }
    }

    override fun close() {
        val found = deviations()
        if (found.isNotEmpty()) throw AssertionError("the simulator logged ${found.size} deviation(s):\n${found.joinToString("\n")}")
    }

    companion object {
        private val cli = System.getProperty("keybridge.cli", "target/debug/keybridge")

        /** A simulator on a free TCP port; [flags] are `keybridge simulate` fault options. */
        @JvmStatic
        fun tcp(vararg flags: String): Simulator {
            val process = ProcessBuilder(listOf(cli, "simulate", "--tcp", "0") + flags)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start()
            val stdout = BufferedReader(InputStreamReader(process.inputStream))
            val line = stdout.readLine()
                ?: error("keybridge simulate ${flags.joinToString(" ")} printed nothing (exit ${process.waitFor()})")
            require(line.startsWith("listening on ")) { line }
            return Simulator(process, stdout, line.removePrefix("listening on ").trim())
        }
    }
}

/** Key blocks as a key-injection host would receive them, wrapped under the reader's factory KBPK. */
object TestBlocks {
    /** The Dspread factory KBPK the simulator holds by default. */
    val factoryKbpk: ByteArray = "0123456789ABCDEFFEDCBA9876543210".hexToBytes()

    /** The working key inside the blocks below. */
    val pinKey: ByteArray = "89ABCDEF0123456776543210FEDCBA98".hexToBytes()

    /** Legacy KCV of [pinKey], what the reader reports after the load. */
    @JvmStatic
    val pinKeyKcv: String = keyCheckValue(pinKey, KcvAlgorithm.TDES, KcvMethod.LEGACY).toHex()

    /** A version B P0 (PIN encryption) block with a KC block, so the loader verifies the reader's KCV. */
    @JvmStatic
    val pinBlock: String = Tr31KeyBlock.wrap(
        factoryKbpk,
        "B0000P0TE00E0100KC0C00$pinKeyKcv",
        pinKey,
        Tr31WrapOptions(),
    ).use { it.text() }

    /** The same key without a KC block: nothing in the block says what the reader's KCV must be. */
    @JvmStatic
    val pinBlockWithoutKcv: String = Tr31KeyBlock.wrap(factoryKbpk, "B0000P0TE00E0000", pinKey, Tr31WrapOptions())
        .use { it.text() }

    /** The same block as hex of its ASCII, the form older Dspread integrations pass. */
    @JvmStatic
    val pinBlockHex: String = pinBlock.toByteArray(Charsets.US_ASCII).toHex()
}
