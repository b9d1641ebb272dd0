package io.keybridge.dspread;

/** What {@link QPOSServiceListener#onKeyLoadReport} receives after each call. */
public final class KeyLoadReport {
    /** Which {@link QPOSService} call this reports. */
    public enum Operation { SEND_TR31_KEY, UPDATE_KEY_BY_TR31, GET_KEY_CHECK_VALUE }

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

    /** The reader's KCV of the key index, upper-case hex; null on failure. */
    public String getReaderKcv() { return result.readerKcv; }

    /** Null on success. */
    public QPOSService.Error getError() { return result.error; }

    /** Why the call failed (names the field and position for a malformed block); null on success. */
    public String getMessage() { return result.message; }

    @Override
    public String toString() {
        return "KeyLoadReport{" + operation + ", keyIndex=" + keyIndex + ", success=" + result.success
                + (result.success ? ", readerKcv=" + result.readerKcv : ", error=" + result.error + ": " + result.message)
                + "}";
    }
}
