package io.keybridge.dspread;

import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.ProvisionListener;

/**
 * Key loading over the connection the app's Dspread SDK already has: one reader connection, owned
 * by the app's {@code com.dspread.xpos.QPOSService}, which keeps doing everything else (connecting,
 * trading, PIN entry). keybridge validates and normalizes each block (the AWS ASCII form, the load
 * policy), has the vendor object load it ({@code updateKeyByTR_31}) and read the check value that
 * shows the key ({@code getKeyCheckValue} of the type the block's usage maps to: K0 MKSK_TMK, P0
 * MKSK_PIK, D0 MKSK_TDK, M* MKSK_MCK, B1 the DUKPT IPEK types, read from the vendor's table by its
 * keys {@code MKSK_PIK_KCV}, {@code DUKPT_PIN_IPEK_KCV}, …), and compares it with every KCV known
 * for the key.
 *
 * <pre>{@code
 * com.dspread.xpos.QPOSService sdk = ...;                    // the app's, connected
 * DspreadSdkBackend backend = DspreadSdkBackend.attach(sdk);
 * sdk.initListener(handler, backend.wrapListener(appListener)); // keybridge sees the SDK's answers
 * QPOSService pos = QPOSService.getInstance(backend);        // io.keybridge.dspread.QPOSService
 * pos.initListener(handler, keyLoadingListener);
 * pos.updateKeyByTR_31(0, awsKeyBlock);
 * }</pre>
 *
 * Everything the vendor object reports goes on to the app's listener, except the answers to the
 * commands keybridge started while it waits for them (see {@link DspreadSdkReader} for answers
 * that come after keybridge gave up). While keybridge loads a key, start no other command on the
 * vendor object. {@link QPOSService}'s connection, reset and cancel methods are forwarded to it.
 */
public final class DspreadSdkBackend implements KeyLoaderBackend {
    /**
     * How long keybridge waits for each of the SDK's answers when the caller gives no timeout:
     * longer than the SDK's own waits (5 s for a load and a check value, 10 s for a load with a
     * KSN, plus its transport's margin), so that the SDK's own verdict, NO_RESPONSE included,
     * arrives before keybridge gives up.
     */
    private static final int DEFAULT_TIMEOUT_MS = 30_000;
    /** The timeout the SDK's own {@code updateKeyByTR_31(index, block)} uses: the vendor's default, 5 s. */
    static final int VENDOR_LOAD_TIMEOUT_SECS = 5;

    private final DspreadSdkReader reader;
    private final JniKeyLoaderBackend loads;
    private final int timeoutMs;

    private DspreadSdkBackend(Object dspreadPos, int timeoutMs, boolean lenient) {
        this.timeoutMs = timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS;
        this.reader = new DspreadSdkReader(dspreadPos);
        this.loads = new JniKeyLoaderBackend(NativeKeyLoader.openCommands(reader, this.timeoutMs, lenient));
    }

    /** Loads through {@code dspreadPos}, a connected {@code com.dspread.xpos.QPOSService}; default timeout, strict profile. */
    public static DspreadSdkBackend attach(Object dspreadPos) {
        return attach(dspreadPos, 0, false);
    }

    /**
     * As {@link #attach(Object)}, waiting at most {@code commandTimeoutMs} for each answer of the SDK
     * ({@code <= 0}: 30 s); {@code lenient} accepts blocks as real HSMs emit them outside X9.143.
     * Throws IllegalArgumentException if {@code dspreadPos} lacks the vendor's key-loading methods.
     */
    public static DspreadSdkBackend attach(Object dspreadPos, int commandTimeoutMs, boolean lenient) {
        return new DspreadSdkBackend(dspreadPos, commandTimeoutMs, lenient);
    }

    /**
     * The listener to install with the vendor's {@code initListener(listener)} or
     * {@code initListener(handler, listener)} in place of {@code appListener} (which must implement
     * the vendor's {@code QPOSService.QPOSServiceListener}, e.g. extend its {@code CQPOSService}):
     * every callback reaches {@code appListener} except the answers to keybridge's own commands.
     */
    public <L> L wrapListener(Object appListener) {
        return reader.wrap(appListener);
    }

    @Override
    public Result load(String keyBlock, int keyIndex, String ksn, String expectedKcv, int timeoutMs) {
        return load(keyBlock, keyIndex, ksn, null, expectedKcv, timeoutMs);
    }

    /** The key type and timeout go to the vendor's {@code updateKeyByTR_31} overloads that take them. */
    @Override
    public Result load(String keyBlock, int keyIndex, String ksn, QPOSService.TR31KeyType keyType, String expectedKcv,
            int timeoutMs) {
        try {
            reader.nextLoad(keyType, timeoutMs > 0 ? Math.max(1, timeoutMs / 1000) : 0);
            return loads.load(keyBlock, keyIndex, ksn, expectedKcv, timeoutMs);
        } finally {
            reader.giveUp();
        }
    }

    @Override
    public Result keyCheckValue(int keyIndex) {
        try {
            return loads.keyCheckValue(keyIndex);
        } finally {
            reader.giveUp();
        }
    }

    /** The vendor's {@code getQposId()} table ({@code posId}, {@code psamId}, …) as the SDK reports it. */
    @Override
    public Result deviceInfo() {
        return reader.qposId(timeoutMs);
    }

    /** The vendor's {@code onGetKeyCheckValue} table for {@code type}, as the SDK reports it. */
    Result checkValues(int keyIndex, QPOSService.CHECKVALUE_KEYTYPE type, int timeoutSecs, int len) {
        return reader.checkValues(keyIndex, type, timeoutSecs, len, timeoutMs);
    }

    /** Calls the vendor object's public method {@code method} with {@code args} (see {@link DspreadSdkReader#forward}). */
    Object forward(String method, Object... args) {
        return reader.forward(method, args);
    }

    /**
     * Provisioning through the app's SDK object: the POS id comes from its {@code getQposId()}, each
     * key goes through its {@code updateKeyByTR_31} and each KCV through its {@code getKeyCheckValue}.
     */
    @Override
    public ProvisionResult provision(KeyServiceSettings settings, ProvisionListener listener) {
        try {
            return loads.provision(settings, listener);
        } finally {
            reader.giveUp();
        }
    }

    /** Stops waiting for the SDK's answer to the call in progress (it fails). */
    @Override
    public void cancel() {
        loads.cancel();
    }

    /** Stops keybridge's use of the SDK object; its connection and the app's listener stay. */
    @Override
    public void close() {
        loads.close();
    }
}
