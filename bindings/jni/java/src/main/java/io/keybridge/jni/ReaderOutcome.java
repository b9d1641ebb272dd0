package io.keybridge.jni;

/**
 * What another SDK reported for a command a {@link ReaderCommands} started: the load done, the
 * slot's KCV, or a failure with its Dspread {@code QPOSService.Error} name. The native layer turns
 * it into the answer a reader would have sent; a TIMEOUT is no answer at all (the key may or may
 * not be stored, and keybridge settles that by reading the slot's KCV).
 */
public final class ReaderOutcome {
    /** A load the SDK reported {@code false} for, without an error. */
    public static final String REFUSED = "REFUSED";

    private final boolean load;
    private final String kcv;
    private final String error;

    private ReaderOutcome(boolean load, String kcv, String error) {
        this.load = load;
        this.kcv = kcv;
        this.error = error;
    }

    /** The reader holds the key (the SDK's {@code onReturnUpdateKeyByTR_31Result(true)}). */
    public static ReaderOutcome loaded() {
        return new ReaderOutcome(true, null, null);
    }

    /** The slot's KCV, hex. */
    public static ReaderOutcome keyCheckValue(String kcvHex) {
        return new ReaderOutcome(false, kcvHex, null);
    }

    /** The command failed: {@code error} is a Dspread error name or {@link #REFUSED}. */
    public static ReaderOutcome failed(boolean load, String error) {
        return new ReaderOutcome(load, null, error);
    }

    /** Whether this answers a load (else a KCV read). */
    public boolean isLoad() { return load; }

    public String getKcv() { return kcv; }

    public String getError() { return error; }

    @Override
    public String toString() {
        return "ReaderOutcome{" + (load ? "load" : "kcv") + (error != null ? ", error=" + error : kcv != null ? ", kcv=" + kcv : "")
                + "}";
    }
}
