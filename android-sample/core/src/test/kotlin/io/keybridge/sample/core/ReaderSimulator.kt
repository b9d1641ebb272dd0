package io.keybridge.sample.core

import io.keybridge.KcvAlgorithm
import io.keybridge.KcvMethod
import io.keybridge.Tr31KeyBlock
import io.keybridge.Tr31WrapOptions
import io.keybridge.keyCheckValue
import java.io.File
import java.security.SecureRandom
import java.util.concurrent.TimeUnit

/**
 * The real reader simulator, `keybridge simulate --tcp 0 --kek HEX`, as a child process. Its first
 * stdout line is `listening on 127.0.0.1:PORT`; closing its stdin stops it.
 */
class ReaderSimulator(val kek: ByteArray, vararg faults: String) : AutoCloseable {
    private val process: Process
    val port: Int

    init {
        val cli = System.getProperty("keybridge.cli") ?: error("set -Dkeybridge.cli to the keybridge binary")
        check(File(cli).canExecute()) { "$cli is not an executable keybridge binary" }
        process = ProcessBuilder(listOf(cli, "simulate", "--tcp", "0", "--kek", kek.toHex()) + faults)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val first = process.inputStream.bufferedReader().readLine()
            ?: error("the simulator exited before listening (exit ${process.waitFor()})")
        port = Regex("""listening on 127\.0\.0\.1:(\d+)""").find(first)?.groupValues?.get(1)?.toInt()
            ?: error("unexpected first line from the simulator: $first")
    }

    fun link() = ReaderLink.tcp("127.0.0.1", port)

    override fun close() {
        process.outputStream.close()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}

private val random = SecureRandom()

fun randomBytes(n: Int) = ByteArray(n).also(random::nextBytes)

fun ByteArray.toHex() = joinToString("") { "%02X".format(it) }

/** A fresh TDES PIN key (P0) wrapped under [kek] as version D, and its legacy KCV (what readers report). */
class WrappedKey(kek: ByteArray, header: String = "D0000P0TE00E0000") {
    val keyBlock: String
    val kcvHex: String

    init {
        val key = randomBytes(16)
        keyBlock = Tr31KeyBlock.wrap(kek, header, key, Tr31WrapOptions(false, true)).use { it.text() }
        kcvHex = keyCheckValue(key, KcvAlgorithm.TDES, KcvMethod.LEGACY).toHex()
        key.fill(0)
    }
}
