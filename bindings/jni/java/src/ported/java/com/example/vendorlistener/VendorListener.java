package com.example.vendorlistener;

// Generated from dspread-sdk-8.5.4-api.txt (DspreadOrg/android 3d4ae357, the SDK's classes.jar read
// with javap), section "QPOSService.QPOSServiceListener": every one of the vendor listener's 181
// callbacks, in its order, with its parameter types. The vendor version of this class imports
// com.dspread.xpos.QPOSService and com.dspread.xpos.MPOSService instead.
import io.keybridge.dspread.MPOSService;
import io.keybridge.dspread.QPOSService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A listener written for the vendor SDK: it implements the vendor's listener interface directly,
 * overriding each of its 181 callbacks. Compiled by test-bindings.sh against keybridge-java.jar
 * alone (and android-all for the Android types): each {@code @Override} must find its method in
 * keybridge's {@code QPOSService.QPOSServiceListener}, and keybridge's interface may require no
 * method the vendor's lacks.
 */
public class VendorListener implements QPOSService.QPOSServiceListener {
    /** How many callbacks arrived. */
    public int calls;

    @Override
    public void getMifareCardVersion(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void getMifareFastReadData(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void getMifareReadData(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onActivateMifareCardResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onAddKey(boolean result) {
        calls++;
    }

    @Override
    public void onAuthenticateMifareCardResult(boolean result) {
        calls++;
    }

    @Override
    public void onBatchReadMifareCardResult(String data, Hashtable<String, List<String>> table) {
        calls++;
    }

    @Override
    public void onBatchWriteMifareCardResult(String data, Hashtable<String, List<String>> table) {
        calls++;
    }

    @Override
    public void onBluetoothBoardStateResult(boolean result) {
        calls++;
    }

    @Override
    public void onBluetoothBondFailed() {
        calls++;
    }

    @Override
    public void onBluetoothBondTimeout() {
        calls++;
    }

    @Override
    public void onBluetoothBonded() {
        calls++;
    }

    @Override
    public void onBluetoothBonding() {
        calls++;
    }

    @Override
    public void onCardDetectedResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onCbcMacResult(String data) {
        calls++;
    }

    @Override
    public void onConfirmAmountResult(boolean result) {
        calls++;
    }

    @Override
    public void onD20StatusResult(String data) {
        calls++;
    }

    @Override
    public void onDeactivateMifareCardResult(boolean result) {
        calls++;
    }

    @Override
    public void onDecreaseValueResult(boolean result) {
        calls++;
    }

    @Override
    public void onDeviceFound(android.bluetooth.BluetoothDevice bluetoothDevice) {
        calls++;
    }

    @Override
    public void onDoTradeResult(QPOSService.DoTradeResult doTradeResult, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onEmvICCExceptionData(String data) {
        calls++;
    }

    @Override
    public void onEncryptData(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onError(QPOSService.Error error) {
        calls++;
    }

    @Override
    public void onFinishM1Card(boolean result) {
        calls++;
    }

    @Override
    public void onGetBuzzerStatusResult(String data) {
        calls++;
    }

    @Override
    public void onGetCardInfoResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onGetCardNoResult(String data) {
        calls++;
    }

    @Override
    public void onGetDevicePubKey(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onGetDeviceTestResult(boolean result) {
        calls++;
    }

    @Override
    public void onGetInputAmountResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onGetKeyCheckValue(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onGetPosComm(int value, String data, String data2) {
        calls++;
    }

    @Override
    public void onGetShutDownTime(String data) {
        calls++;
    }

    @Override
    public void onGetSleepModeTime(String data) {
        calls++;
    }

    @Override
    public void onIncreaseValueResult(boolean result) {
        calls++;
    }

    @Override
    public void onLcdShowCustomDisplay(boolean result) {
        calls++;
    }

    @Override
    public void onOperateMifareCardResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onPinKey_TDES_Result(String data) {
        calls++;
    }

    @Override
    public void onQposCertificateInfoResult(List<String> list) {
        calls++;
    }

    @Override
    public void onQposDoGetTradeLog(String data, String data2) {
        calls++;
    }

    @Override
    public void onQposDoGetTradeLogNum(String data) {
        calls++;
    }

    @Override
    public void onQposDoSetRsaPublicKey(boolean result) {
        calls++;
    }

    @Override
    public void onQposDoTradeLog(boolean result) {
        calls++;
    }

    @Override
    public void onQposGenerateSessionKeysResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onQposGetDeviceECCPublicKeyResult(String data) {
        calls++;
    }

    @Override
    public void onQposGetLEDColorResult(String data) {
        calls++;
    }

    @Override
    public void onQposGetRealTimeSelfDestructStatus(boolean result, String data) {
        calls++;
    }

    @Override
    public void onQposIdResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onQposInfoResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onQposInitModeResult(boolean result) {
        calls++;
    }

    @Override
    public void onQposIsCardExist(boolean result) {
        calls++;
    }

    @Override
    public void onQposIsCardExistInOnlineProcess(boolean result) {
        calls++;
    }

    @Override
    public void onQposKsnResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onQposPinMapSyncResult(boolean result, boolean result2) {
        calls++;
    }

    @Override
    public void onQposRequestPinResult(List<String> list, int value) {
        calls++;
    }

    @Override
    public void onQposRequestPinStartResult(List<String> list) {
        calls++;
    }

    @Override
    public void onQposSetLEDColorResult(boolean result) {
        calls++;
    }

    @Override
    public void onQposTestCommandResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onQposTestResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onQposTestSelfCommandResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onQposUpdateDataWithKeyResult(boolean result) {
        calls++;
    }

    @Override
    public void onQposUpdateServerECCPublicKeyResult(boolean result) {
        calls++;
    }

    @Override
    public void onReadBusinessCardResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onReadGasCardResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onReadM1CardData(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReadMifareBlockResult(String data) {
        calls++;
    }

    @Override
    public void onReadMifareBlocksContinuouslyResult(List<Hashtable<String, String>> list) {
        calls++;
    }

    @Override
    public void onReadMifareCardResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReadMifareValueResult(int value) {
        calls++;
    }

    @Override
    public void onReadULNdefCardData(boolean result, byte[] bytes) {
        calls++;
    }

    @Override
    public void onRequestBatchData(String data) {
        calls++;
    }

    @Override
    public void onRequestCalculateMac(String data) {
        calls++;
    }

    @Override
    public void onRequestDevice() {
        calls++;
    }

    @Override
    public void onRequestDeviceScanFinished() {
        calls++;
    }

    @Override
    public void onRequestDisplay(QPOSService.Display display) {
        calls++;
    }

    @Override
    public void onRequestFinalConfirm() {
        calls++;
    }

    @SuppressWarnings("rawtypes")
    @Override
    public void onRequestGenerateTransportKey(Hashtable table) {
        calls++;
    }

    @Override
    public void onRequestIsServerConnected() {
        calls++;
    }

    @Override
    public void onRequestNFCBatchData(QPOSService.TransactionResult transactionResult, String data) {
        calls++;
    }

    @Override
    public void onRequestNoQposDetected() {
        calls++;
    }

    @Override
    public void onRequestNoQposDetectedUnbond() {
        calls++;
    }

    @Override
    public void onRequestOnlineProcess(String data) {
        calls++;
    }

    @Override
    public void onRequestQposConnected() {
        calls++;
    }

    @Override
    public void onRequestQposDisconnected() {
        calls++;
    }

    @Override
    public void onRequestSelectEmvApp(ArrayList<String> list) {
        calls++;
    }

    @Override
    public void onRequestSendTR31KeyResult(boolean result) {
        calls++;
    }

    @Override
    public void onRequestSetAmount() {
        calls++;
    }

    @Override
    public void onRequestSetMPOCPin() {
        calls++;
    }

    @Override
    public void onRequestSetPin() {
        calls++;
    }

    @Override
    public void onRequestSignatureResult(byte[] bytes) {
        calls++;
    }

    @Override
    public void onRequestTime() {
        calls++;
    }

    @Override
    public void onRequestTransactionLog(String data) {
        calls++;
    }

    @Override
    public void onRequestTransactionResult(QPOSService.TransactionResult transactionResult) {
        calls++;
    }

    @Override
    public void onRequestUpdateKey(String data) {
        calls++;
    }

    @Override
    public void onRequestUpdateWorkKeyResult(QPOSService.UpdateInformationResult updateInformationResult) {
        calls++;
    }

    @Override
    public void onRequestUpdateWorkKeyResult(QPOSService.UpdateInformationResult updateInformationResult, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onRequestWaitingUser() {
        calls++;
    }

    @Override
    public void onRetuenGetTR31Token(String data) {
        calls++;
    }

    @Override
    public void onReturPosSelfDestructRecords(boolean result, String data) {
        calls++;
    }

    @Override
    public void onReturnAESTransmissonKeyResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onReturnAnalyseDigEnvelop(String data) {
        calls++;
    }

    @Override
    public void onReturnApduResult(boolean result, String data, int value) {
        calls++;
    }

    @Override
    public void onReturnBatchSendAPDUResult(LinkedHashMap<Integer, String> table) {
        calls++;
    }

    @Override
    public void onReturnCheckCardResult(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnConverEncryptedBlockFormat(String data) {
        calls++;
    }

    @Override
    public void onReturnCustomConfigResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onReturnD20SleepTimeResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnDeviceCSRResult(String data) {
        calls++;
    }

    @Override
    public void onReturnDeviceCertAndSignatureResult(String data, String data2) {
        calls++;
    }

    @Override
    public void onReturnDeviceSigningCertResult(String data, String data2) {
        calls++;
    }

    @Override
    public void onReturnDisplayQRCodeResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnDoInputCustomStr(boolean result, String data, String data2) {
        calls++;
    }

    @Override
    public void onReturnDownloadRsaPublicKey(HashMap<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnGetConnectedShutDownTimeResult(String data) {
        calls++;
    }

    @Override
    public void onReturnGetCustomEMVListResult(Map<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnGetEMVListResult(String data) {
        calls++;
    }

    @Override
    public void onReturnGetKeyBoardInputResult(String data) {
        calls++;
    }

    @Override
    public void onReturnGetMPOCPinResult(String data, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnGetPinInputResult(int value, QPOSService.PinError pinError, int value2, int value3) {
        calls++;
    }

    @Override
    public void onReturnGetPinResult(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnGetQuickEmvResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnMPUCardInfo(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnNFCApduResult(boolean result, String data, int value) {
        calls++;
    }

    @Override
    public void onReturnOperateLEDByTypeResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnPlayBuzzerByTypeResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnPosFirmwareUpdateProgressResult(int value) {
        calls++;
    }

    @Override
    public void onReturnPowerOffCardResult(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnPowerOffFelicaResult(MPOSService.FelicaStatusCode felicaStatusCode) {
        calls++;
    }

    @Override
    public void onReturnPowerOffIccResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnPowerOffNFCResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnPowerOnCardResult(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnPowerOnFelicaResult(MPOSService.FelicaStatusCode felicaStatusCode) {
        calls++;
    }

    @Override
    public void onReturnPowerOnIccResult(boolean result, String data, String data2, int value) {
        calls++;
    }

    @Override
    public void onReturnPowerOnNFCResult(boolean result, QPOSService.CardsType cardsType, String data, int value) {
        calls++;
    }

    @Override
    public void onReturnRSAResult(String data) {
        calls++;
    }

    @Override
    public void onReturnReadCardResult(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnReversalData(String data) {
        calls++;
    }

    @Override
    public void onReturnRsaResult(String data) {
        calls++;
    }

    @Override
    public void onReturnSearchCardResult(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnSendApduFelicaResult(MPOSService.FelicaStatusCode felicaStatusCode, String data, String data2) {
        calls++;
    }

    @Override
    public void onReturnServerCertResult(String data, String data2) {
        calls++;
    }

    @Override
    public void onReturnSetAESResult(boolean result, String data) {
        calls++;
    }

    @Override
    public void onReturnSetConnectedShutDownTimeResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnSetMasterKeyResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnSetMasterKeyResult(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onReturnSetSleepTimeResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnSignature(boolean result, String data) {
        calls++;
    }

    @Override
    public void onReturnSignatureAndCertificatesResult(String data, String data2, String data3) {
        calls++;
    }

    @Override
    public void onReturnSpLogResult(String data) {
        calls++;
    }

    @Override
    public void onReturnStoreCertificatesResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnSyncVersionInfo(QPOSService.FirmwareStatus firmwareStatus, String data, QPOSService.QposStatus qposStatus) {
        calls++;
    }

    @Override
    public void onReturnUpdateCAPKResult(boolean result, List<String> list) {
        calls++;
    }

    @Override
    public void onReturnUpdateEMVRIDResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnUpdateEMVResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnUpdateIPEKResult(boolean result) {
        calls++;
    }

    @Override
    public void onReturnUpdateKeyByTR_31Result(boolean result) {
        calls++;
    }

    @Override
    public void onReturniccCashBack(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onSetBuzzerResult(boolean result) {
        calls++;
    }

    @Override
    public void onSetBuzzerStatusResult(boolean result) {
        calls++;
    }

    @Override
    public void onSetBuzzerTimeResult(boolean result) {
        calls++;
    }

    @Override
    public void onSetCustomLogoDisplay(boolean result) {
        calls++;
    }

    @Override
    public void onSetManagementKey(boolean result) {
        calls++;
    }

    @Override
    public void onSetParamsResult(boolean result, Hashtable<String, Object> table) {
        calls++;
    }

    @Override
    public void onSetPosBluConfig(boolean result) {
        calls++;
    }

    @Override
    public void onSetSleepModeTime(boolean result) {
        calls++;
    }

    @Override
    public void onSetVendorIDResult(boolean result, Hashtable<String, Object> table) {
        calls++;
    }

    @Override
    public void onTradeCancelled() {
        calls++;
    }

    @Override
    public void onTransferValueResult(boolean result) {
        calls++;
    }

    @Override
    public void onUpdateMasterKeyResult(boolean result, Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void onUpdatePosFirmwareResult(QPOSService.UpdateInformationResult updateInformationResult) {
        calls++;
    }

    @Override
    public void onWaitingforData(String data) {
        calls++;
    }

    @Override
    public void onWriteBusinessCardResult(boolean result) {
        calls++;
    }

    @Override
    public void onWriteGasCardResult(boolean result) {
        calls++;
    }

    @Override
    public void onWriteM1CardData(boolean result) {
        calls++;
    }

    @Override
    public void onWriteMifareBlockResult(boolean result) {
        calls++;
    }

    @Override
    public void onWriteMifareValueResult(boolean result) {
        calls++;
    }

    @Override
    public void onWriteULNdefCardData(boolean result) {
        calls++;
    }

    @Override
    public void transferMifareData(String data) {
        calls++;
    }

    @Override
    public void verifyMifareULData(Hashtable<String, String> table) {
        calls++;
    }

    @Override
    public void writeMifareULData(String data) {
        calls++;
    }
}
