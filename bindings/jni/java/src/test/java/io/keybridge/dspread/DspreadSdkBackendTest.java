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
 * the test stand-in {@code com.dspread.xpos.QPOSService}, which behaves as NOTES-dspread-sdk.md says
 * the vendor's does (its frames, its check value table, its threads) and talks to the simulator.
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
            String event = arrivals.poll(20, TimeUnit.SECONDS);
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

        /**
         * Waits until the SDK's worker thread has run everything queued so far (its callbacks
         * included): an INPUT_INVALID of the app's own, queued last, has reached the app.
         */
        void sdkIdle() throws InterruptedException {
            sdk.getKeyCheckValue(12, com.dspread.xpos.QPOSService.CHECKVALUE_KEYTYPE.MKSK_TMK);
            while (!app.next().equals("error:INPUT_INVALID")) {
                // an earlier callback: the test looks at app.events
            }
        }

        @Override
        public void close() {
            pos.close();
            sdk.disconnectBT();
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
            // The load went out as the SDK's own frames: the load, then the PIN key's check value read.
            assertEquals(2, s.sdk.framesSent());

            // The app keeps using its SDK object; its answers still reach the app.
            s.sdk.getQposId();
            assertEquals("posId:3131313131313131", s.app.next());
            // keybridge's getQposId goes through the same SDK object, and only to keybridge's listener.
            s.pos.getQposId();
            assertEquals("3131313131313131", s.keys.next().getDeviceInfo().get("posId"));
            s.sdkIdle();
            assertEquals(List.of("connected", "posId:3131313131313131", "error:INPUT_INVALID"), s.app.events);
        }
    }

    /** keybridge's getKeyCheckValue(index, type) is the vendor's, with the vendor's table, to keybridge's listener. */
    @Test
    void theVendorsCheckValueTableReachesKeybridgesListener() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 0)) {
            LinkedBlockingQueue<Hashtable<String, String>> tables = new LinkedBlockingQueue<>();
            s.pos.initListener(new io.keybridge.dspread.CQPOSService() {
                @Override
                public void onGetKeyCheckValue(Hashtable<String, String> table) {
                    tables.add(table);
                }
            });
            s.pos.updateKeyByTR_31(4, TestBlocks.getPinBlock());
            s.pos.getKeyCheckValue(4, QPOSService.CHECKVALUE_KEYTYPE.MKSK_PIK);
            Hashtable<String, String> pik = tables.poll(20, TimeUnit.SECONDS);
            assertNotNull(pik);
            assertEquals(TestBlocks.getPinKeyKcv(), pik.get("MKSK_PIK_KCV"));
            assertEquals(TestBlocks.getPinKeyKcv(), pik.get("kcv"));
            assertEquals("4", pik.get("keyIndex"));
            s.sdkIdle();
            assertEquals(List.of("connected", "error:INPUT_INVALID"), s.app.events);
        }
    }

    /**
     * Provisioning over the app's SDK object: the POS id from its getQposId, the DUKPT load with its
     * KSN through its updateKeyByTR_31 (the load and the KSN frame), the IPEK check values through
     * its getKeyCheckValue; the app sees none of it.
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
            assertEquals(4, s.sdk.framesSent(), "the POS id, the load, its KSN and the check values, each once");
            assertEquals(List.of("connected"), s.app.events);
        }
    }

    /** A KCV that does not match is the load's result false, as the vendor reports a refused key. */
    @Test
    void aKcvThatDoesNotMatchIsResultFalseAndNoKnownKcvIsReportedUnverified() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 0)) {
            s.pos.setExpectedKcv("000000");
            s.pos.updateKeyByTR_31(1, TestBlocks.getPinBlockWithoutKcv());
            KeyLoadReport mismatch = s.keys.next();
            assertFalse(mismatch.isSuccess());
            assertTrue(mismatch.isRefused());
            assertTrue(mismatch.getMessage().contains("KCV mismatch"), mismatch.getMessage());

            // The expected KCV applied to that one call: now nothing is known about the key.
            s.pos.updateKeyByTR_31(1, TestBlocks.getPinBlockWithoutKcv());
            KeyLoadReport unverified = s.keys.next();
            assertTrue(unverified.isSuccess(), unverified.toString());
            assertFalse(unverified.isKcvVerified());
            assertEquals("UNVERIFIED", unverified.getKcvVerification());
            assertEquals(List.of("updateKeyByTR_31:false", "updateKeyByTR_31:true"), s.keys.events);
        }
    }

    /** The SDK's `true` is not taken on trust: a reader that stores nothing shows no key, and the KC block is known. */
    @Test
    void aReaderThatSaysTrueButStoresNothingIsResultFalse() throws Exception {
        try (Simulator sim = Simulator.tcp("--false-answer", "ok-without-storing"); Setup s = new Setup(sim, 0)) {
            s.pos.updateKeyByTR_31(4, TestBlocks.getPinBlock());
            KeyLoadReport report = s.keys.next();
            assertFalse(report.isSuccess(), report.toString());
            assertEquals(List.of("updateKeyByTR_31:false"), s.keys.events);
        }
    }

    /**
     * The reader's answer to the load is lost: the SDK reports NO_RESPONSE (after its own wait),
     * and the slot's check value settles it, without loading again.
     */
    @Test
    void aLostLoadAnswerIsSettledByTheSlotsKcv() throws Exception {
        // keybridge waits longer than the SDK's own 6 s (5 s and its margin) for the load's answer.
        try (Simulator sim = Simulator.tcp("--drop", "1"); Setup s = new Setup(sim, 8_000)) {
            s.pos.updateKeyByTR_31(2, TestBlocks.getPinBlock());
            KeyLoadReport report = s.keys.next();
            assertTrue(report.isSuccess(), report.toString());
            assertTrue(report.isKcvVerified());
            assertEquals(2, s.sdk.framesSent(), "loaded once, never re-sent: the load and one check value read");
            s.sdkIdle();
            assertEquals(List.of("connected", "error:INPUT_INVALID"), s.app.events,
                    "the SDK's NO_RESPONSE was keybridge's, not the app's");
        }
    }

    /**
     * An SDK that never answers: keybridge gives up with one onError, and from then on the app's
     * own callbacks reach the app, none swallowed.
     */
    @Test
    void anSdkThatNeverAnswersSwallowsNoneOfTheAppsCallbacks() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 1_000)) {
            s.sdk.hang(true);
            s.pos.updateKeyByTR_31(5, TestBlocks.getPinBlock());
            KeyLoadReport report = s.keys.next();
            assertFalse(report.isSuccess(), report.toString());
            assertFalse(report.isRefused(), "no answer is not the reader's verdict: " + report);
            assertEquals(1, s.keys.events.size(), s.keys.events.toString());
            assertTrue(s.keys.events.get(0).startsWith("error:"), s.keys.events.toString());

            s.sdk.hang(false);
            s.sdk.getQposId();
            assertEquals("posId:3131313131313131", s.app.next());
            s.sdk.updateKeyByTR_31(11, TestBlocks.getPinBlock());
            assertEquals("error:INPUT_INVALID", s.app.next());
            assertEquals(List.of("connected", "posId:3131313131313131", "error:INPUT_INVALID"), s.app.events);
        }
    }

    /**
     * An SDK whose answers come after keybridge gave up: keybridge reported once, and the late
     * answers reach neither keybridge's listener (no second verdict) nor, as results, the app's.
     */
    @Test
    void lateAnswersAfterKeybridgeGaveUpDeliverNoSecondVerdict() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 1_000)) {
            s.sdk.delayAnswers(3_000); // well after keybridge gives up (1 s), even on a loaded machine
            s.pos.updateKeyByTR_31(6, TestBlocks.getPinBlock());
            KeyLoadReport report = s.keys.next();
            assertFalse(report.isSuccess(), report.toString());
            s.sdk.delayAnswers(0);
            s.sdkIdle(); // every late answer has been delivered by now
            assertEquals(1, s.keys.events.size(), s.keys.events.toString());
            assertTrue(s.app.events.stream().noneMatch(e -> e.startsWith("tr31:") || e.startsWith("kcv:")), s.app.events.toString());
            assertTrue(s.keys.reports.isEmpty(), "one report per call: " + s.keys.reports);
        }
    }

    /** The connection and reset calls of a demo-shaped class go to the app's SDK object. */
    @Test
    void connectionResetAndCancelAreForwardedToTheAppsSdkObject() throws Exception {
        try (Simulator sim = Simulator.tcp(); Setup s = new Setup(sim, 0)) {
            assertTrue(s.pos.connectBluetoothDevice(true, 25, "00:11:22:33:44:55"));
            assertTrue(s.pos.resetPosStatus());
            s.pos.cancelTrade();
            assertEquals(List.of("connectBluetoothDevice:00:11:22:33:44:55", "resetPosStatus", "cancelTrade"), s.sdk.otherCalls());
            assertTrue(s.keys.events.isEmpty(), s.keys.events.toString());
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

    /** An SDK that throws (here: not connected) is NO_RESPONSE (the SDK has no COMM_ERROR: a dead link is NO_RESPONSE) whose text never quotes the block. */
    @Test
    void anSdkThatThrowsIsNoResponseWithoutTheKeyBlockInIt() throws Exception {
        com.dspread.xpos.QPOSService sdk = com.dspread.xpos.QPOSService.getInstance(
                com.dspread.xpos.QPOSService.CommunicationMode.BLUETOOTH);
        DspreadSdkBackend backend = DspreadSdkBackend.attach(sdk);
        sdk.initListener(backend.wrapListener(new AppListener()));
        try (QPOSService pos = QPOSService.getInstance(backend)) {
            QPOSServiceTest.Recorder keys = new QPOSServiceTest.Recorder();
            pos.initListener(keys);
            pos.updateKeyByTR_31(0, TestBlocks.getPinBlock());
            KeyLoadReport report = keys.next();
            assertEquals(QPOSService.Error.NO_RESPONSE, report.getError());
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
                assertEquals(QPOSService.Error.NO_RESPONSE, report.getError());
                assertTrue(report.getMessage().contains("wrapListener"), report.getMessage());
                assertEquals(0, sdk.framesSent());
            }
        }
    }
}
