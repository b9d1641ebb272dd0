package io.keybridge.jni;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Loads TR-31 key blocks into a Dspread reader through keybridge's JNI natives (in
 * {@code libkeybridge_ffi}, see {@link NativeLibrary}), for Java code that cannot use the JNA-based
 * Kotlin bindings.
 *
 * <p>Four ways to reach the reader: TCP ({@link #openTcp}), a serial port on desktops
 * ({@link #openSerial}), the stream pair of a connection the app opened itself
 * ({@link #openStreams}: Bluetooth SPP, USB serial), or the app's own, connected Dspread SDK
 * object ({@link #openCommands} with {@code io.keybridge.dspread.DspreadSdkReader}).
 *
 * <p>Calls block the calling thread (no threads are started). One call at a time per reader;
 * {@link #cancel()} from another thread stops the call in progress; {@link #close()} cancels it,
 * waits for it to stop and frees the native loader. Malformed blocks and arguments throw
 * {@link IllegalArgumentException}; use after close throws {@link IllegalStateException};
 * reader and connection failures throw the checked {@link ReaderException}.
 */
public final class NativeKeyLoader implements AutoCloseable {
    static {
        NativeLibrary.load();
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

    /**
     * Opens a serial port (USB CDC-ACM, UART) at 115200 8N1. Desktop builds only: the Android and
     * iOS libraries have no serial ports and throw {@link IllegalStateException}.
     */
    public static NativeKeyLoader openSerial(String path, int commandTimeoutMs, boolean lenient) throws ReaderException {
        return new NativeKeyLoader(nativeOpenSerial(path, commandTimeoutMs, lenient));
    }

    /**
     * Talks to the reader over a connection the app opened: the streams of a
     * {@code BluetoothSocket} (SPP), a USB serial library or a {@code Socket}. A daemon thread
     * reads {@code in}; {@link #close()} closes both streams (and so the socket behind them).
     */
    public static NativeKeyLoader openStreams(InputStream in, OutputStream out, int commandTimeoutMs, boolean lenient) {
        StreamLink link = new StreamLink(in, out);
        return new NativeKeyLoader(nativeOpenStreams(link, commandTimeoutMs, lenient));
    }

    /**
     * Loads through another SDK that owns the reader connection (see {@link ReaderCommands}).
     * {@code commandTimeoutMs} bounds each wait for the SDK's answer.
     */
    public static NativeKeyLoader openCommands(ReaderCommands commands, int commandTimeoutMs, boolean lenient) {
        return new NativeKeyLoader(nativeOpenCommands(commands, commandTimeoutMs, lenient));
    }

    /** Loads the block (as AWS returns it) into key index 0 and verifies the reader's KCV. */
    public KeyLoadResult sendTr31Key(String keyBlock) throws ReaderException {
        return sendTr31Key(keyBlock, 0, null, null, 0);
    }

    /**
     * Loads the block into {@code keyIndex} (0–9) and compares the reader's KCV with every KCV
     * known for the key: the block's KC optional block and {@code expectedKcv} (hex, at least 3
     * bytes, may be null; a mismatch throws). {@code ksn} (hex, may be null) is for a B1 key whose
     * block has no KS optional block; {@code timeoutMs <= 0} keeps the loader's timeout.
     */
    public KeyLoadResult sendTr31Key(String keyBlock, int keyIndex, String ksn, String expectedKcv, int timeoutMs)
            throws ReaderException {
        return sendTr31Key(keyBlock, keyIndex, NO_KEY_TYPE, ksn, expectedKcv, timeoutMs);
    }

    /** {@code keyType} of a load that names none: B0 is the bare key index. */
    public static final int NO_KEY_TYPE = -1;

    /**
     * As {@link #sendTr31Key(String, int, String, String, int)}, loading the key as the vendor's
     * {@code TR31KeyType} with this code (0 NEW_KEY_ALL, 1 NEW_KEY_TMK, 2 NEW_KEY_PIN, 3
     * NEW_KEY_DATA; {@link #NO_KEY_TYPE} for none): the load's B0 is then the key index's digit
     * followed by the type's, as the vendor's {@code updateKeyByTR_31(keyIndex, block, keyType, timeout)}
     * sends it (so key index 0 takes no type but NEW_KEY_ALL).
     */
    public KeyLoadResult sendTr31Key(String keyBlock, int keyIndex, int keyType, String ksn, String expectedKcv, int timeoutMs)
            throws ReaderException {
        lock.readLock().lock();
        try {
            return nativeSend(handle, keyBlock, keyIndex, keyType, ksn, expectedKcv, timeoutMs);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The vendor's {@code sendTR31Key(String)}: {@code wireHex} is hex of the bytes to send (the
     * key block's ASCII, {@code 4430313132…} for {@code D0112…}), as the vendor SDK decodes its
     * argument; sent in 64-byte chunks (CMD 0x40/0x20) and closed with CMD 0x40/0x21, into key
     * index 0. The reader's KCV is then read and compared as for every load.
     */
    public KeyLoadResult sendTr31KeyChunked(String wireHex, String expectedKcv, int timeoutMs) throws ReaderException {
        lock.readLock().lock();
        try {
            return nativeSendChunked(handle, wireHex, expectedKcv, timeoutMs);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Loads a KEK by TR-34: {@code token} is the TR-34 key block as AWS Payment Cryptography's
     * {@code ExportKey} returns it (DER), {@code expectedKcv} the KEK's KCV as AWS reports it (hex,
     * at least 3 bytes). keybridge builds the vendor SDK's envelope, sends it as
     * {@code loadSessionKeyByTR_34} does and reads the KEK's check value: returns the reader's KCV
     * of the KEK (upper-case hex) only when it matches. A token that does not read throws
     * {@link IllegalArgumentException} (nothing sent); the reader's refusal a {@link ReaderException}
     * whose {@link ReaderException#isRefused()} is true.
     */
    public String loadKekTr34(byte[] token, String expectedKcv) throws ReaderException {
        lock.readLock().lock();
        try {
            return nativeLoadKekTr34(handle, token, expectedKcv);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** As {@link #loadKekTr34(byte[], String)}, the token in hex (AWS's {@code KeyMaterial}). */
    public String loadKekTr34(String tokenHex, String expectedKcv) throws ReaderException {
        return loadKekTr34(hexBytes(tokenHex, "the TR-34 token"), expectedKcv);
    }

    /**
     * The vendor's {@code loadSessionKeyByTR_34(hex)}: sends the bytes {@code envelopeHex} decodes to
     * (the SDK's TR-34 envelope) in 0x40/0x00 chunks, closed by 0x40/0x10, and returns the vendor's
     * {@code UpdateInformationResult} name for the reader's answer: {@code UPDATE_SUCCESS},
     * {@code UPDATE_FAIL}, {@code UPDATE_PACKET_VEFIRY_ERROR} or {@code UPDATE_PACKET_LEN_ERROR}. As
     * in the SDK this is the reader's word only; {@link #loadKekTr34} also proves the KEK by its KCV.
     */
    public String sendTr34Envelope(String envelopeHex) throws ReaderException {
        byte[] envelope = hexBytes(envelopeHex, "the TR-34 envelope");
        lock.readLock().lock();
        try {
            return nativeSendTr34Envelope(handle, envelope);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@code hex} decoded; IllegalArgumentException naming {@code what} and the position otherwise. */
    private static byte[] hexBytes(String hex, String what) {
        if (hex == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        String text = hex.trim();
        if (text.length() % 2 != 0) {
            throw new IllegalArgumentException(what + " has an odd number of hex digits (" + text.length() + ")");
        }
        byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < text.length(); i++) {
            int digit = Character.digit(text.charAt(i), 16);
            if (digit < 0) {
                throw new IllegalArgumentException(what + ": non-hex character at position " + i);
            }
            bytes[i / 2] |= (byte) (i % 2 == 0 ? digit << 4 : digit);
        }
        return bytes;
    }

    /** The reader's device information: POS id, PSAM id. */
    public DeviceInfo deviceInfo() throws ReaderException {
        lock.readLock().lock();
        try {
            return nativeDeviceInfo(handle);
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

    /**
     * The vendor's {@code getKeyCheckValue(keyIndex, type)}: CMD 0x23/0x20 with the type's ordinal
     * {@code checkValueType} (0 MKSK_TMK … 11 DUKPT_PIN_KSN, 12 DUKPT_MKSK_ALLTYPE), read as the
     * vendor SDK reads the answer into its {@code onGetKeyCheckValue} table: {@code <TYPE>_KCV}
     * (KSN types: {@code <TYPE>}) → upper-case hex, one row, or twelve for all types.
     */
    public java.util.Map<String, String> checkValues(int keyIndex, int checkValueType) throws ReaderException {
        String[] flat;
        lock.readLock().lock();
        try {
            flat = nativeCheckValues(handle, keyIndex, checkValueType);
        } finally {
            lock.readLock().unlock();
        }
        java.util.Map<String, String> table = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.length; i += 2) {
            table.put(flat[i], flat[i + 1]);
        }
        return table;
    }

    /**
     * Provisions the reader from the key service: reads its POS id, asks {@code service} for its
     * keys, loads each slot (policy and KCV checks as for every load, AWS's KCV as the expected one
     * where it is comparable) and reports every slot's outcome and reader KCV to the service.
     * Once keys have arrived the result holds every slot's outcome, and a report that could not be
     * delivered is {@link ProvisionReport#getReportFailure()}, never a changed load result.
     *
     * <p>Throws {@link KeyServiceException} when the service gave no keys (refused, unavailable,
     * unreachable: nothing was loaded), and {@link ReaderException} when the reader's POS id could
     * not be read or the call was cancelled before any key was loaded. {@link #cancel()} from
     * another thread lets the slot being loaded end, skips the rest and reports what was done.
     * {@code listener} may be null.
     */
    public ProvisionReport provision(NativeKeyService service, ProvisionListener listener)
            throws ReaderException, KeyServiceException {
        return provision(service, null, 0, listener);
    }

    /**
     * As {@link #provision(NativeKeyService, ProvisionListener)}. {@code idempotencyKey} (may be
     * null: a fresh one): give the same one again to retry a provisioning that ended before the
     * keys arrived, and the service answers with the same keys and KSNs. {@code timeoutMs <= 0}
     * keeps the loader's timeout for the loads.
     */
    public ProvisionReport provision(NativeKeyService service, String idempotencyKey, int timeoutMs, ProvisionListener listener)
            throws ReaderException, KeyServiceException {
        if (service == null) {
            throw new IllegalArgumentException("service must not be null");
        }
        lock.readLock().lock();
        service.lock.readLock().lock();
        try {
            if (service.handle == 0) {
                throw new IllegalStateException("the key service client is closed");
            }
            return nativeProvision(handle, service.handle, idempotencyKey, timeoutMs, listener);
        } finally {
            service.lock.readLock().unlock();
            lock.readLock().unlock();
        }
    }

    /**
     * Cancels the call in progress, if any: it fails with a ReaderException, except a
     * provisioning that has loaded a slot, which returns what it did ({@link ProvisionReport#isCancelled()}).
     */
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

    private static native long nativeOpenStreams(StreamLink link, int timeoutMs, boolean lenient);

    private static native long nativeOpenCommands(ReaderCommands commands, int timeoutMs, boolean lenient);

    private static native KeyLoadResult nativeSend(long handle, String block, int keyIndex, int keyType, String ksn,
            String expectedKcv, int timeoutMs) throws ReaderException;

    private static native KeyLoadResult nativeSendChunked(long handle, String wireHex, String expectedKcv, int timeoutMs)
            throws ReaderException;

    private static native String[] nativeCheckValues(long handle, int keyIndex, int checkValueType) throws ReaderException;

    private static native DeviceInfo nativeDeviceInfo(long handle) throws ReaderException;

    private static native String nativeLoadKekTr34(long handle, byte[] token, String expectedKcv) throws ReaderException;

    private static native String nativeSendTr34Envelope(long handle, byte[] envelope) throws ReaderException;

    private static native String nativeKeyCheckValue(long handle, int keyIndex) throws ReaderException;

    private static native ProvisionReport nativeProvision(long handle, long service, String idempotencyKey, int timeoutMs,
            ProvisionListener listener) throws ReaderException, KeyServiceException;

    private static native void nativeCancel(long handle);

    private static native void nativeClose(long handle);
}
