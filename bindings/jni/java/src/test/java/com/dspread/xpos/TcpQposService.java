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
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stand-in SDK's hidden implementation: one command at a time on an SDK thread, each answered
 * by one callback, as the vendor SDK behaves. Frames: {@code 'M' | LEN(2) | TYPE | CMD | SUB |
 * TIMEOUT | DATA_LEN(2) | DATA | XOR} (NOTES-dspread.md); an answer not complete within
 * {@link #ANSWER_TIMEOUT_MS} is {@code onError(TIMEOUT)}.
 */
final class TcpQposService extends QPOSService {
    static final int ANSWER_TIMEOUT_MS = 1_000;

    /** Which entry of the check-value table holds the KCV of a key of each TR-31 usage (keybridge's assumption, too). */
    private static final Map<String, String> KCV_ENTRY = new HashMap<>();

    static {
        KCV_ENTRY.put("K0", "MKSK_TMK_KCV");
        KCV_ENTRY.put("P0", "MKSK_PIK_KCV");
        KCV_ENTRY.put("D0", "MKSK_TDK_KCV");
        KCV_ENTRY.put("B1", "DUKPT_PIN_IPEK_KCV");
    }

    private final ExecutorService sdkThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dspread-sdk");
        t.setDaemon(true);
        return t;
    });
    private final Map<Integer, String> usageByKeyIndex = new HashMap<>();
    private final AtomicInteger framesSent = new AtomicInteger();
    private volatile QPOSServiceListener listener;
    private volatile Socket socket;

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
                socket.setSoTimeout(ANSWER_TIMEOUT_MS);
                listener.onRequestQposConnected();
            } catch (IOException e) {
                listener.onError(Error.NO_RESPONSE);
            }
        });
    }

    @Override
    public void disconnect() {
        sdkThread.execute(() -> {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            listener.onRequestQposDisconnected();
        });
        sdkThread.shutdown();
    }

    @Override
    public void getQposId() {
        command(0x10, 0x00, new byte[0], answer -> {
            Hashtable<String, String> table = new Hashtable<>();
            int posLen = answer.data[0];
            table.put("posId", hex(answer.data, 1, posLen));
            table.put("psamId", hex(answer.data, 2 + posLen, answer.data[1 + posLen]));
            listener.onQposIdResult(table);
        });
    }

    @Override
    public void updateKeyByTR_31(int keyIndex, String keyBlock) {
        updateKeyByTR_31(keyIndex, keyBlock, null);
    }

    @Override
    public void updateKeyByTR_31(int keyIndex, String keyBlock, String ksn) {
        if (socket == null) {
            // As careless SDKs do: the argument in the message.
            throw new IllegalStateException("not connected, cannot send " + keyBlock);
        }
        byte[] block = keyBlock.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(keyIndex);
        if (ksn != null) {
            data.write(ksn.length());
            data.writeBytes(ksn.getBytes(StandardCharsets.US_ASCII));
        }
        data.write(block.length >> 8);
        data.write(block.length);
        data.writeBytes(block);
        usageByKeyIndex.put(keyIndex, keyBlock.substring(5, 7));
        command(ksn == null ? 0x10 : 0x11, ksn == null ? 0xF5 : 0x60, data.toByteArray(),
                answer -> listener.onReturnUpdateKeyByTR_31Result(answer.result == 0));
    }

    @Override
    public void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE keyType) {
        command(0x10, 0x46, new byte[] {(byte) keyIndex}, answer -> {
            if (answer.result != 0) {
                listener.onError(Error.UNKNOWN);
                return;
            }
            Hashtable<String, String> table = new Hashtable<>();
            String entry = KCV_ENTRY.get(usageByKeyIndex.get(keyIndex));
            if (entry != null) {
                table.put(entry, hex(answer.data, 0, answer.data.length));
            }
            listener.onGetKeyCheckValue(table);
        });
    }

    @Override
    public int framesSent() {
        return framesSent.get();
    }

    private static final class Answer {
        int type;
        int result;
        byte[] data = new byte[0];
    }

    private interface OnAnswer {
        void accept(Answer answer);
    }

    /** Sends one command on the SDK thread and calls back with its answer, or onError. */
    private void command(int cmd, int sub, byte[] data, OnAnswer onAnswer) {
        sdkThread.execute(() -> {
            try {
                send(cmd, sub, data);
                Answer answer = receive();
                switch (answer.type) {
                    case 0x24:
                        onAnswer.accept(answer);
                        break;
                    case 0x23:
                        listener.onError(Error.DEVICE_BUSY);
                        break;
                    case 0x35:
                        listener.onError(Error.CMD_NOT_AVAILABLE);
                        break;
                    default:
                        listener.onError(Error.DEVICE_RESET);
                }
            } catch (SocketTimeoutException e) {
                listener.onError(Error.TIMEOUT);
            } catch (IOException e) {
                listener.onError(Error.NO_RESPONSE);
            }
        });
    }

    private void send(int cmd, int sub, byte[] data) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        int len = 6 + data.length;
        frame.write('M');
        frame.write(len >> 8);
        frame.write(len);
        frame.write(0x21);
        frame.write(cmd);
        frame.write(sub);
        frame.write(ANSWER_TIMEOUT_MS / 1000 + 1);
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

    private Answer receive() throws IOException {
        InputStream raw = socket.getInputStream();
        int start;
        do {
            start = raw.read();
            if (start < 0) {
                throw new IOException("the reader closed the connection");
            }
        } while (start != 'M');
        DataInputStream in = new DataInputStream(raw);
        int len = in.readUnsignedShort();
        byte[] body = new byte[len + 1]; // through the XOR byte
        in.readFully(body);
        Answer answer = new Answer();
        answer.type = body[0] & 0xFF;
        if (len >= 6) {
            answer.result = body[3] & 0xFF;
            int dataLen = ((body[4] & 0xFF) << 8) | (body[5] & 0xFF);
            answer.data = java.util.Arrays.copyOfRange(body, 6, 6 + dataLen);
        }
        return answer;
    }

    private static String hex(byte[] bytes, int offset, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = offset; i < offset + length; i++) {
            s.append(String.format("%02X", bytes[i]));
        }
        return s.toString();
    }
}
