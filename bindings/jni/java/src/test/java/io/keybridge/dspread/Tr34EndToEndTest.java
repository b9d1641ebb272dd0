package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.Tr34Token;
import io.keybridge.Tr34Tokens;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.ReaderException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TR-34 through the real JNI library against the real simulator over TCP: the simulator is a KRD
 * (testkit reader identity 1) that trusts the AWS emulator's KDH CA and holds its KDH certificate.
 * Tokens are made as a KDH makes them ({@link Tr34Tokens}: the reader's certificate and a fresh
 * nonce, signed with the emulator's KDH key), each while no loader is connected.
 */
class Tr34EndToEndTest {
    @Test
    void aTokenForTheReaderLoadsItsKekProvenByKcvAndKeysWrappedUnderItLoad() throws Exception {
        String kek = "00112233445566778899AABBCCDDEEFF";
        try (Simulator sim = Simulator.tcp()) {
            Tr34Token token = Tr34Tokens.forReader(sim, kek);
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                String readerKcv = loader.loadKekTr34(hexBytes(token.getToken()), token.getKcv());
                assertEquals(token.getKcv(), readerKcv.substring(0, token.getKcv().length()));
            }
            // A working key wrapped under the new KEK (not the factory KBPK) loads via the drop-in.
            String pinKey = "89ABCDEF0123456776543210FEDCBA98";
            String block = Tr34Tokens.cli("tr31", "wrap", "--kbpk", kek, "--header", "B0000P0TE00E0000", "--key", pinKey).trim();
            String pinKcv = Tr34Tokens.cli("kcv", "--key", pinKey, "--algorithm", "tdes").trim();
            try (QPOSService pos = QPOSService.getInstance(
                    new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)))) {
                QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
                pos.initListener(listener);
                pos.sendTR31Key(block);
                KeyLoadReport report = listener.next();
                assertTrue(report.isSuccess(), () -> "the block under the TR-34 KEK: " + report.getError());
                assertEquals(pinKcv, report.getReaderKcv().substring(0, pinKcv.length()));
            }
            assertEquals(List.of(), sim.deviations());
        }
    }

    @Test
    void aWrongExpectedKcvIsNeverSuccess() throws Exception {
        try (Simulator sim = Simulator.tcp()) {
            Tr34Token token = Tr34Tokens.forReader(sim, "0F1E2D3C4B5A69788796A5B4C3D2E1F0");
            String wrong = token.getKcv().startsWith("00") ? "FFFFFF" : "000000";
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                ReaderException e = assertThrows(ReaderException.class, () -> loader.loadKekTr34(token.getToken(), wrong));
                assertTrue(e.getMessage().contains("KCV mismatch") && e.getMessage().contains(token.getKcv()), e.getMessage());
                // The reader took the envelope: the mismatch was found in its KCV, not before.
                assertEquals(token.getKcv(), kekKcv(loader, token.getKcv().length()));
            }
            assertEquals(List.of(), sim.deviations());
        }
    }

    /**
     * The vendor's path: the SDK's envelope through {@code loadSessionKeyByTR_34} is the reader's
     * UPDATE_SUCCESS; the same envelope again, after the reader has issued a newer nonce, is the
     * reader's refusal (UPDATE_PACKET_VEFIRY_ERROR: the signed nonce is stale), never success.
     */
    @Test
    void theVendorsLoadSessionKeyByTr34SucceedsWithAFreshNonceAndFailsWithAStaleOne() throws Exception {
        String kek = "FEDCBA98765432100123456789ABCDEF";
        try (Simulator sim = Simulator.tcp()) {
            Tr34Token token = Tr34Tokens.forReader(sim, kek);
            assertEquals(QPOSService.UpdateInformationResult.UPDATE_SUCCESS, sendEnvelope(sim, token.getEnvelope()));
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                assertEquals(token.getKcv(), kekKcv(loader, token.getKcv().length()), "the reader holds the KEK the envelope carried");
            }

            Tr34Token fresh = Tr34Tokens.forReader(sim, "00112233445566778899AABBCCDDEEFF");
            assertNotEquals(token.getEnvelope(), fresh.getEnvelope());
            assertEquals(QPOSService.UpdateInformationResult.UPDATE_PACKET_VEFIRY_ERROR, sendEnvelope(sim, token.getEnvelope()));
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                assertEquals(token.getKcv(), kekKcv(loader, token.getKcv().length()), "a refused envelope changes nothing");
            }
            assertEquals(List.of(), sim.deviations());
        }
    }

    /** The reader's KCV of its KEK, as the vendor's {@code getKeyCheckValue(0, MKSK_TMK)} reads it. */
    private static String kekKcv(NativeKeyLoader loader, int length) throws ReaderException {
        String kcv = loader.checkValues(0, QPOSService.CHECKVALUE_KEYTYPE.MKSK_TMK.ordinal()).get("MKSK_TMK_KCV");
        assertTrue(kcv != null && kcv.length() >= length, () -> "MKSK_TMK_KCV: " + kcv);
        return kcv.substring(0, length);
    }

    /** {@code loadSessionKeyByTR_34} on its own connection; the outcome its listener received. */
    private static QPOSService.UpdateInformationResult sendEnvelope(Simulator sim, String envelopeHex) throws Exception {
        try (QPOSService pos = QPOSService.getInstance(
                new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)))) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            pos.loadSessionKeyByTR_34(envelopeHex);
            KeyLoadReport report = listener.next();
            assertEquals(List.of("updateWorkKey:" + report.getUpdateResult()), listener.events);
            assertEquals(report.getUpdateResult() == QPOSService.UpdateInformationResult.UPDATE_SUCCESS, report.isSuccess());
            return report.getUpdateResult();
        }
    }

    private static byte[] hexBytes(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
