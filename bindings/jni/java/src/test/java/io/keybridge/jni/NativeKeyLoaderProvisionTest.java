package io.keybridge.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.testing.KeyService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code NativeKeyLoader.provision} with a {@link ProvisionListener}, and what it does with faults. */
class NativeKeyLoaderProvisionTest {
    /** Records the listener's calls; throws from each to show that it changes nothing. */
    static final class Listener implements ProvisionListener {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void keysReceived(String requestId, int slots) {
            events.add("keys:" + slots);
            throw new IllegalStateException("a listener that throws");
        }

        @Override
        public void slotStarted(int keyIndex) {
            events.add("start:" + keyIndex);
            throw new IllegalStateException("a listener that throws");
        }

        @Override
        public void slotFinished(ProvisionedSlot slot) {
            events.add("finish:" + slot.getKeyIndex() + ":" + slot.getOutcome());
            throw new IllegalStateException("a listener that throws");
        }
    }

    @Test
    void everySlotIsReportedToTheListenerAndInTheResult() throws Exception {
        try (KeyService service = new KeyService();
                Simulator sim = Simulator.tcp(service.readerFlags("0A01"));
                NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress());
                NativeKeyService client = NativeKeyService.open(new KeyServiceSettings(service.getUrl(), service.enrol("0A01", "dukpt")))) {
            Listener listener = new Listener();
            ProvisionReport report = loader.provision(client, listener);
            assertEquals(List.of("keys:1", "start:0", "finish:0:LOADED"), listener.events);
            assertTrue(report.isAllVerified(), report.toString());
            ProvisionedSlot slot = report.getSlots().get(0);
            assertEquals(ProvisionedSlot.Verdict.VERIFIED, slot.getVerdict());
            assertEquals("MATCHED_EXPECTED", slot.getLoaded().getKcvVerification());
            assertEquals(slot.getServiceKcv(), slot.getReaderKcv());
            assertEquals(loader.keyCheckValue(0), slot.getReaderKcv());
            assertTrue(slot.getKsn().startsWith(KeyService.KSI), slot.toString());
        }
    }

    @Test
    void aReaderThatRefusesTheBlockIsAFailedSlotWithItsDspreadName() throws Exception {
        try (KeyService service = new KeyService();
                Simulator sim = Simulator.tcp(service.readerFlags("0A02", "--status", "mac-error"));
                NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress());
                NativeKeyService client = NativeKeyService.open(new KeyServiceSettings(service.getUrl(), service.enrol("0A02", "dukpt")))) {
            ProvisionReport report = loader.provision(client, null);
            ProvisionedSlot slot = report.getSlots().get(0);
            assertEquals(ProvisionedSlot.Outcome.FAILED, slot.getOutcome());
            assertEquals("MAC_ERROR", slot.getFailure().getDspreadError());
            assertTrue(slot.getFailure().isRefused());
            assertNull(slot.getVerdict());
            assertNull(report.getReportFailure(), "the failure was reported");
            assertFalse(report.isAllVerified());
        }
    }

    @Test
    void aReaderThatDoesNotAnswerIsAReaderExceptionAndTheServiceIsNotAsked() throws Exception {
        try (KeyService service = new KeyService();
                Simulator sim = Simulator.tcp(service.readerFlags("0A03", "--drop", "100"));
                NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 300, false);
                NativeKeyService client = NativeKeyService.open(new KeyServiceSettings(service.getUrl(), service.enrol("0A03")))) {
            Listener listener = new Listener();
            ReaderException e = assertThrows(ReaderException.class, () -> loader.provision(client, listener));
            assertEquals("NO_RESPONSE", e.getDspreadError());
            assertEquals(List.of(), listener.events);
        }
    }

    @Test
    void settingsThatCannotWorkAreAnInvalidConfigWithoutTheToken() {
        String token = "kbt_0123456789_never-printed";
        KeyServiceSettings settings = new KeyServiceSettings("http://192.0.2.1:8080", token);
        assertFalse(settings.toString().contains(token), settings.toString());
        KeyServiceException e = assertThrows(KeyServiceException.class, () -> NativeKeyService.open(settings));
        assertEquals(KeyServiceException.Kind.INVALID_CONFIG, e.getKind());
        assertTrue(e.getMessage().contains("base URL"), e.getMessage());
        assertFalse(e.getMessage().contains(token), e.getMessage());
    }
}
