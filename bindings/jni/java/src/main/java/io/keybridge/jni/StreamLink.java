package io.keybridge.jni;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reader's byte stream as blocking Java streams hand it out ({@code BluetoothSocket},
 * USB serial libraries, {@code Socket}), for {@link NativeKeyLoader#openStreams}. An
 * {@code InputStream} read cannot time out, so a daemon thread pumps the input into a buffer and
 * the native layer takes from it, waiting at most its read slice. The native layer calls
 * {@link #read}, {@link #write} and {@link #close}.
 */
final class StreamLink {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final InputStream in;
    private final OutputStream out;
    private final Object lock = new Object();
    private byte[] buffer = new byte[0];
    private boolean ended;

    StreamLink(InputStream in, OutputStream out) {
        if (in == null || out == null) {
            throw new IllegalArgumentException("both streams are needed, got " + (in == null ? "no input" : "no output"));
        }
        this.in = in;
        this.out = out;
        Thread pump = new Thread(this::pump, "keybridge-stream-" + THREADS.incrementAndGet());
        pump.setDaemon(true);
        pump.start();
    }

    private void pump() {
        byte[] chunk = new byte[512];
        try {
            int n;
            while ((n = in.read(chunk)) >= 0) {
                synchronized (lock) {
                    byte[] grown = Arrays.copyOf(buffer, buffer.length + n);
                    System.arraycopy(chunk, 0, grown, buffer.length, n);
                    buffer = grown;
                    lock.notifyAll();
                }
            }
        } catch (IOException closed) {
            // A closed socket ends the pump like end of stream does.
        } finally {
            synchronized (lock) {
                ended = true;
                lock.notifyAll();
            }
        }
    }

    /** Up to {@code maxLen} bytes; empty when none arrived within {@code timeoutMs}; null once the stream ended. */
    byte[] read(int maxLen, int timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (lock) {
            while (buffer.length == 0 && !ended) {
                long waitMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (waitMs <= 0) {
                    return new byte[0];
                }
                lock.wait(waitMs);
            }
            if (buffer.length == 0) {
                return null;
            }
            int n = Math.min(maxLen, buffer.length);
            byte[] taken = Arrays.copyOf(buffer, n);
            buffer = Arrays.copyOfRange(buffer, n, buffer.length);
            return taken;
        }
    }

    void write(byte[] data) throws IOException {
        out.write(data);
        out.flush();
    }

    /** Closes both streams, which ends the pump. */
    void close() {
        closeQuietly(in);
        closeQuietly(out);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Already closed or broken: either way it is gone.
        }
    }
}
