package io.keybridge

import kotlinx.coroutines.runBlocking
import kotlin.test.Test
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith

/**
 * [KeyLoader.loadKekTr34] through the real uniffi library against the real simulator over TCP,
 * with a token a KDH the reader trusts built for its certificate and fresh nonce ([Tr34Tokens]).
 */
class Tr34KeyLoaderTest {
    @Test
    fun aTokenForTheReaderLoadsItsKekProvenByKcvAndKeysWrappedUnderItLoad() = runBlocking<Unit> {
        val kek = "00112233445566778899AABBCCDDEEFF"
        Simulator.tcp().use { sim ->
            val token = Tr34Tokens.forReader(sim, kek)
            KeyLoader.openTcp(sim.address, LoaderOptions()).use { loader ->
                val readerKcv = loader.loadKekTr34(token.token.hexToBytes(), token.kcv.hexToBytes())
                assertEquals(token.kcv, readerKcv.toHex().take(token.kcv.length))

                // A working key wrapped under the new KEK (not the factory KBPK) now loads.
                val block = Tr31KeyBlock.wrap(kek.hexToBytes(), "B0000P0TE00E0100KC0C00${TestBlocks.pinKeyKcv}", TestBlocks.pinKey, Tr31WrapOptions())
                    .use { it.text() }
                val loaded = loader.sendTr31Key(block)
                assertEquals(TestBlocks.pinKeyKcv, loaded.readerKcvHex)
                assertEquals(KcvVerification.MATCHED_KEY_BLOCK, loaded.kcvVerification)
            }
        }
    }

    @Test
    fun aWrongExpectedKcvIsNeverSuccess() = runBlocking<Unit> {
        Simulator.tcp().use { sim ->
            val token = Tr34Tokens.forReader(sim, "0F1E2D3C4B5A69788796A5B4C3D2E1F0")
            val wrong = if (token.kcv.startsWith("00")) "FFFFFF" else "000000"
            KeyLoader.openTcp(sim.address, LoaderOptions()).use { loader ->
                val e = assertFailsWith<ReaderException.KcvMismatch> {
                    loader.loadKekTr34(token.token.hexToBytes(), wrong.hexToBytes())
                }
                assertContains(e.message.orEmpty(), token.kcv)
            }
        }
    }
}
