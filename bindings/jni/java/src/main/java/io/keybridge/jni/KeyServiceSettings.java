package io.keybridge.jni;

/**
 * How to reach the key service ({@code keybridge serve}): its URL and the bearer token it issued for
 * this reader, or an operator's for its group. Optional settings keep keybridge's defaults when
 * left alone: 5 s to connect, 60 s per call, 4 attempts, the platform's root CAs. {@link #toString()}
 * never shows the token or the client key.
 *
 * <p>On Android, native code cannot read the platform's trust store: give the roots with
 * {@link #withRootCertificatesPem} (the system roots as PEM, or the service's own CA).
 */
public final class KeyServiceSettings {
    private final String baseUrl;
    private final String token;
    private byte[] rootCertificatesPem;
    private byte[] clientIdentityPem;
    private int connectTimeoutMs;
    private int requestTimeoutMs;
    private int maxAttempts;
    private boolean allowInsecureHttp;

    /**
     * {@code baseUrl}: {@code https://keys.example.com} (plain {@code http://} only to a loopback
     * address); {@code token}: the service's bearer token. Both are checked when the client opens.
     */
    public KeyServiceSettings(String baseUrl, String token) {
        if (baseUrl == null || token == null) {
            throw new IllegalArgumentException("the key service URL and token must not be null");
        }
        this.baseUrl = baseUrl;
        this.token = token;
    }

    /** PEM root CAs to trust instead of the platform's. */
    public KeyServiceSettings withRootCertificatesPem(byte[] pem) {
        rootCertificatesPem = pem == null ? null : pem.clone();
        return this;
    }

    /** PEM certificate chain and private key for mutual TLS. */
    public KeyServiceSettings withClientIdentityPem(byte[] pem) {
        clientIdentityPem = pem == null ? null : pem.clone();
        return this;
    }

    /** Connecting, TLS included; {@code <= 0} keeps the default. */
    public KeyServiceSettings withConnectTimeoutMs(int ms) {
        connectTimeoutMs = ms;
        return this;
    }

    /** One attempt of one call; {@code <= 0} keeps the default. */
    public KeyServiceSettings withRequestTimeoutMs(int ms) {
        requestTimeoutMs = ms;
        return this;
    }

    /** Attempts per call, the first included; {@code <= 0} keeps the default. */
    public KeyServiceSettings withMaxAttempts(int attempts) {
        maxAttempts = attempts;
        return this;
    }

    /** Plain {@code http://} to a host that is not loopback (a TLS-terminating proxy on the same machine only). */
    public KeyServiceSettings withAllowInsecureHttp(boolean allow) {
        allowInsecureHttp = allow;
        return this;
    }

    public String getBaseUrl() { return baseUrl; }

    public String getToken() { return token; }

    public byte[] getRootCertificatesPem() { return rootCertificatesPem == null ? null : rootCertificatesPem.clone(); }

    public byte[] getClientIdentityPem() { return clientIdentityPem == null ? null : clientIdentityPem.clone(); }

    public int getConnectTimeoutMs() { return connectTimeoutMs; }

    public int getRequestTimeoutMs() { return requestTimeoutMs; }

    public int getMaxAttempts() { return maxAttempts; }

    public boolean isAllowInsecureHttp() { return allowInsecureHttp; }

    @Override
    public String toString() {
        return "KeyServiceSettings{baseUrl=" + baseUrl + ", token=[REDACTED]"
                + (rootCertificatesPem == null ? "" : ", rootCertificatesPem=" + rootCertificatesPem.length + " bytes")
                + (clientIdentityPem == null ? "" : ", clientIdentityPem=[REDACTED]") + "}";
    }
}
