package io.keybridge.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.TestBlocks;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * {@link NativeKeyLoader#openStreams}: the stream pair of a connection the app opened itself, as a
 * {@code BluetoothSocket} or a USB serial library hands it out. Here a plain socket to the
 * simulator: its streams block without a timeout, as a Bluetooth socket's do.
 */
class StreamsTest {
    private static Socket connect(Simulator sim) throws Exception {
        String[] hostPort = sim.getAddress().split(":");
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 5_000);
        return socket;
    }

    @Test
    void loadsAKeyOverTheAppsOwnStreamsAndClosingClosesThem() throws Exception {
        try (Simulator sim = Simulator.tcp()) {
            Socket socket = connect(sim);
            try (NativeKeyLoader loader = NativeKeyLoader.openStreams(socket.getInputStream(), socket.getOutputStream(), 0, false)) {
                KeyLoadResult result = loader.sendTr31Key(TestBlocks.getPinBlock(), 8, null, null, 0);
                assertTrue(result.isKcvVerified(), result.toString());
                assertEquals(TestBlocks.getPinKeyKcv(), loader.keyCheckValue(8));
                assertEquals("3131313131313131", loader.deviceInfo().getPosId());
            }
            assertTrue(socket.isClosed() || socket.isInputShutdown(), "close() closes the app's streams");
        }
    }

    /** Answers that arrive byte by byte and late still make whole frames; a silent line times out. */
    @Test
    void slowAnswersAreWaitedForAndSilenceIsATimeout() throws Exception {
        try (Simulator sim = Simulator.tcp("--delay-ms", "400"); Socket socket = connect(sim);
                NativeKeyLoader loader = NativeKeyLoader.openStreams(socket.getInputStream(), socket.getOutputStream(), 2_000, false)) {
            assertEquals(TestBlocks.getPinKeyKcv(), loader.sendTr31Key(TestBlocks.getPinBlock()).getReaderKcv());
        }
        try (Simulator sim = Simulator.tcp("--drop", "100"); Socket socket = connect(sim);
                NativeKeyLoader loader = NativeKeyLoader.openStreams(socket.getInputStream(), socket.getOutputStream(), 200, false)) {
            ReaderException e = assertThrows(ReaderException.class, () -> loader.keyCheckValue(0));
            assertEquals("NO_RESPONSE", e.getDspreadError());
        }
    }

    /** The reader going away ends the stream: a typed error, not a hang. */
    @Test
    void aStreamThatEndsIsADisconnectAndBrokenStreamsAreTransportErrors() throws Exception {
        NativeKeyLoader loader;
        try (Simulator sim = Simulator.tcp()) {
            Socket socket = connect(sim);
            loader = NativeKeyLoader.openStreams(socket.getInputStream(), socket.getOutputStream(), 1_000, false);
            assertEquals("3131313131313131", loader.deviceInfo().getPosId());
        }
        // The simulator has stopped: its end of the socket is closed.
        ReaderException gone = assertThrows(ReaderException.class, loader::deviceInfo);
        assertTrue(gone.getDspreadError().equals("DEVICE_RESET") || gone.getDspreadError().equals("NO_RESPONSE"),
                gone.getDspreadError() + ": " + gone.getMessage());
        loader.close();

        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe (the Bluetooth link dropped)");
            }
        };
        InputStream silent = new InputStream() {
            @Override
            public int read() throws java.io.IOException {
                throw new java.io.IOException("closed");
            }
        };
        try (NativeKeyLoader dead = NativeKeyLoader.openStreams(silent, broken, 200, false)) {
            ReaderException e = assertThrows(ReaderException.class, () -> dead.keyCheckValue(0));
            assertEquals("NO_RESPONSE", e.getDspreadError());
            assertTrue(e.getMessage().contains("Broken pipe"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> NativeKeyLoader.openStreams(null, broken, 0, false));
    }
}
