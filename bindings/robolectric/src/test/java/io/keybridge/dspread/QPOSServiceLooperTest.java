package io.keybridge.dspread;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

import android.os.Handler;
import android.os.HandlerThread;
import android.os.Looper;
import io.keybridge.Simulator;
import io.keybridge.TestBlocks;
import io.keybridge.jni.NativeKeyLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.RobolectricTestRunner;

/**
 * The vendor SDK calls an app's listener on the Looper of the Handler given to
 * {@code initListener(handler, listener)}, and on the main Looper when that Handler is null: apps
 * touch their views from those callbacks. Here the real android.os classes (Robolectric's Android
 * 14) and a real key load (JNI, the reader simulator over TCP) check that keybridge's drop-in does
 * the same: every callback runs on the Looper's thread, and only when that Looper runs its queue.
 */
@RunWith(RobolectricTestRunner.class)
public class QPOSServiceLooperTest {
    /** What each callback saw: the callback, the Looper it ran on. */
    private static final class Recorder extends CQPOSService {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final List<Looper> loopers = Collections.synchronizedList(new ArrayList<>());
        final LinkedBlockingQueue<KeyLoadReport> reports = new LinkedBlockingQueue<>();

        @Override
        public void onReturnUpdateKeyByTR_31Result(boolean success) {
            record("updateKeyByTR_31:" + success);
        }

        @Override
        public void onError(QPOSService.Error error) {
            record("error:" + error);
        }

        @Override
        public void onKeyLoadReport(KeyLoadReport report) {
            record("report");
            reports.add(report);
        }

        private void record(String event) {
            events.add(event);
            loopers.add(Looper.myLooper());
        }
    }

    private static QPOSService jni(Simulator sim) throws Exception {
        return QPOSService.getInstance(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 1500, false)));
    }

    /** Runs the main Looper's queue until the load's report was delivered (at most 20 s). */
    private static KeyLoadReport reportOnMainLooper(Recorder listener) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (listener.reports.isEmpty() && System.nanoTime() < deadline) {
            shadowOf(Looper.getMainLooper()).idle();
            Thread.sleep(5);
        }
        KeyLoadReport report = listener.reports.poll();
        assertNotNull("no onKeyLoadReport on the main Looper within 20 s; events so far: " + listener.events, report);
        return report;
    }

    @Test
    public void aMainLooperHandlerGetsEveryCallbackOnTheMainThreadAndOnlyWhenItsQueueRuns() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(new Handler(Looper.getMainLooper()), listener);
            pos.updateKeyByTR_31(3, TestBlocks.getPinBlock());

            KeyLoadReport report = reportOnMainLooper(listener);
            assertTrue(report.toString(), report.isSuccess());
            assertEquals(TestBlocks.getPinKeyKcv(), report.getReaderKcv());
            assertEquals(List.of("updateKeyByTR_31:true", "report"), listener.events);
            for (Looper looper : listener.loopers) {
                assertSame(Looper.getMainLooper(), looper);
            }
        }
    }

    @Test
    public void aNullHandlerMeansTheMainLooperAsInTheVendorSdk() throws Exception {
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener((Handler) null, listener);
            pos.updateKeyByTR_31(1, "D0112P0AE00E00X0" + TestBlocks.getPinBlock().substring(16));

            KeyLoadReport report = reportOnMainLooper(listener);
            assertEquals(QPOSService.Error.INPUT_INVALID, report.getError());
            assertEquals(List.of("error:INPUT_INVALID", "report"), listener.events);
            for (Looper looper : listener.loopers) {
                assertSame(Looper.getMainLooper(), looper);
            }
        }
    }

    @Test
    public void aHandlerOnItsOwnThreadGetsTheCallbacksThere() throws Exception {
        HandlerThread thread = new HandlerThread("app-callbacks");
        thread.start();
        try (Simulator sim = Simulator.tcp(); QPOSService pos = jni(sim)) {
            Recorder listener = new Recorder();
            pos.initListener(new Handler(thread.getLooper()), listener);
            pos.updateKeyByTR_31(2, TestBlocks.getPinBlock());

            KeyLoadReport report = listener.reports.poll(20, TimeUnit.SECONDS);
            assertNotNull("no onKeyLoadReport within 20 s; events so far: " + listener.events, report);
            assertTrue(report.toString(), report.isSuccess());
            assertEquals(List.of("updateKeyByTR_31:true", "report"), listener.events);
            for (Looper looper : listener.loopers) {
                assertSame(thread.getLooper(), looper);
            }
        } finally {
            thread.quitSafely();
        }
    }
}
