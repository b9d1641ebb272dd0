package io.keybridge.peers.bc;

import java.io.FileReader;
import java.io.IOException;
import java.nio.file.Path;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

/** The test PKI of rust-core/tests/fixtures/tr34 (make.sh there), read with BouncyCastle. */
final class Pki {
    private Pki() {}

    /** The repository's root (-Dkeybridge.repo, set by the pom). */
    static final Path REPO = Path.of(System.getProperty("keybridge.repo"));

    static final Path DIR = REPO.resolve("rust-core/tests/fixtures/tr34");

    /** A certificate and, where the fixtures have it, its private key. */
    record Party(String name, X509CertificateHolder certificate, AsymmetricKeyParameter privateKey) {
        Path certificatePath() {
            return DIR.resolve(name + ".pem");
        }

        Path keyPath() {
            return DIR.resolve(name + ".key");
        }

        AsymmetricKeyParameter publicKey() {
            try {
                return PublicKeyFactory.createKey(certificate.getSubjectPublicKeyInfo());
            } catch (IOException e) {
                throw new IllegalStateException(name, e);
            }
        }

        int rsaBits() {
            return ((RSAKeyParameters) publicKey()).getModulus().bitLength();
        }

        /** How CMS names this certificate (SignerInfo sid, RecipientInfo rid, the key block's KDH). */
        IssuerAndSerialNumber id() {
            return new IssuerAndSerialNumber(certificate.toASN1Structure());
        }
    }

    static Party party(String name) {
        try {
            X509CertificateHolder cert = (X509CertificateHolder) read(DIR.resolve(name + ".pem"));
            Path keyPath = DIR.resolve(name + ".key");
            AsymmetricKeyParameter key = null;
            if (keyPath.toFile().exists()) {
                Object pem = read(keyPath);
                key = pem instanceof PEMKeyPair pair
                        ? PrivateKeyFactory.createKey(pair.getPrivateKeyInfo())
                        : PrivateKeyFactory.createKey((PrivateKeyInfo) pem);
            }
            return new Party(name, cert, key);
        } catch (IOException e) {
            throw new IllegalStateException(name, e);
        }
    }

    private static Object read(Path path) throws IOException {
        try (PEMParser parser = new PEMParser(new FileReader(path.toFile()))) {
            return parser.readObject();
        }
    }

    static final Party KDH_CA = party("kdh-ca");
    static final Party KDH = party("kdh");
    /** Issued in the KDH CA's name by an impostor CA. */
    static final Party KDH_FORGED = party("kdh-forged");
    /** RSA-1024. */
    static final Party KDH_WEAK = party("kdh-weak");
    static final Party KRD = party("krd");
    static final Party KRD_OTHER = party("krd-other");
}
