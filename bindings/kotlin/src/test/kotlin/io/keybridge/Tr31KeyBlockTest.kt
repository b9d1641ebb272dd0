package io.keybridge

import kotlin.test.Test
import kotlin.test.assertContains
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class Tr31KeyBlockTest {
    private val lenient = Tr31Profile(lenient = true)

    @Test
    fun inspectsThePublishedVersionDBlock() {
        val vector = Vectors.named("A.7.4-D")
        Tr31KeyBlock.parseWith(vector.block, lenient).use { block ->
            val header = block.header()
            assertEquals("D", header.version)
            assertEquals("P0", header.keyUsage)
            assertEquals("A", header.algorithm)
            assertEquals("AES", header.algorithmMeaning)
            assertEquals("E", header.modeOfUse)
            assertEquals("00", header.keyVersion)
            assertEquals("E", header.exportability)
            assertEquals(emptyList(), header.optionalBlocks)
            assertEquals(vector.block.length, block.length())
            assertEquals(vector.block, block.text())
        }
    }

    @Test
    fun unwrapsEveryPublishedVectorToItsKey() {
        val profile = Tr31Profile(lenient = true, allowWeakWrapping = true)
        for (vector in Vectors.published) {
            Tr31KeyBlock.parseWith(vector.block, profile).use { block ->
                block.unwrap(vector.kbpk).use { key ->
                    assertContentEquals(vector.key, key.exposeKey(), vector.name)
                    assertEquals(vector.key.size, key.keyLength())
                }
            }
        }
    }

    @Test
    fun optionalBlocksAreListedWithTheirMeaning() {
        val vector = Vectors.named("A.7.3.2-B-KS")
        Tr31KeyBlock.parseWith(vector.block, lenient).use { block ->
            val ks = block.header().optionalBlocks.single()
            assertEquals("KS", ks.id)
            assertEquals("00604B120F9292800000", ks.data)
            assertContains(ks.meaning!!, "Key set identifier")
        }
    }

    @Test
    fun wrapThenUnwrapRoundTripsAndReportsTheKcv() {
        val kbpk = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6".hexToBytes()
        val key = "0123456789ABCDEFFEDCBA9876543210".hexToBytes()
        Tr31KeyBlock.wrap(kbpk, "D0000P0TE00E0000", key, Tr31WrapOptions()).use { block ->
            assertEquals("P0", block.header().keyUsage)
            block.unwrap(kbpk).use { unwrapped ->
                assertContentEquals(key, unwrapped.exposeKey())
                // The Dspread factory key's widely published legacy KCV.
                assertEquals("08D7B4", unwrapped.kcvHex())
            }
        }
        assertEquals("08D7B4", keyCheckValue(key, KcvAlgorithm.TDES, KcvMethod.LEGACY).toHex())
    }

    @Test
    fun aMalformedBlockArrivesAsMalformedNamingFieldAndPosition() {
        val bad = Vectors.named("A.7.4-D").block.replaceRange(5, 7, "Q9")
        val e = assertFailsWith<KeyBlockException.Malformed> { Tr31KeyBlock.parse(bad) }
        assertEquals("key usage at position 5: 'Q9' is not a known value", e.message)
    }

    @Test
    fun eachKeyBlockFailureHasItsOwnExceptionType() {
        val vector = Vectors.named("A.7.4-D")
        // Strict X9.143 refuses the published block: its key length is not obfuscated. The default
        // profile takes it, and says so.
        val strict = Tr31Profile(strict = true)
        val e = assertFailsWith<KeyBlockException.BadKey> { Tr31KeyBlock.parseWith(vector.block, strict) }
        assertContains(e.message!!, "not obfuscated")
        Tr31KeyBlock.parse(vector.block).use { block ->
            assertContains(block.warnings().single(), "not obfuscated")
            block.unwrap(vector.kbpk).use { key -> assertEquals(block.warnings(), key.warnings()) }
        }
        assertFailsWith<KeyBlockException.InvalidArgument> {
            Tr31KeyBlock.parseWith(vector.block, Tr31Profile(strict = true, lenient = true))
        }
        assertFailsWith<KeyBlockException.RuleViolation> { Tr31KeyBlock.parse("D0112P0AS00E0000" + vector.block.drop(16)) }
        assertFailsWith<KeyBlockException.WeakWrapping> {
            Tr31KeyBlock.parseWith(Vectors.named("A.7.2.1-A").block, lenient)
        }
        Tr31KeyBlock.parseWith(vector.block, lenient).use { block ->
            val wrongKbpk = vector.kbpk.copyOf().also { it[0] = (it[0].toInt() xor 1).toByte() }
            val mac = assertFailsWith<KeyBlockException.MacMismatch> { block.unwrap(wrongKbpk) }
            assertContains(mac.message!!, "MAC at position")
            assertFailsWith<KeyBlockException.BadKbpk> { block.unwrap(ByteArray(5)) }
        }
        assertFailsWith<KeyBlockException.InvalidArgument> {
            keyCheckValue(ByteArray(7), KcvAlgorithm.AES, KcvMethod.CMAC)
        }
    }

    @Test
    fun errorMessagesNeverCarryKeyMaterial() {
        val vector = Vectors.named("A.7.4-D")
        Tr31KeyBlock.parseWith(vector.block, lenient).use { block ->
            val wrong = ByteArray(32) { 0x5A }
            val e = assertFailsWith<KeyBlockException> { block.unwrap(wrong) }
            assertTrue("5A5A" !in e.message!!.uppercase())
            assertTrue(vector.key.toHex() !in e.message!!.uppercase())
        }
    }
}
