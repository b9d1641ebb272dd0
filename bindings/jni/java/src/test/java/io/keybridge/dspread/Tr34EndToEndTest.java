package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keybridge.Simulator;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.ReaderException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TR-34 through the real JNI library against the real simulator over TCP: the simulator is a KRD
 * (testkit reader identity 1) that trusts the AWS emulator's KDH CA and holds its KDH certificate.
 * A token is made the way a KDH makes one: the reader's certificate and a fresh nonce read from
 * the reader ({@code keybridge kek credentials}), then {@code keybridge tr34 build} signs it with
 * the emulator's KDH key (the committed testkit PKI). The reader serves one connection at a time,
 * so the CLI reads from it while no loader is open; its nonce outlives the connection.
 */
class Tr34EndToEndTest {
    private static final String CLI = System.getProperty("keybridge.cli", "target/debug/keybridge");
    /** A KEK header the reader accepts: K0, TDES. */
    private static final String KEK_HEADER = "D0000K0TB00E0000";

    /** What {@code keybridge tr34 build --json} prints. */
    private static final class Token {
        final String token;
        final String kcv;
        final String envelope;

        Token(String json) {
            token = field(json, "token");
            kcv = field(json, "kcv");
            envelope = field(json, "envelope");
        }
    }

    @Test
    void aTokenForTheReaderLoadsItsKekProvenByKcvAndKeysWrappedUnderItLoad() throws Exception {
        String kek = "00112233445566778899AABBCCDDEEFF";
        try (Simulator sim = Simulator.tcp()) {
            Token token = tokenFor(sim, kek);
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                String readerKcv = loader.loadKekTr34(hexBytes(token.token), token.kcv);
                assertEquals(token.kcv, readerKcv.substring(0, token.kcv.length()));
            }
            // A working key wrapped under the new KEK (not the factory KBPK) loads via the drop-in.
            String pinKey = "89ABCDEF0123456776543210FEDCBA98";
            String block = cli("tr31", "wrap", "--kbpk", kek, "--header", "B0000P0TE00E0000", "--key", pinKey).trim();
            String pinKcv = cli("kcv", "--key", pinKey, "--algorithm", "tdes").trim();
            try (QPOSService pos = QPOSService.getInstance(
                    new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)))) {
                QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
                pos.initListener(listener);
                pos.sendTR31Key(block);
                KeyLoadReport report = listener.next();
                assertTrue(report.isSuccess(), () -> "the block under the TR-34 KEK: " + report.getError());
                assertEquals(pinKcv, report.getReaderKcv().substring(0, pinKcv.length()));
            }
            assertEquals(List.of(), sim.deviations());
        }
    }

    @Test
    void aWrongExpectedKcvIsNeverSuccess() throws Exception {
        try (Simulator sim = Simulator.tcp()) {
            Token token = tokenFor(sim, "0F1E2D3C4B5A69788796A5B4C3D2E1F0");
            String wrong = token.kcv.startsWith("00") ? "FFFFFF" : "000000";
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                ReaderException e = assertThrows(ReaderException.class, () -> loader.loadKekTr34(token.token, wrong));
                assertTrue(e.getMessage().contains("KCV mismatch") && e.getMessage().contains(token.kcv), e.getMessage());
                // The reader took the envelope: the mismatch was found in its KCV, not before.
                assertEquals(token.kcv, kekKcv(loader, token.kcv.length()));
            }
            assertEquals(List.of(), sim.deviations());
        }
    }

    /**
     * The vendor's path: the SDK's envelope through {@code loadSessionKeyByTR_34} is the reader's
     * UPDATE_SUCCESS; the same envelope again, after the reader has issued a newer nonce, is the
     * reader's refusal (UPDATE_PACKET_VEFIRY_ERROR: the signed nonce is stale), never success.
     */
    @Test
    void theVendorsLoadSessionKeyByTr34SucceedsWithAFreshNonceAndFailsWithAStaleOne() throws Exception {
        String kek = "FEDCBA98765432100123456789ABCDEF";
        try (Simulator sim = Simulator.tcp()) {
            Token token = tokenFor(sim, kek);
            assertEquals(QPOSService.UpdateInformationResult.UPDATE_SUCCESS, sendEnvelope(sim, token.envelope));
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                assertEquals(token.kcv, kekKcv(loader, token.kcv.length()), "the reader holds the KEK the envelope carried");
            }

            Token fresh = tokenFor(sim, "00112233445566778899AABBCCDDEEFF");
            assertNotEquals(token.envelope, fresh.envelope);
            assertEquals(QPOSService.UpdateInformationResult.UPDATE_PACKET_VEFIRY_ERROR, sendEnvelope(sim, token.envelope));
            try (NativeKeyLoader loader = NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)) {
                assertEquals(token.kcv, kekKcv(loader, token.kcv.length()), "a refused envelope changes nothing");
            }
            assertEquals(List.of(), sim.deviations());
        }
    }

    /** The reader's KCV of its KEK, as the vendor's {@code getKeyCheckValue(0, MKSK_TMK)} reads it. */
    private static String kekKcv(NativeKeyLoader loader, int length) throws ReaderException {
        String kcv = loader.checkValues(0, QPOSService.CHECKVALUE_KEYTYPE.MKSK_TMK.ordinal()).get("MKSK_TMK_KCV");
        assertTrue(kcv != null && kcv.length() >= length, () -> "MKSK_TMK_KCV: " + kcv);
        return kcv.substring(0, length);
    }

    /** {@code loadSessionKeyByTR_34} on its own connection; the outcome its listener received. */
    private static QPOSService.UpdateInformationResult sendEnvelope(Simulator sim, String envelopeHex) throws Exception {
        try (QPOSService pos = QPOSService.getInstance(
                new JniKeyLoaderBackend(NativeKeyLoader.openTcp(sim.getAddress(), 1_500, false)))) {
            QPOSServiceTest.Recorder listener = new QPOSServiceTest.Recorder();
            pos.initListener(listener);
            pos.loadSessionKeyByTR_34(envelopeHex);
            KeyLoadReport report = listener.next();
            assertEquals(List.of("updateWorkKey:" + report.getUpdateResult()), listener.events);
            assertEquals(report.getUpdateResult() == QPOSService.UpdateInformationResult.UPDATE_SUCCESS, report.isSuccess());
            return report.getUpdateResult();
        }
    }

    /** A token carrying {@code kekHex} for the simulator's reader, with the nonce it just issued. */
    private static Token tokenFor(Simulator sim, String kekHex) throws Exception {
        String credentials = cli("kek", "credentials", "--tcp", sim.getAddress(), "--json");
        Path krdCert = Files.createTempFile("keybridge-krd", ".pem");
        try {
            Files.writeString(krdCert, field(credentials, "certificate"));
            Path pki = repoFile("testkit/src/emulator/tr34_pki");
            return new Token(cli("tr34", "build", "--kdh-key", pki.resolve("kdh.key").toString(), "--kdh-cert",
                    pki.resolve("kdh.pem").toString(), "--krd-cert", krdCert.toString(), "--key", kekHex, "--header",
                    KEK_HEADER, "--nonce", field(credentials, "nonce"), "--json"));
        } finally {
            Files.delete(krdCert);
        }
    }

    /** Runs the CLI; its standard output, or an assertion failure with its error output. */
    private static String cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(CLI);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        String out = read(process.getInputStream());
        String err = read(process.getErrorStream());
        int status = process.waitFor();
        assertEquals(0, status, () -> String.join(" ", args) + ": " + err);
        return out;
    }

    private static String read(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        in.transferTo(bytes);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A string field of the CLI's one-line JSON (its values here: hex, and PEM with \n escapes). */
    private static String field(String json, String name) {
        String key = "\"" + name + "\":\"";
        int at = json.indexOf(key);
        assertTrue(at >= 0, () -> "no " + name + " in " + json);
        StringBuilder value = new StringBuilder();
        for (int i = at + key.length(); json.charAt(i) != '"'; i++) {
            char c = json.charAt(i);
            if (c == '\\') {
                c = json.charAt(++i);
                value.append(c == 'n' ? '\n' : c);
            } else {
                value.append(c);
            }
        }
        return value.toString();
    }

    /** A file of the repository: tests run from its root or from below it. */
    private static Path repoFile(String relative) {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
        }
        throw new AssertionError(relative + " is not under the working directory or any parent of it");
    }

    private static byte[] hexBytes(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
