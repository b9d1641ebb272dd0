package com.example.keyinjection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keybridge.Simulator;
import io.keybridge.TestBlocks;
import io.keybridge.dspread.JniKeyLoaderBackend;
import io.keybridge.jni.NativeKeyLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ported demo-shaped class runs unchanged on keybridge: each call lands in the callback the vendor SDK uses. */
class PortedKeyInjectionTest {
    @Test
    void thePortedDemoCodeLoadsKeysAndReadsTheReader() throws Exception {
        try (Simulator sim = Simulator.tcp("--status", "mac-error")) {
            KeyInjection ui = new KeyInjection();
            ui.open(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress())));
            ui.updateKey(TestBlocks.getPinBlock());
            // The reader refuses the key: the vendor's result false, not onError.
            assertEquals(List.of("send TR31 key fail"), ui.awaitMessages(1, 20_000));
            ui.close();
        }
        try (Simulator sim = Simulator.tcp()) {
            KeyInjection ui = new KeyInjection();
            ui.open(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress())));
            ui.updateKey(TestBlocks.getPinBlockHex());
            ui.updateKey(5, TestBlocks.getPinBlock());
            ui.sendKey(TestBlocks.getPinBlock());
            ui.getPosInfo("keycheckvalue");
            ui.getPosInfo("posid");
            ui.getPosInfo("posinfo");
            ui.updateKey(12, TestBlocks.getPinBlock());
            assertEquals(List.of(
                    "send TR31 key success! The keyType is P0",
                    "update key by TR31: true",
                    "send TR31 key: true",
                    // All types (0x23/0x20, 0xFF): the vendor's table, the PIN key under MKSK_PIK_KCV, an
                    // empty TMK as zeros.
                    "key check value: " + TestBlocks.getPinKeyKcv() + " (MKSK_TMK_KCV : 000000)",
                    "posId: 3131313131313131 psamId: " + "11".repeat(10),
                    "posInfo: posId 3131313131313131 firmware ''",
                    "error: input invalid"), ui.awaitMessages(7, 20_000));
            ui.close();
        }
    }
}
