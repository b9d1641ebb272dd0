import io.keybridge.jni.KeyBridgeException;
import io.keybridge.jni.KeyServiceSettings;
import io.keybridge.jni.NativeKeyLoader;
import io.keybridge.jni.NativeKeyService;
import io.keybridge.jni.ProvisionListener;
import io.keybridge.jni.ProvisionReport;
import io.keybridge.jni.ProvisionedSlot;

/**
 * A key-injection station in one file, using nothing but keybridge-java.jar: provisions the reader
 * at {@code args[0]} ({@code host:port}, or a serial port such as {@code /dev/ttyACM0}) from the key
 * service at {@code args[1]}, with the bearer token from the environment variable
 * {@code KEYBRIDGE_TOKEN} (not an argument: other users can read a process's arguments).
 *
 * <pre>
 * javac -cp keybridge-java.jar ProvisionStation.java
 * KEYBRIDGE_TOKEN=kbt_... java -cp keybridge-java.jar:. ProvisionStation /dev/ttyACM0 https://keys.example.com
 * </pre>
 *
 * Exit status: 0 when every slot is loaded and verified against AWS's KCV and the service has the
 * report; 1 when something is not; 2 when no key was loaded (service refused or unreachable, reader
 * silent).
 */
public final class ProvisionStation {
    public static void main(String[] args) throws Exception {
        if (args.length != 2 || System.getenv("KEYBRIDGE_TOKEN") == null) {
            System.err.println("usage: KEYBRIDGE_TOKEN=... java ProvisionStation READER SERVICE_URL");
            System.exit(2);
        }
        KeyServiceSettings settings = new KeyServiceSettings(args[1], System.getenv("KEYBRIDGE_TOKEN"));
        try (NativeKeyService service = NativeKeyService.open(settings); NativeKeyLoader reader = open(args[0])) {
            ProvisionReport report = reader.provision(service, new ProvisionListener() {
                @Override
                public void slotFinished(ProvisionedSlot slot) {
                    System.out.println(describe(slot));
                }
            });
            System.out.println("reader " + report.getPosId() + ", request " + report.getRequestId() + ": "
                    + (report.isAllVerified() ? "every key loaded and verified" : "NOT every key verified")
                    + (report.getReportFailure() == null ? "" : "; the service did not get the report: "
                            + report.getReportFailure().getMessage()));
            System.exit(report.isAllVerified() ? 0 : 1);
        } catch (KeyBridgeException e) {
            System.err.println("no key loaded: " + e.getMessage());
            System.exit(2);
        }
    }

    private static NativeKeyLoader open(String reader) throws KeyBridgeException {
        return reader.startsWith("/") ? NativeKeyLoader.openSerial(reader, 0, false) : NativeKeyLoader.openTcp(reader);
    }

    private static String describe(ProvisionedSlot slot) {
        StringBuilder line = new StringBuilder("slot ").append(slot.getKeyIndex()).append(": ").append(slot.getOutcome());
        if (slot.isVerified()) {
            line.append(", verified");
        }
        line.append(", reader KCV ").append(slot.getReaderKcv() == null ? "none" : slot.getReaderKcv());
        if (slot.getKsn() != null) {
            line.append(", KSN ").append(slot.getKsn());
        }
        if (slot.getFailure() != null) {
            line.append(", ").append(slot.getFailure().getDspreadError()).append(": ").append(slot.getFailure().getMessage());
        }
        return line.toString();
    }
}
