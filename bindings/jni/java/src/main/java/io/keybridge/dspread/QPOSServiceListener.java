package io.keybridge.dspread;

import java.util.Hashtable;

/**
 * The key-loading callbacks of the Dspread {@code QPOSServiceListener}, same names and types, so
 * existing listener code compiles against keybridge. Each call on {@link QPOSService} ends in
 * exactly one of its result callbacks or {@link #onError}, and then in one
 * {@link #onKeyLoadReport} carrying the details.
 */
public interface QPOSServiceListener {
    /** Result of {@link QPOSService#sendTR31Key(String)}: true when the reader holds the key. */
    void onRequestSendTR31KeyResult(boolean success);

    /** Result of {@link QPOSService#updateKeyByTR_31}: true when the reader holds the key. */
    void onReturnUpdateKeyByTR_31Result(boolean success);

    /** Result of {@link QPOSService#getKeyCheckValue(int)}: keys {@code keyIndex} and {@code kcv} (hex). */
    void onGetKeyCheckValue(Hashtable<String, String> result);

    /** Why a call failed, with the Dspread error names. */
    void onError(QPOSService.Error errorState);

    /** keybridge's richer callback after every call: key index, the reader's KCV, typed error. */
    default void onKeyLoadReport(KeyLoadReport report) {}
}
