package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dspread.xpos.CQPOSService;
import io.keybridge.Simulator;
import io.keybridge.TestBlocks;
import io.keybridge.testing.KeyService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * keybridge loading keys through the app's own Dspread SDK object (one reader connection), here
 * the test stand-in {@code com.dspread.xpos.QPOSService} talking real frames to the simulator.
 */
class DspreadSdkBackendTest {
    /** The app's own listener on the vendor SDK: it must see its callbacks and none of keybridge's. */
    static final class AppListener extends CQPOSService {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final LinkedBlockingQueue<String> arrivals = new LinkedBlockingQueue<>();

        @Override
        public void onRequestQposConnected() {
            record("connected");
        }

        @Override
        public void onQposIdResult(Hashtable<String, String> posIdTable) {
            record("posId:" + posIdTable.get("posId"));
        }

        @Override
        public void onError(com.dspread.xpos.QPOSService.Error errorState) {
            record("error:" + errorState);
        }

        @Override
        public void onReturnUpdateKeyByTR_31Result(boolean result) {
            record("tr31:" + result);
        }

        @Override
        public void onGetKeyCheckValue(Hashtable<String, String> checkValue) {
            record("kcv:" + checkValue);
        }

        private void record(String event) {
            events.add(event);
            arrivals.add(event);
        }

        String next() throws InterruptedException {
            String event = arrivals.poll(10, TimeUnit.SECONDS);
            assertNotNull(event, "the app's listener heard nothing; so far: " + events);
            return event;
        }
    }

    /** The app's SDK object, connected to `sim`, with keybridge attached in front of its listener. */
    private static final class Setup implements AutoCloseable {
        final com.dspread.xpos.QPOSService sdk = com.dspread.xpos.QPOSService.getInstance(
                com.dspread.xpos.QPOSService.CommunicationMode.BLUETOOTH);
        final AppListener app = new AppListener();
        final QPOSService pos;
        final QPOSServiceTest.Recorder keys = new QPOSServiceTest.Recorder();

        Setup(Simulator sim, int commandTimeoutMs) throws InterruptedException {
            DspreadSdkBackend backend = DspreadSdkBackend.attach(sdk, commandTimeoutMs, false);
            sdk.initListener(backend.wrapListener(app));
            sdk.connectTcp(sim.getAddress());
            assertEquals("connected", app.next(), "the SDK's own callbacks reach the app");
            pos = QPOSService.getInstance(backend);
            pos.initListener(keys);
        }

        @Override
        public void close() {
            pos.close();
            sdk.disconnect();
        }
    }

    @Test
    void loadsThroughTheAppsSdkObjectAndVerifiesTheKcvWithoutTheAppSeeingIt() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 0)) {
            s.pos.updateKeyByTR_31(3, TestBlocks.getPinBlock());
            KeyLoadReport report = s.keys.next();
            assertTrue(report.isSuccess(), report.toString());
            assertTrue(report.isKcvVerified(), report.toString());
            assertEquals("MATCHED_KEY_BLOCK", report.getKcvVerification());
            assertEquals(TestBlocks.getPinKeyKcv(), report.getReaderKcv());
            assertEquals(List.of("updateKeyByTR_31:true"), s.keys.events);
            // The load went out as the SDK's own frames: the load, then the KCV read.
            assertEquals(2, s.sdk.framesSent());

            // The app keeps using its SDK object; its answers still reach the app.
            s.sdk.getQposId();
            assertEquals("posId:3131313131313131", s.app.next());
            // keybridge's getQposId goes through the same SDK object, and only to keybridge's listener.
            s.pos.getQposId();
            assertEquals("3131313131313131", s.keys.next().getDeviceInfo().get("posId"));
            Thread.sleep(100);
            assertEquals(List.of("connected", "posId:3131313131313131"), s.app.events);
        }
    }

    /**
     * Provisioning over the app's SDK object: the POS id from its getQposId, the load (with the
     * KSN) through its updateKeyByTR_31, the KCV through its getKeyCheckValue; the app sees none.
     */
    @Test
    void provisionsFromTheKeyServiceThroughTheAppsSdkObject() throws Exception {
        try (KeyService service = new KeyService();
                Simulator sim = Simulator.tcp(service.readerFlags("0B01"));
                Setup s = new Setup(sim, 0)) {
            s.pos.provisionFromService(service.getUrl(), service.enrol("0B01", "dukpt"));
            ProvisionResult result = s.keys.nextProvisionResult();
            assertTrue(result.isAllVerified(), result.toString());
            assertEquals("0B01", result.getReport().getPosId());
            assertEquals(List.of("updateKeyByTR_31:true"), s.keys.events);
            assertEquals(3, s.sdk.framesSent(), "the POS id, the load and the KCV read, each once");
            assertEquals(List.of("connected"), s.app.events);
        }
    }

    @Test
    void aKcvThatDoesNotMatchIsOnErrorAndNoKnownKcvIsReportedUnverified() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 0)) {
            s.pos.setExpectedKcv("000000");
            s.pos.updateKeyByTR_31(1, TestBlocks.getPinBlockWithoutKcv());
            KeyLoadReport mismatch = s.keys.next();
            assertFalse(mismatch.isSuccess());
            assertTrue(mismatch.getMessage().contains("KCV mismatch"), mismatch.getMessage());

            // The expected KCV applied to that one call: now nothing is known about the key.
            s.pos.updateKeyByTR_31(1, TestBlocks.getPinBlockWithoutKcv());
            KeyLoadReport unverified = s.keys.next();
            assertTrue(unverified.isSuccess(), unverified.toString());
            assertFalse(unverified.isKcvVerified());
            assertEquals("UNVERIFIED", unverified.getKcvVerification());
            assertEquals(List.of("error:UNKNOWN", "updateKeyByTR_31:true"), s.keys.events);
        }
    }

    /** The SDK's `true` is not taken on trust: a reader that stores nothing fails the KCV read. */
    @Test
    void aReaderThatSaysTrueButStoresNothingIsAnError() throws Exception {
        try (Simulator sim = Simulator.tcp("--false-answer", "ok-without-storing"); Setup s = new Setup(sim, 0)) {
            s.pos.updateKeyByTR_31(4, TestBlocks.getPinBlock());
            KeyLoadReport report = s.keys.next();
            assertFalse(report.isSuccess(), report.toString());
            assertEquals(List.of("error:UNKNOWN"), s.keys.events);
        }
    }

    /** The SDK times out on the load's answer (the reader took the key): the slot's KCV settles it. */
    @Test
    void aLostLoadAnswerIsSettledByTheSlotsKcv() throws Exception {
        try (Simulator sim = Simulator.tcp("--drop", "1"); Setup s = new Setup(sim, 2_500)) {
            s.pos.updateKeyByTR_31(2, TestBlocks.getPinBlock());
            KeyLoadReport report = s.keys.next();
            assertTrue(report.isSuccess(), report.toString());
            assertTrue(report.isKcvVerified());
            // Loaded once, never re-sent: the load and one KCV read.
            assertEquals(2, s.sdk.framesSent());
            assertEquals(List.of("connected"), s.app.events, "the SDK's TIMEOUT was keybridge's, not the app's");
        }
    }

    @Test
    void malformedBlocksNeverReachTheSdk() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 0)) {
            s.pos.updateKeyByTR_31(0, "D0112P0AE00E00X0" + TestBlocks.getPinBlock().substring(16));
            KeyLoadReport report = s.keys.next();
            assertEquals(QPOSService.Error.INPUT_INVALID, report.getError());
            assertTrue(report.getMessage().contains("position"), report.getMessage());
            assertEquals(0, s.sdk.framesSent());
        }
    }

    /** An SDK that throws (here: not connected) is a COMM_ERROR whose text never quotes the block. */
    @Test
    void anSdkThatThrowsIsACommErrorWithoutTheKeyBlockInIt() throws Exception {
        com.dspread.xpos.QPOSService sdk = com.dspread.xpos.QPOSService.getInstance(
                com.dspread.xpos.QPOSService.CommunicationMode.BLUETOOTH);
        DspreadSdkBackend backend = DspreadSdkBackend.attach(sdk);
        sdk.initListener(backend.wrapListener(new AppListener()));
        try (QPOSService pos = QPOSService.getInstance(backend)) {
            QPOSServiceTest.Recorder keys = new QPOSServiceTest.Recorder();
            pos.initListener(keys);
            pos.updateKeyByTR_31(0, TestBlocks.getPinBlock());
            KeyLoadReport report = keys.next();
            assertEquals(QPOSService.Error.COMM_ERROR, report.getError());
            assertTrue(report.getMessage().contains("java.lang.IllegalStateException"), report.getMessage());
            assertFalse(report.getMessage().contains(TestBlocks.getPinBlock().substring(16, 40)), report.getMessage());
        }
    }

    @Test
    void anObjectThatIsNotTheSdkOrAMissingListenerIsSaidPlainly() throws Exception {
        IllegalArgumentException notSdk = assertThrows(IllegalArgumentException.class, () -> DspreadSdkBackend.attach("a string"));
        assertTrue(notSdk.getMessage().contains("updateKeyByTR_31"), notSdk.getMessage());
        try (Simulator sim = Simulator.tcp()) {
            com.dspread.xpos.QPOSService sdk = com.dspread.xpos.QPOSService.getInstance(
                    com.dspread.xpos.QPOSService.CommunicationMode.BLUETOOTH);
            sdk.initListener(new CQPOSService()); // the app's listener, without keybridge's in front
            sdk.connectTcp(sim.getAddress());
            try (QPOSService pos = QPOSService.getInstance(DspreadSdkBackend.attach(sdk))) {
                QPOSServiceTest.Recorder keys = new QPOSServiceTest.Recorder();
                pos.initListener(keys);
                pos.updateKeyByTR_31(0, TestBlocks.getPinBlock());
                KeyLoadReport report = keys.next();
                assertEquals(QPOSService.Error.COMM_ERROR, report.getError());
                assertTrue(report.getMessage().contains("wrapListener"), report.getMessage());
                assertEquals(0, sdk.framesSent());
            }
        }
    }
}
