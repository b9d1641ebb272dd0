package com.example.keyinjection;

// The vendor version imports com.dspread.xpos.CQPOSService and com.dspread.xpos.QPOSService.
import io.keybridge.dspread.CQPOSService;
import io.keybridge.dspread.KeyLoaderBackend;
import io.keybridge.dspread.QPOSService;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

/**
 * Key-loading logic in the shape of Dspread's published demo app (a listener class extending the
 * SDK's adapter, {@code updateKeyByTR_31} in both SDK generations' forms, {@code getKeyCheckValue},
 * {@code getQposId}/{@code getQposInfo}, an {@code onError} that switches over every error the demo
 * handles), written for keybridge's tests and ported as an app would: only the imports and the way
 * {@code pos} is made differ from the vendor version. test-bindings.sh compiles it against
 * keybridge's Java classes alone; PortedKeyInjectionTest runs it against the reader simulator.
 */
public class KeyInjection {
    private QPOSService pos;
    private final List<String> messages = new ArrayList<>();

    /** The vendor version: {@code open(Context context, QPOSService.CommunicationMode mode)}. */
    public void open(KeyLoaderBackend reader) {
        pos = QPOSService.getInstance(reader); // vendor: QPOSService.getInstance(context, mode)
        pos.initListener(new MyQposClass());
    }

    public void close() {
        pos.close();
    }

    /** The earlier SDKs' call, as the demo's TR-31 screen makes it. */
    public void updateKey(String tr31Data) {
        pos.updateKeyByTR_31(tr31Data, 30);
    }

    public void updateKey(int keyIndex, String tr31Data) {
        pos.updateKeyByTR_31(keyIndex, tr31Data);
    }

    public void sendKey(String tr31Data) {
        pos.sendTR31Key(tr31Data);
    }

    public void getPosInfo(String info) {
        if ("posid".equals(info)) {
            pos.getQposId();
        } else if ("posinfo".equals(info)) {
            pos.getQposInfo();
        } else if ("keycheckvalue".equals(info)) {
            int keyIdex = 0;
            pos.getKeyCheckValue(keyIdex, QPOSService.CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE);
        }
    }

    public synchronized List<String> messages() {
        return new ArrayList<>(messages);
    }

    private synchronized void show(String message) {
        messages.add(message);
        notifyAll();
    }

    /** Waits until {@code count} messages have been shown. */
    public synchronized List<String> awaitMessages(int count, long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (messages.size() < count && System.currentTimeMillis() < end) {
            wait(Math.max(1, end - System.currentTimeMillis()));
        }
        return new ArrayList<>(messages);
    }

    class MyQposClass extends CQPOSService {
        @Override
        public void onQposIdResult(Hashtable<String, String> posIdTable) {
            String posId = posIdTable.get("posId") == null ? "" : posIdTable.get("posId");
            String psamId = posIdTable.get("psamId") == null ? "" : posIdTable.get("psamId");
            show("posId: " + posId + " psamId: " + psamId);
        }

        @Override
        public void onQposInfoResult(Hashtable<String, String> posInfoData) {
            String firmwareVersion = posInfoData.get("firmwareVersion") == null ? "" : posInfoData.get("firmwareVersion");
            show("posInfo: posId " + posInfoData.get("posId") + " firmware '" + firmwareVersion + "'");
        }

        @Override
        public void onReturnupdateKeyByTR_31Result(boolean result, String keyType) {
            super.onReturnupdateKeyByTR_31Result(result, keyType);
            show(result ? "send TR31 key success! The keyType is " + keyType : "send TR31 key fail");
        }

        @Override
        public void onReturnUpdateKeyByTR_31Result(boolean result) {
            show("update key by TR31: " + result);
        }

        @Override
        public void onRequestSendTR31KeyResult(boolean result) {
            show("send TR31 key: " + result);
        }

        @Override
        public void onGetKeyCheckValue(Hashtable<String, String> checkValue) {
            super.onGetKeyCheckValue(checkValue);
            String tmk = "MKSK_TMK_KCV : " + checkValue.get("MKSK_TMK_KCV");
            show("key check value: " + checkValue.get("MKSK_PIK_KCV") + " (" + tmk + ")");
        }

        @Override
        public void onError(QPOSService.Error errorState) {
            String msg;
            switch (errorState) {
                case CMD_NOT_AVAILABLE:
                    msg = "command not available";
                    break;
                case TIMEOUT:
                    msg = "device no response";
                    break;
                case DEVICE_RESET:
                    msg = "device reset";
                    break;
                case UNKNOWN:
                    msg = "unknown error";
                    break;
                case DEVICE_BUSY:
                    msg = "device busy";
                    break;
                case INPUT_OUT_OF_RANGE:
                    msg = "out of range";
                    break;
                case INPUT_INVALID_FORMAT:
                    msg = "invalid format";
                    break;
                case INPUT_ZERO_VALUES:
                    msg = "zero values";
                    break;
                case INPUT_INVALID:
                    msg = "input invalid";
                    break;
                case CASHBACK_NOT_SUPPORTED:
                    msg = "cashback not supported";
                    break;
                case CRC_ERROR:
                    msg = "crc error";
                    break;
                case COMM_ERROR:
                    msg = "comm error";
                    break;
                case MAC_ERROR:
                    msg = "mac error";
                    break;
                case APP_SELECT_TIMEOUT:
                    msg = "app select timeout";
                    break;
                case CMD_TIMEOUT:
                    msg = "cmd timeout";
                    break;
                case ICC_ONLINE_TIMEOUT:
                    msg = "icc online timeout";
                    break;
                default:
                    msg = errorState.name();
            }
            show("error: " + msg);
        }
    }
}
