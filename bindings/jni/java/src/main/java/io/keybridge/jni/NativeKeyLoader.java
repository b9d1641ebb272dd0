package io.keybridge.jni;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Loads TR-31 key blocks into a Dspread reader through the keybridge JNI library
 * ({@code libkeybridge_jni}), for Java code that cannot use the JNA-based Kotlin bindings.
 *
 * <p>Calls block the calling thread (no threads are started). One call at a time per reader;
 * {@link #cancel()} from another thread stops the call in progress; {@link #close()} cancels it,
 * waits for it to stop and frees the native loader. Malformed blocks and arguments throw
 * {@link IllegalArgumentException}; use after close throws {@link IllegalStateException};
 * reader and connection failures throw the checked {@link ReaderException}.
 */
public final class NativeKeyLoader implements AutoCloseable {
    static {
        System.loadLibrary("keybridge_jni");
    }

    /** Native calls hold the read lock; close takes the write lock, so a handle is never freed in use. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;

    private NativeKeyLoader(long handle) {
        this.handle = handle;
    }

    /** Connects over TCP ({@code host:port}); {@code commandTimeoutMs <= 0} keeps the default (5 s). */
    public static NativeKeyLoader openTcp(String address, int commandTimeoutMs, boolean lenient) throws ReaderException {
        return new NativeKeyLoader(nativeOpenTcp(address, commandTimeoutMs, lenient));
    }

    public static NativeKeyLoader openTcp(String address) throws ReaderException {
        return openTcp(address, 0, false);
    }

    /** Opens a serial port (USB CDC-ACM, UART) at 115200 8N1. */
    public static NativeKeyLoader openSerial(String path, int commandTimeoutMs, boolean lenient) throws ReaderException {
        return new NativeKeyLoader(nativeOpenSerial(path, commandTimeoutMs, lenient));
    }

    /** Loads the block (as AWS returns it) into key index 0 and verifies the reader's KCV. */
    public KeyLoadResult sendTr31Key(String keyBlock) throws ReaderException {
        return sendTr31Key(keyBlock, 0, null, 0);
    }

    /**
     * Loads the block into {@code keyIndex} (0–9). {@code ksn} (hex, may be null) is for a B1 key
     * whose block has no KS optional block; {@code timeoutMs <= 0} keeps the loader's timeout.
     */
    public KeyLoadResult sendTr31Key(String keyBlock, int keyIndex, String ksn, int timeoutMs) throws ReaderException {
        lock.readLock().lock();
        try {
            return nativeSend(handle, keyBlock, keyIndex, ksn, timeoutMs);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The reader's KCV of a key index, upper-case hex. */
    public String keyCheckValue(int keyIndex) throws ReaderException {
        lock.readLock().lock();
        try {
            return nativeKeyCheckValue(handle, keyIndex);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Cancels the call in progress, if any; it fails with a ReaderException. */
    public void cancel() {
        lock.readLock().lock();
        try {
            if (handle != 0) {
                nativeCancel(handle);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Cancels any call in progress, waits for it and frees the native loader. Idempotent. */
    @Override
    public void close() {
        cancel();
        lock.writeLock().lock();
        try {
            long h = handle;
            handle = 0;
            nativeClose(h);
        } finally {
            lock.writeLock().unlock();
        }
    }

    public boolean isClosed() {
        lock.readLock().lock();
        try {
            return handle == 0;
        } finally {
            lock.readLock().unlock();
        }
    }

    private static native long nativeOpenTcp(String address, int timeoutMs, boolean lenient) throws ReaderException;

    private static native long nativeOpenSerial(String path, int timeoutMs, boolean lenient) throws ReaderException;

    private static native KeyLoadResult nativeSend(long handle, String block, int keyIndex, String ksn, int timeoutMs)
            throws ReaderException;

    private static native String nativeKeyCheckValue(long handle, int keyIndex) throws ReaderException;

    private static native void nativeCancel(long handle);

    private static native void nativeClose(long handle);
}
