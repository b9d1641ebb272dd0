package io.keybridge.dspread;

import io.keybridge.jni.KeyBridgeException;
import io.keybridge.jni.NativeKeyLoader;

/** {@link KeyLoaderBackend} on the JNI library. */
public final class JniKeyLoaderBackend implements KeyLoaderBackend {
    private final NativeKeyLoader loader;

    public JniKeyLoaderBackend(NativeKeyLoader loader) {
        if (loader == null) {
            throw new IllegalArgumentException("loader must not be null");
        }
        this.loader = loader;
    }

    @Override
    public Result load(String keyBlock, int keyIndex, String ksn, int timeoutMs) {
        try {
            return Result.ok(loader.sendTr31Key(keyBlock, keyIndex, ksn, timeoutMs).getReaderKcv());
        } catch (IllegalArgumentException e) {
            return Result.failed("INPUT_INVALID", e.getMessage());
        } catch (KeyBridgeException e) {
            return Result.failed(e.getDspreadError(), e.getMessage());
        }
    }

    @Override
    public Result keyCheckValue(int keyIndex) {
        try {
            return Result.ok(loader.keyCheckValue(keyIndex));
        } catch (IllegalArgumentException e) {
            return Result.failed("INPUT_INVALID", e.getMessage());
        } catch (KeyBridgeException e) {
            return Result.failed(e.getDspreadError(), e.getMessage());
        }
    }

    @Override
    public void close() {
        loader.close();
    }
}
