package io.keybridge.jni;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** A key the reader accepted. Built by the natives. */
public final class KeyLoadResult {
    private final int keyIndex;
    private final String keyUsage;
    private final String readerKcv;
    private final String kcvVerification;
    private final List<String> warnings;

    public KeyLoadResult(int keyIndex, String keyUsage, String readerKcv, String kcvVerification, String warnings) {
        this.keyIndex = keyIndex;
        this.keyUsage = keyUsage;
        this.readerKcv = readerKcv;
        this.kcvVerification = kcvVerification;
        this.warnings = warnings.isEmpty()
                ? Collections.<String>emptyList()
                : Collections.unmodifiableList(Arrays.asList(warnings.split("\n")));
    }

    public int getKeyIndex() { return keyIndex; }

    /** TR-31 key usage of the loaded block, e.g. {@code P0}. */
    public String getKeyUsage() { return keyUsage; }

    /** The KCV the reader reports for the slot, upper-case hex (empty if it reports none). */
    public String getReaderKcv() { return readerKcv; }

    /** MATCHED_KEY_BLOCK (the block's KC), MATCHED_EXPECTED, or UNVERIFIED: the reader accepted the key but no KCV proved it. */
    public String getKcvVerification() { return kcvVerification; }

    /**
     * Whether the reader's KCV matched a KCV known for the key (the block's KC, the expected KCV):
     * the reader holds this key. False means UNVERIFIED: the reader said it took the key, and no
     * KCV could prove it, which is all the vendor SDK's {@code true} ever says.
     */
    public boolean isKcvVerified() { return !"UNVERIFIED".equals(kcvVerification); }

    public List<String> getWarnings() { return warnings; }

    @Override
    public String toString() {
        return "KeyLoadResult{keyIndex=" + keyIndex + ", keyUsage=" + keyUsage + ", readerKcv=" + readerKcv
                + ", kcvVerification=" + kcvVerification + ", warnings=" + warnings + "}";
    }
}
