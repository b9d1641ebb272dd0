package io.keybridge.peers.bc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DLSequence;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.EncryptedContentInfo;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.cms.RecipientInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.operator.bc.BcRSAContentVerifierProviderBuilder;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;

/**
 * The KRD side, written with BouncyCastle's ASN.1 classes and lightweight crypto: every check a
 * reader makes, named as keybridge names them (kdh-chain, signature, ...), plus "layout" for a
 * token that is not laid out as the expected shape.
 *
 * <p>BouncyCastle's CMS layer (CMSSignedData, SignerInformation) cannot be used: it DER-encodes
 * the signed attributes before verifying, which sorts them, and TR-34 signs them in their own
 * order; and it reads the RSAES-OAEP parameters with the RFC 8017 context tags the tokens lack.
 */
final class Tr34Reader {
    private Tr34Reader() {}

    /** A refusal, naming the check as keybridge does. */
    static final class Refused extends Exception {
        final String check;

        Refused(String check, String detail) {
            super(check + ": " + detail);
            this.check = check;
        }
    }

    /** What the KRD expects: the trusted KDH (and its CA), itself, and the nonce it issued. */
    record Expected(Pki.Party kdhCa, Pki.Party kdh, Pki.Party krd, byte[] nonce, Tr34.Shape shape) {}

    /** An opened token. */
    record Opened(
            byte[] key,
            String header,
            byte[] kcv,
            Tr34.Cipher cipher,
            boolean attributesInDerOrder,
            boolean verifiesOverSortedAttributes) {}

    /** A token read with BouncyCastle's ASN.1 classes, nothing checked but its layout. */
    record Parsed(
            int version,
            int signerVersion,
            IssuerAndSerialNumber signer,
            ASN1Set attributes,
            byte[] nonce,
            String header,
            byte[] messageDigest,
            byte[] signature,
            byte[] envelope,
            KeyTransRecipientInfo recipient,
            boolean oaepHashNull,
            EncryptedContentInfo content) {
        /** The signed attributes as written, their [0] retagged as a SET (what CMS signs). */
        byte[] attributesAsWritten() throws IOException {
            return attributes.getEncoded(ASN1Encoding.DL);
        }

        /** The same attributes DER-encoded, i.e. sorted, as BouncyCastle's CMS layer verifies them. */
        byte[] attributesSorted() throws IOException {
            return attributes.getEncoded(ASN1Encoding.DER);
        }
    }

    static Parsed parse(byte[] token) throws Refused, IOException {
        ASN1Primitive top = ASN1Primitive.fromByteArray(token);
        // BouncyCastle's definite-length re-encoding is the token byte for byte, so the signed
        // attributes re-encoded are the bytes the KDH signed.
        require("layout", Arrays.equals(top.getEncoded(ASN1Encoding.DL), token), "re-encoding differs");
        ContentInfo contentInfo = ContentInfo.getInstance(top);
        require("layout", contentInfo.getContentType().equals(CMSObjectIdentifiers.signedData), "not signedData");
        SignedData signedData = SignedData.getInstance(contentInfo.getContent());
        require("layout", signedData.getDigestAlgorithms().size() == 1, "one digest algorithm");
        requireSha256(AlgorithmIdentifier.getInstance(signedData.getDigestAlgorithms().getObjectAt(0)));
        ContentInfo encapsulated = signedData.getEncapContentInfo();
        require("layout", encapsulated.getContentType().equals(CMSObjectIdentifiers.envelopedData), "content type");
        byte[] envelopeBytes = ASN1OctetString.getInstance(encapsulated.getContent()).getOctets();
        require("layout", signedData.getSignerInfos().size() == 1, "one SignerInfo");
        SignerInfo signer = SignerInfo.getInstance(signedData.getSignerInfos().getObjectAt(0));
        require("layout", !signer.getSID().isTagged(), "SignerInfo sid is not an IssuerAndSerialNumber");
        requireSha256(signer.getDigestAlgorithm());
        ASN1ObjectIdentifier signatureAlgorithm = signer.getDigestEncryptionAlgorithm().getAlgorithm();
        require("layout", signatureAlgorithm.equals(PKCSObjectIdentifiers.rsaEncryption)
                || signatureAlgorithm.equals(PKCSObjectIdentifiers.sha256WithRSAEncryption), "signature algorithm");

        // The signed attributes, in TR-34's order.
        ASN1Set attributes = signer.getAuthenticatedAttributes();
        require("layout", attributes != null && attributes.size() == Tr34.ATTRIBUTE_ORDER.size(), "four signed attributes");
        byte[][] values = new byte[attributes.size()][];
        for (int i = 0; i < attributes.size(); i++) {
            Attribute attribute = Attribute.getInstance(attributes.getObjectAt(i));
            require("layout", attribute.getAttrType().equals(Tr34.ATTRIBUTE_ORDER.get(i)),
                    "signed attribute " + i + " is " + attribute.getAttrType());
            require("layout", attribute.getAttrValues().size() == 1, "one value per attribute");
            ASN1Encodable value = attribute.getAttrValues().getObjectAt(0);
            if (i == 0) {
                require("layout", CMSObjectIdentifiers.envelopedData.equals(value), "contentType attribute");
            } else {
                values[i] = ASN1OctetString.getInstance(value).getOctets();
            }
        }

        // The envelope: one KeyTransRecipientInfo, RSAES-OAEP as written.
        EnvelopedData envelope = EnvelopedData.getInstance(sequenceOf(envelopeBytes));
        require("layout", envelope.getVersion().intValueExact() == 0, "EnvelopedData version");
        require("layout", envelope.getRecipientInfos().size() == 1, "one RecipientInfo");
        KeyTransRecipientInfo recipient = KeyTransRecipientInfo.getInstance(
                RecipientInfo.getInstance(envelope.getRecipientInfos().getObjectAt(0)).getInfo());
        require("layout", recipient.getVersion().intValueExact() == 0, "KeyTransRecipientInfo version");
        boolean oaepHashNull = oaepAsWritten(recipient.getKeyEncryptionAlgorithm());
        EncryptedContentInfo content = envelope.getEncryptedContentInfo();
        require("layout", content.getContentType().equals(CMSObjectIdentifiers.data), "encrypted content type");

        return new Parsed(
                signedData.getVersion().intValueExact(),
                signer.getVersion().intValueExact(),
                IssuerAndSerialNumber.getInstance(signer.getSID().getId()),
                attributes,
                values[1],
                new String(values[2], StandardCharsets.US_ASCII),
                values[3],
                signer.getEncryptedDigest().getOctets(),
                envelopeBytes,
                recipient,
                oaepHashNull,
                content);
    }

    static Opened open(byte[] token, Expected expected) throws Refused, IOException {
        Parsed parsed = parse(token);
        Tr34.Shape shape = expected.shape();
        require("layout", parsed.version() == shape.version && parsed.signerVersion() == shape.version,
                "versions " + parsed.version() + "/" + parsed.signerVersion());
        require("layout", parsed.oaepHashNull() == shape.oaepHashNull, "NULL in the OAEP hash");
        require("layout", parsed.nonce().length == shape.nonceLength, parsed.nonce().length + "-byte nonce");

        // The KDH: RSA sizes, chain to the trusted CA, named as the signer; then what it signed.
        requireRsaBits(expected.kdh().rsaBits(), "KDH certificate");
        requireRsaBits(expected.kdhCa().rsaBits(), "KDH CA");
        requireChain(expected.kdh().certificate(), expected.kdhCa().certificate());
        require("signer", sameId(parsed.signer(), expected.kdh().id()),
                "the token is not signed by the KDH certificate given");
        require("message-digest", MessageDigest.isEqual(Crypto.sha256(parsed.envelope()), parsed.messageDigest()),
                "messageDigest is not the SHA-256 of the enveloped data");
        byte[] asWritten = parsed.attributesAsWritten();
        byte[] sorted = parsed.attributesSorted();
        require("signature", Crypto.verify(expected.kdh().publicKey(), asWritten, parsed.signature()),
                "the KDH's key does not verify the signed attributes");
        require("nonce", Arrays.equals(parsed.nonce(), expected.nonce()), "not the nonce the KRD issued");

        // This KRD's: the content key under its RSA key, then the key block.
        KeyTransRecipientInfo recipient = parsed.recipient();
        requireRsaBits(expected.krd().rsaBits(), "KRD certificate");
        require("recipient", sameId(IssuerAndSerialNumber.getInstance(recipient.getRecipientIdentifier().getId()),
                expected.krd().id()), "not addressed to this KRD's certificate");
        byte[] contentKey;
        try {
            contentKey = Crypto.oaepDecrypt(expected.krd().privateKey(), recipient.getEncryptedKey().getOctets());
        } catch (InvalidCipherTextException e) {
            throw new Refused("key-decryption", "RSAES-OAEP: " + e.getMessage());
        }
        EncryptedContentInfo content = parsed.content();
        Tr34.Cipher cipher = Tr34.Cipher.of(content.getContentEncryptionAlgorithm().getAlgorithm());
        require("key-decryption", contentKey.length == cipher.keyLength, contentKey.length + "-byte content key");
        byte[] iv = ASN1OctetString.getInstance(content.getContentEncryptionAlgorithm().getParameters()).getOctets();
        byte[] plain;
        try {
            plain = Crypto.cbc(false, cipher, contentKey, iv, content.getEncryptedContent().getOctets());
        } catch (InvalidCipherTextException e) {
            throw new Refused("content-decryption", e.getMessage());
        }

        // The key block: version 1, the KDH, the key, its header.
        ASN1Sequence block = ASN1Sequence.getInstance(plain);
        require("content-decryption", block.size() == 4
                && ASN1Integer.getInstance(block.getObjectAt(0)).intValueExact() == 1, "key block");
        require("kdh-identity", sameId(IssuerAndSerialNumber.getInstance(block.getObjectAt(1)), expected.kdh().id()),
                "the key block names another KDH");
        byte[] key = ASN1OctetString.getInstance(block.getObjectAt(2)).getOctets();
        ASN1Sequence headerAttribute = ASN1Sequence.getInstance(block.getObjectAt(3));
        require("content-decryption", CMSObjectIdentifiers.data.equals(headerAttribute.getObjectAt(0)), "header type");
        ASN1Set headerSet = ASN1Set.getInstance(headerAttribute.getObjectAt(1));
        String header = new String(ASN1OctetString.getInstance(headerSet.getObjectAt(0)).getOctets(),
                StandardCharsets.US_ASCII);
        require("header", header.equals(parsed.header()), "signed " + parsed.header() + ", inside " + header);

        return new Opened(key, header, Crypto.kcv(header, key), cipher, Arrays.equals(asWritten, sorted),
                Crypto.verify(expected.kdh().publicKey(), sorted, parsed.signature()));
    }

    /** TR-34 carries EnvelopedData's fields without their SEQUENCE header; BouncyCastle wants one. */
    private static DLSequence sequenceOf(byte[] fields) throws IOException {
        ASN1EncodableVector vector = new ASN1EncodableVector();
        try (ASN1InputStream in = new ASN1InputStream(new ByteArrayInputStream(fields))) {
            for (ASN1Primitive p = in.readObject(); p != null; p = in.readObject()) {
                vector.add(p);
            }
        }
        return new DLSequence(vector);
    }

    /**
     * RSAES-OAEP with SHA-256 and MGF1-SHA-256, the parameters bare (no [0]/[1]/[2] tags, which
     * RSAESOAEPparams.getInstance requires). Returns whether the hash identifier has a NULL.
     */
    private static boolean oaepAsWritten(AlgorithmIdentifier algorithm) throws Refused {
        require("layout", algorithm.getAlgorithm().equals(PKCSObjectIdentifiers.id_RSAES_OAEP), "key encryption");
        ASN1Sequence params = ASN1Sequence.getInstance(algorithm.getParameters());
        require("layout", params.size() == 3, "three OAEP parameters");
        for (ASN1Encodable p : params) {
            require("layout", !(p instanceof ASN1TaggedObject), "tagged OAEP parameter");
        }
        AlgorithmIdentifier hash = AlgorithmIdentifier.getInstance(params.getObjectAt(0));
        requireSha256(hash);
        AlgorithmIdentifier mgf = AlgorithmIdentifier.getInstance(params.getObjectAt(1));
        require("layout", mgf.getAlgorithm().equals(PKCSObjectIdentifiers.id_mgf1), "MGF1");
        requireSha256(AlgorithmIdentifier.getInstance(mgf.getParameters()));
        AlgorithmIdentifier label = AlgorithmIdentifier.getInstance(params.getObjectAt(2));
        require("layout", label.getAlgorithm().equals(PKCSObjectIdentifiers.id_pSpecified)
                && ASN1OctetString.getInstance(label.getParameters()).getOctets().length == 0, "empty pSpecified label");
        return DERNull.INSTANCE.equals(hash.getParameters());
    }

    private static void requireChain(X509CertificateHolder kdh, X509CertificateHolder ca) throws Refused {
        boolean valid;
        try {
            valid = kdh.getIssuer().equals(ca.getSubject())
                    && kdh.isSignatureValid(new BcRSAContentVerifierProviderBuilder(
                            new DefaultDigestAlgorithmIdentifierFinder()).build(ca));
        } catch (Exception e) {
            valid = false;
        }
        require("kdh-chain", valid, "the KDH certificate is not from the trusted KDH CA");
    }

    private static void requireRsaBits(int bits, String what) throws Refused {
        require("rsa-key-size", bits >= 2048, what + " has " + bits + " bits");
    }

    private static void requireSha256(AlgorithmIdentifier algorithm) throws Refused {
        require("layout", algorithm.getAlgorithm().equals(NISTObjectIdentifiers.id_sha256), "not SHA-256");
    }

    private static boolean sameId(IssuerAndSerialNumber a, IssuerAndSerialNumber b) throws IOException {
        return Arrays.equals(a.getEncoded(ASN1Encoding.DER), b.getEncoded(ASN1Encoding.DER));
    }

    static void require(String check, boolean ok, String detail) throws Refused {
        if (!ok) {
            throw new Refused(check, detail);
        }
    }
}
