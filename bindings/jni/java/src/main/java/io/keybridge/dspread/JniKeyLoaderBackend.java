package io.keybridge.dspread;

import io.keybridge.jni.DeviceInfo;
import io.keybridge.jni.KeyBridgeException;
import io.keybridge.jni.KeyLoadResult;
import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.NativeKeyService;
import io.keybridge.jni.ProvisionListener;
import io.keybridge.jni.ReaderException;
import java.util.HashMap;
import java.util.Map;

/** {@link KeyLoaderBackend} on the JNI natives: keybridge's own connection to the reader. */
public final class JniKeyLoaderBackend implements KeyLoaderBackend {
    private final NativeKeyLoader loader;

    public JniKeyLoaderBackend(NativeKeyLoader loader) {
        if (loader == null) {
            throw new IllegalArgumentException("loader must not be null");
        }
        this.loader = loader;
    }

    @Override
    public Result load(String keyBlock, int keyIndex, String ksn, String expectedKcv, int timeoutMs) {
        return call(() -> {
            KeyLoadResult r = loader.sendTr31Key(keyBlock, keyIndex, ksn, expectedKcv, timeoutMs);
            return Result.loaded(r.getReaderKcv(), r.getKcvVerification(), r.getKeyUsage(), r.getWarnings());
        });
    }

    @Override
    public Result keyCheckValue(int keyIndex) {
        return call(() -> Result.keyCheckValue(loader.keyCheckValue(keyIndex)));
    }

    @Override
    public Result deviceInfo() {
        return call(() -> {
            DeviceInfo info = loader.deviceInfo();
            Map<String, String> table = new HashMap<>();
            table.put("posId", info.getPosId());
            table.put("psamId", info.getPsamId());
            table.put("extra", info.getExtra());
            return Result.deviceInfo(table);
        });
    }

    /** Opens a client for the one call: its token is dropped from native memory when it ends. */
    @Override
    public ProvisionResult provision(KeyServiceSettings settings, ProvisionListener listener) {
        try (NativeKeyService service = NativeKeyService.open(settings)) {
            return ProvisionResult.of(loader.provision(service, listener));
        } catch (KeyBridgeException e) {
            return ProvisionResult.failed(e);
        } catch (IllegalArgumentException e) {
            return ProvisionResult.failed(new ReaderException(e.getMessage(), QPOSService.Error.INPUT_INVALID.name()));
        } catch (IllegalStateException e) {
            return ProvisionResult.failed(new ReaderException(e.getMessage(), QPOSService.Error.UNKNOWN.name()));
        }
    }

    /** Cancels the native call in progress (see {@link NativeKeyLoader#cancel()}). */
    @Override
    public void cancel() {
        loader.cancel();
    }

    @Override
    public void close() {
        loader.close();
    }

    private interface NativeCall {
        Result run() throws KeyBridgeException;
    }

    /** Malformed input is INPUT_INVALID; reader failures carry their Dspread name, and the reader's verdicts say so. */
    private static Result call(NativeCall call) {
        try {
            return call.run();
        } catch (IllegalArgumentException e) {
            return Result.failed(QPOSService.Error.INPUT_INVALID.name(), e.getMessage());
        } catch (ReaderException e) {
            return e.isRefused() ? Result.refused(e.getDspreadError(), e.getMessage()) : Result.failed(e.getDspreadError(), e.getMessage());
        } catch (KeyBridgeException e) {
            return Result.failed(e.getDspreadError(), e.getMessage());
        }
    }
}
