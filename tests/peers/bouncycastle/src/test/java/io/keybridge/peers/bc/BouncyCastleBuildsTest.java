package io.keybridge.peers.bc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** BouncyCastle builds tokens; `keybridge tr34 unwrap` must open the good ones and refuse the broken. */
class BouncyCastleBuildsTest {
    static Tr34Writer.Spec spec(Tr34.Shape shape, Tr34.Cipher cipher, String header, int keyLength) {
        return new Tr34Writer.Spec(shape, cipher, Pki.KDH, Pki.KRD, Crypto.random(keyLength), header,
                Crypto.random(shape.nonceLength), Tr34Writer.Break.NONE);
    }

    static Stream<Tr34Writer.Spec> good() {
        return Arrays.stream(Tr34.Shape.values()).flatMap(shape -> Stream.of(
                spec(shape, Tr34.Cipher.TDES, "D0000K0TB00E0000", 16),
                spec(shape, Tr34.Cipher.TDES, "A0016K0TN00E0000", 24),
                spec(shape, Tr34.Cipher.AES256, "D0000K0AB00E0000", 32),
                spec(shape, Tr34.Cipher.AES192, "D0000K0AB00E0000", 16)));
    }

    /** `keybridge tr34 unwrap` with every check on: chain, recipient, nonce. */
    static Keybridge.Run unwrap(byte[] token, Pki.Party kdh, byte[] nonce) throws Exception {
        return Keybridge.tr34("unwrap", "--json", HexText.of(token),
                "--krd-key", Pki.KRD.keyPath().toString(),
                "--krd-cert", Pki.KRD.certificatePath().toString(),
                "--kdh-cert", kdh.certificatePath().toString(),
                "--kdh-ca", Pki.KDH_CA.certificatePath().toString(),
                "--nonce", HexText.of(nonce));
    }

    @ParameterizedTest
    @MethodSource("good")
    void keybridge_opens_bouncycastles_token(Tr34Writer.Spec spec) throws Exception {
        byte[] token = Tr34Writer.build(spec);
        Keybridge.Run run = unwrap(token, Pki.KDH, spec.nonce());
        assertEquals(0, run.code(), run.stderr());
        assertEquals(HexText.of(spec.key()), run.field("key"));
        assertEquals(spec.header(), run.field("header"));
        assertEquals(HexText.of(Crypto.kcv(spec.header(), spec.key())), run.field("kcv"));
        assertEquals("[]", run.array("unchecked"));
        // And BouncyCastle's own reader agrees.
        assertArrayEquals(spec.key(), Tr34Reader.open(token,
                new Tr34Reader.Expected(Pki.KDH_CA, Pki.KDH, Pki.KRD, spec.nonce(), spec.shape())).key());
    }

    /** A token broken one way, the KDH certificate keybridge is given, and the check it must name. */
    record Broken(String name, Tr34Writer.Spec spec, Pki.Party kdhGiven, String check) {
        @Override
        public String toString() {
            return name + " (" + spec.shape() + ")";
        }
    }

    static Stream<Broken> broken() {
        List<Broken> cases = new ArrayList<>();
        for (Tr34.Shape shape : Tr34.Shape.values()) {
            Tr34Writer.Spec good = spec(shape, Tr34.Cipher.TDES, "D0000K0TB00E0000", 16);
            cases.add(new Broken("signature bit", good.with(Tr34Writer.Break.SIGNATURE_BYTE), Pki.KDH, "signature"));
            cases.add(new Broken("digest", good.with(Tr34Writer.Break.MESSAGE_DIGEST), Pki.KDH, "message-digest"));
            cases.add(new Broken("header", good.with(Tr34Writer.Break.HEADER), Pki.KDH, "header"));
            cases.add(new Broken("KDH in the block", good.with(Tr34Writer.Break.KDH_IDENTITY), Pki.KDH, "kdh-identity"));
            cases.add(new Broken("signer named", good.with(Tr34Writer.Break.SIGNER_ID), Pki.KDH, "signer"));
            cases.add(new Broken("forged KDH", good.signedBy(Pki.KDH_FORGED), Pki.KDH_FORGED, "kdh-chain"));
            cases.add(new Broken("RSA-1024 KDH", good.signedBy(Pki.KDH_WEAK), Pki.KDH_WEAK, "rsa-key-size"));
            cases.add(new Broken("other KRD", good.addressedTo(Pki.KRD_OTHER), Pki.KDH, "recipient"));
        }
        // Signed DER-sorted but sent in TR-34 order: with AWS's 8-byte nonce both orders are the
        // same bytes, so only the demo's shape tells them apart.
        cases.add(new Broken("signed sorted",
                spec(Tr34.Shape.DSPREAD, Tr34.Cipher.TDES, "D0000K0TB00E0000", 16).with(Tr34Writer.Break.SORTED_SIGNATURE),
                Pki.KDH, "signature"));
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("broken")
    void keybridge_refuses_bouncycastles_broken_token(Broken broken) throws Exception {
        byte[] token = Tr34Writer.build(broken.spec());
        Keybridge.Run run = unwrap(token, broken.kdhGiven(), broken.spec().nonce());
        assertNotEquals(0, run.code(), run.stdout());
        assertTrue(run.stderr().contains("TR-34 check " + broken.check() + " failed"), run.stderr());
        // BouncyCastle's reader refuses it for the same reason.
        Tr34Reader.Refused refused = assertThrows(Tr34Reader.Refused.class, () -> Tr34Reader.open(token,
                new Tr34Reader.Expected(Pki.KDH_CA, broken.kdhGiven(), Pki.KRD, broken.spec().nonce(),
                        broken.spec().shape())));
        assertEquals(broken.check(), refused.check, refused.getMessage());
    }

    @ParameterizedTest
    @MethodSource("good")
    void keybridge_refuses_a_good_token_for_another_nonce(Tr34Writer.Spec spec) throws Exception {
        byte[] otherNonce = spec.nonce().clone();
        otherNonce[otherNonce.length - 1] ^= 0x01;
        Keybridge.Run run = unwrap(Tr34Writer.build(spec), Pki.KDH, otherNonce);
        assertNotEquals(0, run.code(), run.stdout());
        assertTrue(run.stderr().contains("TR-34 check nonce failed"), run.stderr());
    }
}
