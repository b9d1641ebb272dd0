package io.keybridge.dspread;

import java.util.Hashtable;

/**
 * No-op {@link QPOSService.QPOSServiceListener}, like the Dspread adapter of the same name:
 * extend it and override what you need.
 */
public class CQPOSService implements QPOSService.QPOSServiceListener {
    @Override
    public void onRequestSendTR31KeyResult(boolean success) {}

    @Override
    public void onReturnUpdateKeyByTR_31Result(boolean success) {}

    @Override
    public void onReturnupdateKeyByTR_31Result(boolean success, String keyType) {}

    @Override
    public void onGetKeyCheckValue(Hashtable<String, String> checkValue) {}

    @Override
    public void onQposIdResult(Hashtable<String, String> posIdTable) {}

    @Override
    public void onQposInfoResult(Hashtable<String, String> posInfoData) {}

    @Override
    public void onError(QPOSService.Error errorState) {}
}
