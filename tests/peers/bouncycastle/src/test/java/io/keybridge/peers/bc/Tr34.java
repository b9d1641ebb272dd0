package io.keybridge.peers.bc;

import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;

/** What TR-34 (X9 TR-34-2012, two-pass) tokens are made of, shared by the reader and the writer. */
final class Tr34 {
    private Tr34() {}

    /** id-aa-randomNonce, TR-34's two-pass nonce attribute. */
    static final ASN1ObjectIdentifier RANDOM_NONCE = new ASN1ObjectIdentifier("1.2.840.113549.1.9.25.3");

    /**
     * The signed attributes in the order real tokens write them, which is not DER SET OF order once
     * the nonce has 16 bytes: the signature is over this order.
     */
    static final List<ASN1ObjectIdentifier> ATTRIBUTE_ORDER = List.of(
            CMSAttributes.contentType, RANDOM_NONCE, CMSObjectIdentifiers.data, CMSAttributes.messageDigest);

    /** The two layouts: AWS's public samples and the vendor (Dspread) demo's token. */
    enum Shape {
        /** SignedData/SignerInfo version 1, NULL in the OAEP hash identifier, 8-byte nonce. */
        AWS(1, true, 8),
        /** Version 0x49, no NULL, 16-byte nonce. */
        DSPREAD(0x49, false, 16);

        final int version;
        final boolean oaepHashNull;
        final int nonceLength;

        Shape(int version, boolean oaepHashNull, int nonceLength) {
            this.version = version;
            this.oaepHashNull = oaepHashNull;
            this.nonceLength = nonceLength;
        }

        /** keybridge's `--shape` value. */
        String cli() {
            return name().toLowerCase();
        }
    }

    /** The content (key block) ciphers, CBC mode. */
    enum Cipher {
        TDES(PKCSObjectIdentifiers.des_EDE3_CBC, 24, 8),
        AES128(NISTObjectIdentifiers.id_aes128_CBC, 16, 16),
        AES192(NISTObjectIdentifiers.id_aes192_CBC, 24, 16),
        AES256(NISTObjectIdentifiers.id_aes256_CBC, 32, 16);

        final ASN1ObjectIdentifier oid;
        final int keyLength;
        final int blockSize;

        Cipher(ASN1ObjectIdentifier oid, int keyLength, int blockSize) {
            this.oid = oid;
            this.keyLength = keyLength;
            this.blockSize = blockSize;
        }

        static Cipher of(ASN1ObjectIdentifier oid) {
            for (Cipher c : values()) {
                if (c.oid.equals(oid)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("content cipher " + oid);
        }

        /** keybridge's `--cipher` value. */
        String cli() {
            return name().toLowerCase();
        }
    }
}
