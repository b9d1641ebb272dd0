package io.keybridge.dspread;

import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.ProvisionListener;
import io.keybridge.jni.ProvisionedSlot;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The key-loading part of the Dspread {@code com.dspread.xpos.QPOSService}, on keybridge: the same
 * method names and overloads, the listener nested as the vendor nests it, the same {@link Error}
 * names, so that a key-loading class moves over by changing its imports and how {@code pos} is made
 * ({@link #getInstance}).
 *
 * <p>Unlike the vendor SDK, {@link #sendTR31Key(String)} takes the key block exactly as AWS Payment
 * Cryptography returns it (ASCII, {@code "D0144P0AE00E0000..."}) and also the hex-of-ASCII form older
 * code passes ({@code "44303134..."}): ASCII blocks start with the version letter, the hex form with
 * a digit. Blocks are validated before anything is sent, and after the reader's OK its KCV is
 * compared with every KCV known for the key; a mismatch is {@code onError}. Whether a KCV was known
 * and matched is in {@link KeyLoadReport#isKcvVerified()}: a {@code true} result without one means
 * "the reader accepted it", as it does in the vendor SDK.
 *
 * <p>Calls return at once and run one at a time, in order, on a worker thread owned by this
 * object; {@link #close()} stops it. Each call ends in exactly one result callback or
 * {@code onError}, then one {@code onKeyLoadReport}; {@link #provisionFromService} ends in one
 * {@code onProvisionResult}. Callbacks run on the worker thread, or through the executor or
 * Android {@code Handler} given to {@code initListener}.
 */
public final class QPOSService implements AutoCloseable {
    /**
     * The Dspread {@code QPOSService.Error} values: every name of the current Android SDK (8.5.4)
     * and the ones earlier SDKs had, so that a {@code switch} written for either compiles.
     * keybridge reports TIMEOUT, NO_RESPONSE, DEVICE_BUSY, INPUT_INVALID, MAC_ERROR,
     * CMD_NOT_AVAILABLE, CMD_TIMEOUT, DEVICE_RESET, CRC_ERROR, COMM_ERROR and UNKNOWN.
     */
    public enum Error {
        NO_RESPONSE, MAC_ERROR, TIMEOUT, CMD_NOT_AVAILABLE, DEVICE_RESET, UNKNOWN, DEVICE_BUSY, DEVICE_IS_OCCUPIED,
        INPUT_OUT_OF_RANGE, INPUT_INVALID_FORMAT, INPUT_INVALID, APDU_ERROR, APP_SELECT_TIMEOUT, ICC_ONLINE_TIMEOUT,
        ICC_EXISTS_ERROR, DEVICE_IN_BOOT_STATE, REMOTE_SERVICE_EXCEPTION, RECEIVE_PLAINT_IN_ENCRYPTION_MODE,
        RECEIVE_CIPHER_IN_NONENCRYPTION_MODE, DECRYPT_FAIL_IN_ENCRYPTION_MODE, AID_MISSING, API_NOT_AVAILABLE,
        CAPK_FAIL, DEVICE_ERROR, FALLBACK, NFC_TERMINATED, CARD_REMOVED, TRADE_LOG_FULL,
        TRANSACTION_NOT_ALLOWED_AMOUNT_EXCEED, TRANS_TOKEN_INVALID, CONTACTLESS_TRANSACTION_NOT_ALLOW,
        CARD_BLOCKED_APDU_ERROR_6A81, APP_BLOCKED_APDU_ERROR_6A83, TRY_ANOTHER_INTERFACE, MULTIPLE_CARDS, NOT_ICC,
        NO_UPDATE_WORK_KEY, NONE, BAD_SWIPE, EXPIRED_CERT, INVALID_TRUSTED_CERT, TRANSACTION_TIME_MISSING_TIMEOUT,
        // Earlier SDKs:
        CMD_TIMEOUT, INPUT_ZERO_VALUES, CASHBACK_NOT_SUPPORTED, CRC_ERROR, COMM_ERROR, WR_DATA_ERROR,
        EMV_APP_CFG_ERROR, EMV_CAPK_CFG_ERROR, AMOUNT_OUT_OF_LIMIT;

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

    /** Which key's check value {@link #getKeyCheckValue(int, CHECKVALUE_KEYTYPE)} asks for (vendor names). */
    public enum CHECKVALUE_KEYTYPE {
        MKSK_TMK, MKSK_PIK, MKSK_TDK, MKSK_MCK, TCK, MAGK, DUKPT_TRK_IPEK, DUKPT_EMV_IPEK, DUKPT_PIN_IPEK,
        DUKPT_TRK_KSN, DUKPT_EMV_KSN, DUKPT_PIN_KSN, DUKPT_MKSK_ALLTYPE;

        boolean isKsn() {
            return name().endsWith("_KSN");
        }
    }

    /**
     * The vendor's TR-31 key type argument. Accepted for source compatibility and otherwise unused:
     * the block's own header says what the key is, and the load policy checks it.
     */
    public enum TR31KeyType { NEW_KEY_ALL, NEW_KEY_TMK, NEW_KEY_PIN, NEW_KEY_DATA }

    /**
     * The key-loading callbacks of the Dspread {@code QPOSService.QPOSServiceListener}, same names
     * and types. Each call ends in exactly one of its result callbacks or {@link #onError}, then in
     * one {@link #onKeyLoadReport} carrying the details. Extend {@link CQPOSService} to override
     * only what you need.
     */
    public interface QPOSServiceListener {
        /** Result of {@link #sendTR31Key(String)}: true when the reader took the key. */
        void onRequestSendTR31KeyResult(boolean success);

        /** Result of {@code updateKeyByTR_31(keyIndex, keyBlock, …)}: true when the reader took the key. */
        void onReturnUpdateKeyByTR_31Result(boolean success);

        /** Result of {@link #updateKeyByTR_31(String, int)}, the earlier SDKs' form; {@code keyType} is the TR-31 key usage. */
        void onReturnupdateKeyByTR_31Result(boolean success, String keyType);

        /** Result of {@code getKeyCheckValue}: {@code keyIndex}, {@code kcv} (hex) and {@code <TYPE>_KCV} for the type asked. */
        void onGetKeyCheckValue(Hashtable<String, String> checkValue);

        /** Result of {@link #getQposId()}: {@code posId}, {@code psamId}. */
        void onQposIdResult(Hashtable<String, String> posIdTable);

        /** Result of {@link #getQposInfo()}: what the reader's device information holds. */
        void onQposInfoResult(Hashtable<String, String> posInfoData);

        /** Why a call failed, with the Dspread error names. */
        void onError(Error errorState);

        /** keybridge's richer callback after every call: key index, the reader's KCV, whether it was verified, typed error. */
        default void onKeyLoadReport(KeyLoadReport report) {}

        /**
         * The end of {@link #provisionFromService}: every slot's outcome, reader KCV and the
         * service's verdict, or why the service handed out no keys (with its code).
         */
        default void onProvisionResult(ProvisionResult result) {}
    }

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final KeyLoaderBackend backend;
    private final ExecutorService worker;
    private final AtomicReference<String> nextExpectedKcv = new AtomicReference<>();
    private volatile QPOSServiceListener listener;
    private volatile Executor callbackExecutor;
    private volatile boolean closed;

    private QPOSService(KeyLoaderBackend backend) {
        this.backend = backend;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<Runnable>(), r -> {
            Thread t = new Thread(r, "keybridge-qpos-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A service on a backend, in the vendor's {@code getInstance} style:
     * {@link DspreadSdkBackend#attach} (the app's own Dspread SDK connection),
     * {@link JniKeyLoaderBackend} (keybridge's own connection) or the Kotlin
     * {@code UniffiKeyLoaderBackend}.
     */
    public static QPOSService getInstance(KeyLoaderBackend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        return new QPOSService(backend);
    }

    /** Callbacks on this service's background thread. */
    public void initListener(QPOSServiceListener listener) {
        initListener((Executor) null, listener);
    }

    /** Callbacks delivered through {@code executor} (null: the background thread). */
    public void initListener(Executor executor, QPOSServiceListener listener) {
        this.callbackExecutor = executor;
        this.listener = listener;
    }

    /**
     * Callbacks posted to an Android {@code android.os.Handler} (anything with {@code post(Runnable)}),
     * as the vendor's {@code initListener(handler, listener)} does. Null: the background thread.
     */
    public void initListener(Object handler, QPOSServiceListener listener) {
        initListener(handler == null || handler instanceof Executor ? (Executor) handler : poster(handler), listener);
    }

    /**
     * The KCV (hex, at least 3 bytes) of the key the next {@code sendTR31Key}/{@code updateKeyByTR_31}
     * loads: the reader's KCV must match it, or the call ends in {@code onError}. Applies to that one
     * call. The AWS and key-service paths pass the KCV they get without this.
     */
    public void setExpectedKcv(String kcvHex) {
        if (kcvHex != null && !kcvHex.trim().matches("([0-9A-Fa-f]{2})+")) {
            throw new IllegalArgumentException("the expected KCV must be hex digits, two per byte");
        }
        nextExpectedKcv.set(kcvHex == null ? null : kcvHex.trim());
    }

    /** Loads a TR-31 key block into key index 0 → {@code onRequestSendTR31KeyResult}. */
    public void sendTR31Key(String keyBlock) {
        load(KeyLoadReport.Operation.SEND_TR31_KEY, 0, keyBlock, null, 0, (l, r) -> l.onRequestSendTR31KeyResult(true));
    }

    /** Loads a TR-31 key block into {@code keyIndex} (0–9) → {@code onReturnUpdateKeyByTR_31Result}. */
    public void updateKeyByTR_31(int keyIndex, String keyBlock) {
        loadIntoIndex(keyIndex, keyBlock, null, 0);
    }

    /** As {@link #updateKeyByTR_31(int, String)} for a B1 key whose block carries no KS: its KSN (hex). */
    public void updateKeyByTR_31(int keyIndex, String keyBlock, String ksn) {
        loadIntoIndex(keyIndex, keyBlock, ksn, 0);
    }

    /** As {@link #updateKeyByTR_31(int, String, String)}; {@code keyType} is not needed (see {@link TR31KeyType}). */
    public void updateKeyByTR_31(int keyIndex, String keyBlock, String ksn, TR31KeyType keyType) {
        loadIntoIndex(keyIndex, keyBlock, ksn, 0);
    }

    /** As {@link #updateKeyByTR_31(int, String)}, waiting at most {@code timeout} seconds per answer. */
    public void updateKeyByTR_31(int keyIndex, String keyBlock, TR31KeyType keyType, int timeout) {
        loadIntoIndex(keyIndex, keyBlock, null, timeout);
    }

    private void loadIntoIndex(int keyIndex, String keyBlock, String ksn, int timeout) {
        load(KeyLoadReport.Operation.UPDATE_KEY_BY_TR31, keyIndex, keyBlock, ksn, timeout,
                (l, r) -> l.onReturnUpdateKeyByTR_31Result(true));
    }

    /**
     * The earlier SDKs' form: loads into key index 0, waiting at most {@code timeout} seconds per
     * answer → {@code onReturnupdateKeyByTR_31Result(success, keyUsage)}.
     */
    public void updateKeyByTR_31(String keyBlock, int timeout) {
        load(KeyLoadReport.Operation.UPDATE_KEY_BY_TR31, 0, keyBlock, null, timeout,
                (l, r) -> l.onReturnupdateKeyByTR_31Result(true, r.getKeyUsage()));
    }

    /** Reads the reader's KCV of {@code keyIndex} → {@code onGetKeyCheckValue} with {@code keyIndex} and {@code kcv}. */
    public void getKeyCheckValue(int keyIndex) {
        submit(KeyLoadReport.Operation.GET_KEY_CHECK_VALUE, keyIndex, () -> backend.keyCheckValue(keyIndex),
                (l, r) -> l.onGetKeyCheckValue(checkValues(r, null)));
    }

    /**
     * The vendor's form: also puts the KCV under {@code <TYPE>_KCV} (e.g. {@code MKSK_PIK_KCV}) unless
     * the type is {@code DUKPT_MKSK_ALLTYPE}. KSN types are not key check values: CMD_NOT_AVAILABLE.
     */
    public void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE type) {
        if (type == null) {
            throw new IllegalArgumentException("the key type must not be null");
        }
        String named = type == CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE ? null : type.name() + "_KCV";
        submit(KeyLoadReport.Operation.GET_KEY_CHECK_VALUE, keyIndex, () -> type.isKsn()
                ? KeyLoaderBackend.Result.failed(Error.CMD_NOT_AVAILABLE.name(), "keybridge reads key check values, not KSNs (" + type + ")")
                : backend.keyCheckValue(keyIndex), (l, r) -> l.onGetKeyCheckValue(checkValues(r, named)));
    }

    /** The reader's POS id → {@code onQposIdResult} with {@code posId} and {@code psamId}. */
    public void getQposId() {
        submit(KeyLoadReport.Operation.GET_QPOS_ID, 0, backend::deviceInfo,
                (l, r) -> l.onQposIdResult(new Hashtable<>(r.getDeviceInfo())));
    }

    /** The reader's device information → {@code onQposInfoResult} (keybridge decodes the ids, not the firmware fields). */
    public void getQposInfo() {
        submit(KeyLoadReport.Operation.GET_QPOS_INFO, 0, backend::deviceInfo,
                (l, r) -> l.onQposInfoResult(new Hashtable<>(r.getDeviceInfo())));
    }

    /**
     * Provisions the connected reader from the key service ({@code keybridge serve} at
     * {@code serviceUrl}) with the bearer token it issued for this reader or for the operator's
     * group: the reader's POS id is read, its keys are requested, each is loaded (validated, and
     * checked against AWS's KCV where that is comparable), and every slot's outcome is reported
     * back to the service. No AWS credentials are involved.
     *
     * <p>Calls back {@code onReturnUpdateKeyByTR_31Result(loaded)} once per slot attempted, then
     * {@code onProvisionResult} exactly once. On Android use
     * {@link #provisionFromService(KeyServiceSettings)} with the root CAs: native code cannot read
     * the platform's trust store.
     */
    public void provisionFromService(String serviceUrl, String token) {
        provisionFromService(new KeyServiceSettings(serviceUrl, token));
    }

    /** As {@link #provisionFromService(String, String)}, with every setting of the service client. */
    public void provisionFromService(KeyServiceSettings settings) {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
        if (closed) {
            throw new IllegalStateException("QPOSService is closed");
        }
        ProvisionListener slots = new ProvisionListener() {
            @Override
            public void slotFinished(ProvisionedSlot slot) {
                boolean loaded = slot.getOutcome() == ProvisionedSlot.Outcome.LOADED;
                callback(l -> l.onReturnUpdateKeyByTR_31Result(loaded));
            }
        };
        worker.execute(() -> {
            ProvisionResult result = backend.provision(settings, slots);
            callback(l -> l.onProvisionResult(result));
        });
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

    /** Queues a load, taking the expected KCV set for it. */
    private void load(KeyLoadReport.Operation operation, int keyIndex, String keyBlock, String ksn, int timeoutSecs,
            BiConsumer<QPOSServiceListener, KeyLoadReport> onLoaded) {
        String expectedKcv = nextExpectedKcv.getAndSet(null);
        int timeoutMs = timeoutSecs > 0 ? (int) Math.min(Integer.MAX_VALUE, timeoutSecs * 1000L) : 0;
        submit(operation, keyIndex, () -> backend.load(asciiKeyBlock(keyBlock), keyIndex, ksn, expectedKcv, timeoutMs), onLoaded);
    }

    /** Runs {@code call} on the worker, then {@code onSuccess} or {@code onError}, then {@code onKeyLoadReport}. */
    private void submit(KeyLoadReport.Operation operation, int keyIndex, Supplier<KeyLoaderBackend.Result> call,
            BiConsumer<QPOSServiceListener, KeyLoadReport> onSuccess) {
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
            deliver(new KeyLoadReport(operation, keyIndex, result), onSuccess);
        });
    }

    private void deliver(KeyLoadReport report, BiConsumer<QPOSServiceListener, KeyLoadReport> onSuccess) {
        callback(l -> {
            if (report.isSuccess()) {
                onSuccess.accept(l, report);
            } else {
                l.onError(report.getError());
            }
            l.onKeyLoadReport(report);
        });
    }

    /** Runs {@code callbacks} on the listener, if any, through the callback executor (or here). */
    private void callback(Consumer<QPOSServiceListener> callbacks) {
        QPOSServiceListener l = listener;
        if (l == null) {
            return;
        }
        Executor executor = callbackExecutor;
        if (executor == null) {
            callbacks.accept(l);
        } else {
            executor.execute(() -> callbacks.accept(l));
        }
    }

    /** {@code keyIndex}, {@code kcv} and, if given, the same KCV under the vendor's {@code <TYPE>_KCV} name. */
    private static Hashtable<String, String> checkValues(KeyLoadReport report, String typeName) {
        Hashtable<String, String> kcv = new Hashtable<>();
        kcv.put("keyIndex", Integer.toString(report.getKeyIndex()));
        kcv.put("kcv", report.getReaderKcv());
        if (typeName != null) {
            kcv.put(typeName, report.getReaderKcv());
        }
        return kcv;
    }

    /** An executor posting to {@code handler.post(Runnable)}, found by reflection (no Android dependency here). */
    private static Executor poster(Object handler) {
        Method post;
        try {
            post = handler.getClass().getMethod("post", Runnable.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("the handler has no post(Runnable): " + handler.getClass().getName());
        }
        return task -> {
            try {
                post.invoke(handler, task);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("posting a callback to the handler failed: " + e, e);
            }
        };
    }
}
