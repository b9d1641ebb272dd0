package io.keybridge.jni;

/** The reader refused, did not answer, or the connection failed. Thrown by the natives. */
public final class ReaderException extends KeyBridgeException {
    public ReaderException(String message, String dspreadError) {
        super(message, dspreadError);
    }
}
