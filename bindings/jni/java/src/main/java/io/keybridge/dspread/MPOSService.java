package io.keybridge.dspread;

/**
 * The vendor SDK's {@code com.dspread.xpos.MPOSService}, {@link QPOSService}'s superclass, for the
 * types it nests that the listener names ({@code MPOSService.FelicaStatusCode}): a listener that
 * refers to them compiles unchanged. Nothing else of it is keybridge's to offer.
 */
public abstract class MPOSService {
    MPOSService() {}

    /**
     * The FeliCa status of the {@code on…FelicaResult} callbacks. Its constants are not in the
     * 8.5.4 API listing; these names and their order are those of the public Dspread React Native
     * wrapper's {@code FelicaStatusCode} (DispreadPosSdkReact.types), not confirmed against 8.5.4.
     */
    public enum FelicaStatusCode {
        NFC_FELICA_SUCCESS, NFC_FELICA_PARAM_ERROR, NFC_FELICA_POLL_ERROR, NFC_FELICA_OPERATION_ERROR,
        NFC_FELICA_RAW_TRANS_ERROR, NFC_FELICA_TIMEOUT, NFC_FELICA_ERROR_END
    }
}
