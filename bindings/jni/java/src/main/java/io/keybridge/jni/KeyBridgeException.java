package io.keybridge.jni;

/**
 * A checked failure talking to a reader ({@link ReaderException}) or to the key service
 * ({@link KeyServiceException}): the call was well-formed but did not succeed. Malformed input is
 * an {@link IllegalArgumentException} instead.
 */
public class KeyBridgeException extends Exception {
    private final String dspreadError;

    public KeyBridgeException(String message, String dspreadError) {
        super(message);
        this.dspreadError = dspreadError;
    }

    /** The Dspread {@code QPOSService.Error} name: TIMEOUT, NO_RESPONSE, DEVICE_BUSY, MAC_ERROR, ...; null for the key service. */
    public String getDspreadError() {
        return dspreadError;
    }
}
