package io.keybridge.jni;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The header of a TR-31 (ANSI X9.143 / ISO 20038) key block, read without the KBPK: what a station
 * shows, or checks, before a block goes to a reader. The block is parsed and validated by the
 * native library as {@link NativeKeyLoader#sendTr31Key} validates it before sending (syntax, the
 * X9.143 usage, algorithm and mode table, version rules) under the given {@link Profile}; the
 * payload stays encrypted. Weak wrapping (version A, an AES key under a TDES KBPK) is shown, with a
 * warning: loading such a block still needs the opt-in.
 */
public final class Tr31Header {
    static {
        NativeLibrary.load();
    }

    /** How strictly a block is read; every relaxation applied is in {@link #getWarnings()}. */
    public enum Profile {
        /** ANSI X9.143 as written. */
        STRICT,
        /** X9.143, and key lengths that are not obfuscated, as HSMs write them. */
        DEFAULT,
        /**
         * Also what ISO 20038 and older systems emit: lower-case hex, text in hex-valued optional
         * blocks, usage and mode pairs outside the X9.143 table, HMAC keys without HM.
         */
        LENIENT,
    }

    /** Fields before the warnings in the native's array: then their count, the warnings, and three per optional block. */
    private static final int FIXED_FIELDS = 10;

    private final String[] fields;
    private final List<String> warnings;
    private final List<OptionalBlock> optionalBlocks;

    private Tr31Header(String[] fields) {
        this.fields = fields;
        int warningCount = Integer.parseInt(fields[FIXED_FIELDS]);
        int firstBlock = FIXED_FIELDS + 1 + warningCount;
        this.warnings = List.of(Arrays.copyOfRange(fields, FIXED_FIELDS + 1, firstBlock));
        List<OptionalBlock> blocks = new ArrayList<>((fields.length - firstBlock) / 3);
        for (int i = firstBlock; i + 2 < fields.length; i += 3) {
            blocks.add(new OptionalBlock(fields[i], fields[i + 1], fields[i + 2]));
        }
        this.optionalBlocks = Collections.unmodifiableList(blocks);
    }

    /**
     * Reads a block's header under the default profile.
     *
     * @throws IllegalArgumentException naming the field and the position of what is wrong
     */
    public static Tr31Header inspect(String block) {
        return inspect(block, Profile.DEFAULT);
    }

    /**
     * Reads a block's header under {@code profile}.
     *
     * @throws IllegalArgumentException naming the field and the position of what is wrong
     */
    public static Tr31Header inspect(String block, Profile profile) {
        return new Tr31Header(nativeInspect(block, profile.ordinal()));
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

    /**
     * What the block does that strict X9.143 does not allow and the profile accepted, each naming
     * the relaxation and the character position, and weak wrapping; empty for a block that is
     * X9.143 as written.
     */
    public List<String> getWarnings() { return warnings; }

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

    private static native String[] nativeInspect(String block, int profile);
}
