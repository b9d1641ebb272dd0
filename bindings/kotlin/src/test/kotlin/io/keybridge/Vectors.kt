package io.keybridge

import java.io.File

/**
 * One row of the published key block examples (TR-31:2018 Annex A, ISO 20038:2017 Annex B,
 * X9.143:2021 clause 8) in rust-core/tests/vectors.
 */
data class PublishedVector(val name: String, val kbpk: ByteArray, val key: ByteArray, val block: String)

object Vectors {
    /** The TSV file; the test script passes its path, the default is relative to the repository root. */
    private val file = File(System.getProperty("keybridge.vectors", "rust-core/tests/vectors/tr31-published.tsv"))

    val published: List<PublishedVector> by lazy {
        file.readLines()
            .filter { it.isNotBlank() && !it.startsWith("#") }
            .map { line ->
                val (name, _, kbpk, key, block) = line.split('\t')
                PublishedVector(name, kbpk.hexToBytes(), key.hexToBytes(), block)
            }
    }

    fun named(suffix: String): PublishedVector = published.single { it.name.endsWith(suffix) }
}

fun String.hexToBytes(): ByteArray = chunked(2).map { it.toInt(16).toByte() }.toByteArray()

fun ByteArray.toHex(): String = joinToString("") { "%02X".format(it) }
