package io.keybridge.jni;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads {@code keybridge_ffi}, the one native library that holds both the JNI natives and the uniffi
 * (JNA) bindings. Looked up first on {@code java.library.path} (on Android: the APK's
 * {@code lib/<abi>/}); failing that, from the class path under JNA's resource layout
 * ({@code linux-x86-64/libkeybridge_ffi.so}, {@code darwin-aarch64/libkeybridge_ffi.dylib}, …), which
 * is copied to a temporary file first because a library cannot be loaded from inside a jar.
 * Loaded once per class loader, whichever class needs it first: a second copy out of the jar would
 * be a second Rust core, and handles made by one must never reach the other.
 */
final class NativeLibrary {
    static final String NAME = "keybridge_ffi";

    private static boolean loaded;

    private NativeLibrary() {}

    static synchronized void load() {
        if (loaded) {
            return;
        }
        try {
            System.loadLibrary(NAME);
        } catch (UnsatisfiedLinkError notOnLibraryPath) {
            String resource = resourcePrefix() + "/" + System.mapLibraryName(NAME);
            try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new UnsatisfiedLinkError("lib" + NAME + " is neither on java.library.path ("
                            + notOnLibraryPath.getMessage() + ") nor on the class path as " + resource);
                }
                File copy = File.createTempFile("keybridge", System.mapLibraryName(""));
                copy.deleteOnExit();
                Files.copy(in, copy.toPath(), StandardCopyOption.REPLACE_EXISTING);
                System.load(copy.getAbsolutePath());
            } catch (IOException e) {
                throw new UnsatisfiedLinkError("cannot copy " + resource + " out of the class path: " + e.getMessage());
            }
        }
        loaded = true;
    }

    /** JNA's name for this platform's folder: {@code <os>-<arch>}. */
    static String resourcePrefix() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osPart = os.startsWith("mac") || os.startsWith("darwin") ? "darwin"
                : os.startsWith("windows") ? "win32" : os.replace(" ", "");
        String archPart = arch.equals("amd64") || arch.equals("x86_64") ? "x86-64"
                : arch.equals("arm64") ? "aarch64" : arch;
        return osPart + "-" + archPart;
    }
}
