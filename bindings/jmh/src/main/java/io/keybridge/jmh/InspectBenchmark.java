package io.keybridge.jmh;

import io.keybridge.KeyBlockException;
import io.keybridge.Tr31KeyBlock;
import io.keybridge.Tr31Profile;
import io.keybridge.UniffiRustCallStatus;
import io.keybridge.jni.Tr31Header;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one call from the JVM into keybridge's Rust costs: the key block inspect of the Rust
 * criterion bench {@code cargo bench -p keybridge-ffi --bench inspect} (parse a block, read its
 * header), made from Java through JNI ({@link Tr31Header#inspect}: one native call) and through
 * the uniffi Kotlin bindings over JNA, and the parts the JNA path is made of: every call uniffi's
 * Kotlin makes into Rust allocates a JNA {@code Structure} for the call status (with a nested
 * {@code RustBuffer}), and one inspect through {@link Tr31KeyBlock} is seven such calls (two
 * buffer allocations for the arguments, the constructor, a handle clone, {@code header}, the
 * buffer free, the destructor). Results (average time per call) feed the returned values to JMH,
 * so that no call is optimized away.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InspectBenchmark {
    /** A version D block (AES-256 KBPK) from the published vectors, as the Rust bench uses. */
    static final String BLOCK =
            "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";

    private final Tr31Profile lenient = new Tr31Profile(true, false, false); // lenient, no weak wrapping, not strict
    private Tr31KeyBlock held;

    @Setup(Level.Trial)
    public void parseOnce() throws KeyBlockException {
        held = Tr31KeyBlock.Companion.parseWith(BLOCK, lenient);
    }

    @TearDown(Level.Trial)
    public void close() {
        held.close();
    }

    /** JNI: the whole inspect in one native call. */
    @Benchmark
    public long jniInspect() {
        return Tr31Header.inspect(BLOCK, Tr31Header.Profile.LENIENT).getLength();
    }

    /** JNA: the whole inspect through the uniffi bindings (parseWith + header + close). */
    @Benchmark
    public int jnaInspect() throws KeyBlockException {
        try (Tr31KeyBlock block = Tr31KeyBlock.Companion.parseWith(BLOCK, lenient)) {
            return block.header().getOptionalBlocks().size();
        }
    }

    /** JNA: one call into Rust with nothing to convert, on a block parsed beforehand. */
    @Benchmark
    public long jnaOneCall() {
        return held.length();
    }

    /** JNA: header() on a block parsed beforehand (one call and the record it returns). */
    @Benchmark
    public int jnaHeader() {
        return held.header().getOptionalBlocks().size();
    }

    /** JNA: the call-status Structure alone, allocated by every uniffi call. */
    @Benchmark
    public byte jnaCallStatus() {
        return new UniffiRustCallStatus().code;
    }
}
