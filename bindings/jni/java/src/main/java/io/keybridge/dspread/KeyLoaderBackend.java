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
    default Result load(String keyBlock, int keyIndex, String ksn, String expectedKcv, int timeoutMs) {
        return load(keyBlock, keyIndex, ksn, null, expectedKcv, timeoutMs);
    }

    /**
     * As {@link #load(String, int, String, String, int)}, as the vendor's key type (null: none),
     * which the load's B0 carries as the vendor SDK sends it.
     */
    Result load(String keyBlock, int keyIndex, String ksn, QPOSService.TR31KeyType keyType, String expectedKcv, int timeoutMs);

    /**
     * The vendor's {@code sendTR31Key(String)}: {@code wireHex} is hex of the key block's ASCII,
     * sent in chunks into key index 0, then its KCV compared as for {@link #load}. Backends that
     * cannot send the chunked frames (the app's own SDK object, whose only load call is
     * {@code updateKeyByTR_31}) load the same block with the direct load into key index 0.
     */
    default Result sendChunked(String wireHex, String expectedKcv, int timeoutMs) {
        String block;
        try {
            block = QPOSService.asciiKeyBlock(wireHex);
        } catch (IllegalArgumentException e) {
            return Result.failed(QPOSService.Error.INPUT_INVALID.name(), e.getMessage());
        }
        return load(block, 0, null, null, expectedKcv, timeoutMs);
    }

    /**
     * The vendor's {@code getKeyCheckValue(keyIndex, type[, timeoutSecs, len])}: its
     * {@code onGetKeyCheckValue} table ({@link Result#checkValueTable}). Backends that cannot read
     * it by type report CMD_NOT_AVAILABLE.
     */
    default Result checkValues(int keyIndex, QPOSService.CHECKVALUE_KEYTYPE type, int timeoutSecs, int len) {
        return Result.failed(QPOSService.Error.CMD_NOT_AVAILABLE.name(), "this backend does not read check values by type");
    }

    /**
     * The vendor's {@code loadSessionKeyByTR_34(hex)}: the SDK's TR-34 envelope, sent as the SDK
     * sends it; the reader's answer as {@link Result#updateResult} (success for UPDATE_SUCCESS,
     * the reader's refusal for the others). Backends that cannot send it report CMD_NOT_AVAILABLE.
     */
    default Result loadSessionKeyByTr34(String envelopeHex) {
        return Result.failed(QPOSService.Error.CMD_NOT_AVAILABLE.name(), "this backend does not send TR-34 envelopes");
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
        /** TR-34 envelopes: the vendor's {@code UpdateInformationResult} name of the reader's answer; null otherwise. */
        public final String updateResult;

        private Result(boolean success, String readerKcv, String kcvVerification, String keyUsage, List<String> warnings,
                Map<String, String> deviceInfo, boolean refused, QPOSService.Error error, String message) {
            this(success, readerKcv, kcvVerification, keyUsage, warnings, deviceInfo, refused, error, message, null);
        }

        private Result(boolean success, String readerKcv, String kcvVerification, String keyUsage, List<String> warnings,
                Map<String, String> deviceInfo, boolean refused, QPOSService.Error error, String message, String updateResult) {
            this.updateResult = updateResult;
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

        /**
         * The reader's answer to a TR-34 envelope: {@code UPDATE_SUCCESS} is success, any other
         * {@code UpdateInformationResult} name the reader's refusal.
         */
        public static Result updateResult(String name) {
            boolean success = QPOSService.UpdateInformationResult.UPDATE_SUCCESS.name().equals(name);
            return new Result(success, null, null, null, null, null, !success, success ? null : QPOSService.Error.UNKNOWN,
                    success ? null : "the reader refused the TR-34 envelope: " + name, name);
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
