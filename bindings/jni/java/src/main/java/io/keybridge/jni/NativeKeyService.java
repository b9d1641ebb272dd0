package io.keybridge.jni;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A client of the key service ({@code keybridge serve}) in the native library: what
 * {@link NativeKeyLoader#provision} asks for the reader's keys and tells what the reader did. It
 * holds a bearer token, never AWS credentials. Share one between the readers of a station;
 * {@link #close()} frees it (and forgets the token) once no provisioning uses it.
 */
public final class NativeKeyService implements AutoCloseable {
    static {
        NativeLibrary.load();
    }

    /** Provisioning holds the read lock; close takes the write lock, so a handle is never freed in use. */
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    long handle;

    private NativeKeyService(long handle) {
        this.handle = handle;
    }

    /**
     * Checks the settings and builds the HTTPS client; no call is made yet. Throws
     * {@link KeyServiceException} of kind INVALID_CONFIG naming the setting that cannot work.
     */
    public static NativeKeyService open(KeyServiceSettings settings) throws KeyServiceException {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
        return new NativeKeyService(nativeOpen(settings.getBaseUrl(), settings.getToken(), settings.getRootCertificatesPem(),
                settings.getClientIdentityPem(), settings.getConnectTimeoutMs(), settings.getRequestTimeoutMs(),
                settings.getMaxAttempts(), settings.isAllowInsecureHttp()));
    }

    /** Waits for provisionings using this client to end, then frees it. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            long h = handle;
            handle = 0;
            nativeClose(h);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static native long nativeOpen(String baseUrl, String token, byte[] rootCertificatesPem, byte[] clientIdentityPem,
            int connectTimeoutMs, int requestTimeoutMs, int maxAttempts, boolean allowInsecureHttp) throws KeyServiceException;

    private static native void nativeClose(long handle);
}
