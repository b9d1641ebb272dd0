package io.keybridge.peers.bc;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricBlockCipher;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.encodings.OAEPEncoding;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.DESedeEngine;
import org.bouncycastle.crypto.engines.RSABlindedEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.paddings.PKCS7Padding;
import org.bouncycastle.crypto.paddings.PaddedBufferedBlockCipher;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.RSADigestSigner;

/** BouncyCastle's lightweight primitives, as TR-34 uses them. */
final class Crypto {
    private Crypto() {}

    static final SecureRandom RANDOM = new SecureRandom();

    static byte[] random(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    static byte[] sha256(byte[] data) {
        SHA256Digest digest = new SHA256Digest();
        digest.update(data, 0, data.length);
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return out;
    }

    /** RSASSA-PKCS1-v1_5 with SHA-256 (a DigestInfo inside the signature). */
    static byte[] sign(AsymmetricKeyParameter key, byte[] data) throws Exception {
        RSADigestSigner signer = new RSADigestSigner(new SHA256Digest());
        signer.init(true, new ParametersWithRandom(key, RANDOM));
        signer.update(data, 0, data.length);
        return signer.generateSignature();
    }

    static boolean verify(AsymmetricKeyParameter key, byte[] data, byte[] signature) {
        RSADigestSigner signer = new RSADigestSigner(new SHA256Digest());
        signer.init(false, key);
        signer.update(data, 0, data.length);
        return signer.verifySignature(signature);
    }

    /** RSAES-OAEP with SHA-256, MGF1-SHA-256 and an empty label. */
    static AsymmetricBlockCipher oaep() {
        return new OAEPEncoding(new RSABlindedEngine(), new SHA256Digest(), new SHA256Digest(), new byte[0]);
    }

    static byte[] oaepEncrypt(AsymmetricKeyParameter publicKey, byte[] data) throws InvalidCipherTextException {
        AsymmetricBlockCipher rsa = oaep();
        rsa.init(true, new ParametersWithRandom(publicKey, RANDOM));
        return rsa.processBlock(data, 0, data.length);
    }

    static byte[] oaepDecrypt(AsymmetricKeyParameter privateKey, byte[] data) throws InvalidCipherTextException {
        AsymmetricBlockCipher rsa = oaep();
        rsa.init(false, privateKey);
        return rsa.processBlock(data, 0, data.length);
    }

    private static BlockCipher engine(Tr34.Cipher cipher) {
        return cipher == Tr34.Cipher.TDES ? new DESedeEngine() : AESEngine.newInstance();
    }

    /** CBC with PKCS#7 padding (always at least one byte; a bad pad throws on decryption). */
    static byte[] cbc(boolean encrypt, Tr34.Cipher cipher, byte[] key, byte[] iv, byte[] data)
            throws InvalidCipherTextException {
        PaddedBufferedBlockCipher padded =
                new PaddedBufferedBlockCipher(CBCBlockCipher.newInstance(engine(cipher)), new PKCS7Padding());
        CipherParameters params = new ParametersWithIV(new KeyParameter(key), iv);
        padded.init(encrypt, params);
        byte[] out = new byte[padded.getOutputSize(data.length)];
        int n = padded.processBytes(data, 0, data.length, out, 0);
        n += padded.doFinal(out, n);
        return Arrays.copyOf(out, n);
    }

    /**
     * The key check value a reader reports for a key with this TR-34 header: the legacy one
     * (encrypt a zero block, 3 bytes) for TDES keys (algorithm T), the CMAC one (5 bytes) for AES
     * keys (algorithm A).
     */
    static byte[] kcv(String header, byte[] key) {
        byte[] zeros = new byte[16];
        switch (header.charAt(7)) {
            case 'T': {
                DESedeEngine tdes = new DESedeEngine();
                tdes.init(true, new KeyParameter(key));
                byte[] out = new byte[8];
                tdes.processBlock(zeros, 0, out, 0);
                return Arrays.copyOf(out, 3);
            }
            case 'A': {
                CMac cmac = new CMac(AESEngine.newInstance());
                cmac.init(new KeyParameter(key));
                cmac.update(zeros, 0, 16);
                byte[] out = new byte[16];
                cmac.doFinal(out, 0);
                return Arrays.copyOf(out, 5);
            }
            default:
                throw new IllegalArgumentException("header algorithm " + header.charAt(7));
        }
    }
}
