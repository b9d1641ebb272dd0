package io.keybridge.jni;

/**
 * A reader that keybridge reaches through another SDK's commands instead of a byte stream: the
 * app's own, already connected vendor {@code QPOSService} ({@code io.keybridge.dspread.DspreadSdkReader}).
 * Give it to {@link NativeKeyLoader#openCommands}. keybridge validates each block, then calls
 * {@link #startLoad} and {@link #startKeyCheckValue} and waits for their outcomes through
 * {@link #awaitOutcome}, with the same rules as over a byte stream (a lost answer is settled by the
 * slot's KCV, never by loading again blindly).
 *
 * <p>Called on the thread of the {@link NativeKeyLoader} call; outcomes are reported in the order
 * the commands were started.
 */
public interface ReaderCommands {
    /**
     * Starts loading an ASCII key block into {@code keyIndex}, as the load frame keybridge wrote
     * says: {@code ksn} (hex) is the KSN frame's KSN, null when none follows; {@code keyType} the
     * vendor's {@code TR31KeyType} code its B0 carries (0–3), or -1 for none; {@code timeoutSecs}
     * the frame's TIMEOUT byte. The SDK call that sends those frames answers both the load and
     * its KSN frame.
     */
    void startLoad(int keyIndex, String keyBlock, String ksn, int keyType, int timeoutSecs) throws Exception;

    /**
     * Starts reading a check value of {@code keyIndex}: {@code checkValueType} is the vendor's
     * {@code CHECKVALUE_KEYTYPE} ordinal (0 MKSK_TMK … 11 DUKPT_PIN_KSN, 12 DUKPT_MKSK_ALLTYPE).
     * Answered by {@link ReaderOutcome#keyCheckValue} with the answer's DATA in hex: the value, or
     * for all types the 9 KCVs then the 3 KSNs in ordinal order.
     */
    void startKeyCheckValue(int keyIndex, int checkValueType) throws Exception;

    /**
     * Starts reading the reader's POS and PSAM ids (answered by {@link ReaderOutcome#deviceInfo}),
     * which provisioning from the key service needs first. Returns false when this SDK cannot:
     * keybridge then takes the command as one the reader does not support.
     */
    default boolean startDeviceInfo() throws Exception {
        return false;
    }

    /** The next outcome, waiting at most {@code timeoutMs}; null when none has arrived. */
    ReaderOutcome awaitOutcome(int timeoutMs) throws InterruptedException;

    /** The loader is closed: stop observing the SDK. The SDK's connection stays the app's. */
    void close();
}
