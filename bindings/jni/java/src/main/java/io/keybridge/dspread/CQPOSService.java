package io.keybridge.dspread;

import java.util.Hashtable;

/** No-op {@link QPOSServiceListener}, like the Dspread adapter: override what you need. */
public abstract class CQPOSService implements QPOSServiceListener {
    @Override
    public void onRequestSendTR31KeyResult(boolean success) {}

    @Override
    public void onReturnUpdateKeyByTR_31Result(boolean success) {}

    @Override
    public void onGetKeyCheckValue(Hashtable<String, String> result) {}

    @Override
    public void onError(QPOSService.Error errorState) {}
}
