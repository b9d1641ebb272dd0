package io.keybridge.dspread;

import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.ProvisionListener;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What {@link QPOSService} needs from a key loader. Implementations: {@link JniKeyLoaderBackend}
 * (the JNI natives, no JNA: TCP, serial, an app's stream pair), {@link DspreadSdkBackend} (the
 * app's own, connected Dspread SDK object) and the Kotlin {@code UniffiKeyLoaderBackend} (the uniffi
 * bindings, with a {@code ReaderTransport} written in Kotlin). Calls block; failures are returned,
 * never thrown.
 */
public interface KeyLoaderBackend extends AutoCloseable {
    /**
     * Loads an ASCII key block and compares the reader's KCV with every KCV known for the key (the
     * block's KC optional block, {@code expectedKcv}). {@code ksn} and {@code expectedKcv} (hex)
     * may be null; {@code timeoutMs <= 0} keeps the default.
     */
    Result load(String keyBlock, int keyIndex, String ksn, String expectedKcv, int timeoutMs);

    /**
     * As {@link #load(String, int, String, String, int)}, with the vendor's key type (may be null).
     * Backends that cannot pass it on ignore it: the block's header says what the key is.
     */
    default Result load(String keyBlock, int keyIndex, String ksn, QPOSService.TR31KeyType keyType, String expectedKcv,
            int timeoutMs) {
        return load(keyBlock, keyIndex, ksn, expectedKcv, timeoutMs);
    }

    /** Reads the reader's KCV of a key index. */
    Result keyCheckValue(int keyIndex);

    /** The reader's identity: at least {@code posId} and {@code psamId}. */
    Result deviceInfo();

    /**
     * Provisions the reader from the key service at {@code settings} (see
     * {@code NativeKeyLoader.provision}), telling {@code listener} (may be null) of each slot.
     */
    ProvisionResult provision(KeyServiceSettings settings, ProvisionListener listener);

    /**
     * Cancels the call in progress, if any (it fails); the reader stays usable. Backends that
     * cannot cancel do nothing.
     */
    default void cancel() {}

    /** Cancels any call in progress and releases the reader. Idempotent. */
    @Override
    void close();

    /**
     * The outcome of one call: success with what the reader said, the reader's refusal (it
     * answered with a failure, or the key it holds is not the one known), or a Dspread error and
     * a reason.
     */
    final class Result {
        /** {@link #kcvVerification} of a load no known KCV confirmed: the reader's word only. */
        public static final String UNVERIFIED = "UNVERIFIED";

        public final boolean success;
        /** The reader's KCV, upper-case hex (loads and KCV reads); null otherwise. */
        public final String readerKcv;
        /** Loads: MATCHED_KEY_BLOCK, MATCHED_EXPECTED or {@link #UNVERIFIED}; null otherwise. */
        public final String kcvVerification;
        /** Loads: the block's TR-31 key usage, e.g. {@code P0}; null otherwise. */
        public final String keyUsage;
        /** Loads: what to know although the key was loaded (e.g. the factory KBPK). */
        public final List<String> warnings;
        /**
         * Device info: {@code posId}, {@code psamId} and whatever else the reader reports; a check
         * value read through the vendor SDK: its {@code onGetKeyCheckValue} table.
         */
        public final Map<String, String> deviceInfo;
        /**
         * A failure that is the reader's verdict on the key (it refused it, or holds another): the
         * vendor reports it as the call's result {@code false}, not as {@code onError}.
         */
        public final boolean refused;
        /** Null on success. */
        public final QPOSService.Error error;
        /** Readable reason of a failure; null on success. */
        public final String message;

        private Result(boolean success, String readerKcv, String kcvVerification, String keyUsage, List<String> warnings,
                Map<String, String> deviceInfo, boolean refused, QPOSService.Error error, String message) {
            this.success = success;
            this.refused = refused;
            this.readerKcv = readerKcv;
            this.kcvVerification = kcvVerification;
            this.keyUsage = keyUsage;
            this.warnings = warnings == null ? Collections.<String>emptyList() : Collections.unmodifiableList(warnings);
            this.deviceInfo = deviceInfo == null ? Collections.<String, String>emptyMap() : Collections.unmodifiableMap(deviceInfo);
            this.error = error;
            this.message = message;
        }

        public static Result loaded(String readerKcv, String kcvVerification, String keyUsage, List<String> warnings) {
            return new Result(true, readerKcv, kcvVerification, keyUsage, warnings, null, false, null, null);
        }

        public static Result keyCheckValue(String readerKcv) {
            return new Result(true, readerKcv, null, null, null, null, false, null, null);
        }

        public static Result deviceInfo(Map<String, String> info) {
            return new Result(true, null, null, null, null, info, false, null, null);
        }

        /** The vendor SDK's check value table ({@code <TYPE>_KCV} → hex), kept as {@link #deviceInfo}. */
        public static Result checkValueTable(Map<String, String> table) {
            return new Result(true, null, null, null, null, table, false, null, null);
        }

        /** {@code dspreadError} is a {@code QPOSService.Error} name; unknown names become UNKNOWN. */
        public static Result failed(String dspreadError, String message) {
            return new Result(false, null, null, null, null, null, false, QPOSService.Error.fromName(dspreadError), message);
        }

        /** The reader's verdict against the key (see {@link #refused}), with the nearest Dspread error name. */
        public static Result refused(String dspreadError, String message) {
            return new Result(false, null, null, null, null, null, true, QPOSService.Error.fromName(dspreadError), message);
        }
    }
}
