package io.keybridge.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.testing.KeyService;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * keybridge-java.jar (bindings/scripts/build-java-jar.sh) is all a Java integrator needs: the example
 * key-injection station is compiled with only the jar on its class path and run in a JVM whose
 * class path is the jar and the example and whose library path is empty, so the native library
 * comes out of the jar. It provisions a reader from the real key service.
 */
class JavaJarTest {
    @Test
    void aProgramWithOnlyTheJarOnItsClassPathProvisionsAReader() throws Exception {
        String jar = System.getProperty("keybridge.javaJar");
        Path example = Path.of(System.getProperty("keybridge.javaExamples"), "ProvisionStation.java");
        assertTrue(new File(jar).isFile(), "build the jar first: bindings/scripts/build-java-jar.sh (" + jar + ")");
        Path classes = Files.createTempDirectory("consumer");
        int compiled = ToolProvider.getSystemJavaCompiler()
                .run(null, null, null, "-classpath", jar, "-d", classes.toString(), example.toString());
        assertEquals(0, compiled, "the example compiles against the jar alone");

        try (KeyService service = new KeyService(); Simulator sim = Simulator.tcp(service.readerFlags("0C01"))) {
            String token = service.enrol("0C01", "dukpt");
            ProcessBuilder station = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                    "-Djava.library.path=" + Files.createTempDirectory("no-libraries"),
                    "-cp", jar + File.pathSeparator + classes, "ProvisionStation", sim.getAddress(), service.getUrl())
                    .redirectErrorStream(true);
            station.environment().put("KEYBRIDGE_TOKEN", token);
            Process process = station.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
            assertEquals(0, process.exitValue(), output);
            assertTrue(output.contains("slot 0: LOADED, verified, reader KCV "), output);
            assertTrue(output.contains("reader 0C01, request "), output);
            assertFalse(output.contains(token), output);
        }
    }
}
