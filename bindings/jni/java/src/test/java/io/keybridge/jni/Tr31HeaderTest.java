package io.keybridge.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tr31Header.inspect reads published blocks' headers and refuses malformed ones with field and position. */
class Tr31HeaderTest {
    /** ANSI X9 TR-31:2018 A.7.4 (rust-core/tests/vectors/tr31-published.tsv). */
    static final String TR31_2018_A74 =
            "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
    /** ANSI X9.143:2021 8.4.2: a TDES BDK with a KS optional block. */
    static final String X9143_842 = "B0120B0TX12S0100KS1800604B120F929280000015CEB14B76D551F21EC43A75390FA118A98C6CB049E3B9E8"
            + "64A5F4A8B9A5108A6DB5635C95B042D7";
    /** ANSI X9 TR-31:2018 A.7.2.1: version A, weak wrapping. */
    static final String TR31_2018_A721 = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701";

    @Test
    void readsTheFixedFieldsOfAPublishedBlock() {
        Tr31Header header = Tr31Header.inspect(TR31_2018_A74);
        assertEquals("D", header.getVersion());
        assertEquals("P0", header.getKeyUsage());
        assertTrue(header.getKeyUsageMeaning().contains("PIN"), header.getKeyUsageMeaning());
        assertEquals("A", header.getAlgorithm());
        assertEquals("E", header.getModeOfUse());
        assertEquals("00", header.getKeyVersion());
        assertEquals("E", header.getExportability());
        assertEquals("0", header.getKeyContext());
        assertEquals(112, header.getLength());
        assertEquals(List.of(), header.getOptionalBlocks());
    }

    @Test
    void readsOptionalBlocksVerbatimWithTheirMeaning() {
        Tr31Header header = Tr31Header.inspect(" " + X9143_842 + "\n");
        assertEquals("B0", header.getKeyUsage());
        assertEquals("12", header.getKeyVersion());
        assertEquals("S", header.getExportability());
        assertEquals(1, header.getOptionalBlocks().size());
        Tr31Header.OptionalBlock ks = header.getOptionalBlocks().get(0);
        assertEquals("KS", ks.getId());
        assertEquals("00604B120F9292800000", ks.getData());
        assertTrue(ks.getMeaning().startsWith("Key set identifier"), ks.getMeaning());
    }

    @Test
    void refusesAMalformedBlockNamingTheFieldAndPosition() {
        String damaged = TR31_2018_A74.substring(0, 5) + "Z" + TR31_2018_A74.substring(6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tr31Header.inspect(damaged));
        assertTrue(e.getMessage().contains("key usage") && e.getMessage().contains("5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tr31Header.inspect(null));
    }

    @Test
    void weakWrappingAndAnUnobfuscatedKeyLengthAreShownWithWarnings() {
        Tr31Header header = Tr31Header.inspect(TR31_2018_A721);
        assertEquals("A", header.getVersion());
        assertEquals("P0", header.getKeyUsage());
        List<String> warnings = header.getWarnings();
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("weak wrapping accepted"), warnings.toString());
        assertTrue(warnings.get(1).contains("not obfuscated") && warnings.get(1).contains("position 16"), warnings.toString());
        assertEquals(List.of(), Tr31Header.inspect(X9143_842).getWarnings());
    }

    @Test
    void theStrictProfileRefusesWhatTheDefaultWarnsAbout() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tr31Header.inspect(TR31_2018_A74, Tr31Header.Profile.STRICT));
        assertTrue(e.getMessage().contains("not obfuscated"), e.getMessage());
        assertEquals("D", Tr31Header.inspect(TR31_2018_A74, Tr31Header.Profile.LENIENT).getVersion());
    }
}
