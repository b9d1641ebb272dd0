package io.keybridge.dspread;

import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The key-loading part of the Dspread {@code com.dspread.xpos.QPOSService}, on keybridge: the same
 * method names, listener callbacks and error names, so that switching an app is an import change.
 *
 * <p>Unlike the vendor SDK, {@link #sendTR31Key(String)} takes the key block exactly as AWS Payment
 * Cryptography returns it (ASCII, {@code "D0144P0AE00E0000..."}) and also the hex-of-ASCII form older
 * code passes ({@code "44303134..."}): ASCII blocks start with the version letter, the hex form with
 * a digit. Blocks are validated before anything is sent and the reader's KCV is checked after.
 *
 * <p>Calls return at once and run one at a time, in order, on a worker thread owned by this
 * object; {@link #close()} stops it. Each call ends in exactly one result callback or
 * {@code onError}, then one {@code onKeyLoadReport}. Callbacks run on the worker thread, or on the
 * executor given to {@link #initListener(Executor, QPOSServiceListener)} (on Android, pass
 * {@code handler::post} to get them on a Looper). Usable from Java without coroutines.
 */
public final class QPOSService implements AutoCloseable {
    /** The Dspread {@code QPOSService.Error} names keybridge reports. */
    public enum Error {
        TIMEOUT,
        NO_RESPONSE,
        DEVICE_BUSY,
        INPUT_INVALID,
        MAC_ERROR,
        CMD_NOT_AVAILABLE,
        CMD_TIMEOUT,
        DEVICE_RESET,
        CRC_ERROR,
        COMM_ERROR,
        UNKNOWN;

        /** The value with this name; anything else is UNKNOWN. */
        public static Error fromName(String name) {
            for (Error e : values()) {
                if (e.name().equals(name)) {
                    return e;
                }
            }
            return UNKNOWN;
        }
    }

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final KeyLoaderBackend backend;
    private final ExecutorService worker;
    private volatile QPOSServiceListener listener;
    private volatile Executor callbackExecutor;
    private volatile boolean closed;

    /** A service on a backend: {@link JniKeyLoaderBackend} or the Kotlin uniffi backend. */
    public QPOSService(KeyLoaderBackend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        this.backend = backend;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<Runnable>(), r -> {
            Thread t = new Thread(r, "keybridge-qpos-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Callbacks on this service's background thread. */
    public void initListener(QPOSServiceListener listener) {
        initListener(null, listener);
    }

    /** Callbacks delivered through {@code executor} (null: the background thread). */
    public void initListener(Executor executor, QPOSServiceListener listener) {
        this.callbackExecutor = executor;
        this.listener = listener;
    }

    /** Loads a TR-31 key block into key index 0 → {@code onRequestSendTR31KeyResult}. */
    public void sendTR31Key(String keyBlock) {
        submit(KeyLoadReport.Operation.SEND_TR31_KEY, 0, () -> backend.load(asciiKeyBlock(keyBlock), 0, null, 0));
    }

    /** Loads a TR-31 key block into {@code keyIndex} (0–9) → {@code onReturnUpdateKeyByTR_31Result}. */
    public void updateKeyByTR_31(int keyIndex, String keyBlock) {
        updateKeyByTR_31(keyIndex, keyBlock, null, 0);
    }

    /** As {@link #updateKeyByTR_31(int, String)}, waiting at most {@code timeout} seconds per answer. */
    public void updateKeyByTR_31(int keyIndex, String keyBlock, int timeout) {
        updateKeyByTR_31(keyIndex, keyBlock, null, timeout);
    }

    /** As {@link #updateKeyByTR_31(int, String)} for a B1 key whose block carries no KS: its KSN (hex). */
    public void updateKeyByTR_31(int keyIndex, String keyBlock, String ksn) {
        updateKeyByTR_31(keyIndex, keyBlock, ksn, 0);
    }

    public void updateKeyByTR_31(int keyIndex, String keyBlock, String ksn, int timeout) {
        int timeoutMs = timeout > 0 ? (int) Math.min(Integer.MAX_VALUE, timeout * 1000L) : 0;
        submit(KeyLoadReport.Operation.UPDATE_KEY_BY_TR31, keyIndex,
                () -> backend.load(asciiKeyBlock(keyBlock), keyIndex, ksn, timeoutMs));
    }

    /** Reads the reader's KCV of {@code keyIndex} → {@code onGetKeyCheckValue}. */
    public void getKeyCheckValue(int keyIndex) {
        submit(KeyLoadReport.Operation.GET_KEY_CHECK_VALUE, keyIndex, () -> backend.keyCheckValue(keyIndex));
    }

    /**
     * Cancels the call in progress, releases the reader and stops the worker thread once the queued
     * calls have reported (they fail). Later calls throw {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        backend.close();
        worker.shutdown();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The ASCII key block of an ASCII or hex-of-ASCII argument. Throws IllegalArgumentException for
     * null, empty, or hex that is not printable ASCII.
     */
    static String asciiKeyBlock(String keyBlock) {
        if (keyBlock == null) {
            throw new IllegalArgumentException("key block must not be null");
        }
        String text = keyBlock.trim();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("key block is empty");
        }
        if (!Character.isDigit(text.charAt(0))) {
            return text; // ASCII: starts with the version letter
        }
        if (text.length() % 2 != 0) {
            throw new IllegalArgumentException("hex-encoded key block has an odd number of digits (" + text.length() + ")");
        }
        byte[] ascii = new byte[text.length() / 2];
        for (int i = 0; i < ascii.length; i++) {
            int hi = Character.digit(text.charAt(2 * i), 16);
            int lo = Character.digit(text.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("hex-encoded key block: non-hex character at position " + (hi < 0 ? 2 * i : 2 * i + 1));
            }
            int b = (hi << 4) | lo;
            if (b < 0x20 || b > 0x7E) {
                throw new IllegalArgumentException("hex-encoded key block: byte " + i + " is not printable ASCII");
            }
            ascii[i] = (byte) b;
        }
        return new String(ascii, StandardCharsets.US_ASCII);
    }

    private void submit(KeyLoadReport.Operation operation, int keyIndex, Supplier<KeyLoaderBackend.Result> call) {
        if (closed) {
            throw new IllegalStateException("QPOSService is closed");
        }
        worker.execute(() -> {
            KeyLoaderBackend.Result result;
            try {
                result = call.get();
            } catch (IllegalArgumentException e) {
                result = KeyLoaderBackend.Result.failed(Error.INPUT_INVALID.name(), e.getMessage());
            } catch (IllegalStateException e) {
                result = KeyLoaderBackend.Result.failed(Error.UNKNOWN.name(), e.getMessage());
            }
            deliver(new KeyLoadReport(operation, keyIndex, result));
        });
    }

    private void deliver(KeyLoadReport report) {
        QPOSServiceListener l = listener;
        if (l == null) {
            return;
        }
        Runnable callbacks = () -> {
            if (!report.isSuccess()) {
                l.onError(report.getError());
            } else if (report.getOperation() == KeyLoadReport.Operation.SEND_TR31_KEY) {
                l.onRequestSendTR31KeyResult(true);
            } else if (report.getOperation() == KeyLoadReport.Operation.UPDATE_KEY_BY_TR31) {
                l.onReturnUpdateKeyByTR_31Result(true);
            } else {
                Hashtable<String, String> kcv = new Hashtable<>();
                kcv.put("keyIndex", Integer.toString(report.getKeyIndex()));
                kcv.put("kcv", report.getReaderKcv());
                l.onGetKeyCheckValue(kcv);
            }
            l.onKeyLoadReport(report);
        };
        Executor executor = callbackExecutor;
        if (executor == null) {
            callbacks.run();
        } else {
            executor.execute(callbacks);
        }
    }
}
