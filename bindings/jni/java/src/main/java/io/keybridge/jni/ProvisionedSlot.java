package io.keybridge.jni;

/** What became of one slot of a provisioning. Built by the natives (and the Kotlin backend). */
public final class ProvisionedSlot {
    /** What the service was told: loaded, failed, or indeterminate (the reader may hold the key). */
    public enum Outcome { LOADED, FAILED, INDETERMINATE }

    /** The service's judgement of a reported slot, comparing the reader's KCV with AWS's. */
    public enum Verdict {
        VERIFIED,
        /** The reader does not hold the key AWS exported. */
        MISMATCH,
        /** Nothing to compare: AWS's KCV is a CMAC (AES keys). Never counted as verified. */
        UNVERIFIABLE
    }

    private final int keyIndex;
    private final String keyArn;
    private final String ksn;
    private final String serviceKcv;
    private final String serviceKcvAlgorithm;
    private final Outcome outcome;
    private final String readerKcv;
    private final boolean verified;
    private final Verdict verdict;
    private final KeyLoadResult loaded;
    private final ReaderException failure;

    /** {@code outcome} and {@code verdict} (may be null) are enum names. */
    public ProvisionedSlot(int keyIndex, String keyArn, String ksn, String serviceKcv, String serviceKcvAlgorithm,
            String outcome, String readerKcv, boolean verified, String verdict, KeyLoadResult loaded, ReaderException failure) {
        this.keyIndex = keyIndex;
        this.keyArn = keyArn;
        this.ksn = ksn;
        this.serviceKcv = serviceKcv;
        this.serviceKcvAlgorithm = serviceKcvAlgorithm;
        this.outcome = Outcome.valueOf(outcome);
        this.readerKcv = readerKcv;
        this.verified = verified;
        this.verdict = verdict == null ? null : Verdict.valueOf(verdict);
        this.loaded = loaded;
        this.failure = failure;
    }

    public int getKeyIndex() { return keyIndex; }

    /** The key the service exported (the BDK of a DUKPT initial key). */
    public String getKeyArn() { return keyArn; }

    /** The initial KSN of a DUKPT initial key; null for other keys. */
    public String getKsn() { return ksn; }

    /** AWS's KCV of the exported key, hex. */
    public String getServiceKcv() { return serviceKcv; }

    /** {@code ANSI_X9_24} (comparable with the reader's KCV) or {@code CMAC} (AES keys: not comparable). */
    public String getServiceKcvAlgorithm() { return serviceKcvAlgorithm; }

    public Outcome getOutcome() { return outcome; }

    /** The KCV the reader reported (hex): the loaded key's, or the one that did not match; null if none. */
    public String getReaderKcv() { return readerKcv; }

    /** Loaded, and the reader's KCV matched a KCV known for the key. */
    public boolean isVerified() { return verified; }

    /** Null for a failed load, or when the report did not reach the service. */
    public Verdict getVerdict() { return verdict; }

    /** The load, when the reader took the key; null otherwise. */
    public KeyLoadResult getLoaded() { return loaded; }

    /** Why the load failed, with its Dspread error name; null when loaded. */
    public ReaderException getFailure() { return failure; }

    @Override
    public String toString() {
        return "ProvisionedSlot{keyIndex=" + keyIndex + ", " + outcome + (verified ? " verified" : "")
                + (readerKcv == null ? "" : ", readerKcv=" + readerKcv) + ", serviceKcv=" + serviceKcv + " (" + serviceKcvAlgorithm + ")"
                + (ksn == null ? "" : ", ksn=" + ksn) + (verdict == null ? "" : ", verdict=" + verdict)
                + (failure == null ? "" : ", failure=" + failure.getDspreadError() + ": " + failure.getMessage()) + "}";
    }
}
