package io.keybridge.dspread;

import java.util.List;
import java.util.Map;

/** What {@link QPOSService.QPOSServiceListener#onKeyLoadReport} receives after each call. */
public final class KeyLoadReport {
    /** Which {@link QPOSService} call this reports. */
    public enum Operation {
        SEND_TR31_KEY, UPDATE_KEY_BY_TR31, GET_KEY_CHECK_VALUE, GET_QPOS_ID, GET_QPOS_INFO,
        /** A connect or open method keybridge's own connection cannot serve. */
        CONNECT
    }

    private final Operation operation;
    private final int keyIndex;
    private final KeyLoaderBackend.Result result;

    KeyLoadReport(Operation operation, int keyIndex, KeyLoaderBackend.Result result) {
        this.operation = operation;
        this.keyIndex = keyIndex;
        this.result = result;
    }

    public Operation getOperation() { return operation; }

    public int getKeyIndex() { return keyIndex; }

    public boolean isSuccess() { return result.success; }

    /**
     * A failure that is the reader's verdict on the key: it refused the block, or the key it holds
     * does not have the KCV known for it. The listener heard the call's result {@code false}.
     */
    public boolean isRefused() { return result.refused; }

    /**
     * For a load: whether the reader's KCV was compared with a KCV known for the key (the block's
     * KC optional block, {@link QPOSService#setExpectedKcv}, AWS's or the key service's) and
     * matched. A successful load that is not verified is the reader's word only: exactly what the
     * vendor SDK's {@code true} means, no more.
     */
    public boolean isKcvVerified() {
        return result.success && result.kcvVerification != null && !KeyLoaderBackend.Result.UNVERIFIED.equals(result.kcvVerification);
    }

    /** MATCHED_KEY_BLOCK, MATCHED_EXPECTED or UNVERIFIED for a load; null otherwise. */
    public String getKcvVerification() { return result.kcvVerification; }

    /** The reader's KCV of the key index, upper-case hex; null on failure and for device info. */
    public String getReaderKcv() { return result.readerKcv; }

    /** The loaded block's TR-31 key usage (e.g. {@code P0}); null otherwise. */
    public String getKeyUsage() { return result.keyUsage; }

    /** Things to know although the key was loaded (e.g. wrapped under the factory KBPK). */
    public List<String> getWarnings() { return result.warnings; }

    /** For {@code getQposId}/{@code getQposInfo}: what the reader reported; for a check value read through the vendor SDK: its table. */
    public Map<String, String> getDeviceInfo() { return result.deviceInfo; }

    /** Null on success. */
    public QPOSService.Error getError() { return result.error; }

    /** Why the call failed (names the field and position for a malformed block); null on success. */
    public String getMessage() { return result.message; }

    @Override
    public String toString() {
        String outcome = result.success
                ? ", readerKcv=" + result.readerKcv + (result.kcvVerification == null ? "" : ", " + result.kcvVerification)
                : (result.refused ? ", refused" : "") + ", error=" + result.error + ": " + result.message;
        return "KeyLoadReport{" + operation + ", keyIndex=" + keyIndex + ", success=" + result.success + outcome + "}";
    }
}
