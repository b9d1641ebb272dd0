package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.LoaderOptions;
import io.keybridge.ReaderTransport;
import io.keybridge.Simulator;
import io.keybridge.TestBlocks;
import io.keybridge.jni.NativeKeyLoader;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Dspread-compatible API over both backends, as a Java integrator uses it. */
class QPOSServiceTest {
    /** Records every callback; each call must end in exactly one result/error and one report. */
    static final class Recorder extends CQPOSService {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final LinkedBlockingQueue<KeyLoadReport> reports = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<ProvisionResult> provisioned = new LinkedBlockingQueue<>();
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onRequestSendTR31KeyResult(boolean success) {
            record("sendTR31Key:" + success);
        }

        @Override
        public void onReturnUpdateKeyByTR_31Result(boolean success) {
            record("updateKeyByTR_31:" + success);
        }

        @Override
        public void onGetKeyCheckValue(Hashtable<String, String> result) {
            record("kcv:" + result.get("keyIndex") + ":" + result.get("kcv"));
        }

        @Override
        public void onReturnupdateKeyByTR_31Result(boolean success, String keyType) {
            record("updateKeyByTR_31(earlier SDKs):" + success + ":" + keyType);
        }

        @Override
        public void onQposIdResult(Hashtable<String, String> posIdTable) {
            record("posId:" + posIdTable.get("posId") + ":" + posIdTable.get("psamId"));
        }

        @Override
        public void onQposInfoResult(Hashtable<String, String> posInfoData) {
            record("posInfo:" + posInfoData.get("posId"));
        }

        @Override
        public void onError(QPOSService.Error errorState) {
            record("error:" + errorState);
        }

        @Override
        public void onRequestUpdateWorkKeyResult(QPOSService.UpdateInformationResult result) {
            record("updateWorkKey:" + result);
        }

        @Override
        public void onRequestQposDisconnected() {
            record("disconnected");
        }

        @Override
        public void onKeyLoadReport(KeyLoadReport report) {
            reports.add(report);
        }

        @Override
        public void onProvisionResult(ProvisionResult result) {
            provisioned.add(result);
        }

        private void record(String event) {
            events.add(event);
            threads.add(Thread.currentThread().getName());
        }

        ProvisionResult nextProvisionResult() throws InterruptedException {
            ProvisionResult result = provisioned.poll(30, TimeUnit.SECONDS);
            assertNotNull(result, "no onProvisionResult within 30 s; events so far: " + events);
            return result;
        }

        KeyLoadReport next() throws InterruptedException {
            KeyLoadReport report = reports.poll(20, TimeUnit.SECONDS);
            assertNotNull(report, "no callback within 20 s; events so far: " + events);
            return report;
        }
    }

    private static QPOSService jni(Simulator sim) throws Exception {
        return QPOSService.getInstance(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 1500, false)));
    }

    @Test
    void sendTR31KeyReportsSuccessOnceForTheAwsAndTheHexForm() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.sendTR31Key(TestBlocks.getPinBlock());
            KeyLoadReport report = listener.next();
            assertTrue(report.isSuccess(), report.toString());
            assertEquals(TestBlocks.getPinKeyKcv(), report.getReaderKcv());
            assertEquals(0, report.getKeyIndex());
            assertNull(report.getError());

            pos.updateKeyByTR_31(5, TestBlocks.getPinBlockHex());
            assertTrue(listener.next().isSuccess());
            pos.getKeyCheckValue(5);
            assertEquals(TestBlocks.getPinKeyKcv(), listener.next().getReaderKcv());
            assertEquals(List.of("sendTR31Key:true", "updateKeyByTR_31:true", "kcv:5:" + TestBlocks.getPinKeyKcv()),
                    listener.events);
            assertTrue(listener.threads.stream().allMatch(t -> t.startsWith("keybridge-qpos-")), listener.threads.toString());
        }
    }

    @Test
    void malformedInputAndBadIndexesAreInputInvalidAndCalledBackOnce() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.sendTR31Key("D0112P0AE00E00X0" + TestBlocks.getPinBlock().substring(16));
            KeyLoadReport malformed = listener.next();
            assertEquals(QPOSService.Error.INPUT_INVALID, malformed.getError());
            assertTrue(malformed.getMessage().contains("position"), malformed.getMessage());
            pos.sendTR31Key(null);
            assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
            pos.sendTR31Key("4430313");
            assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
            pos.updateKeyByTR_31(12, TestBlocks.getPinBlock());
            assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
            pos.updateKeyByTR_31(-3, TestBlocks.getPinBlock(), QPOSService.TR31KeyType.NEW_KEY_PIN, 5);
            assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
            Thread.sleep(200);
            assertEquals(Collections.nCopies(5, "error:INPUT_INVALID"), listener.events);
            assertTrue(listener.reports.isEmpty());
        }
    }

    /** The reader answers the load with a failure RESULT: the vendor's result false, not onError. */
    @Test
    void aKeyTheReaderRefusesIsResultFalse() throws Exception {
        try (Simulator sim = Simulator.tcp("--status", "mac-error"); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.updateKeyByTR_31(1, TestBlocks.getPinBlock());
            KeyLoadReport report = listener.next();
            assertTrue(report.isRefused(), report.toString());
            assertEquals(QPOSService.Error.MAC_ERROR, report.getError());
            pos.sendTR31Key(TestBlocks.getPinBlock());
            assertTrue(listener.next().isRefused());
            assertEquals(List.of("updateKeyByTR_31:false", "sendTR31Key:false"), listener.events);
        }
    }

    /** The reader says OK but stores nothing: its check value shows no key, so the result is false. */
    @Test
    void aReaderThatSaysTrueButStoresNothingIsResultFalse() throws Exception {
        try (Simulator sim = Simulator.tcp("--false-answer", "ok-without-storing"); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.updateKeyByTR_31(2, TestBlocks.getPinBlock());
            KeyLoadReport report = listener.next();
            assertFalse(report.isSuccess(), report.toString());
            assertEquals(List.of("updateKeyByTR_31:false"), listener.events);
        }
    }

    /** Transport problems are onError with the vendor's names: TIMEOUT is the reader's own 0x25 answer. */
    @Test
    void aReadersTimeoutAnswerIsOnErrorTimeout() throws Exception {
        try (Simulator sim = Simulator.tcp("--status", "timeout"); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.updateKeyByTR_31(1, TestBlocks.getPinBlock());
            KeyLoadReport report = listener.next();
            assertFalse(report.isRefused(), report.toString());
            assertEquals(List.of("error:TIMEOUT"), listener.events);
        }
    }

    /** A reader that stays silent is NO_RESPONSE, never a result. */
    @Test
    void aSilentReaderIsOnErrorNoResponse() throws Exception {
        try (Simulator sim = Simulator.tcp("--drop", "1000"); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.getKeyCheckValue(0);
            KeyLoadReport report = listener.next();
            assertFalse(report.isRefused(), report.toString());
            assertEquals(List.of("error:NO_RESPONSE"), listener.events);
        }
    }

    @Test
    void callbacksGoThroughTheGivenExecutor() throws Exception {
        ExecutorService ui = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-ui"));
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(ui, listener);
            pos.sendTR31Key(TestBlocks.getPinBlock());
            assertTrue(listener.next().isSuccess());
            assertEquals(List.of("app-ui"), listener.threads);
        } finally {
            ui.shutdown();
        }
    }

    @Test
    void theUniffiBackendServesTheSameApi() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = UniffiKeyLoaderBackend.openTcp(sim.getAddress())) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.updateKeyByTR_31(2, TestBlocks.getPinBlock());
            assertEquals(TestBlocks.getPinKeyKcv(), listener.next().getReaderKcv());
            pos.sendTR31Key("not a key block");
            assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
            assertEquals(List.of("updateKeyByTR_31:true", "error:INPUT_INVALID"), listener.events);
        }
    }

    /**
     * A ReaderTransport written in Java: signed parameters, so Java can implement and call the
     * uniffi API. (The generated interface declares no checked exceptions: Java reports a broken
     * link with an unchecked one, which keybridge takes as an I/O error.)
     */
    static final class JavaSocketTransport implements ReaderTransport {
        private final Socket socket;

        JavaSocketTransport(String address) throws Exception {
            String[] hostPort = address.split(":");
            socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
        }

        @Override
        public byte[] read(int maxLen, int timeoutMs) {
            try {
                socket.setSoTimeout(Math.max(1, timeoutMs));
                byte[] buffer = new byte[maxLen];
                int n = socket.getInputStream().read(buffer);
                if (n < 0) {
                    throw new UncheckedIOException(new EOFException("the reader closed the connection"));
                }
                return Arrays.copyOf(buffer, n);
            } catch (SocketTimeoutException e) {
                return new byte[0];
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void write(byte[] data) {
            try {
                socket.getOutputStream().write(data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void disconnect() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closed either way
            }
        }
    }

    @Test
    void aReaderTransportAndLoaderOptionsWrittenInJavaCarryTheUniffiBackend() throws Exception {
        try (Simulator sim = Simulator.tcp();
                QPOSService pos = UniffiKeyLoaderBackend.withTransport(new JavaSocketTransport(sim.getAddress()),
                        new LoaderOptions(1_500, 1, false, false, false))) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.updateKeyByTR_31(9, TestBlocks.getPinBlock());
            KeyLoadReport report = listener.next();
            assertTrue(report.isKcvVerified(), report.toString());
            assertEquals(9, report.getKeyIndex());
        }
    }

    @Test
    void misuseAfterCloseThrowsAndLeavesNoThreads() throws Exception {
        try (Simulator sim = Simulator.tcp()) {
            // Workers of services other tests left running in this JVM are not this service's.
            Set<Thread> before = workerThreads();
            QPOSService pos = jni(sim);
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.sendTR31Key(TestBlocks.getPinBlock());
            listener.next();
            pos.close();
            pos.close();
            assertThrows(IllegalStateException.class, () -> pos.sendTR31Key(TestBlocks.getPinBlock()));
            assertThrows(IllegalStateException.class, () -> pos.getKeyCheckValue(0));
            assertThrows(IllegalArgumentException.class, () -> QPOSService.getInstance(null));
            assertThrows(IllegalArgumentException.class, () -> new JniKeyLoaderBackend(null));
            // A pool's worker thread is still ending for a moment after the pool reports termination.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            Set<Thread> left;
            do {
                left = workerThreads();
                left.removeAll(before);
            } while (!left.isEmpty() && System.nanoTime() < deadline && sleep(10));
            assertEquals(Set.of(), left, "worker threads left after close");
        }
    }

    private static Set<Thread> workerThreads() {
        Set<Thread> workers = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("keybridge-qpos-") && t.isAlive()) {
                workers.add(t);
            }
        }
        return workers;
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    /** The overloads and callbacks of both vendor SDK generations, and the reader's identity. */
    @Test
    void theVendorsOverloadsAndDeviceInfoReachTheirOwnCallbacks() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.updateKeyByTR_31(TestBlocks.getPinBlock(), 30);
            assertEquals(0, listener.next().getKeyIndex());
            pos.getKeyCheckValue(0, QPOSService.CHECKVALUE_KEYTYPE.MKSK_PIK);
            listener.next();
            // A KSN read of a slot without a DUKPT key goes to the reader (0x23/0x20, ordinal 11), which
            // answers with a failure RESULT: an empty value in the table, as the vendor SDK reports it.
            pos.getKeyCheckValue(0, QPOSService.CHECKVALUE_KEYTYPE.DUKPT_PIN_KSN);
            assertTrue(listener.next().isRefused());
            pos.getQposId();
            listener.next();
            pos.getQposInfo();
            assertEquals("3131313131313131", listener.next().getDeviceInfo().get("posId"));
            assertEquals(List.of("updateKeyByTR_31(earlier SDKs):true:P0", "kcv:0:" + TestBlocks.getPinKeyKcv(),
                    "kcv:0:", "posId:3131313131313131:" + "11".repeat(10), "posInfo:3131313131313131"),
                    listener.events);
        }
    }

    @Test
    void theVendorsCheckValueTableNamesTheKeyTypeAsked() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            LinkedBlockingQueue<Hashtable<String, String>> tables = new LinkedBlockingQueue<>();
            pos.initListener(new CQPOSService() {
                @Override
                public void onGetKeyCheckValue(Hashtable<String, String> checkValue) {
                    tables.add(checkValue);
                }
            });
            pos.updateKeyByTR_31(6, TestBlocks.getPinBlock());
            pos.getKeyCheckValue(6, QPOSService.CHECKVALUE_KEYTYPE.MKSK_PIK);
            Hashtable<String, String> pik = tables.poll(20, TimeUnit.SECONDS);
            assertEquals(TestBlocks.getPinKeyKcv(), pik.get("MKSK_PIK_KCV"));
            assertEquals("6", pik.get("keyIndex"));
            // All types: the reader's 9 KCVs, then its 3 KSNs, read from one answer as the SDK reads it.
            pos.getKeyCheckValue(6, QPOSService.CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE);
            Hashtable<String, String> all = tables.poll(20, TimeUnit.SECONDS);
            Set<String> keys = new java.util.HashSet<>(Set.of("keyIndex"));
            for (QPOSService.CHECKVALUE_KEYTYPE type : QPOSService.CHECKVALUE_KEYTYPE.values()) {
                if (type != QPOSService.CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE) {
                    keys.add(type.tableKey());
                }
            }
            assertEquals(keys, all.keySet());
            assertEquals(TestBlocks.getPinKeyKcv(), all.get("MKSK_PIK_KCV"));
        }
    }

    /** `setExpectedKcv` holds the load to the caller's KCV; `onKeyLoadReport` says what was compared. */
    @Test
    void anExpectedKcvIsComparedAndTheReportSaysWhetherAnyWas() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.setExpectedKcv(TestBlocks.getPinKeyKcv());
            pos.sendTR31Key(TestBlocks.getPinBlockWithoutKcv());
            KeyLoadReport matched = listener.next();
            assertTrue(matched.isKcvVerified(), matched.toString());
            assertEquals("MATCHED_EXPECTED", matched.getKcvVerification());
            pos.sendTR31Key(TestBlocks.getPinBlockWithoutKcv());
            KeyLoadReport unverified = listener.next();
            assertTrue(unverified.isSuccess());
            assertFalse(unverified.isKcvVerified(), "true without a known KCV is the reader's word only");
            assertTrue(unverified.getWarnings().stream().anyMatch(w -> w.contains("no KCV to compare")), unverified.toString());
            pos.setExpectedKcv("0BAD00");
            pos.sendTR31Key(TestBlocks.getPinBlock());
            KeyLoadReport mismatch = listener.next();
            assertTrue(mismatch.isRefused(), mismatch.toString());
            assertTrue(mismatch.getMessage().contains("KCV mismatch"), mismatch.getMessage());
            assertThrows(IllegalArgumentException.class, () -> pos.setExpectedKcv("08D7B"));
            assertEquals(List.of("sendTR31Key:true", "sendTR31Key:true", "sendTR31Key:false"), listener.events);
        }
    }

    /** An Android Handler stand-in: `initListener(handler, listener)` posts through its post(Runnable). */
    public static final class FakeHandler {
        final List<Runnable> posted = Collections.synchronizedList(new ArrayList<>());

        public boolean post(Runnable r) {
            posted.add(r);
            r.run();
            return true;
        }
    }

    @Test
    void callbacksArePostedToAHandlerAsTheVendorsInitListenerDoes() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            FakeHandler handler = new FakeHandler();
            Recorder listener = new Recorder();
            pos.initListener(handler, listener);
            pos.getKeyCheckValue(0);
            listener.next();
            assertEquals(1, handler.posted.size());
            assertThrows(IllegalArgumentException.class, () -> pos.initListener(new Object(), listener));
        }
    }

    /**
     * The vendor's initListener(Handler, listener) with a null Handler means the main looper's; a
     * plain JVM has none (and no android.os classes at run time), so callbacks stay on the worker.
     */
    @Test
    void aNullAndroidHandlerOnAPlainJvmLeavesCallbacksOnTheWorker() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener((android.os.Handler) null, listener);
            pos.getKeyCheckValue(0);
            listener.next();
            assertTrue(listener.threads.stream().allMatch(t -> t.startsWith("keybridge-qpos-")), listener.threads.toString());
        }
    }

    /**
     * On keybridge's own connection: connecting is the backend's (API_NOT_AVAILABLE), cancelTrade
     * stops the call in progress, and disconnecting closes the connection after onRequestQposDisconnected.
     */
    @Test
    void theConnectionMethodsOnKeybridgesOwnConnection() throws Exception {
        // Answers come 20 s late: the load is still in flight when it is cancelled, and the
        // simulator still stops (and reports its deviations) within Simulator.close()'s 30 s.
        try (Simulator sim = Simulator.tcp("--delay-ms", "20000")) {
            QPOSService pos = QPOSService.getInstance(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 120_000, false)));
            Recorder listener = new Recorder();
            pos.initListener(listener);
            assertFalse(pos.connectBluetoothDevice(true, 25, "00:11:22:33:44:55"));
            assertEquals(QPOSService.Error.API_NOT_AVAILABLE, listener.next().getError());
            pos.updateKeyByTR_31(3, TestBlocks.getPinBlock());
            KeyLoadReport cancelled;
            do { // until the load has reached the reader and the cancel meets it
                pos.cancelTrade();
            } while ((cancelled = listener.reports.poll(50, TimeUnit.MILLISECONDS)) == null);
            assertFalse(cancelled.isSuccess(), cancelled.toString());
            assertFalse(cancelled.isRefused(), "a cancelled load is no verdict: " + cancelled);
            assertTrue(pos.resetPosStatus());
            pos.disconnectBT();
            assertEquals(List.of("error:API_NOT_AVAILABLE", "error:" + cancelled.getError(), "disconnected"), listener.events);
            assertThrows(IllegalStateException.class, () -> pos.getQposId());
        }
    }
}
