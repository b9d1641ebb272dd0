package io.keybridge.jni;

/**
 * What another SDK reported for a command a {@link ReaderCommands} started: the load done, the
 * slot's KCV, the reader's ids, or a failure with its Dspread {@code QPOSService.Error} name. The native layer turns
 * it into the answer a reader would have sent; a TIMEOUT is no answer at all (the key may or may
 * not be stored, and keybridge settles that by reading the slot's KCV).
 */
public final class ReaderOutcome {
    /** A load the SDK reported {@code false} for, without an error. */
    public static final String REFUSED = "REFUSED";

    private final boolean load;
    private final String kcv;
    private final String error;
    private final String posId;
    private final String psamId;

    private ReaderOutcome(boolean load, String kcv, String error, String posId, String psamId) {
        this.load = load;
        this.kcv = kcv;
        this.error = error;
        this.posId = posId;
        this.psamId = psamId;
    }

    /** The reader holds the key (the SDK's {@code onReturnUpdateKeyByTR_31Result(true)}). */
    public static ReaderOutcome loaded() {
        return new ReaderOutcome(true, null, null, null, null);
    }

    /** The slot's KCV, hex. */
    public static ReaderOutcome keyCheckValue(String kcvHex) {
        return new ReaderOutcome(false, kcvHex, null, null, null);
    }

    /** The reader's POS and PSAM ids, hex (the SDK's {@code getQposId()} table). */
    public static ReaderOutcome deviceInfo(String posIdHex, String psamIdHex) {
        return new ReaderOutcome(false, null, null, posIdHex, psamIdHex);
    }

    /** The command failed: {@code error} is a Dspread error name or {@link #REFUSED}. */
    public static ReaderOutcome failed(boolean load, String error) {
        return new ReaderOutcome(load, null, error, null, null);
    }

    /** Whether this answers a load (else a KCV read). */
    public boolean isLoad() { return load; }

    public String getKcv() { return kcv; }

    public String getError() { return error; }

    /** The reader's POS id (hex) when this answers {@link ReaderCommands#startDeviceInfo()}; null otherwise. */
    public String getPosId() { return posId; }

    public String getPsamId() { return psamId; }

    @Override
    public String toString() {
        return "ReaderOutcome{" + (load ? "load" : posId != null ? "device info, posId=" + posId : "kcv")
                + (error != null ? ", error=" + error : kcv != null ? ", kcv=" + kcv : "") + "}";
    }
}
