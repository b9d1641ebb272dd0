import io.keybridge.Tr31KeyBlock;
import io.keybridge.Tr31Profile;

/**
 * A program whose class path is keybridge-kotlin and what its POM brings (keybridge-java, JNA,
 * kotlin-stdlib, kotlinx-coroutines), nothing else: JNA finds libkeybridge_ffi inside
 * keybridge-java's jar. Prints the key usage of the key block given as the argument.
 *
 * <pre>
 * java -cp "$(cat target/maven/full/keybridge-kotlin/runtime-classpath.txt):keybridge-kotlin-0.1.0.jar" \
 *     InspectBlock.java D0112P0AE00E0000…
 * </pre>
 */
public class InspectBlock {
    public static void main(String[] args) throws Exception {
        try (Tr31KeyBlock block = Tr31KeyBlock.Companion.parseWith(args[0], new Tr31Profile(true, false, false))) {
            System.out.println("key usage " + block.header().getKeyUsage());
        }
    }
}
