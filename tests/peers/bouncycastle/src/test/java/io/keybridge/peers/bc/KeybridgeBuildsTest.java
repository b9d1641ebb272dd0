package io.keybridge.peers.bc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** keybridge builds tokens (`keybridge tr34 build`); BouncyCastle verifies and opens them. */
class KeybridgeBuildsTest {
    /** A key, its header and the content cipher keybridge is asked to use. */
    record Case(Tr34.Shape shape, Tr34.Cipher cipher, String header, int keyLength) {}

    static Stream<Case> cases() {
        return Arrays.stream(Tr34.Shape.values()).flatMap(shape -> Stream.of(
                new Case(shape, Tr34.Cipher.TDES, "D0000K0TB00E0000", 16),
                new Case(shape, Tr34.Cipher.TDES, "A0016K0TN00E0000", 24),
                new Case(shape, Tr34.Cipher.AES128, "D0000K0AB00E0000", 16),
                new Case(shape, Tr34.Cipher.AES256, "D0000K0AB00E0000", 32)));
    }

    /** keybridge's token for `krd`, and what keybridge reported (the KCV). */
    record Built(byte[] token, String kcv, byte[] key, byte[] nonce) {}

    static Built build(Case c) throws Exception {
        byte[] key = Crypto.random(c.keyLength());
        byte[] nonce = Crypto.random(c.shape().nonceLength);
        Keybridge.Run run = Keybridge.tr34("build", "--json",
                "--kdh-key", Pki.KDH.keyPath().toString(),
                "--kdh-cert", Pki.KDH.certificatePath().toString(),
                "--krd-cert", Pki.KRD.certificatePath().toString(),
                "--key", HexText.of(key), "--header", c.header(), "--nonce", HexText.of(nonce),
                "--cipher", c.cipher().cli(), "--shape", c.shape().cli());
        assertEquals(0, run.code(), run.stderr());
        assertEquals(c.header(), run.field("header"));
        return new Built(HexText.bytes(run.field("token")), run.field("kcv"), key, nonce);
    }

    static Tr34Reader.Expected expected(Tr34.Shape shape, Pki.Party krd, byte[] nonce) {
        return new Tr34Reader.Expected(Pki.KDH_CA, Pki.KDH, krd, nonce, shape);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void bouncycastle_verifies_and_opens_keybridges_token(Case c) throws Exception {
        Built built = build(c);
        Tr34Reader.Opened opened = Tr34Reader.open(built.token(), expected(c.shape(), Pki.KRD, built.nonce()));
        assertArrayEquals(built.key(), opened.key());
        assertEquals(c.header(), opened.header());
        assertEquals(built.kcv(), HexText.of(opened.kcv()));
        assertEquals(c.cipher(), opened.cipher());
        // With AWS's 8-byte nonce TR-34's order happens to be DER order; with the demo's 16-byte
        // nonce it is not, and a verifier that sorts the attributes first (BouncyCastle's CMS
        // layer) rejects a good token.
        assertEquals(c.shape() == Tr34.Shape.AWS, opened.attributesInDerOrder());
        assertEquals(c.shape() == Tr34.Shape.AWS, opened.verifiesOverSortedAttributes());
    }

    @ParameterizedTest
    @EnumSource(Tr34.Shape.class)
    void bouncycastle_refuses_keybridges_token_tampered_or_for_someone_else(Tr34.Shape shape) throws Exception {
        Built built = build(new Case(shape, Tr34.Cipher.TDES, "D0000K0TB00E0000", 16));
        byte[] token = built.token();
        Tr34Reader.Expected expected = expected(shape, Pki.KRD, built.nonce());

        byte[] signatureFlipped = token.clone();
        signatureFlipped[token.length - 1] ^= 0x01; // the signature is the token's last field
        assertRefused("signature", signatureFlipped, expected);

        byte[] contentFlipped = token.clone();
        contentFlipped[indexOfEnvelope(token) + envelope(token).length - 1] ^= 0x01;
        assertRefused("message-digest", contentFlipped, expected);

        byte[] otherNonce = built.nonce().clone();
        otherNonce[0] ^= 0x01;
        assertRefused("nonce", token, expected(shape, Pki.KRD, otherNonce));
        assertRefused("recipient", token, expected(shape, Pki.KRD_OTHER, built.nonce()));
        assertRefused("kdh-chain", token, new Tr34Reader.Expected(Pki.KDH_CA, Pki.KDH_FORGED, Pki.KRD,
                built.nonce(), shape));
        // The untampered token still opens: the refusals above are the tampering's.
        assertArrayEquals(built.key(), Tr34Reader.open(token, expected).key());
    }

    static void assertRefused(String check, byte[] token, Tr34Reader.Expected expected) {
        Tr34Reader.Refused refused = assertThrows(Tr34Reader.Refused.class, () -> Tr34Reader.open(token, expected));
        assertEquals(check, refused.check, refused.getMessage());
    }

    /** The enveloped data's bytes (what messageDigest covers), read with BouncyCastle. */
    static byte[] envelope(byte[] token) throws Exception {
        SignedData signedData = SignedData.getInstance(ContentInfo.getInstance(ASN1Primitive.fromByteArray(token)).getContent());
        return ASN1OctetString.getInstance(signedData.getEncapContentInfo().getContent()).getOctets();
    }

    static int indexOfEnvelope(byte[] token) throws Exception {
        byte[] needle = envelope(token);
        for (int i = 0; i + needle.length <= token.length; i++) {
            if (Arrays.equals(token, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("the envelope is not in the token");
    }
}
