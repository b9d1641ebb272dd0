package io.keybridge.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A plain Java app finds the native library inside a jar on its class path (JNA's layout,
 * {@code linux-x86-64/libkeybridge_ffi.so}) when it is not on {@code java.library.path}, and loads
 * it once however many classes with natives it uses.
 */
class NativeLibraryTest {
    /**
     * Run in a child JVM: reaches the natives of two classes (a refused connection is NO_RESPONSE, a
     * published block's header is read) and counts the copies of the library mapped into the process.
     */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            try {
                NativeKeyLoader.openTcp("127.0.0.1:1", 500, false).close();
                System.out.println("connected?");
            } catch (ReaderException e) {
                System.out.println("natives loaded: " + e.getDspreadError());
            }
            System.out.println("usage " + Tr31Header.inspect(Tr31HeaderTest.TR31_2018_A74).getKeyUsage());
            long copies = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .filter(path -> path.contains("keybridge") && path.endsWith(System.mapLibraryName("")))
                    .distinct()
                    .count();
            System.out.println("copies mapped: " + copies);
        }
    }

    @Test
    void theLibraryLoadsFromAJarResourceWhenNotOnTheLibraryPath() throws Exception {
        File library = new File(System.getProperty("java.library.path").split(File.pathSeparator)[0],
                System.mapLibraryName(NativeLibrary.NAME));
        assertTrue(library.isFile(), "the test needs the built library at " + library);
        Path jar = Files.createTempFile("keybridge-natives", ".jar");
        try (JarOutputStream out = new JarOutputStream(new FileOutputStream(jar.toFile()))) {
            out.putNextEntry(new JarEntry(NativeLibrary.resourcePrefix() + "/" + library.getName()));
            Files.copy(library.toPath(), out);
            out.closeEntry();
        }
        // The probe (a test class) and keybridge's classes, wherever the build put each.
        String classes = new File(Probe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath()
                + File.pathSeparator
                + new File(NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        Process child = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-Djava.library.path=" + Files.createTempDirectory("empty"),
                "-cp", classes + File.pathSeparator + jar, Probe.class.getName())
                .redirectErrorStream(true)
                .start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals("natives loaded: NO_RESPONSE\nusage P0\ncopies mapped: 1", output);
        Files.delete(jar);
    }
}
