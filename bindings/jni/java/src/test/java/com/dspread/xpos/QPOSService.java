package com.dspread.xpos;

import java.util.Hashtable;

/**
 * TEST STAND-IN for the Dspread SDK's {@code com.dspread.xpos.QPOSService}, written for keybridge's
 * tests from the facts about SDK 8.5.4 (NOTES-dspread-sdk.md, dspread-sdk-8.5.4-api.txt), not from
 * keybridge's code nor the vendor's: the public names keybridge's {@code DspreadSdkBackend} reaches
 * by reflection, with the vendor's signatures and argument orders, a hidden implementation class
 * behind a static factory, the vendor's frames over TCP to {@code keybridge simulate}, its answer
 * tables (keys, upper-case hex) and its threads (callbacks on the SDK's worker thread). Android
 * types are left out (the tests run on a plain JVM): {@code getInstance} takes no Context and
 * {@code initListener(Handler, …)} is absent.
 */
public abstract class QPOSService {
    /** The vendor's constants, in its order. */
    public enum CommunicationMode {
        AUDIO, BLUETOOTH_VER2, UART, UART_SERVICE, UART_K7, BLUETOOTH_2Mode, USB, BLUETOOTH_4Mode, UART_GOOD, USB_OTG,
        USB_OTG_CDC_ACM, BLUETOOTH, BLUETOOTH_BLE, UART_DIRECT, UNKNOW
    }

    /** The vendor's constants, in its order. */
    public enum Error {
        NO_RESPONSE, MAC_ERROR, TIMEOUT, CMD_NOT_AVAILABLE, DEVICE_RESET, UNKNOWN, DEVICE_BUSY, DEVICE_IS_OCCUPIED,
        INPUT_OUT_OF_RANGE, INPUT_INVALID_FORMAT, INPUT_INVALID, APDU_ERROR, APP_SELECT_TIMEOUT, ICC_ONLINE_TIMEOUT,
        ICC_EXISTS_ERROR, DEVICE_IN_BOOT_STATE, REMOTE_SERVICE_EXCEPTION, RECEIVE_PLAINT_IN_ENCRYPTION_MODE,
        RECEIVE_CIPHER_IN_NONENCRYPTION_MODE, DECRYPT_FAIL_IN_ENCRYPTION_MODE, AID_MISSING, API_NOT_AVAILABLE,
        CAPK_FAIL, DEVICE_ERROR, FALLBACK, NFC_TERMINATED, CARD_REMOVED, TRADE_LOG_FULL,
        TRANSACTION_NOT_ALLOWED_AMOUNT_EXCEED, TRANS_TOKEN_INVALID, CONTACTLESS_TRANSACTION_NOT_ALLOW,
        CARD_BLOCKED_APDU_ERROR_6A81, APP_BLOCKED_APDU_ERROR_6A83, TRY_ANOTHER_INTERFACE, MULTIPLE_CARDS, NOT_ICC,
        NO_UPDATE_WORK_KEY, NONE, BAD_SWIPE, EXPIRED_CERT, INVALID_TRUSTED_CERT, TRANSACTION_TIME_MISSING_TIMEOUT
    }

    /** The vendor's constants, in its order: the ordinal is the code the reader is asked with. */
    public enum CHECKVALUE_KEYTYPE {
        MKSK_TMK, MKSK_PIK, MKSK_TDK, MKSK_MCK, TCK, MAGK, DUKPT_TRK_IPEK, DUKPT_EMV_IPEK, DUKPT_PIN_IPEK,
        DUKPT_TRK_KSN, DUKPT_EMV_KSN, DUKPT_PIN_KSN, DUKPT_MKSK_ALLTYPE
    }

    /** The vendor's constants, in its order: the ordinal is the key type code (0–3). */
    public enum TR31KeyType { NEW_KEY_ALL, NEW_KEY_TMK, NEW_KEY_PIN, NEW_KEY_DATA }

    /** The vendor's listener, an interface with one method per callback: the ones these tests use, without Android types. */
    public interface QPOSServiceListener {
        void onRequestQposConnected();

        void onRequestQposDisconnected();

        void onQposIdResult(Hashtable<String, String> posIdTable);

        void onError(Error errorState);

        void onGetKeyCheckValue(Hashtable<String, String> checkValue);

        void onReturnUpdateKeyByTR_31Result(boolean result);

        void onRequestSendTR31KeyResult(boolean result);

        void onTradeCancelled();
    }

    public static QPOSService getInstance(CommunicationMode mode) {
        return new TcpQposService();
    }

    public abstract void initListener(QPOSServiceListener listener);

    /** Stand-in for the SDK's connect calls (Bluetooth address, USB device): here a simulator's {@code host:port}. */
    public abstract void connectTcp(String address);

    public abstract boolean connectBluetoothDevice(boolean autoConnect, int time, String address);

    public abstract void disconnectBT();

    public abstract boolean resetPosStatus();

    public abstract void cancelTrade();

    public abstract void getQposId();

    public abstract void updateKeyByTR_31(int keyIndex, String keyBlock);

    public abstract void updateKeyByTR_31(int keyIndex, String keyBlock, TR31KeyType keyType, int timeout);

    /** The vendor's order: the KSN (20 or 24 hex digits) before the block. */
    public abstract void updateKeyByTR_31(int keyIndex, String ksn, String keyBlock);

    public abstract void updateKeyByTR_31(int keyIndex, String ksn, String keyBlock, TR31KeyType keyType);

    public abstract void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE keyType);

    public abstract void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE keyType, int timeout, int len);

    /** The argument is hex of the bytes to send, as the vendor's decodes it. */
    public abstract void sendTR31Key(String hex);

    /** Test probe: frames this SDK object has written to the reader. */
    public abstract int framesSent();

    /** Test probe: the vendor methods called on this object that are not key loading, in order. */
    public abstract java.util.List<String> otherCalls();

    /**
     * Test probe: from now on the SDK takes commands and sends nothing, answering none of them
     * (false: as before). A hung SDK.
     */
    public abstract void hang(boolean hung);

    /** Test probe: each callback that answers a command arrives {@code ms} later (0: at once). */
    public abstract void delayAnswers(int ms);
}
