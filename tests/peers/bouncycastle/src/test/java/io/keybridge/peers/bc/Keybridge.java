package io.keybridge.peers.bc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The keybridge CLI (-Dkeybridge.bin), as a key-injection station would run it. */
final class Keybridge {
    private Keybridge() {}

    record Run(int code, String stdout, String stderr) {
        /** A string field of the JSON object keybridge printed. */
        String field(String name) {
            Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(stdout);
            if (!m.find()) {
                throw new AssertionError("no \"" + name + "\" in " + stdout + stderr);
            }
            return m.group(1);
        }

        /** The JSON array field as its raw text, e.g. `[]`. */
        String array(String name) {
            Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\\[[^\\]]*\\])").matcher(stdout);
            if (!m.find()) {
                throw new AssertionError("no \"" + name + "\" in " + stdout + stderr);
            }
            return m.group(1).replaceAll("\\s", "");
        }
    }

    static Run tr34(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("keybridge.bin"));
        command.add("tr34");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        return new Run(process.waitFor(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
