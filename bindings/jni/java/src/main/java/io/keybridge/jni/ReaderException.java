package io.keybridge.jni;

/** The reader refused, did not answer, or the connection failed. Thrown by the natives. */
public final class ReaderException extends KeyBridgeException {
    private final boolean refused;

    public ReaderException(String message, String dspreadError) {
        this(message, dspreadError, false);
    }

    public ReaderException(String message, String dspreadError, boolean refused) {
        super(message, dspreadError);
        this.refused = refused;
    }

    /**
     * Whether this is the reader's verdict on the key rather than a failure to talk to it: the
     * reader answered the command with a failure result, or the key it holds does not have the
     * KCV known for it. The vendor SDK reports such an outcome as the call's result {@code false}.
     */
    public boolean isRefused() {
        return refused;
    }
}
