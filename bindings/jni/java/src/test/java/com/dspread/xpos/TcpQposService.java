package com.dspread.xpos;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stand-in SDK's hidden implementation, following NOTES-dspread-sdk.md (the vendor SDK 8.5.4's
 * bytecode): each API call is queued on the SDK's worker thread and answered by one callback there.
 * Frames {@code 4D | LEN(2) | TYPE | CMD | SUB | TIMEOUT | DATA_LEN(2) | DATA | XOR}, commands TYPE
 * 0x21; an answer TYPE 0x23 means "still working": the SDK polls with TYPE 0x22 and waits on; no
 * answer in time is {@code onError(NO_RESPONSE)}, TIMEOUT only for a 0x25 answer.
 */
final class TcpQposService extends QPOSService {
    /** The SDK's margin on top of each command's timeout ({@code Vpos.j}); its value is not in the notes. */
    private static final int MARGIN_SECS = 1;
    private static final int TYPE_COMMAND = 0x21;
    private static final int TYPE_POLL = 0x22;
    /** The 9 KCV types, then the 3 KSN types, in the order an all-types answer holds them. */
    private static final CHECKVALUE_KEYTYPE[] ALL_TYPES = Arrays.copyOf(CHECKVALUE_KEYTYPE.values(), 12);

    private final ExecutorService sdkThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dspread-sdk");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger framesSent = new AtomicInteger();
    private final List<String> otherCalls = Collections.synchronizedList(new ArrayList<>());
    private volatile QPOSServiceListener listener;
    private volatile Socket socket;
    private volatile boolean hung;
    private volatile int answerDelayMs;
    /** The SDK's shared timeout field {@code w}: 5 s at first. */
    private volatile int loadTimeoutSecs = 5;
    /** The key type of the last 4-argument load ({@code v0}), which the 2-argument load reuses. */
    private volatile TR31KeyType keyType;
    /** Bytes per KCV of a check value read ({@code M0}): 3, and 10 for good once a KSN type was read. */
    private volatile int kcvLen = 3;

    @Override
    public void initListener(QPOSServiceListener listener) {
        this.listener = listener;
    }

    @Override
    public void connectTcp(String address) {
        sdkThread.execute(() -> {
            String[] hostPort = address.split(":");
            try {
                socket = new Socket();
                socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 2_000);
                listener.onRequestQposConnected();
            } catch (IOException e) {
                listener.onError(Error.NO_RESPONSE);
            }
        });
    }

    @Override
    public boolean connectBluetoothDevice(boolean autoConnect, int time, String address) {
        otherCalls.add("connectBluetoothDevice:" + address);
        return true;
    }

    @Override
    public void disconnectBT() {
        otherCalls.add("disconnectBT");
        sdkThread.execute(() -> {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
            listener.onRequestQposDisconnected();
        });
        sdkThread.shutdown();
    }

    @Override
    public boolean resetPosStatus() {
        otherCalls.add("resetPosStatus");
        return true;
    }

    @Override
    public void cancelTrade() {
        otherCalls.add("cancelTrade");
    }

    /** Not in the notes (not traced): keybridge's device information command. */
    @Override
    public void getQposId() {
        sdkThread.execute(() -> {
            Answer answer = command(0x10, 0x00, 5, new byte[0], 5);
            if (answer != null) {
                Hashtable<String, String> table = new Hashtable<>();
                int posLen = answer.data[0];
                table.put("posId", hex(answer.data, 1, posLen));
                table.put("psamId", hex(answer.data, 2 + posLen, answer.data[1 + posLen]));
                answer(() -> listener.onQposIdResult(table));
            }
        });
    }

    @Override
    public void updateKeyByTR_31(int keyIndex, String keyBlock) {
        load(keyIndex, keyBlock, keyType, loadTimeoutSecs);
    }

    @Override
    public void updateKeyByTR_31(int keyIndex, String keyBlock, TR31KeyType keyType, int timeout) {
        this.keyType = keyType;
        this.loadTimeoutSecs = timeout;
        load(keyIndex, keyBlock, keyType, timeout);
    }

    @Override
    public void updateKeyByTR_31(int keyIndex, String ksn, String keyBlock) {
        loadWithKsn(keyIndex, ksn, keyBlock, null);
    }

    @Override
    public void updateKeyByTR_31(int keyIndex, String ksn, String keyBlock, TR31KeyType keyType) {
        loadWithKsn(keyIndex, ksn, keyBlock, keyType);
    }

    private void load(int keyIndex, String keyBlock, TR31KeyType type, int timeoutSecs) {
        if (keyBlock == null || keyBlock.isEmpty() || keyIndex < 0 || keyIndex > 9) {
            sdkThread.execute(() -> listener.onError(Error.INPUT_INVALID));
            return;
        }
        requireConnected(keyBlock);
        sdkThread.execute(() -> {
            Answer answer = command(0x10, 0xF5, timeoutSecs, loadData(keyIndex, type, keyBlock), timeoutSecs);
            if (answer != null) {
                answer(() -> listener.onReturnUpdateKeyByTR_31Result(answer.result == 0));
            }
        });
    }

    private void loadWithKsn(int keyIndex, String ksn, String keyBlock, TR31KeyType type) {
        if (ksn == null || (ksn.length() != 20 && ksn.length() != 24) || keyBlock == null || keyBlock.isEmpty()
                || keyIndex < 0 || keyIndex > 9) {
            sdkThread.execute(() -> listener.onError(Error.INPUT_INVALID));
            return;
        }
        requireConnected(keyBlock);
        sdkThread.execute(() -> {
            Answer loaded = command(0x10, 0xF5, 10, loadData(keyIndex, type, keyBlock), 10);
            if (loaded == null) {
                return;
            }
            if (loaded.result != 0) {
                answer(() -> listener.onReturnUpdateKeyByTR_31Result(false));
                return;
            }
            String prefix = type == TR31KeyType.NEW_KEY_DATA ? "00000003" : type == TR31KeyType.NEW_KEY_PIN ? "00000004" : "00000007";
            String length = String.format("%02X", ksn.length() / 2);
            byte[] data = unhex(prefix + length + ksn + length + ksn + length + ksn);
            Answer ksnStored = command(0x11, 0x60, 10, data, 10);
            if (ksnStored != null) {
                answer(() -> listener.onReturnUpdateKeyByTR_31Result(ksnStored.result == 0));
            }
        });
    }

    /** B0 ‖ LEN(2, BE) ‖ the ASCII block; B0 is the index, or its digits followed by the key type's code. */
    private static byte[] loadData(int keyIndex, TR31KeyType type, String keyBlock) {
        byte[] block = keyBlock.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(type == null ? keyIndex : Integer.parseInt("" + keyIndex + type.ordinal()));
        data.write(block.length >> 8);
        data.write(block.length);
        data.writeBytes(block);
        return data.toByteArray();
    }

    @Override
    public void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE keyType) {
        if (keyIndex < 0 || keyIndex > 9) {
            sdkThread.execute(() -> listener.onError(Error.INPUT_INVALID));
            return;
        }
        if (keyType == CHECKVALUE_KEYTYPE.DUKPT_TRK_KSN || keyType == CHECKVALUE_KEYTYPE.DUKPT_EMV_KSN
                || keyType == CHECKVALUE_KEYTYPE.DUKPT_PIN_KSN) {
            kcvLen = 10;
        }
        getKeyCheckValue(keyIndex, keyType, 5, kcvLen);
    }

    @Override
    public void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE keyType, int timeout, int len) {
        int code = keyType == CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE ? 0xFF : keyType.ordinal();
        sdkThread.execute(() -> {
            Answer answer = command(0x23, 0x20, timeout, new byte[] {0, 0, (byte) keyIndex, (byte) code, (byte) len}, 5);
            if (answer == null) {
                return;
            }
            // No RESULT check, as the SDK: whatever DATA came is the value.
            String data = hex(answer.data, 0, answer.data.length);
            Hashtable<String, String> table = new Hashtable<>();
            if (keyType != CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE) {
                table.put(keyType.name() + (keyType.name().endsWith("_KSN") ? "" : "_KCV"), data);
            } else {
                int at = 0;
                for (int i = 0; i < 9 && at + 2 * len <= data.length(); i++, at += 2 * len) {
                    table.put(ALL_TYPES[i].name() + "_KCV", data.substring(at, at + 2 * len));
                }
                int ksnHex = data.length() - at == 72 ? 24 : data.length() - at == 60 ? 20 : 0;
                for (int i = 9; i < 12 && ksnHex > 0; i++, at += ksnHex) {
                    table.put(ALL_TYPES[i].name(), data.substring(at, at + ksnHex));
                }
            }
            answer(() -> listener.onGetKeyCheckValue(table));
        });
    }

    @Override
    public void sendTR31Key(String hex) {
        sdkThread.execute(() -> {
            byte[] bytes = unhex(hex);
            for (int pos = 0; pos < bytes.length; pos += 64) {
                int n = Math.min(64, bytes.length - pos);
                byte[] chunk = new byte[2 + n];
                chunk[0] = (byte) ((pos / 16) >> 8);
                chunk[1] = (byte) (pos / 16);
                System.arraycopy(bytes, pos, chunk, 2, n);
                if (command(0x40, 0x20, 60, chunk, 60) == null) {
                    return;
                }
            }
            Answer closed = command(0x40, 0x21, 60, new byte[0], 60);
            if (closed != null) {
                answer(() -> listener.onRequestSendTR31KeyResult(closed.result == 0));
            }
        });
    }

    @Override
    public int framesSent() {
        return framesSent.get();
    }

    @Override
    public List<String> otherCalls() {
        return new ArrayList<>(otherCalls);
    }

    @Override
    public void hang(boolean hung) {
        this.hung = hung;
    }

    @Override
    public void delayAnswers(int ms) {
        this.answerDelayMs = ms;
    }

    /** As careless SDKs do: the argument in the message. */
    private void requireConnected(String keyBlock) {
        if (socket == null) {
            throw new IllegalStateException("not connected, cannot send " + keyBlock);
        }
    }

    /** Runs an answering callback on this thread, after the test's delay. */
    private void answer(Runnable callback) {
        try {
            Thread.sleep(answerDelayMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        callback.run();
    }

    private static final class Answer {
        int type;
        int result;
        byte[] data = new byte[0];
    }

    /**
     * Sends one command and waits {@code waitSecs} (plus the margin) for its answer, polling while
     * the reader says it is still working. Null when the SDK reported onError (or is hung).
     */
    private Answer command(int cmd, int sub, int timeoutSecs, byte[] data, int waitSecs) {
        if (hung) {
            return null;
        }
        try {
            send(TYPE_COMMAND, cmd, sub, timeoutSecs, data);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSecs + MARGIN_SECS);
            while (true) {
                Answer answer = receive(deadline);
                if (answer == null) {
                    answer(() -> listener.onError(Error.NO_RESPONSE));
                    return null;
                }
                if (answer.type == 0x23 || answer.type == 0x54) {
                    send(TYPE_POLL, 0, 0, 0x0F, new byte[0]);
                    continue;
                }
                Error error = error(answer.type);
                if (error == null) {
                    return answer;
                }
                answer(() -> listener.onError(error));
                return null;
            }
        } catch (IOException e) {
            answer(() -> listener.onError(Error.NO_RESPONSE));
            return null;
        }
    }

    /** The SDK's checkCmdId: null for the OK types, else the error it reports. */
    private static Error error(int type) {
        switch (type) {
            case 0x24: case 0x88: case 0x43: case 0x53: case 0x49: case 0x89: case 0x66: case 0x69: case 0x71:
                return null;
            case 0x25:
                return Error.TIMEOUT;
            case 0x26:
                return Error.DEVICE_ERROR;
            case 0x35: case 0x00:
                return Error.CMD_NOT_AVAILABLE;
            case 0x29: case 0x67:
                return Error.MAC_ERROR;
            case 0x2A:
                return Error.DEVICE_IN_BOOT_STATE;
            case 0x40:
                return Error.NO_UPDATE_WORK_KEY;
            case 0x60:
                return Error.TRANS_TOKEN_INVALID;
            default:
                // Includes 0x28/0x20/0x34/0x33, which the notes trace only inside a trade.
                return Error.UNKNOWN;
        }
    }

    private void send(int type, int cmd, int sub, int timeoutSecs, byte[] data) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        int len = 6 + data.length;
        frame.write(0x4D);
        frame.write(len >> 8);
        frame.write(len);
        frame.write(type);
        frame.write(cmd);
        frame.write(sub);
        frame.write(timeoutSecs);
        frame.write(data.length >> 8);
        frame.write(data.length);
        frame.writeBytes(data);
        byte xor = 0;
        for (byte b : frame.toByteArray()) {
            xor ^= b;
        }
        frame.write(xor);
        OutputStream out = socket.getOutputStream();
        out.write(frame.toByteArray());
        out.flush();
        framesSent.incrementAndGet();
    }

    /** The next well-formed frame before {@code deadline}; frames with a bad XOR are dropped. Null when none came. */
    private Answer receive(long deadline) throws IOException {
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return null;
            }
            socket.setSoTimeout((int) Math.max(1, left));
            try {
                InputStream raw = socket.getInputStream();
                int start = raw.read();
                if (start < 0) {
                    throw new IOException("the reader closed the connection");
                }
                if (start != 0x4D) {
                    continue;
                }
                DataInputStream in = new DataInputStream(raw);
                int len = in.readUnsignedShort();
                byte[] body = new byte[len + 1]; // through the XOR byte
                in.readFully(body);
                int xor = 0x4D ^ (len >> 8) ^ (len & 0xFF);
                for (byte b : body) {
                    xor ^= b & 0xFF;
                }
                if (xor != 0) {
                    continue; // "read packet crc error"
                }
                Answer answer = new Answer();
                answer.type = body[0] & 0xFF;
                if (len >= 6) {
                    answer.result = body[3] & 0xFF;
                    int dataLen = ((body[4] & 0xFF) << 8) | (body[5] & 0xFF);
                    answer.data = Arrays.copyOfRange(body, 6, 6 + dataLen);
                }
                return answer;
            } catch (SocketTimeoutException e) {
                return null;
            }
        }
    }

    private static String hex(byte[] bytes, int offset, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = offset; i < offset + length; i++) {
            s.append(String.format("%02X", bytes[i]));
        }
        return s.toString();
    }

    /** The SDK's HexStringToByteArray: a character that is not a hex digit becomes the nibble F. */
    private static byte[] unhex(String hex) {
        byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ((nibble(hex.charAt(2 * i)) << 4) | nibble(hex.charAt(2 * i + 1)));
        }
        return bytes;
    }

    private static int nibble(char c) {
        int value = "0123456789ABCDEF".indexOf(c);
        return value & 0xF;
    }
}
