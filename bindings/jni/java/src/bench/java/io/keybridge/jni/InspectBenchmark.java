package io.keybridge.jni;

import java.util.Arrays;

/**
 * Per-call cost of one key block inspect from Java through JNI ({@link Tr31Header#inspect}): the
 * same block and the same rounds as the Kotlin/JNA benchmark beside it, so the two mechanisms are
 * compared on one call. Run by bindings/scripts/bench-jvm.sh; README "Performance" has the figures.
 */
public final class InspectBenchmark {
    private static final String BLOCK =
            "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
    private static final int PER_ROUND = 20_000;
    private static final int ROUNDS = 9;

    private InspectBenchmark() {}

    public static void main(String[] args) {
        long sink = 0;
        for (int i = 0; i < PER_ROUND; i++) { // JIT warm-up
            sink += Tr31Header.inspect(BLOCK, Tr31Header.Profile.LENIENT).getLength();
        }
        double[] nsPerCall = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < PER_ROUND; i++) {
                sink += Tr31Header.inspect(BLOCK, Tr31Header.Profile.LENIENT).getLength();
            }
            nsPerCall[round] = (System.nanoTime() - start) / (double) PER_ROUND;
        }
        Arrays.sort(nsPerCall);
        if (sink != 112L * PER_ROUND * (ROUNDS + 1)) {
            throw new IllegalStateException("inspect read a wrong length");
        }
        System.out.printf("%-45s best %7.0f ns/call, median %7.0f ns/call%n",
                "inspect via Java/JNI: Tr31Header.inspect", nsPerCall[0], nsPerCall[ROUNDS / 2]);
    }
}
