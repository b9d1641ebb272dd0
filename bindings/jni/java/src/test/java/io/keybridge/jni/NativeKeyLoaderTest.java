package io.keybridge.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import io.keybridge.TestBlocks;
import org.junit.jupiter.api.Test;

class NativeKeyLoaderTest {
    @Test
    void loadsAKeyOverTcp() throws Exception {
        try (Simulator sim = Simulator.tcp(); NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress())) {
            KeyLoadResult result = loader.sendTr31Key(TestBlocks.getPinBlock(), 4, null, null, 0);
            assertEquals(4, result.getKeyIndex());
            assertEquals("P0", result.getKeyUsage());
            assertEquals(TestBlocks.getPinKeyKcv(), result.getReaderKcv());
            assertEquals("MATCHED_KEY_BLOCK", result.getKcvVerification());
            assertTrue(result.getWarnings().stream().anyMatch(w -> w.contains("factory KBPK")), result.toString());
            assertEquals(TestBlocks.getPinKeyKcv(), loader.keyCheckValue(4));
        }
    }

    @Test
    void malformedBlocksAndBadArgumentsThrowIllegalArgumentException() throws Exception {
        try (Simulator sim = Simulator.tcp(); NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress())) {
            String malformed = "D0112P0AE00E00X0" + TestBlocks.getPinBlock().substring(16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loader.sendTr31Key(malformed));
            assertTrue(e.getMessage().contains("position"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> loader.sendTr31Key(null));
            assertThrows(IllegalArgumentException.class, () -> loader.sendTr31Key(TestBlocks.getPinBlock(), 10, null, null, 0));
            assertThrows(IllegalArgumentException.class, () -> loader.sendTr31Key(TestBlocks.getPinBlock(), -1, null, null, 0));
            assertThrows(IllegalArgumentException.class, () -> loader.keyCheckValue(300));
            // Nothing was sent: the loader still works.
            assertEquals(TestBlocks.getPinKeyKcv(), loader.sendTr31Key(TestBlocks.getPinBlock()).getReaderKcv());
        }
    }

    @Test
    void readerFailuresThrowTheCheckedReaderExceptionWithTheDspreadName() throws Exception {
        try (Simulator sim = Simulator.tcp("--status", "mac-error");
                NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1500, false)) {
            ReaderException e = assertThrows(ReaderException.class, () -> loader.sendTr31Key(TestBlocks.getPinBlock()));
            assertEquals("MAC_ERROR", e.getDspreadError());
            assertTrue(e.isRefused(), "the reader answered the load with a failure: its verdict");
        }
        try (Simulator sim = Simulator.tcp("--busy", "1000");
                NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 300, false)) {
            ReaderException e = assertThrows(ReaderException.class, () -> loader.keyCheckValue(0));
            assertFalse(e.isRefused(), "a reader that never finishes gave no verdict");
            // Still working (0x23) until the time runs out: the SDK's NO_RESPONSE.
            assertEquals("NO_RESPONSE", e.getDspreadError());
        }
        String gone;
        try (Simulator sim = Simulator.tcp()) {
            gone = sim.getAddress();
        }
        ReaderException refused = assertThrows(ReaderException.class, () -> NativeKeyLoader.openTcp(gone, 500, false));
        assertEquals("NO_RESPONSE", refused.getDspreadError());
    }

    @Test
    void aClosedLoaderThrowsIllegalStateExceptionAndCloseIsIdempotent() throws Exception {
        try (Simulator sim = Simulator.tcp()) {
            NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress());
            loader.close();
            loader.close();
            assertTrue(loader.isClosed());
            assertThrows(IllegalStateException.class, () -> loader.sendTr31Key(TestBlocks.getPinBlock()));
            assertThrows(IllegalStateException.class, () -> loader.keyCheckValue(0));
            loader.cancel();
        }
    }

    @Test
    void cancelFromAnotherThreadStopsTheCallInProgress() throws Exception {
        try (Simulator sim = Simulator.tcp("--delay-ms", "3000");
                NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 10_000, false)) {
            Thread canceller = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ignored) {
                    return;
                }
                loader.cancel();
            });
            long start = System.nanoTime();
            canceller.start();
            ReaderException e = assertThrows(ReaderException.class, () -> loader.sendTr31Key(TestBlocks.getPinBlock()));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
            assertTrue(elapsedMs < 2_500, "cancel took " + elapsedMs + " ms");
            canceller.join();
        }
    }

    /**
     * A call that has entered the native layer but waits for the reader behind another one is
     * cancelled too: the cancel used to be cleared by the waiting call when its turn came.
     */
    @Test
    void cancelAlsoStopsACallThatIsWaitingItsTurn() throws Exception {
        try (Simulator sim = Simulator.tcp("--delay-ms", "3000");
                NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 10_000, false)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                long start = System.nanoTime();
                Future<?> running = pool.submit(() -> loader.sendTr31Key(TestBlocks.getPinBlock()));
                Thread.sleep(200);
                Future<?> waiting = pool.submit(() -> loader.keyCheckValue(0));
                Thread.sleep(300);
                loader.cancel();
                for (Future<?> call : Arrays.asList(running, waiting)) {
                    ExecutionException e = assertThrows(ExecutionException.class, call::get);
                    assertTrue(e.getCause() instanceof ReaderException, String.valueOf(e.getCause()));
                    assertTrue(e.getCause().getMessage().contains("cancelled"), e.getCause().getMessage());
                }
                long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(elapsedMs < 2_500, "the waiting call ran after the cancel: " + elapsedMs + " ms");
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
