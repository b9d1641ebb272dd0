package io.keybridge.dspread;

import java.util.Hashtable;

/**
 * No-op {@link QPOSService.QPOSServiceListener}, like the Dspread adapter of the same name: every
 * callback of the vendor's listener (its 181) and keybridge's two do nothing until overridden, so a
 * listener class written for the vendor SDK extends this one unchanged.
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
