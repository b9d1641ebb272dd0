package io.keybridge.jni;

/**
 * The key service refused a call, stayed unavailable, could not be reached, or a setting cannot
 * work. Keeps the service's stable error code ({@code token_revoked}, {@code unknown_device},
 * {@code aws_unavailable}, ...) and HTTP status. Never contains the token. Thrown by the natives.
 */
public final class KeyServiceException extends KeyBridgeException {
    /** What the caller does about it. */
    public enum Kind {
        /** A setting cannot work (bad URL, plain HTTP off loopback, unreadable PEM): fix it. */
        INVALID_CONFIG,
        /** The service refused the call: the same call will not succeed later. */
        REFUSED,
        /** The service, or AWS behind it, stayed unavailable through every attempt: retry later. */
        UNAVAILABLE,
        /** The service could not be reached (DNS, connection, TLS, timeout). */
        NETWORK,
        /** The service answered something keybridge cannot read. */
        PROTOCOL
    }

    private final Kind kind;
    private final int status;
    private final String code;
    private final long retryAfterMs;

    /** {@code kind} is a {@link Kind} name; {@code status} 0, {@code code} null and {@code retryAfterMs} -1 when absent. */
    public KeyServiceException(String kind, String message, int status, String code, long retryAfterMs) {
        super(message, null);
        this.kind = Kind.valueOf(kind);
        this.status = status;
        this.code = code;
        this.retryAfterMs = retryAfterMs;
    }

    public Kind getKind() { return kind; }

    /** The HTTP status of the service's answer; 0 when it did not answer. */
    public int getStatus() { return status; }

    /** The service's stable error code; null when it gave none. */
    public String getCode() { return code; }

    /** The service's {@code Retry-After} advice in ms; -1 when it gave none. */
    public long getRetryAfterMs() { return retryAfterMs; }
}
