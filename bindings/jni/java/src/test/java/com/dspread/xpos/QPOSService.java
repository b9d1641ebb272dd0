package com.dspread.xpos;

import java.util.Hashtable;

/**
 * TEST STAND-IN for the Dspread SDK's {@code com.dspread.xpos.QPOSService}, written for keybridge's
 * tests (not the vendor's code): the same class, nested types and method signatures that
 * keybridge's {@code DspreadSdkBackend} reaches by reflection, a hidden implementation class behind
 * a static factory as in the SDK, and callbacks on an SDK thread. Underneath it speaks the reader's
 * real frames over TCP to {@code keybridge simulate}, so the bytes a reader sees are real.
 */
public abstract class QPOSService {
    public enum CommunicationMode { BLUETOOTH, USB_OTG_CDC_ACM, UART }

    public enum Error {
        NO_RESPONSE, MAC_ERROR, TIMEOUT, CMD_NOT_AVAILABLE, DEVICE_RESET, UNKNOWN, DEVICE_BUSY, INPUT_INVALID
    }

    public enum CHECKVALUE_KEYTYPE {
        MKSK_TMK, MKSK_PIK, MKSK_TDK, MKSK_MCK, TCK, MAGK, DUKPT_TRK_IPEK, DUKPT_EMV_IPEK, DUKPT_PIN_IPEK,
        DUKPT_TRK_KSN, DUKPT_EMV_KSN, DUKPT_PIN_KSN, DUKPT_MKSK_ALLTYPE
    }

    /** The vendor's listener: an interface with one method per callback. */
    public interface QPOSServiceListener {
        void onRequestQposConnected();

        void onRequestQposDisconnected();

        void onQposIdResult(Hashtable<String, String> posIdTable);

        void onError(Error errorState);

        void onGetKeyCheckValue(Hashtable<String, String> checkValue);

        void onReturnUpdateKeyByTR_31Result(boolean result);
    }

    public static QPOSService getInstance(CommunicationMode mode) {
        return new TcpQposService();
    }

    public abstract void initListener(QPOSServiceListener listener);

    /** Stand-in for the SDK's connect calls (Bluetooth address, USB device): here a simulator's {@code host:port}. */
    public abstract void connectTcp(String address);

    public abstract void disconnect();

    public abstract void getQposId();

    public abstract void updateKeyByTR_31(int keyIndex, String keyBlock);

    public abstract void updateKeyByTR_31(int keyIndex, String keyBlock, String ksn);

    public abstract void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE keyType);

    /** Test probe: frames this SDK object has written to the reader. */
    public abstract int framesSent();
}
