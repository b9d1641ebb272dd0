package io.keybridge.peers.bc;

import org.bouncycastle.util.encoders.Hex;

/** Upper-case hex, as keybridge prints it. */
final class HexText {
    private HexText() {}

    static String of(byte[] bytes) {
        return Hex.toHexString(bytes).toUpperCase();
    }

    static byte[] bytes(String hex) {
        return Hex.decode(hex);
    }
}
