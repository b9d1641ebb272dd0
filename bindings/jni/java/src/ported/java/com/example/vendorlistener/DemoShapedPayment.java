package com.example.vendorlistener;

// The vendor version imports com.dspread.xpos.QPOSService; everything below is unchanged from it
// except how pos is made.
import android.hardware.usb.UsbDevice;
import android.os.Handler;
import android.os.Looper;
import io.keybridge.dspread.KeyLoaderBackend;
import io.keybridge.dspread.QPOSService;
import java.util.Hashtable;

/**
 * The calls a class shaped like the vendor demo's payment screen makes besides loading keys
 * (connecting over Bluetooth, USB or UART, its listener on a Handler, resetting and cancelling,
 * reading ids and check values, disconnecting) and the ones that load keys, in every overload of
 * SDK 8.5.4, with the vendor's nested types in switches. Compiled by test-bindings.sh against
 * keybridge-java.jar alone (and android-all for the Android types); not run.
 */
public class DemoShapedPayment {
    private QPOSService pos;
    private final Handler handler = new Handler(Looper.myLooper());

    /** Vendor: {@code pos = QPOSService.getInstance(context, mode)}. */
    public void open(KeyLoaderBackend reader, VendorListener listener) {
        pos = QPOSService.getInstance(reader);
        pos.initListener(handler, listener);
        pos.initListener(null, listener);
        pos.initListener(listener);
    }

    public boolean connect(String blueToothAddress, UsbDevice usbDevice, boolean uart) {
        pos.setDeviceAddress(blueToothAddress);
        if (usbDevice != null) {
            pos.openUsb(usbDevice);
            return true;
        }
        if (uart) {
            pos.openUart();
            return true;
        }
        return pos.connectBluetoothDevice(true, 25, blueToothAddress) || pos.connectBLE(blueToothAddress)
                || pos.connectBluetoothDevice(30, blueToothAddress) || pos.connectBluetoothDevice(true, 25, 3, blueToothAddress);
    }

    public void loadKeys(String tr31Block, String ksn, String dukptBlock) {
        pos.updateKeyByTR_31(0, tr31Block);
        pos.updateKeyByTR_31(1, tr31Block, QPOSService.TR31KeyType.NEW_KEY_PIN, 10);
        pos.updateKeyByTR_31(2, ksn, dukptBlock);
        pos.updateKeyByTR_31(3, ksn, dukptBlock, QPOSService.TR31KeyType.NEW_KEY_DATA);
        pos.sendTR31Key(tr31Block);
        pos.getKeyCheckValue(0, QPOSService.CHECKVALUE_KEYTYPE.MKSK_PIK);
        pos.getKeyCheckValue(0, QPOSService.CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE, 5, 3);
        pos.getQposId();
        pos.getQposInfo();
    }

    public boolean reset() {
        pos.cancelTrade();
        return pos.resetPosStatus() && pos.resetQPOS();
    }

    public void close(QPOSService.CommunicationMode mode) {
        switch (mode) {
            case BLUETOOTH:
                pos.disconnectBT();
                break;
            case BLUETOOTH_BLE:
                pos.disconnectBLE();
                break;
            case USB_OTG_CDC_ACM:
                pos.closeUsb();
                break;
            case UART:
                pos.closeUart();
                break;
            default:
                pos.disConnectBtPos();
        }
        pos.close();
    }

    /** The demo's message for each outcome of a trade, display request and error. */
    public static String describe(QPOSService.DoTradeResult result, QPOSService.Display display, QPOSService.Error error,
            QPOSService.TransactionResult transaction, Hashtable<String, String> decodeData) {
        StringBuilder text = new StringBuilder();
        switch (result) {
            case ICC:
                text.append("insert card");
                break;
            case MCR:
                text.append("swiped: ").append(decodeData.get("maskedPAN"));
                break;
            case NFC_ONLINE:
            case NFC_OFFLINE:
                text.append("tapped");
                break;
            default:
                text.append(result);
        }
        switch (display) {
            case INPUT_PIN_ING:
                text.append(", enter PIN");
                break;
            case REMOVE_CARD:
                text.append(", remove card");
                break;
            default:
                text.append(", ").append(display);
        }
        switch (error) {
            case TIMEOUT:
            case NO_RESPONSE:
                text.append(", the reader did not answer");
                break;
            case MAC_ERROR:
                text.append(", MAC error");
                break;
            case INPUT_INVALID:
                text.append(", invalid input");
                break;
            default:
                text.append(", ").append(error);
        }
        return text.append(transaction == QPOSService.TransactionResult.APPROVED ? ", approved" : ", not approved").toString();
    }
}
