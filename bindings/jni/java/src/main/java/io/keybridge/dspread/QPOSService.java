package io.keybridge.dspread;

import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.ProvisionListener;
import io.keybridge.jni.ProvisionedSlot;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The Dspread {@code com.dspread.xpos.QPOSService} on keybridge: the vendor's key-loading methods
 * with the same names and overloads, its whole listener ({@link QPOSServiceListener}: every
 * callback of SDK 8.5.4), its nested types with their constants in the vendor's order, and the
 * connection and reset methods a demo-shaped class calls, so that such a class moves over by
 * changing its imports and how {@code pos} is made ({@link #getInstance}).
 *
 * <p><b>Outcomes, as the vendor SDK reports them.</b> A key the reader refuses (it answers the load
 * with a failure RESULT), or whose check value is not the one known for it, ends in
 * {@code onReturnUpdateKeyByTR_31Result(false)} ({@code onRequestSendTR31KeyResult(false)} for
 * {@link #sendTR31Key}), never in {@code true}. Problems talking to the reader are {@code onError}
 * with the vendor's names: NO_RESPONSE when the reader stays silent, TIMEOUT only when it answers
 * that it timed out, INPUT_INVALID for a malformed argument or block (nothing is sent). After the
 * reader's OK its KCV is compared with every KCV known for the key (the block's KC optional
 * block, {@link #setExpectedKcv}); a {@code true} with no known KCV means "the reader accepted it",
 * exactly as in the vendor SDK, and {@link KeyLoadReport#isKcvVerified()} says which it was.
 *
 * <p>Unlike the vendor SDK, {@link #sendTR31Key(String)} takes the key block exactly as AWS Payment
 * Cryptography returns it (ASCII, {@code "D0144P0AE00E0000..."}) as well as the hex of those
 * bytes that the vendor's {@code sendTR31Key} expects ({@code "44303134..."}): ASCII blocks start
 * with the version letter, the hex form with a digit.
 *
 * <p><b>Threads.</b> Calls return at once and run one at a time, in order, on a worker thread owned
 * by this object; {@link #close()} stops it. Callbacks run where the vendor runs them: on the
 * {@code Handler} given to {@link #initListener(android.os.Handler, QPOSServiceListener)} (null:
 * the main looper's), else on the worker thread. Each call ends in exactly one result callback or
 * {@code onError}, then one {@code onKeyLoadReport}; {@link #provisionFromService} ends in one
 * {@code onProvisionResult}.
 *
 * <p><b>Android types.</b> Signatures name {@code android.os.Handler},
 * {@code android.hardware.usb.UsbDevice} and {@code android.bluetooth.BluetoothDevice} as the
 * vendor's do. On a plain JVM the class loads and runs without them: they are resolved only when a
 * method that takes one is called with one.
 */
public final class QPOSService extends MPOSService implements AutoCloseable {
    /**
     * The Dspread {@code QPOSService.Error} values: every name of SDK 8.5.4 in its order, then the
     * ones earlier SDKs had, so that a {@code switch} written for either compiles. keybridge reports
     * NO_RESPONSE (the reader stayed silent), TIMEOUT (the reader answered that it timed out),
     * DEVICE_BUSY, INPUT_INVALID (a malformed argument or block: nothing was sent), MAC_ERROR,
     * CMD_NOT_AVAILABLE, DEVICE_RESET, API_NOT_AVAILABLE (a call keybridge's own connection cannot
     * serve), CRC_ERROR, COMM_ERROR and UNKNOWN.
     */
    public enum Error {
        NO_RESPONSE, MAC_ERROR, TIMEOUT, CMD_NOT_AVAILABLE, DEVICE_RESET, UNKNOWN, DEVICE_BUSY, DEVICE_IS_OCCUPIED,
        INPUT_OUT_OF_RANGE, INPUT_INVALID_FORMAT, INPUT_INVALID, APDU_ERROR, APP_SELECT_TIMEOUT, ICC_ONLINE_TIMEOUT,
        ICC_EXISTS_ERROR, DEVICE_IN_BOOT_STATE, REMOTE_SERVICE_EXCEPTION, RECEIVE_PLAINT_IN_ENCRYPTION_MODE,
        RECEIVE_CIPHER_IN_NONENCRYPTION_MODE, DECRYPT_FAIL_IN_ENCRYPTION_MODE, AID_MISSING, API_NOT_AVAILABLE,
        CAPK_FAIL, DEVICE_ERROR, FALLBACK, NFC_TERMINATED, CARD_REMOVED, TRADE_LOG_FULL,
        TRANSACTION_NOT_ALLOWED_AMOUNT_EXCEED, TRANS_TOKEN_INVALID, CONTACTLESS_TRANSACTION_NOT_ALLOW,
        CARD_BLOCKED_APDU_ERROR_6A81, APP_BLOCKED_APDU_ERROR_6A83, TRY_ANOTHER_INTERFACE, MULTIPLE_CARDS, NOT_ICC,
        NO_UPDATE_WORK_KEY, NONE, BAD_SWIPE, EXPIRED_CERT, INVALID_TRUSTED_CERT, TRANSACTION_TIME_MISSING_TIMEOUT,
        // Earlier SDKs:
        CMD_TIMEOUT, INPUT_ZERO_VALUES, CASHBACK_NOT_SUPPORTED, CRC_ERROR, COMM_ERROR, WR_DATA_ERROR,
        EMV_APP_CFG_ERROR, EMV_CAPK_CFG_ERROR, AMOUNT_OUT_OF_LIMIT;

        /** The value with this name; anything else is UNKNOWN. */
        public static Error fromName(String name) {
            for (Error e : values()) {
                if (e.name().equals(name)) {
                    return e;
                }
            }
            return UNKNOWN;
        }
    }

    /**
     * Which check value {@code getKeyCheckValue} asks for, in the vendor's order: the reader is
     * asked by this ordinal, and the answer table names each value {@code <NAME>_KCV} (KSN types:
     * {@code <NAME>}).
     */
    public enum CHECKVALUE_KEYTYPE {
        MKSK_TMK, MKSK_PIK, MKSK_TDK, MKSK_MCK, TCK, MAGK, DUKPT_TRK_IPEK, DUKPT_EMV_IPEK, DUKPT_PIN_IPEK,
        DUKPT_TRK_KSN, DUKPT_EMV_KSN, DUKPT_PIN_KSN, DUKPT_MKSK_ALLTYPE;

        boolean isKsn() {
            return name().endsWith("_KSN");
        }

        /** The key of this type's value in the vendor's {@code onGetKeyCheckValue} table. */
        String tableKey() {
            return isKsn() ? name() : name() + "_KCV";
        }
    }

    /**
     * The vendor's TR-31 key type argument (codes 0–3 in this order): which of the reader's key
     * kinds a load writes. With the app's own SDK object ({@link DspreadSdkBackend}) it goes to the
     * vendor's call; on keybridge's own connection the block's header decides.
     */
    public enum TR31KeyType { NEW_KEY_ALL, NEW_KEY_TMK, NEW_KEY_PIN, NEW_KEY_DATA }

    // Generated from dspread-sdk-8.5.4-api.txt, section "Enums nested in QPOSService" (constants in
    // the vendor's order; Error, CHECKVALUE_KEYTYPE and TR31KeyType are above).
    public enum AmountType {
        MONEY_TYPE_NONE, MONEY_TYPE_RMB, MONEY_TYPE_DOLLAR, MONEY_TYPE_CUSTOM_STR
    }

    public enum BTCONNTYPE {
        AUTO, OLDAPI, NEWAPI
    }

    public enum BuzzerType {
        COMMON, PAYMENT_SUCCESS, PAYMENT_ERROR, PAIRING_SUCCESS
    }

    public enum CardDetectMode {
        FULL, DETECT_ONLY
    }

    public enum CardTradeMode {
        ONLY_INSERT_CARD, ONLY_SWIPE_CARD, TAP_INSERT_CARD, TAP_INSERT_CARD_NOTUP, SWIPE_TAP_INSERT_CARD,
        UNALLOWED_LOW_TRADE, SWIPE_INSERT_CARD, SWIPE_TAP_INSERT_CARD_UNALLOWED_LOW_TRADE,
        SWIPE_TAP_INSERT_CARD_NOTUP_UNALLOWED_LOW_TRADE, ONLY_TAP_CARD, ONLY_TAP_CARD_QF,
        SWIPE_TAP_INSERT_CARD_NOTUP, SWIPE_TAP_INSERT_CARD_DOWN, SWIPE_INSERT_CARD_UNALLOWED_LOW_TRADE,
        SWIPE_TAP_INSERT_CARD_UNALLOWED_LOW_TRADE_NEW, ONLY_INSERT_CARD_NOPIN, SWIPE_TAP_INSERT_CARD_NOTUP_DELAY
    }

    public enum CardsType {
        CARD_NFC, CARD_IC, CARD_MAG, CARD_MIFARE, CARD_PSAM, CARD_SIM, CARD_FELICA, CARD_NFC_A, CARD_NFC_B,
        CARD_IC_CARD_MAG
    }

    public enum CommunicationMode {
        AUDIO, BLUETOOTH_VER2, UART, UART_SERVICE, UART_K7, BLUETOOTH_2Mode, USB, BLUETOOTH_4Mode, UART_GOOD,
        USB_OTG, USB_OTG_CDC_ACM, BLUETOOTH, BLUETOOTH_BLE, UART_DIRECT, UNKNOW
    }

    public enum CryptMode {
        DES_ECB_ENCRYPT, DES_ECB_DECRYPT, DES_CBC_ENCRYPT, DES_CBC_DECRYPT, AES_CBC_ENCRYPT, AES_CBC_DECRYPT,
        AES_ECB_ENCRYPT, AES_ECB_DECRYPT
    }

    public enum DataInputType {
        ASCII, HEX
    }

    public enum DataKeyType {
        DECRYPT_KEY, ENCRYPT_KEY
    }

    public enum Display {
        PLEASE_WAIT, REMOVE_CARD, PROCESSING, PIN_OK, TRANSACTION_TERMINATED, INPUT_PIN_ING, MAG_TO_ICC_TRADE,
        INPUT_OFFLINE_PIN_ONLY, INPUT_LAST_OFFLINE_PIN, MSR_DATA_READY, NOT_ALLOWED_LOW_TRADE, PlEASE_TAP_CARD_AGAIN,
        NFC_CLOSRD, INPUT_NEW_PIN, INPUT_NEW_PIN_CHECK_ERROR, CONFIRM_NEW_PIN, INPUT_ONLINE_PIN, INPUT_OFFLINE_PIN
    }

    public enum DoTradeMode {
        COMMON, CHECK_CARD_NO_IPNUT_PIN, IS_DEBIT_OR_CREDIT
    }

    public enum DoTradeResult {
        MCR, ICC, NFC_ONLINE, NFC_OFFLINE, NFC_DECLINED, PLS_SEE_PHONE
    }

    public enum DoTransactionType {
        Clear, GetAll, GetOne, ClearOne, ClearLast, ClearOneByBatchID, GetOneByBatchID
    }

    public enum EMVDataOperation {
        Clear, Add, Delete, AttainList, update, getEmv, getCustomEmv
    }

    public enum EmvOption {
        START, START_WITH_FORCE_ONLINE, START_WITH_FORCE_PIN, START_WITH_FORCE_ONLINE_FORCE_PIN,
        START_WITH_RETURN_ICC_CARD_NUMBER, START_WITH_FORCE_ONLINE_RETURN_ICC_CARD_NUMBER,
        START_WITH_FORCE_PIN_RETURN_ICC_CARD_NUMBER, START_WITH_FORCE_ONLINE_FORCE_PIN_RETURN_ICC_CARD_NUMBER
    }

    public enum EncryptType {
        ENCRYPTED, PLAINTEXT
    }

    public enum FORMATID {
        MKSK, LP, DUKPT_PLAIN_TRACKS, MOSAMBEE, SOFTPAY, DUKPT, DUKPT_MKSK, DUKPT_PKCS5_PADDING, DUKPT_TDES_TYPE1,
        DUKPT_AES, MKSK_PLAIN_TRACKS
    }

    public enum FirmwareStatus {
        DEBUG, RELEASE
    }

    public enum KeyCryptMode {
        DES, AES
    }

    public enum KeyManager {
        DEFAULT_KEY, MKSK_KEY, DUKPT_KEY
    }

    public enum KeyMode {
        TDES2, TDES3, AES128, AES192, AES256, TDEA2, TDEA3
    }

    public enum KeyPart {
        KEY_LEFT, KEY_RIGHT, KEY_ALL
    }

    public enum KeyType {
        TRACK_KEY, PIN_KEY, EMV_KEY, MAC_KEY
    }

    public enum KeyUsage {
        ENCRYPT_DECRYPT, AES_CMAC, DES_CMAC
    }

    public enum LcdModeAlign {
        LCD_MODE_ALIGNLEFT, LCD_MODE_ALIGNRIGHT, LCD_MODE_ALIGNCENTER
    }

    public enum MacDataInputType {
        ASCII, HEX
    }

    public enum MacKeyType {
        GENERATE_KEY, VERIFICATION_KEY
    }

    public enum MifareCardOperationType {
        ADD, REDUCE, RESTORE
    }

    public enum MifareCardType {
        CLASSIC, UlTRALIGHT
    }

    public enum MifareKeyClass {
        KEY_CLASSA, KEY_CLASSB
    }

    public enum PaddingPosition {
        PADDING_LEFT, PADDING_RIGHT
    }

    public enum PinError {
        OK, TOO_LONG_MAX, TOO_SHORT_ZERO, TOO_SHORT_MIN
    }

    public enum PinPadType {
        CUSTOMER, INTERNAL
    }

    public enum PosSpLogType {
        POSSPAPPLOG, POSSPSYSLOG
    }

    public enum QposStatus {
        SELF_DESTRUCTION_MODE, ENGINEERING_MODE, NORMAL_MODE, UNKOWN
    }

    public enum TestCommand {
        LED_TEST_START, LED_TEST_STOP, BUZZER_TEST_START, PSAM, PIN_TEST, BUZZER_TEST_STOP, ICC_TEST, NFC_TEST,
        MCR_TEST
    }

    public enum TransactionResult {
        APPROVED, TERMINATED, DECLINED, CANCEL
    }

    public enum TransactionType {
        GOODS, SERVICES, CASH, CASHBACK, PURCHASE_REFUND, INQUIRY, TRANSFER, ADMIN, CASHDEPOSIT, PAYMENT, PBOCLOG,
        SALE, PREAUTH, ECQ_DESIGNATED_LOAD, ECQ_UNDESIGNATED_LOAD, ECQ_CASH_LOAD, ECQ_CASH_LOAD_VOID,
        ECQ_INQUIRE_LOG, REFUND, UPDATE_PIN, SALES_NEW, NON_LEGACY_MONEY_ADD, LEGACY_MONEY_ADD, BALANCE_UPDATE,
        MINI_STATEMENT, CUSTOMIZE, BALANCE
    }

    public enum UpdateInformationResult {
        UPDATE_SUCCESS, UPDATE_FAIL, UPDATE_PACKET_VEFIRY_ERROR, UPDATE_PACKET_LEN_ERROR, UPDATE_LOWPOWER, UPDATING,
        USB_RECONNECTING, UPDATE_CMD_ERROR, UPDATE_SIGNATURE_ERROR, UPDATE_FRAME_LENGTH_ERROR,
        UPDATE_DATA_FORMAT_ERROR, UPDATE_WRITE_VALUE_ERROR, UPGRADE_NOT_FINISH
    }

    public enum UsbOTGDriver {
        CDCACM, FTDI, CH340, CP21XX, PROLIFIC, CH34XU
    }

    /**
     * Every callback of the Dspread {@code QPOSService.QPOSServiceListener} (SDK 8.5.4: 181
     * methods), same names, parameter types and order, so that a listener written for the vendor
     * SDK compiles unchanged, plus keybridge's {@link #onKeyLoadReport} and
     * {@link #onProvisionResult}. The vendor's key-loading callbacks are abstract; every other is a
     * no-op default (keybridge calls only {@code onRequestQposDisconnected} of them), so a class
     * implementing the vendor's interface implements exactly the same methods here. Extend
     * {@link CQPOSService} to override only what you need.
     */
    public interface QPOSServiceListener {
        /** Result of {@link #sendTR31Key(String)}: true when the reader took the key, false when it refused it. */
        void onRequestSendTR31KeyResult(boolean result);

        /** Result of {@code updateKeyByTR_31(keyIndex, …)}: true when the reader took the key, false when it refused it. */
        void onReturnUpdateKeyByTR_31Result(boolean result);

        /**
         * Result of {@link #updateKeyByTR_31(String, int)}, the earlier SDKs' form; {@code keyType} is
         * the TR-31 key usage. Not in SDK 8.5.4's listener, so a default: a listener written for it compiles.
         */
        default void onReturnupdateKeyByTR_31Result(boolean success, String keyType) {}

        /**
         * Result of {@code getKeyCheckValue}: the vendor's table, {@code <TYPE>_KCV} (KSN types:
         * {@code <TYPE>}) in upper-case hex, plus keybridge's {@code keyIndex} and {@code kcv}.
         */
        void onGetKeyCheckValue(Hashtable<String, String> table);

        /** Result of {@link #getQposId()}: {@code posId}, {@code psamId}. */
        void onQposIdResult(Hashtable<String, String> table);

        /** Result of {@link #getQposInfo()}: what the reader's device information holds. */
        void onQposInfoResult(Hashtable<String, String> table);

        /** Why a call failed, with the Dspread error names. */
        void onError(Error errorState);

        /** keybridge's richer callback after every call: key index, the reader's KCV, whether it was verified, typed error. */
        default void onKeyLoadReport(KeyLoadReport report) {}

        /**
         * The end of {@link #provisionFromService}: every slot's outcome, reader KCV and the
         * service's verdict, or why the service handed out no keys (with its code).
         */
        default void onProvisionResult(ProvisionResult result) {}

        // Generated from dspread-sdk-8.5.4-api.txt, section "QPOSService.QPOSServiceListener": the
        // other 175 callbacks, in its order.
        default void getMifareCardVersion(Hashtable<String, String> table) {}
        default void getMifareFastReadData(Hashtable<String, String> table) {}
        default void getMifareReadData(Hashtable<String, String> table) {}
        default void onActivateMifareCardResult(Hashtable<String, String> table) {}
        default void onAddKey(boolean result) {}
        default void onAuthenticateMifareCardResult(boolean result) {}
        default void onBatchReadMifareCardResult(String data, Hashtable<String, List<String>> table) {}
        default void onBatchWriteMifareCardResult(String data, Hashtable<String, List<String>> table) {}
        default void onBluetoothBoardStateResult(boolean result) {}
        default void onBluetoothBondFailed() {}
        default void onBluetoothBondTimeout() {}
        default void onBluetoothBonded() {}
        default void onBluetoothBonding() {}
        default void onCardDetectedResult(Hashtable<String, String> table) {}
        default void onCbcMacResult(String data) {}
        default void onConfirmAmountResult(boolean result) {}
        default void onD20StatusResult(String data) {}
        default void onDeactivateMifareCardResult(boolean result) {}
        default void onDecreaseValueResult(boolean result) {}
        default void onDeviceFound(android.bluetooth.BluetoothDevice bluetoothDevice) {}
        default void onDoTradeResult(QPOSService.DoTradeResult doTradeResult, Hashtable<String, String> table) {}
        default void onEmvICCExceptionData(String data) {}
        default void onEncryptData(Hashtable<String, String> table) {}
        default void onFinishM1Card(boolean result) {}
        default void onGetBuzzerStatusResult(String data) {}
        default void onGetCardInfoResult(Hashtable<String, String> table) {}
        default void onGetCardNoResult(String data) {}
        default void onGetDevicePubKey(Hashtable<String, String> table) {}
        default void onGetDeviceTestResult(boolean result) {}
        default void onGetInputAmountResult(boolean result, String data) {}
        default void onGetPosComm(int value, String data, String data2) {}
        default void onGetShutDownTime(String data) {}
        default void onGetSleepModeTime(String data) {}
        default void onIncreaseValueResult(boolean result) {}
        default void onLcdShowCustomDisplay(boolean result) {}
        default void onOperateMifareCardResult(Hashtable<String, String> table) {}
        default void onPinKey_TDES_Result(String data) {}
        default void onQposCertificateInfoResult(List<String> list) {}
        default void onQposDoGetTradeLog(String data, String data2) {}
        default void onQposDoGetTradeLogNum(String data) {}
        default void onQposDoSetRsaPublicKey(boolean result) {}
        default void onQposDoTradeLog(boolean result) {}
        default void onQposGenerateSessionKeysResult(Hashtable<String, String> table) {}
        default void onQposGetDeviceECCPublicKeyResult(String data) {}
        default void onQposGetLEDColorResult(String data) {}
        default void onQposGetRealTimeSelfDestructStatus(boolean result, String data) {}
        default void onQposInitModeResult(boolean result) {}
        default void onQposIsCardExist(boolean result) {}
        default void onQposIsCardExistInOnlineProcess(boolean result) {}
        default void onQposKsnResult(Hashtable<String, String> table) {}
        default void onQposPinMapSyncResult(boolean result, boolean result2) {}
        default void onQposRequestPinResult(List<String> list, int value) {}
        default void onQposRequestPinStartResult(List<String> list) {}
        default void onQposSetLEDColorResult(boolean result) {}
        default void onQposTestCommandResult(boolean result, String data) {}
        default void onQposTestResult(Hashtable<String, String> table) {}
        default void onQposTestSelfCommandResult(boolean result, String data) {}
        default void onQposUpdateDataWithKeyResult(boolean result) {}
        default void onQposUpdateServerECCPublicKeyResult(boolean result) {}
        default void onReadBusinessCardResult(boolean result, String data) {}
        default void onReadGasCardResult(boolean result, String data) {}
        default void onReadM1CardData(boolean result, Hashtable<String, String> table) {}
        default void onReadMifareBlockResult(String data) {}
        default void onReadMifareBlocksContinuouslyResult(List<Hashtable<String, String>> list) {}
        default void onReadMifareCardResult(Hashtable<String, String> table) {}
        default void onReadMifareValueResult(int value) {}
        default void onReadULNdefCardData(boolean result, byte[] bytes) {}
        default void onRequestBatchData(String data) {}
        default void onRequestCalculateMac(String data) {}
        default void onRequestDevice() {}
        default void onRequestDeviceScanFinished() {}
        default void onRequestDisplay(QPOSService.Display display) {}
        default void onRequestFinalConfirm() {}
        @SuppressWarnings("rawtypes") default void onRequestGenerateTransportKey(Hashtable table) {}
        default void onRequestIsServerConnected() {}
        default void onRequestNFCBatchData(QPOSService.TransactionResult transactionResult, String data) {}
        default void onRequestNoQposDetected() {}
        default void onRequestNoQposDetectedUnbond() {}
        default void onRequestOnlineProcess(String data) {}
        default void onRequestQposConnected() {}
        default void onRequestQposDisconnected() {}
        default void onRequestSelectEmvApp(ArrayList<String> list) {}
        default void onRequestSetAmount() {}
        default void onRequestSetMPOCPin() {}
        default void onRequestSetPin() {}
        default void onRequestSignatureResult(byte[] bytes) {}
        default void onRequestTime() {}
        default void onRequestTransactionLog(String data) {}
        default void onRequestTransactionResult(QPOSService.TransactionResult transactionResult) {}
        default void onRequestUpdateKey(String data) {}
        default void onRequestUpdateWorkKeyResult(QPOSService.UpdateInformationResult updateInformationResult) {}
        default void onRequestUpdateWorkKeyResult(QPOSService.UpdateInformationResult updateInformationResult, Hashtable<String, String> table) {}
        default void onRequestWaitingUser() {}
        default void onRetuenGetTR31Token(String data) {}
        default void onReturPosSelfDestructRecords(boolean result, String data) {}
        default void onReturnAESTransmissonKeyResult(boolean result, String data) {}
        default void onReturnAnalyseDigEnvelop(String data) {}
        default void onReturnApduResult(boolean result, String data, int value) {}
        default void onReturnBatchSendAPDUResult(LinkedHashMap<Integer, String> table) {}
        default void onReturnCheckCardResult(boolean result, Hashtable<String, String> table) {}
        default void onReturnConverEncryptedBlockFormat(String data) {}
        default void onReturnCustomConfigResult(boolean result, String data) {}
        default void onReturnD20SleepTimeResult(boolean result) {}
        default void onReturnDeviceCSRResult(String data) {}
        default void onReturnDeviceCertAndSignatureResult(String data, String data2) {}
        default void onReturnDeviceSigningCertResult(String data, String data2) {}
        default void onReturnDisplayQRCodeResult(boolean result) {}
        default void onReturnDoInputCustomStr(boolean result, String data, String data2) {}
        default void onReturnDownloadRsaPublicKey(HashMap<String, String> table) {}
        default void onReturnGetConnectedShutDownTimeResult(String data) {}
        default void onReturnGetCustomEMVListResult(Map<String, String> table) {}
        default void onReturnGetEMVListResult(String data) {}
        default void onReturnGetKeyBoardInputResult(String data) {}
        default void onReturnGetMPOCPinResult(String data, Hashtable<String, String> table) {}
        default void onReturnGetPinInputResult(int value, QPOSService.PinError pinError, int value2, int value3) {}
        default void onReturnGetPinResult(Hashtable<String, String> table) {}
        default void onReturnGetQuickEmvResult(boolean result) {}
        default void onReturnMPUCardInfo(Hashtable<String, String> table) {}
        default void onReturnNFCApduResult(boolean result, String data, int value) {}
        default void onReturnOperateLEDByTypeResult(boolean result) {}
        default void onReturnPlayBuzzerByTypeResult(boolean result) {}
        default void onReturnPosFirmwareUpdateProgressResult(int value) {}
        default void onReturnPowerOffCardResult(boolean result, Hashtable<String, String> table) {}
        default void onReturnPowerOffFelicaResult(MPOSService.FelicaStatusCode felicaStatusCode) {}
        default void onReturnPowerOffIccResult(boolean result) {}
        default void onReturnPowerOffNFCResult(boolean result) {}
        default void onReturnPowerOnCardResult(boolean result, Hashtable<String, String> table) {}
        default void onReturnPowerOnFelicaResult(MPOSService.FelicaStatusCode felicaStatusCode) {}
        default void onReturnPowerOnIccResult(boolean result, String data, String data2, int value) {}
        default void onReturnPowerOnNFCResult(boolean result, QPOSService.CardsType cardsType, String data, int value) {}
        default void onReturnRSAResult(String data) {}
        default void onReturnReadCardResult(boolean result, Hashtable<String, String> table) {}
        default void onReturnReversalData(String data) {}
        default void onReturnRsaResult(String data) {}
        default void onReturnSearchCardResult(boolean result, Hashtable<String, String> table) {}
        default void onReturnSendApduFelicaResult(MPOSService.FelicaStatusCode felicaStatusCode, String data, String data2) {}
        default void onReturnServerCertResult(String data, String data2) {}
        default void onReturnSetAESResult(boolean result, String data) {}
        default void onReturnSetConnectedShutDownTimeResult(boolean result) {}
        default void onReturnSetMasterKeyResult(boolean result) {}
        default void onReturnSetMasterKeyResult(boolean result, Hashtable<String, String> table) {}
        default void onReturnSetSleepTimeResult(boolean result) {}
        default void onReturnSignature(boolean result, String data) {}
        default void onReturnSignatureAndCertificatesResult(String data, String data2, String data3) {}
        default void onReturnSpLogResult(String data) {}
        default void onReturnStoreCertificatesResult(boolean result) {}
        default void onReturnSyncVersionInfo(QPOSService.FirmwareStatus firmwareStatus, String data, QPOSService.QposStatus qposStatus) {}
        default void onReturnUpdateCAPKResult(boolean result, List<String> list) {}
        default void onReturnUpdateEMVRIDResult(boolean result) {}
        default void onReturnUpdateEMVResult(boolean result) {}
        default void onReturnUpdateIPEKResult(boolean result) {}
        default void onReturniccCashBack(Hashtable<String, String> table) {}
        default void onSetBuzzerResult(boolean result) {}
        default void onSetBuzzerStatusResult(boolean result) {}
        default void onSetBuzzerTimeResult(boolean result) {}
        default void onSetCustomLogoDisplay(boolean result) {}
        default void onSetManagementKey(boolean result) {}
        default void onSetParamsResult(boolean result, Hashtable<String, Object> table) {}
        default void onSetPosBluConfig(boolean result) {}
        default void onSetSleepModeTime(boolean result) {}
        default void onSetVendorIDResult(boolean result, Hashtable<String, Object> table) {}
        default void onTradeCancelled() {}
        default void onTransferValueResult(boolean result) {}
        default void onUpdateMasterKeyResult(boolean result, Hashtable<String, String> table) {}
        default void onUpdatePosFirmwareResult(QPOSService.UpdateInformationResult updateInformationResult) {}
        default void onWaitingforData(String data) {}
        default void onWriteBusinessCardResult(boolean result) {}
        default void onWriteGasCardResult(boolean result) {}
        default void onWriteM1CardData(boolean result) {}
        default void onWriteMifareBlockResult(boolean result) {}
        default void onWriteMifareValueResult(boolean result) {}
        default void onWriteULNdefCardData(boolean result) {}
        default void transferMifareData(String data) {}
        default void verifyMifareULData(Hashtable<String, String> table) {}
        default void writeMifareULData(String data) {}
    }

    /** The reader's value for a load whose key is known to be absent or refused: no value. */
    private static final String NO_VALUE = "";

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final KeyLoaderBackend backend;
    private final ExecutorService worker;
    private final AtomicReference<String> nextExpectedKcv = new AtomicReference<>();
    private volatile QPOSServiceListener listener;
    private volatile Executor callbackExecutor;
    private volatile boolean closed;

    private QPOSService(KeyLoaderBackend backend) {
        this.backend = backend;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<Runnable>(), r -> {
            Thread t = new Thread(r, "keybridge-qpos-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A service on a backend, in the vendor's {@code getInstance} style:
     * {@link DspreadSdkBackend#attach} (the app's own Dspread SDK connection),
     * {@link JniKeyLoaderBackend} (keybridge's own connection) or the Kotlin
     * {@code UniffiKeyLoaderBackend}.
     */
    public static QPOSService getInstance(KeyLoaderBackend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        return new QPOSService(backend);
    }

    /** Callbacks on this service's worker thread, as the vendor's {@code initListener(listener)} runs them on its own. */
    public void initListener(QPOSServiceListener listener) {
        initListener((Object) null, listener);
    }

    /**
     * Callbacks posted to {@code handler}, as the vendor's {@code initListener(handler, listener)}
     * does; a null handler means the main looper's (on a plain JVM, which has none: the worker thread).
     */
    public void initListener(android.os.Handler handler, QPOSServiceListener listener) {
        initListener(handler != null ? handler : mainLooperHandler(), listener);
    }

    /**
     * Callbacks delivered through {@code callbacks}: an {@link Executor}, or anything with a public
     * {@code post(Runnable)} (an Android {@code Handler} held as an Object); null: the worker thread.
     * Throws IllegalArgumentException for anything else.
     */
    public void initListener(Object callbacks, QPOSServiceListener listener) {
        this.callbackExecutor = callbacks == null || callbacks instanceof Executor ? (Executor) callbacks : poster(callbacks);
        this.listener = listener;
    }

    /**
     * The KCV (hex, at least 3 bytes) of the key the next {@code sendTR31Key}/{@code updateKeyByTR_31}
     * loads: the reader's KCV must match it, or the load's result is {@code false}. Applies to that
     * one call. The AWS and key-service paths pass the KCV they get without this.
     */
    public void setExpectedKcv(String kcvHex) {
        if (kcvHex != null && !kcvHex.trim().matches("([0-9A-Fa-f]{2})+")) {
            throw new IllegalArgumentException("the expected KCV must be hex digits, two per byte");
        }
        nextExpectedKcv.set(kcvHex == null ? null : kcvHex.trim());
    }

    /** Loads a TR-31 key block into key index 0 → {@code onRequestSendTR31KeyResult}. */
    public void sendTR31Key(String keyBlock) {
        load(KeyLoadReport.Operation.SEND_TR31_KEY, 0, keyBlock, null, null, 0,
                (l, loaded, r) -> l.onRequestSendTR31KeyResult(loaded));
    }

    /** Loads a TR-31 key block into {@code keyIndex} (0–9) → {@code onReturnUpdateKeyByTR_31Result}. */
    public void updateKeyByTR_31(int keyIndex, String keyBlock) {
        loadIntoIndex(keyIndex, keyBlock, null, null, 0);
    }

    /**
     * A DUKPT initial key (B1) with its KSN, in the vendor's order: {@code (keyIndex, ksn, keyBlock)},
     * the KSN as 20 (TDES) or 24 (AES) hex digits. keybridge's earlier order
     * {@code (keyIndex, keyBlock, ksn)} is recognized too: a key block is never 20 or 24 hex digits.
     */
    public void updateKeyByTR_31(int keyIndex, String ksn, String keyBlock) {
        updateKeyByTR_31(keyIndex, ksn, keyBlock, (TR31KeyType) null);
    }

    /** As {@link #updateKeyByTR_31(int, String, String)}, with the vendor's key type. */
    public void updateKeyByTR_31(int keyIndex, String ksn, String keyBlock, TR31KeyType keyType) {
        boolean swapped = !isKsn(ksn) && isKsn(keyBlock);
        loadIntoIndex(keyIndex, swapped ? ksn : keyBlock, swapped ? keyBlock : ksn, keyType, 0);
    }

    /** As {@link #updateKeyByTR_31(int, String)}, with the vendor's key type, waiting at most {@code timeout} seconds per answer. */
    public void updateKeyByTR_31(int keyIndex, String keyBlock, TR31KeyType keyType, int timeout) {
        loadIntoIndex(keyIndex, keyBlock, null, keyType, timeout);
    }

    private static boolean isKsn(String value) {
        return value != null && (value.length() == 20 || value.length() == 24) && value.matches("[0-9A-Fa-f]+");
    }

    private void loadIntoIndex(int keyIndex, String keyBlock, String ksn, TR31KeyType keyType, int timeout) {
        load(KeyLoadReport.Operation.UPDATE_KEY_BY_TR31, keyIndex, keyBlock, ksn, keyType, timeout,
                (l, loaded, r) -> l.onReturnUpdateKeyByTR_31Result(loaded));
    }

    /**
     * The earlier SDKs' form: loads into key index 0, waiting at most {@code timeout} seconds per
     * answer → {@code onReturnupdateKeyByTR_31Result(success, keyUsage)}.
     */
    public void updateKeyByTR_31(String keyBlock, int timeout) {
        load(KeyLoadReport.Operation.UPDATE_KEY_BY_TR31, 0, keyBlock, null, null, timeout,
                (l, loaded, r) -> l.onReturnupdateKeyByTR_31Result(loaded, r.getKeyUsage()));
    }

    /** Reads the reader's KCV of {@code keyIndex} → {@code onGetKeyCheckValue} with {@code keyIndex} and {@code kcv}. */
    public void getKeyCheckValue(int keyIndex) {
        submit(KeyLoadReport.Operation.GET_KEY_CHECK_VALUE, keyIndex, () -> backend.keyCheckValue(keyIndex),
                (l, read, r) -> l.onGetKeyCheckValue(checkValues(r, null)));
    }

    /**
     * The vendor's form → {@code onGetKeyCheckValue} with the vendor's table. With the app's own SDK
     * object the vendor reads it (every type); on keybridge's own connection the value is the
     * key index's KCV under {@code <TYPE>_KCV}, and KSN types are CMD_NOT_AVAILABLE. A reader that
     * answers with a failure gives an empty value, as the vendor SDK reports it.
     */
    public void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE type) {
        getKeyCheckValue(keyIndex, type, 0, 0);
    }

    /** As {@link #getKeyCheckValue(int, CHECKVALUE_KEYTYPE)}; {@code timeout} (s) and {@code len} (bytes per KCV) go to the vendor's call. */
    public void getKeyCheckValue(int keyIndex, CHECKVALUE_KEYTYPE type, int timeout, int len) {
        if (type == null) {
            throw new IllegalArgumentException("the key type must not be null");
        }
        DspreadSdkBackend vendor = vendorBackend();
        if (vendor != null) {
            submit(KeyLoadReport.Operation.GET_KEY_CHECK_VALUE, keyIndex, () -> vendor.checkValues(keyIndex, type, timeout, len),
                    (l, read, r) -> l.onGetKeyCheckValue(vendorTable(keyIndex, type, r)));
            return;
        }
        String named = type == CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE ? null : type.tableKey();
        submit(KeyLoadReport.Operation.GET_KEY_CHECK_VALUE, keyIndex, () -> type.isKsn()
                ? KeyLoaderBackend.Result.failed(Error.CMD_NOT_AVAILABLE.name(), "keybridge's own connection reads key check values, not KSNs (" + type + ")")
                : backend.keyCheckValue(keyIndex), (l, read, r) -> l.onGetKeyCheckValue(checkValues(r, named)));
    }

    /** The reader's POS id → {@code onQposIdResult} with {@code posId} and {@code psamId}. */
    public void getQposId() {
        submit(KeyLoadReport.Operation.GET_QPOS_ID, 0, backend::deviceInfo,
                (l, read, r) -> l.onQposIdResult(new Hashtable<>(r.getDeviceInfo())));
    }

    /** The reader's device information → {@code onQposInfoResult} (keybridge decodes the ids, not the firmware fields). */
    public void getQposInfo() {
        submit(KeyLoadReport.Operation.GET_QPOS_INFO, 0, backend::deviceInfo,
                (l, read, r) -> l.onQposInfoResult(new Hashtable<>(r.getDeviceInfo())));
    }

    // --- Connection and state: forwarded to the app's SDK object, or what keybridge's own connection can do.

    /**
     * Cancels the call in progress (a load ends in {@code onError}; if the load had been sent, read
     * the slot's KCV to know whether the reader holds the key). With the app's own SDK object its
     * {@code cancelTrade()} is called too.
     */
    public void cancelTrade() {
        backend.cancel();
        forwardIfAttached("cancelTrade");
    }

    /**
     * Resets keybridge's session: cancels the call in progress and forgets the expected KCV set for
     * the next load. With the app's own SDK object, returns the vendor's {@code resetPosStatus()};
     * otherwise true.
     */
    public boolean resetPosStatus() {
        return reset("resetPosStatus");
    }

    /** As {@link #resetPosStatus()}, with the vendor's {@code resetQPOS()}. */
    public boolean resetQPOS() {
        return reset("resetQPOS");
    }

    private boolean reset(String vendorMethod) {
        nextExpectedKcv.set(null);
        backend.cancel();
        DspreadSdkBackend vendor = vendorBackend();
        return vendor == null || Boolean.TRUE.equals(vendor.forward(vendorMethod));
    }

    /**
     * Forwarded to the app's SDK object. keybridge's own connection is opened by its backend
     * ({@link JniKeyLoaderBackend}: TCP, serial, an app's streams), so there this returns false and
     * calls back {@code onError(API_NOT_AVAILABLE)}; the same holds for every connect and open method.
     */
    public boolean connectBluetoothDevice(boolean autoConnect, int time, String address) {
        return connect("connectBluetoothDevice", autoConnect, time, address);
    }

    /** See {@link #connectBluetoothDevice(boolean, int, String)}. */
    public boolean connectBluetoothDevice(int time, String address) {
        return connect("connectBluetoothDevice", time, address);
    }

    /** See {@link #connectBluetoothDevice(boolean, int, String)}. */
    public boolean connectBluetoothDevice(boolean autoConnect, int time, int retries, String address) {
        return connect("connectBluetoothDevice", autoConnect, time, retries, address);
    }

    /** See {@link #connectBluetoothDevice(boolean, int, String)}. */
    public boolean connectBLE(String address) {
        return connect("connectBLE", address);
    }

    /** See {@link #connectBluetoothDevice(boolean, int, String)}. */
    public void setDeviceAddress(String address) {
        connect("setDeviceAddress", address);
    }

    /** See {@link #connectBluetoothDevice(boolean, int, String)}. */
    public void openUsb(android.hardware.usb.UsbDevice device) {
        connect("openUsb", device);
    }

    /** See {@link #connectBluetoothDevice(boolean, int, String)}. */
    public void openUart() {
        connect("openUart");
    }

    private boolean connect(String vendorMethod, Object... args) {
        DspreadSdkBackend vendor = vendorBackend();
        if (vendor != null) {
            return Boolean.TRUE.equals(vendor.forward(vendorMethod, args));
        }
        if (closed) {
            throw new IllegalStateException("QPOSService is closed");
        }
        KeyLoaderBackend.Result unavailable = KeyLoaderBackend.Result.failed(Error.API_NOT_AVAILABLE.name(),
                vendorMethod + ": keybridge's own connection is opened by its backend, not by " + vendorMethod);
        worker.execute(() -> deliver(new KeyLoadReport(KeyLoadReport.Operation.CONNECT, 0, unavailable), null));
        return false;
    }

    /**
     * Forwarded to the app's SDK object (its listener hears {@code onRequestQposDisconnected}). On
     * keybridge's own connection: closes it as {@link #close()} does, after
     * {@code onRequestQposDisconnected}; later calls throw IllegalStateException.
     */
    public void disconnectBT() {
        disconnect("disconnectBT");
    }

    /** See {@link #disconnectBT()}. */
    public void disConnectBtPos() {
        disconnect("disConnectBtPos");
    }

    /** See {@link #disconnectBT()}. */
    public void disconnectBLE() {
        disconnect("disconnectBLE");
    }

    /** See {@link #disconnectBT()}. */
    public void closeUsb() {
        disconnect("closeUsb");
    }

    /** See {@link #disconnectBT()}. */
    public void closeUart() {
        disconnect("closeUart");
    }

    private void disconnect(String vendorMethod) {
        DspreadSdkBackend vendor = vendorBackend();
        if (vendor != null) {
            vendor.forward(vendorMethod);
            return;
        }
        if (!closed) {
            worker.execute(() -> callback(QPOSServiceListener::onRequestQposDisconnected));
        }
        close();
    }

    /**
     * Provisions the connected reader from the key service ({@code keybridge serve} at
     * {@code serviceUrl}) with the bearer token it issued for this reader or for the operator's
     * group: the reader's POS id is read, its keys are requested, each is loaded (validated, and
     * checked against AWS's KCV where that is comparable), and every slot's outcome is reported
     * back to the service. No AWS credentials are involved.
     *
     * <p>Calls back {@code onReturnUpdateKeyByTR_31Result(loaded)} once per slot attempted, then
     * {@code onProvisionResult} exactly once. On Android use
     * {@link #provisionFromService(KeyServiceSettings)} with the root CAs: native code cannot read
     * the platform's trust store.
     */
    public void provisionFromService(String serviceUrl, String token) {
        provisionFromService(new KeyServiceSettings(serviceUrl, token));
    }

    /** As {@link #provisionFromService(String, String)}, with every setting of the service client. */
    public void provisionFromService(KeyServiceSettings settings) {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
        if (closed) {
            throw new IllegalStateException("QPOSService is closed");
        }
        ProvisionListener slots = new ProvisionListener() {
            @Override
            public void slotFinished(ProvisionedSlot slot) {
                boolean loaded = slot.getOutcome() == ProvisionedSlot.Outcome.LOADED;
                callback(l -> l.onReturnUpdateKeyByTR_31Result(loaded));
            }
        };
        worker.execute(() -> {
            ProvisionResult result = backend.provision(settings, slots);
            callback(l -> l.onProvisionResult(result));
        });
    }

    /**
     * Cancels the call in progress, releases the reader and stops the worker thread once the queued
     * calls have reported (they fail). Later calls throw {@link IllegalStateException}. Idempotent.
     * With the app's own SDK object, its connection and listener stay the app's.
     */
    @Override
    public void close() {
        closed = true;
        backend.close();
        worker.shutdown();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The ASCII key block of an ASCII or hex-of-ASCII argument. Throws IllegalArgumentException for
     * null, empty, or hex that is not printable ASCII.
     */
    static String asciiKeyBlock(String keyBlock) {
        if (keyBlock == null) {
            throw new IllegalArgumentException("key block must not be null");
        }
        String text = keyBlock.trim();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("key block is empty");
        }
        if (!Character.isDigit(text.charAt(0))) {
            return text; // ASCII: starts with the version letter
        }
        if (text.length() % 2 != 0) {
            throw new IllegalArgumentException("hex-encoded key block has an odd number of digits (" + text.length() + ")");
        }
        byte[] ascii = new byte[text.length() / 2];
        for (int i = 0; i < ascii.length; i++) {
            int hi = Character.digit(text.charAt(2 * i), 16);
            int lo = Character.digit(text.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("hex-encoded key block: non-hex character at position " + (hi < 0 ? 2 * i : 2 * i + 1));
            }
            int b = (hi << 4) | lo;
            if (b < 0x20 || b > 0x7E) {
                throw new IllegalArgumentException("hex-encoded key block: byte " + i + " is not printable ASCII");
            }
            ascii[i] = (byte) b;
        }
        return new String(ascii, StandardCharsets.US_ASCII);
    }

    /** How a call's outcome reaches the listener: {@code done} is the reader's verdict (loads) or whether the read worked. */
    @FunctionalInterface
    private interface Outcome {
        void deliver(QPOSServiceListener listener, boolean done, KeyLoadReport report);
    }

    /** Queues a load, taking the expected KCV set for it. */
    private void load(KeyLoadReport.Operation operation, int keyIndex, String keyBlock, String ksn, TR31KeyType keyType,
            int timeoutSecs, Outcome outcome) {
        String expectedKcv = nextExpectedKcv.getAndSet(null);
        int timeoutMs = timeoutSecs > 0 ? (int) Math.min(Integer.MAX_VALUE, timeoutSecs * 1000L) : 0;
        submit(operation, keyIndex, () -> {
            String block = asciiKeyBlock(keyBlock);
            return backend.load(block, keyIndex, ksn, keyType, expectedKcv, timeoutMs);
        }, outcome);
    }

    /** Runs {@code call} on the worker, then its outcome or {@code onError}, then {@code onKeyLoadReport}. */
    private void submit(KeyLoadReport.Operation operation, int keyIndex, Supplier<KeyLoaderBackend.Result> call, Outcome outcome) {
        if (closed) {
            throw new IllegalStateException("QPOSService is closed");
        }
        worker.execute(() -> {
            KeyLoaderBackend.Result result;
            try {
                result = call.get();
            } catch (IllegalArgumentException e) {
                result = KeyLoaderBackend.Result.failed(Error.INPUT_INVALID.name(), e.getMessage());
            } catch (IllegalStateException e) {
                result = KeyLoaderBackend.Result.failed(Error.UNKNOWN.name(), e.getMessage());
            }
            deliver(new KeyLoadReport(operation, keyIndex, result), outcome);
        });
    }

    /**
     * A success, or the reader's refusal of a key or check value read, goes to the call's own
     * callback (with false); anything else is onError.
     */
    private void deliver(KeyLoadReport report, Outcome outcome) {
        KeyLoadReport.Operation op = report.getOperation();
        boolean verdict = report.isRefused() && op != KeyLoadReport.Operation.GET_QPOS_ID && op != KeyLoadReport.Operation.GET_QPOS_INFO;
        callback(l -> {
            if (outcome != null && (report.isSuccess() || verdict)) {
                outcome.deliver(l, report.isSuccess(), report);
            } else {
                l.onError(report.getError());
            }
            l.onKeyLoadReport(report);
        });
    }

    /** Runs {@code callbacks} on the listener, if any, through the callback executor (or here). */
    private void callback(Consumer<QPOSServiceListener> callbacks) {
        QPOSServiceListener l = listener;
        if (l == null) {
            return;
        }
        Executor executor = callbackExecutor;
        if (executor == null) {
            callbacks.accept(l);
        } else {
            executor.execute(() -> callbacks.accept(l));
        }
    }

    private DspreadSdkBackend vendorBackend() {
        return backend instanceof DspreadSdkBackend ? (DspreadSdkBackend) backend : null;
    }

    private void forwardIfAttached(String vendorMethod) {
        DspreadSdkBackend vendor = vendorBackend();
        if (vendor != null) {
            vendor.forward(vendorMethod);
        }
    }

    /** {@code keyIndex}, {@code kcv} and, if given, the same KCV under the vendor's {@code <TYPE>_KCV} name. */
    private static Hashtable<String, String> checkValues(KeyLoadReport report, String typeName) {
        Hashtable<String, String> kcv = new Hashtable<>();
        String value = report.getReaderKcv() == null ? NO_VALUE : report.getReaderKcv();
        kcv.put("keyIndex", Integer.toString(report.getKeyIndex()));
        kcv.put("kcv", value);
        if (typeName != null) {
            kcv.put(typeName, value);
        }
        return kcv;
    }

    /** The vendor's own table, with keybridge's {@code keyIndex} and (single types) {@code kcv} added. */
    private static Hashtable<String, String> vendorTable(int keyIndex, CHECKVALUE_KEYTYPE type, KeyLoadReport report) {
        Hashtable<String, String> table = new Hashtable<>(report.getDeviceInfo());
        table.put("keyIndex", Integer.toString(keyIndex));
        if (type != CHECKVALUE_KEYTYPE.DUKPT_MKSK_ALLTYPE) {
            table.put("kcv", table.getOrDefault(type.tableKey(), NO_VALUE));
        }
        return table;
    }

    /** The main looper's Handler, found by reflection; null where there is none (a plain JVM). */
    private static Object mainLooperHandler() {
        try {
            Class<?> looper = Class.forName("android.os.Looper");
            Object main = looper.getMethod("getMainLooper").invoke(null);
            return main == null ? null : Class.forName("android.os.Handler").getConstructor(looper).newInstance(main);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return null; // no Android here: callbacks stay on the worker thread
        }
    }

    /** An executor posting to {@code handler.post(Runnable)}, found by reflection (no Android dependency here). */
    private static Executor poster(Object handler) {
        Method post;
        try {
            post = handler.getClass().getMethod("post", Runnable.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("the handler has no post(Runnable): " + handler.getClass().getName());
        }
        return task -> {
            try {
                post.invoke(handler, task);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("posting a callback to the handler failed: " + e, e);
            }
        };
    }
}
