package io.keybridge.jni;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The header of a TR-31 (ANSI X9.143 / ISO 20038) key block, read without the KBPK: what a station
 * shows, or checks, before a block goes to a reader. The block is parsed and validated by the
 * native library exactly as {@link NativeKeyLoader#sendTr31Key} validates it before sending (syntax,
 * the X9.143 usage, algorithm and mode table, version rules), under the strict profile unless
 * {@code lenient} is given; the payload stays encrypted.
 */
public final class Tr31Header {
    static {
        NativeLibrary.load();
    }

    /** Fields before the optional blocks in the native's array; each optional block adds three. */
    private static final int FIXED_FIELDS = 10;

    private final String[] fields;
    private final List<OptionalBlock> optionalBlocks;

    private Tr31Header(String[] fields) {
        this.fields = fields;
        List<OptionalBlock> blocks = new ArrayList<>((fields.length - FIXED_FIELDS) / 3);
        for (int i = FIXED_FIELDS; i + 2 < fields.length; i += 3) {
            blocks.add(new OptionalBlock(fields[i], fields[i + 1], fields[i + 2]));
        }
        this.optionalBlocks = Collections.unmodifiableList(blocks);
    }

    /**
     * Reads a block's header under strict X9.143.
     *
     * @throws IllegalArgumentException naming the field and the position of what is wrong
     */
    public static Tr31Header inspect(String block) {
        return inspect(block, false, false);
    }

    /**
     * Reads a block's header.
     *
     * @param lenient accept what HSMs and the standards' own examples emit (no key length
     *     obfuscation, lower-case hex, combinations outside the X9.143 table)
     * @param allowWeakWrapping accept version A and AES keys under TDES KBPKs
     * @throws IllegalArgumentException naming the field and the position of what is wrong
     */
    public static Tr31Header inspect(String block, boolean lenient, boolean allowWeakWrapping) {
        return new Tr31Header(nativeInspect(block, lenient, allowWeakWrapping));
    }

    /** Key block version: A, B, C, D or E. */
    public String getVersion() { return fields[0]; }

    /** Key usage code, e.g. {@code P0}, {@code B1}, {@code K0}. */
    public String getKeyUsage() { return fields[1]; }

    /** What the key usage means, in the standard's words. */
    public String getKeyUsageMeaning() { return fields[2]; }

    /** Algorithm code, e.g. {@code T} (TDES), {@code A} (AES). */
    public String getAlgorithm() { return fields[3]; }

    /** What the algorithm code means. */
    public String getAlgorithmMeaning() { return fields[4]; }

    /** Mode of use code, e.g. {@code E}, {@code B}, {@code N}. */
    public String getModeOfUse() { return fields[5]; }

    /** Key version field: {@code 00} for none. */
    public String getKeyVersion() { return fields[6]; }

    /** Exportability code: {@code E}, {@code N} or {@code S}. */
    public String getExportability() { return fields[7]; }

    /** Key context code. */
    public String getKeyContext() { return fields[8]; }

    /** The block's length in characters, as its length field says (and the block is). */
    public int getLength() { return Integer.parseInt(fields[9]); }

    /** The optional blocks in the order the block has them, verbatim, the padding block {@code PB} included. */
    public List<OptionalBlock> getOptionalBlocks() { return optionalBlocks; }

    @Override
    public String toString() {
        return "Tr31Header{version=" + getVersion() + ", keyUsage=" + getKeyUsage() + ", algorithm=" + getAlgorithm()
                + ", modeOfUse=" + getModeOfUse() + ", keyVersion=" + getKeyVersion() + ", exportability="
                + getExportability() + ", keyContext=" + getKeyContext() + ", optionalBlocks=" + optionalBlocks + "}";
    }

    /** One optional block, verbatim, with the standard's name for known ids. */
    public static final class OptionalBlock {
        private final String id;
        private final String data;
        private final String meaning;

        OptionalBlock(String id, String data, String meaning) {
            this.id = id;
            this.data = data;
            this.meaning = meaning;
        }

        /** The two-character id, e.g. {@code KS}, {@code PB}. */
        public String getId() { return id; }

        /** The block's data, verbatim. */
        public String getData() { return data; }

        /** The standard's name for the id; null for proprietary (numeric) and unknown ids. */
        public String getMeaning() { return meaning; }

        @Override
        public String toString() {
            return id + "=" + data;
        }
    }

    private static native String[] nativeInspect(String block, boolean lenient, boolean allowWeakWrapping);
}
