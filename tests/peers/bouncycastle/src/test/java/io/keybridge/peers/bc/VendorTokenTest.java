package io.keybridge.peers.bc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.junit.jupiter.api.Test;

/**
 * The vendor demo's real token (rust-core/tests/vectors/dspread-demo-tr34-token.hex, whose header
 * names its source) read by BouncyCastle: the layout keybridge's parser is written for, confirmed
 * by another implementation. No keys: only its structure.
 */
class VendorTokenTest {
    @Test
    void bouncycastle_reads_the_vendor_demo_token_as_keybridge_does() throws Exception {
        Path file = Pki.REPO.resolve("rust-core/tests/vectors/dspread-demo-tr34-token.hex");
        String hex = Files.readAllLines(file).stream()
                .filter(line -> !line.startsWith("#"))
                .map(String::strip)
                .collect(Collectors.joining());
        Tr34Reader.Parsed token = Tr34Reader.parse(HexText.bytes(hex));

        assertEquals(0x49, token.version());
        assertEquals(0x49, token.signerVersion());
        assertFalse(token.oaepHashNull());
        assertEquals("4CDCEDD916AAACEEAE548A1C5B0A0EAA", HexText.of(token.nonce()));
        assertEquals("A0016K0TN00E0000", token.header());
        assertEquals(HexText.of(Crypto.sha256(token.envelope())), HexText.of(token.messageDigest()));
        // Signed in TR-34's order, which DER would reorder: a verifier that sorts cannot check it.
        assertFalse(Arrays.equals(token.attributesAsWritten(), token.attributesSorted()));
        IssuerAndSerialNumber recipient =
                IssuerAndSerialNumber.getInstance(token.recipient().getRecipientIdentifier().getId());
        assertTrue(recipient.getName().toString().contains("CN=Dspread Devices CA"), recipient.getName().toString());
        assertEquals("4EB0D600009880", HexText.of(recipient.getSerialNumber().getValue().toByteArray()));
        assertEquals(Tr34.Cipher.TDES, Tr34.Cipher.of(token.content().getContentEncryptionAlgorithm().getAlgorithm()));
        assertEquals(232, token.content().getEncryptedContent().getOctets().length);
    }
}
