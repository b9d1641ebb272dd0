package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.jni.KeyServiceException;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.ProvisionReport;
import io.keybridge.jni.ProvisionedSlot;
import io.keybridge.testing.KeyService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code QPOSService.provisionFromService} as a Java integrator calls it, against {@code keybridge serve}
 * and the AWS emulator as processes and the reader simulator, over keybridge's own connection (JNI
 * and uniffi backends): one {@code onReturnUpdateKeyByTR_31Result} per slot, then one
 * {@code onProvisionResult}.
 */
class ProvisionFromServiceTest {
    private interface Opener {
        QPOSService open(Simulator sim) throws Exception;
    }

    private static final Opener JNI = sim ->
            QPOSService.getInstance(new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress())));

    private static final Opener UNIFFI = sim -> UniffiKeyLoaderBackend.openTcp(sim.getAddress());

    /** Provisions reader {@code posId} through {@code opener} and checks what the reader and the service hold. */
    private static void provisionsEverySlotWithOneCallbackEach(Opener opener, String posId) throws Exception {
        try (KeyService service = new KeyService();
                Simulator sim = Simulator.tcp(service.readerFlags(posId));
                QPOSService pos = opener.open(sim)) {
            String token = service.enrol(posId);
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);

            pos.provisionFromService(service.getUrl(), token);
            ProvisionResult result = listener.nextProvisionResult();

            assertTrue(result.hasReport(), result.toString());
            assertNull(result.getFailure());
            ProvisionReport report = result.getReport();
            assertEquals(posId, report.getPosId());
            assertNull(report.getReportFailure());
            assertEquals(Collections.nCopies(4, "updateKeyByTR_31:true"), listener.events);
            List<ProvisionedSlot.Verdict> verdicts = new ArrayList<>();
            for (ProvisionedSlot slot : report.getSlots()) {
                assertEquals(ProvisionedSlot.Outcome.LOADED, slot.getOutcome(), slot.toString());
                verdicts.add(slot.getVerdict());
                // The reader holds what the report says it loaded.
                pos.getKeyCheckValue(slot.getKeyIndex());
                assertEquals(slot.getReaderKcv(), listener.next().getReaderKcv(), slot.toString());
            }
            assertEquals(List.of(ProvisionedSlot.Verdict.UNVERIFIABLE, ProvisionedSlot.Verdict.VERIFIED,
                    ProvisionedSlot.Verdict.VERIFIED, ProvisionedSlot.Verdict.UNVERIFIABLE), verdicts);
            assertTrue(report.getSlots().get(2).getKsn().startsWith(KeyService.KSI), report.toString());
            assertFalse(result.isAllVerified(), "AES keys have CMAC KCVs at AWS: unverifiable");
        }
    }

    @Test
    void overTheJniBackend() throws Exception {
        provisionsEverySlotWithOneCallbackEach(JNI, "F001");
    }

    @Test
    void overTheUniffiBackend() throws Exception {
        provisionsEverySlotWithOneCallbackEach(UNIFFI, "F002");
    }

    /** A revoked token: no slot callback, one result carrying the service's code; the same on both backends. */
    @Test
    void aRevokedTokenEndsInOneResultWithTheServicesCode() throws Exception {
        try (KeyService service = new KeyService()) {
            for (Opener opener : List.of(JNI, UNIFFI)) {
                String posId = opener == JNI ? "F003" : "F004";
                String token = service.enrol(posId);
                service.revoke(token);
                try (Simulator sim = Simulator.tcp(service.readerFlags(posId)); QPOSService pos = opener.open(sim)) {
                    QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
                    pos.initListener(listener);
                    pos.provisionFromService(service.getUrl(), token);
                    ProvisionResult result = listener.nextProvisionResult();
                    assertFalse(result.hasReport());
                    KeyServiceException refused = assertInstanceOf(KeyServiceException.class, result.getFailure());
                    assertEquals(KeyServiceException.Kind.REFUSED, refused.getKind());
                    assertEquals(401, refused.getStatus());
                    assertEquals("token_revoked", refused.getCode());
                    assertFalse(refused.getMessage().contains(token), refused.getMessage());
                    assertEquals(List.of(), listener.events);
                }
            }
        }
    }
}
