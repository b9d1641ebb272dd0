package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.ProvisionListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vendor's {@code loadSessionKeyByTR_34(hex)} on keybridge: the reader's answer reaches
 * {@code onRequestUpdateWorkKeyResult} with the vendor's {@code UpdateInformationResult}
 * (RESULT 0 UPDATE_SUCCESS, 1 UPDATE_FAIL, 3 UPDATE_PACKET_VEFIRY_ERROR, 4
 * UPDATE_PACKET_LEN_ERROR, per the notes on SDK 8.5.4), link problems {@code onError}; input that
 * is not an envelope or a token is refused before anything is sent.
 */
class Tr34DropInTest {
    /** A backend whose TR-34 envelope load answers with a fixed result. */
    private static final class Answering implements KeyLoaderBackend {
        private final KeyLoaderBackend.Result answer;
        final List<String> envelopes = new ArrayList<>();

        Answering(KeyLoaderBackend.Result answer) {
            this.answer = answer;
        }

        @Override
        public Result loadSessionKeyByTr34(String envelopeHex) {
            envelopes.add(envelopeHex);
            return answer;
        }

        @Override
        public Result load(String keyBlock, int keyIndex, String ksn, QPOSService.TR31KeyType keyType, String expectedKcv,
                int timeoutMs) {
            throw new AssertionError("no TR-31 load in this test");
        }

        @Override
        public Result keyCheckValue(int keyIndex) {
            throw new AssertionError("no check value in this test");
        }

        @Override
        public Result deviceInfo() {
            throw new AssertionError("no device info in this test");
        }

        @Override
        public ProvisionResult provision(KeyServiceSettings settings, ProvisionListener listener) {
            throw new AssertionError("no provisioning in this test");
        }

        @Override
        public void close() {}
    }

    @Test
    void eachReaderAnswerIsTheVendorsUpdateResult() throws Exception {
        for (QPOSService.UpdateInformationResult outcome : List.of(QPOSService.UpdateInformationResult.UPDATE_SUCCESS,
                QPOSService.UpdateInformationResult.UPDATE_FAIL, QPOSService.UpdateInformationResult.UPDATE_PACKET_VEFIRY_ERROR,
                QPOSService.UpdateInformationResult.UPDATE_PACKET_LEN_ERROR)) {
            Answering backend = new Answering(KeyLoaderBackend.Result.updateResult(outcome.name()));
            try (QPOSService pos = QPOSService.getInstance(backend)) {
                QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
                pos.initListener(listener);
                pos.loadSessionKeyByTR_34("0A0B");
                KeyLoadReport report = listener.next();
                assertEquals(outcome, report.getUpdateResult());
                assertEquals(outcome == QPOSService.UpdateInformationResult.UPDATE_SUCCESS, report.isSuccess());
                assertEquals(List.of("updateWorkKey:" + outcome), listener.events);
                assertEquals(List.of("0A0B"), backend.envelopes);
            }
        }
    }

    @Test
    void aSilentReaderIsOnErrorNotAnUpdateResult() throws Exception {
        Answering backend = new Answering(KeyLoaderBackend.Result.failed("NO_RESPONSE", "the reader did not answer"));
        try (QPOSService pos = QPOSService.getInstance(backend)) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            pos.loadSessionKeyByTR_34("0A0B");
            listener.next();
            assertEquals(List.of("error:NO_RESPONSE"), listener.events);
        }
    }

    /** Not hex, or not a TR-34 token: refused with nothing on the wire (the simulator logs no frame). */
    @Test
    void malformedEnvelopesAndTokensAreRefusedBeforeAnythingIsSent() throws Exception {
        try (Simulator sim = Simulator.tcp()) {
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false);
                    QPOSService pos = QPOSService.getInstance(new JniKeyLoaderBackend(loader))) {
                QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
                pos.initListener(listener);
                pos.loadSessionKeyByTR_34("0A0");
                assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
                pos.loadSessionKeyByTR_34("XY");
                assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
                assertEquals(List.of("error:INPUT_INVALID", "error:INPUT_INVALID"), listener.events);

                IllegalArgumentException notToken = assertThrows(IllegalArgumentException.class,
                        () -> loader.loadKekTr34("3003020100", "0A0B0C"));
                assertTrue(notToken.getMessage() != null && !notToken.getMessage().isEmpty());
                assertThrows(IllegalArgumentException.class, () -> loader.loadKekTr34("30", "0A0B0C"));
                assertThrows(IllegalArgumentException.class, () -> loader.loadKekTr34(new byte[] {0x30, 0}, null));
            }
            assertEquals(List.of(), sim.deviations());
        }
    }
}
