package io.keybridge.dspread;

import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.ProvisionListener;

/**
 * Key loading over the connection the app's Dspread SDK already has: one reader connection, owned
 * by the app's {@code com.dspread.xpos.QPOSService}, which keeps doing everything else (connecting,
 * trading, PIN entry). keybridge validates and normalizes each block (the AWS ASCII form, the load
 * policy), has the vendor object load it ({@code updateKeyByTR_31(index, block)}) and read the
 * slot's KCV ({@code getKeyCheckValue}), and compares that KCV with every KCV known for the key.
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
 * commands keybridge started while it waits for them. While keybridge loads a key, start no other
 * command on the vendor object.
 */
public final class DspreadSdkBackend implements KeyLoaderBackend {
    /** How long to wait for the SDK's answer when the caller gives no timeout (the loader's default). */
    private static final int DEFAULT_TIMEOUT_MS = 5_000;

    private final DspreadSdkReader reader;
    private final JniKeyLoaderBackend loads;
    private final int timeoutMs;

    private DspreadSdkBackend(DspreadSdkReader reader, int timeoutMs, boolean lenient) {
        this.reader = reader;
        this.timeoutMs = timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS;
        this.loads = new JniKeyLoaderBackend(NativeKeyLoader.openCommands(reader, this.timeoutMs, lenient));
    }

    /** Loads through {@code dspreadPos}, a connected {@code com.dspread.xpos.QPOSService}; default timeout, strict profile. */
    public static DspreadSdkBackend attach(Object dspreadPos) {
        return attach(dspreadPos, 0, false);
    }

    /**
     * As {@link #attach(Object)}, waiting at most {@code commandTimeoutMs} for each answer of the SDK
     * ({@code <= 0}: 5 s); {@code lenient} accepts blocks as real HSMs emit them outside X9.143.
     * Throws IllegalArgumentException if {@code dspreadPos} lacks the vendor's key-loading methods.
     */
    public static DspreadSdkBackend attach(Object dspreadPos, int commandTimeoutMs, boolean lenient) {
        return new DspreadSdkBackend(new DspreadSdkReader(dspreadPos), commandTimeoutMs, lenient);
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
        return loads.load(keyBlock, keyIndex, ksn, expectedKcv, timeoutMs);
    }

    @Override
    public Result keyCheckValue(int keyIndex) {
        return loads.keyCheckValue(keyIndex);
    }

    /** The vendor's {@code getQposId()} table ({@code posId}, {@code psamId}, …) as the SDK reports it. */
    @Override
    public Result deviceInfo() {
        return reader.qposId(timeoutMs);
    }

    /**
     * Provisioning through the app's SDK object: the POS id comes from its {@code getQposId()}, each
     * key goes through its {@code updateKeyByTR_31} and each KCV through its {@code getKeyCheckValue}.
     */
    @Override
    public ProvisionResult provision(KeyServiceSettings settings, ProvisionListener listener) {
        return loads.provision(settings, listener);
    }

    /** Stops keybridge's use of the SDK object; its connection and the app's listener stay. */
    @Override
    public void close() {
        loads.close();
    }
}
