package io.keybridge.peers.bc;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DLSequence;
import org.bouncycastle.asn1.DLSet;
import org.bouncycastle.asn1.DLTaggedObject;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.EncryptedContentInfo;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.cms.RecipientIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/**
 * The KDH side with BouncyCastle: a two-pass token laid out as real ones are (TR-34's attribute
 * order, bare OAEP parameters, the shape's versions and NULL), and the deliberate mistakes a KRD
 * must catch.
 */
final class Tr34Writer {
    private Tr34Writer() {}

    /** One deliberate mistake. */
    enum Break {
        NONE,
        /** One bit of the signature flipped. */
        SIGNATURE_BYTE,
        /** Signed over the attributes DER-sorted (as BouncyCastle's CMS layer would), sent in TR-34 order. */
        SORTED_SIGNATURE,
        /** messageDigest of other bytes than the enveloped data (and signed so). */
        MESSAGE_DIGEST,
        /** The header inside the key block is not the signed one. */
        HEADER,
        /** The key block names another KDH than the signer. */
        KDH_IDENTITY,
        /** The SignerInfo names another certificate than the one that signed. */
        SIGNER_ID,
    }

    /** What to build; `kdh` signs, the token is addressed and encrypted to `krd`. */
    record Spec(
            Tr34.Shape shape,
            Tr34.Cipher cipher,
            Pki.Party kdh,
            Pki.Party krd,
            byte[] key,
            String header,
            byte[] nonce,
            Break mistake) {
        Spec with(Break b) {
            return new Spec(shape, cipher, kdh, krd, key, header, nonce, b);
        }

        Spec signedBy(Pki.Party signer) {
            return new Spec(shape, cipher, signer, krd, key, header, nonce, mistake);
        }

        Spec addressedTo(Pki.Party recipient) {
            return new Spec(shape, cipher, kdh, recipient, key, header, nonce, mistake);
        }
    }

    static byte[] build(Spec spec) throws Exception {
        Break mistake = spec.mistake();
        IssuerAndSerialNumber kdhId = spec.kdh().id();
        IssuerAndSerialNumber other = Pki.KRD_OTHER.id();

        // The key block, PKCS#7-padded and encrypted under a fresh content key.
        String innerHeader = mistake == Break.HEADER ? spec.header().substring(0, 15) + "1" : spec.header();
        DLSequence block = seq(
                new ASN1Integer(1),
                mistake == Break.KDH_IDENTITY ? other : kdhId,
                new DEROctetString(spec.key()),
                seq(CMSObjectIdentifiers.data, new DLSet(octets(innerHeader))));
        Tr34.Cipher cipher = spec.cipher();
        byte[] contentKey = Crypto.random(cipher.keyLength);
        byte[] iv = Crypto.random(cipher.blockSize);
        byte[] encryptedBlock = Crypto.cbc(true, cipher, contentKey, iv, block.getEncoded(ASN1Encoding.DL));

        // EnvelopedData's fields, without their SEQUENCE header, as TR-34 carries them.
        AlgorithmIdentifier sha256 = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256);
        AlgorithmIdentifier oaepHash = spec.shape().oaepHashNull
                ? new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE)
                : sha256;
        DLSequence oaepParams = seq( // bare: no RFC 8017 [0]/[1]/[2] tags
                oaepHash,
                new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, sha256),
                new AlgorithmIdentifier(PKCSObjectIdentifiers.id_pSpecified, new DEROctetString(new byte[0])));
        KeyTransRecipientInfo recipient = new KeyTransRecipientInfo(
                new RecipientIdentifier(spec.krd().id()),
                new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSAES_OAEP, oaepParams),
                new DEROctetString(Crypto.oaepEncrypt(spec.krd().publicKey(), contentKey)));
        EncryptedContentInfo encrypted = new EncryptedContentInfo(
                CMSObjectIdentifiers.data,
                new AlgorithmIdentifier(cipher.oid, new DEROctetString(iv)),
                new DEROctetString(encryptedBlock));
        ByteArrayOutputStream envelope = new ByteArrayOutputStream();
        for (ASN1Encodable field : new ASN1Encodable[] {new ASN1Integer(0), new DLSet(recipient), encrypted}) {
            envelope.write(field.toASN1Primitive().getEncoded(ASN1Encoding.DL));
        }
        byte[] envelopeBytes = envelope.toByteArray();

        // Signed attributes in TR-34's order, a DLSet (a DERSet would sort them).
        byte[] digested = mistake == Break.MESSAGE_DIGEST ? spec.nonce() : envelopeBytes;
        ASN1Encodable[] values = {
            CMSObjectIdentifiers.envelopedData,
            new DEROctetString(spec.nonce()),
            octets(spec.header()),
            new DEROctetString(Crypto.sha256(digested)),
        };
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        for (int i = 0; i < values.length; i++) {
            attributes.add(new Attribute(Tr34.ATTRIBUTE_ORDER.get(i), new DLSet(values[i])));
        }
        DLSet signedAttributes = new DLSet(attributes);
        byte[] signedBytes = mistake == Break.SORTED_SIGNATURE
                ? new DERSet(attributes).getEncoded(ASN1Encoding.DER)
                : signedAttributes.getEncoded(ASN1Encoding.DL);
        byte[] signature = Crypto.sign(spec.kdh().privateKey(), signedBytes);
        if (mistake == Break.SIGNATURE_BYTE) {
            signature[signature.length / 2] ^= 0x01;
        }

        ASN1Integer version = new ASN1Integer(spec.shape().version);
        DLSequence signerInfo = seq(
                version,
                mistake == Break.SIGNER_ID ? other : kdhId,
                sha256,
                new DLTaggedObject(false, 0, signedAttributes),
                new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                new DEROctetString(signature));
        DLSequence signedData = seq(
                version,
                new DLSet(sha256),
                new ContentInfo(CMSObjectIdentifiers.envelopedData, new DEROctetString(envelopeBytes)),
                new DLSet(signerInfo));
        return new ContentInfo(CMSObjectIdentifiers.signedData, signedData).getEncoded(ASN1Encoding.DL);
    }

    private static DLSequence seq(ASN1Encodable... elements) {
        return new DLSequence(elements);
    }

    private static DEROctetString octets(String text) {
        return new DEROctetString(text.getBytes(StandardCharsets.US_ASCII));
    }
}
