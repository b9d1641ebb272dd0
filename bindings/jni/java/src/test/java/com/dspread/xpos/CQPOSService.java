package com.dspread.xpos;

import java.util.Hashtable;

/** TEST STAND-IN for the Dspread SDK's no-op listener adapter (see {@link QPOSService}). */
public class CQPOSService implements QPOSService.QPOSServiceListener {
    @Override
    public void onRequestQposConnected() {}

    @Override
    public void onRequestQposDisconnected() {}

    @Override
    public void onQposIdResult(Hashtable<String, String> posIdTable) {}

    @Override
    public void onError(QPOSService.Error errorState) {}

    @Override
    public void onGetKeyCheckValue(Hashtable<String, String> checkValue) {}

    @Override
    public void onReturnUpdateKeyByTR_31Result(boolean result) {}

    @Override
    public void onRequestSendTR31KeyResult(boolean result) {}

    @Override
    public void onTradeCancelled() {}
}
