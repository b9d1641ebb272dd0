package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.KcvAlgorithm;
import io.keybridge.KcvMethod;
import io.keybridge.Keybridge_ffiKt;
import io.keybridge.Simulator;
import io.keybridge.Tr31KeyBlock;
import io.keybridge.Tr31WrapOptions;
import io.keybridge.jni.NativeKeyLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every kind of load issue 19 names, through the Dspread-compatible API on keybridge's own
 * connection, with the outcome the vendor SDK's app would hear: {@code true} only for a key the
 * reader holds, {@code false} for a key it refused or whose KCV is not the one known, and what
 * the report says was verified.
 */
class LoadKindsTest {
    private static final byte[] TDES_KBPK = hex("0123456789ABCDEFFEDCBA9876543210");
    private static final String AES_KBPK_HEX = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
    private static final byte[] TDES_KEY = hex("89ABCDEF0123456776543210FEDCBA98");
    private static final byte[] AES_KEY = hex("00112233445566778899AABBCCDDEEFF");
    private static final String TDES_KSN = "FFFF9876543210E00000";

    private static byte[] hex(String text) {
        byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    private static String block(byte[] kbpk, String header, byte[] key) throws Exception {
        Tr31KeyBlock wrapped = Tr31KeyBlock.Companion.wrap(kbpk, header, key, new Tr31WrapOptions(false, true));
        try {
            return wrapped.text();
        } finally {
            wrapped.close();
        }
    }

    private static String kcv(byte[] key, KcvAlgorithm algorithm) throws Exception {
        StringBuilder s = new StringBuilder();
        for (byte b : Keybridge_ffiKt.keyCheckValue(key, algorithm, KcvMethod.LEGACY)) {
            s.append(String.format("%02X", b));
        }
        return s.toString();
    }

    private static QPOSService open(Simulator sim) throws Exception {
        return QPOSService.getInstance(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 3_000, false)));
    }

    /** Loads `keyBlock` (with `ksn` in the vendor's order when given) and returns the report, with the listener's events. */
    private static KeyLoadReport load(QPOSService pos, QPOSServiceTest.Recorder listener, int index, String ksn, String keyBlock,
            String expectedKcv) throws InterruptedException {
        pos.setExpectedKcv(expectedKcv);
        if (ksn == null) {
            pos.updateKeyByTR_31(index, keyBlock);
        } else {
            pos.updateKeyByTR_31(index, ksn, keyBlock);
        }
        return listener.next();
    }

    @Test
    void aesPinKeyVersionDUnderAnAesKbpk() throws Exception {
        try (Simulator sim = Simulator.tcp("--kek", AES_KBPK_HEX); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            String kcv = kcv(AES_KEY, KcvAlgorithm.AES);
            KeyLoadReport report = load(pos, listener, 1, null, block(hex(AES_KBPK_HEX), "D0000P0AE00E0000", AES_KEY), kcv);
            assertTrue(report.isKcvVerified(), report.toString());
            assertEquals(kcv, report.getReaderKcv());
            assertEquals(List.of("updateKeyByTR_31:true"), listener.events);
        }
    }

    @Test
    void tdesDataAndKeyEncryptionKeysVersionB() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            String kcv = kcv(TDES_KEY, KcvAlgorithm.TDES);
            assertTrue(load(pos, listener, 2, null, block(TDES_KBPK, "B0000D0TB00E0000", TDES_KEY), kcv).isKcvVerified());
            assertTrue(load(pos, listener, 3, null, block(TDES_KBPK, "B0000K0TB00E0000", TDES_KEY), kcv).isKcvVerified());
            assertEquals(List.of("updateKeyByTR_31:true", "updateKeyByTR_31:true"), listener.events);
        }
    }

    /** TDES DUKPT initial keys: the KSN as the vendor's argument, or in a KS optional block. */
    @Test
    void tdesDukptInitialKeysWithTheKsnOrAKsBlock() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            String kcv = kcv(TDES_KEY, KcvAlgorithm.TDES);
            KeyLoadReport withKsn = load(pos, listener, 4, TDES_KSN, block(TDES_KBPK, "B0000B1TX00E0000", TDES_KEY), kcv);
            assertTrue(withKsn.isKcvVerified(), withKsn.toString());
            KeyLoadReport withKs = load(pos, listener, 5, null, block(TDES_KBPK, "B0000B1TX00E0100KS18" + TDES_KSN, TDES_KEY), kcv);
            assertTrue(withKs.isKcvVerified(), withKs.toString());
            assertEquals(List.of("updateKeyByTR_31:true", "updateKeyByTR_31:true"), listener.events);
        }
    }

    /** An AES DUKPT initial key carrying its initial key ID in an IK optional block loads. */
    @Test
    void aesDukptInitialKeyWithAnIkBlock() throws Exception {
        try (Simulator sim = Simulator.tcp("--kek", AES_KBPK_HEX); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            String kcv = kcv(AES_KEY, KcvAlgorithm.AES);
            KeyLoadReport report = load(pos, listener, 6, null,
                    block(hex(AES_KBPK_HEX), "D0000B1AX00E0100IK1412345678ABCDEF01", AES_KEY), kcv);
            assertTrue(report.isKcvVerified(), report.toString());
            assertEquals(List.of("updateKeyByTR_31:true"), listener.events);
        }
    }

    /** A reader that answers "still working" several times before it is done. */
    @Test
    void aSlowReaderStillLoadsOnce() throws Exception {
        try (Simulator sim = Simulator.tcp("--busy", "3"); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            KeyLoadReport report = load(pos, listener, 7, null, block(TDES_KBPK, "B0000P0TE00E0000", TDES_KEY),
                    kcv(TDES_KEY, KcvAlgorithm.TDES));
            assertTrue(report.isKcvVerified(), report.toString());
            assertEquals(List.of("updateKeyByTR_31:true"), listener.events);
        }
    }

    /** The check value of a slot loaded earlier, in the vendor's table. */
    @Test
    void theCheckValueOfAPreloadedSlot() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            String kcv = kcv(TDES_KEY, KcvAlgorithm.TDES);
            assertTrue(load(pos, listener, 8, null, block(TDES_KBPK, "B0000P0TE00E0000", TDES_KEY), kcv).isSuccess());
            pos.getKeyCheckValue(8, QPOSService.CHECKVALUE_KEYTYPE.MKSK_PIK);
            assertEquals(kcv, listener.next().getReaderKcv());
            assertEquals(List.of("updateKeyByTR_31:true", "kcv:8:" + kcv), listener.events);
        }
    }

    /** A block under another KEK: the reader refuses it, the app hears false, nothing is reported loaded. */
    @Test
    void aBlockUnderTheWrongKekIsRefused() throws Exception {
        try (Simulator sim = Simulator.tcp("--kek", "00112233445566778899AABBCCDDEEFF"); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            KeyLoadReport report = load(pos, listener, 1, null, block(TDES_KBPK, "B0000P0TE00E0000", TDES_KEY), null);
            assertFalse(report.isSuccess(), report.toString());
            assertTrue(report.isRefused(), report.toString());
            assertEquals(List.of("updateKeyByTR_31:false"), listener.events);
        }
    }

    /** A wrong expected KCV is false; an absent one is true but never "verified". */
    @Test
    void aWrongOrAbsentExpectedKcvIsNeverVerified() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            String keyBlock = block(TDES_KBPK, "B0000P0TE00E0000", TDES_KEY);
            KeyLoadReport wrong = load(pos, listener, 2, null, keyBlock, "0BAD00");
            assertTrue(wrong.isRefused(), wrong.toString());
            KeyLoadReport absent = load(pos, listener, 2, null, keyBlock, null);
            assertTrue(absent.isSuccess(), absent.toString());
            assertFalse(absent.isKcvVerified(), absent.toString());
            assertEquals(List.of("updateKeyByTR_31:false", "updateKeyByTR_31:true"), listener.events);
        }
    }

    /** The vendor's sendTR31Key takes the hex of the bytes it sends: the hex of the ASCII block. */
    @Test
    void sendTr31KeyTakesTheHexOfTheBlock() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = open(sim)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            StringBuilder hexOfAscii = new StringBuilder();
            for (char c : block(TDES_KBPK, "B0000P0TE00E0000", TDES_KEY).toCharArray()) {
                hexOfAscii.append(String.format("%02X", (int) c));
            }
            pos.setExpectedKcv(kcv(TDES_KEY, KcvAlgorithm.TDES));
            pos.sendTR31Key(hexOfAscii.toString());
            assertTrue(listener.next().isKcvVerified());
            assertEquals(List.of("sendTR31Key:true"), listener.events);
        }
    }
}
