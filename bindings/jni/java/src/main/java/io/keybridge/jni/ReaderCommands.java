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
    /** Starts loading an ASCII key block into {@code keyIndex}; {@code ksn} is null unless given. */
    void startLoad(int keyIndex, String keyBlock, String ksn) throws Exception;

    /** Starts reading the KCV of {@code keyIndex}. */
    void startKeyCheckValue(int keyIndex) throws Exception;

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
