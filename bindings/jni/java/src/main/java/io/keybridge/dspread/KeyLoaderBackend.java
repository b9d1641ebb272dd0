package io.keybridge.dspread;

/**
 * What {@link QPOSService} needs from a key loader. Two implementations share the one Java-facing
 * API: {@link JniKeyLoaderBackend} (the JNI library, no JNA) and the Kotlin
 * {@code io.keybridge.dspread.UniffiKeyLoaderBackend} (the uniffi bindings, which also accept a
 * Bluetooth/USB transport written in Kotlin). Calls block; failures are returned, never thrown.
 */
public interface KeyLoaderBackend extends AutoCloseable {
    /**
     * Loads an ASCII key block. {@code ksn} may be null; {@code timeoutMs <= 0} keeps the default.
     */
    Result load(String keyBlock, int keyIndex, String ksn, int timeoutMs);

    /** Reads the reader's KCV of a key index. */
    Result keyCheckValue(int keyIndex);

    /** Cancels any call in progress and releases the reader. Idempotent. */
    @Override
    void close();

    /** The outcome of one call: success with the reader's KCV, or a Dspread error and a reason. */
    final class Result {
        public final boolean success;
        /** Upper-case hex, or null when the call failed. */
        public final String readerKcv;
        /** Null on success. */
        public final QPOSService.Error error;
        /** Readable reason of a failure; null on success. */
        public final String message;

        private Result(boolean success, String readerKcv, QPOSService.Error error, String message) {
            this.success = success;
            this.readerKcv = readerKcv;
            this.error = error;
            this.message = message;
        }

        public static Result ok(String readerKcv) {
            return new Result(true, readerKcv, null, null);
        }

        /** {@code dspreadError} is a {@code QPOSService.Error} name; unknown names become UNKNOWN. */
        public static Result failed(String dspreadError, String message) {
            return new Result(false, null, QPOSService.Error.fromName(dspreadError), message);
        }
    }
}
