package io.keybridge

import java.io.File

/** One row of the published TR-31 examples (ANSI X9 TR-31:2018 Annex A) in shared/vectors. */
data class PublishedVector(val name: String, val kbpk: ByteArray, val key: ByteArray, val block: String)

object Vectors {
    /** The TSV file; the test script passes its path, the default is relative to the repository root. */
    private val file = File(System.getProperty("keybridge.vectors", "../shared/vectors/tr31-published.tsv"))

    val published: List<PublishedVector> by lazy {
        file.readLines()
            .filter { it.isNotBlank() && !it.startsWith("#") }
            .map { line ->
                val (name, kbpk, key, block) = line.split('\t')
                PublishedVector(name, kbpk.hexToBytes(), key.hexToBytes(), block)
            }
    }

    fun named(suffix: String): PublishedVector = published.single { it.name.endsWith(suffix) }
}

fun String.hexToBytes(): ByteArray = chunked(2).map { it.toInt(16).toByte() }.toByteArray()

fun ByteArray.toHex(): String = joinToString("") { "%02X".format(it) }
