package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.TestBlocks;
import io.keybridge.jni.NativeKeyLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
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
        public void onError(QPOSService.Error errorState) {
            record("error:" + errorState);
        }

        @Override
        public void onKeyLoadReport(KeyLoadReport report) {
            reports.add(report);
        }

        private void record(String event) {
            events.add(event);
            threads.add(Thread.currentThread().getName());
        }

        KeyLoadReport next() throws InterruptedException {
            KeyLoadReport report = reports.poll(20, TimeUnit.SECONDS);
            assertNotNull(report, "no callback within 20 s; events so far: " + events);
            return report;
        }
    }

    private static QPOSService jni(Simulator sim) throws Exception {
        return new QPOSService(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 1500, false)));
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
            pos.updateKeyByTR_31(-3, TestBlocks.getPinBlock(), 5);
            assertEquals(QPOSService.Error.INPUT_INVALID, listener.next().getError());
            Thread.sleep(200);
            assertEquals(Collections.nCopies(5, "error:INPUT_INVALID"), listener.events);
            assertTrue(listener.reports.isEmpty());
        }
    }

    @Test
    void readerFailuresArriveAsOnErrorWithTheDspreadName() throws Exception {
        try (Simulator sim = Simulator.tcp("--status", "mac-error"); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.updateKeyByTR_31(1, TestBlocks.getPinBlock());
            KeyLoadReport report = listener.next();
            assertEquals(QPOSService.Error.MAC_ERROR, report.getError());
            assertEquals(List.of("error:MAC_ERROR"), listener.events);
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

    @Test
    void misuseAfterCloseThrowsAndLeavesNoThreads() throws Exception {
        try (Simulator sim = Simulator.tcp()) {
            QPOSService pos = jni(sim);
            Recorder listener = new Recorder();
            pos.initListener(listener);
            pos.sendTR31Key(TestBlocks.getPinBlock());
            listener.next();
            pos.close();
            pos.close();
            assertThrows(IllegalStateException.class, () -> pos.sendTR31Key(TestBlocks.getPinBlock()));
            assertThrows(IllegalStateException.class, () -> pos.getKeyCheckValue(0));
            assertThrows(IllegalArgumentException.class, () -> new QPOSService(null));
            assertThrows(IllegalArgumentException.class, () -> new JniKeyLoaderBackend(null));
            long workers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("keybridge-qpos-") && t.isAlive())
                    .count();
            assertEquals(0, workers, "worker threads left after close");
        }
    }
}
