package io.keybridge.dspread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The nested enums of keybridge's QPOSService hold the vendor's constants in the vendor's order
 * (a switch and an ordinal written for SDK 8.5.4 mean the same here), read from the SDK's API
 * listing checked in beside the tests. (The listener's 181 callbacks are checked by compiling
 * com.example.vendorlistener.VendorListener: reflecting on them would need the Android classes,
 * which a plain JVM does not have.)
 */
class VendorTypesTest {
    private static final Path LISTING = Paths.get(System.getProperty("keybridge.dspreadApi",
            "bindings/jni/java/src/test/resources/dspread-sdk-8.5.4-api.txt"));

    @Test
    void everyNestedEnumHasTheVendorsConstantsInOrder() throws Exception {
        List<String> lines = Files.readAllLines(LISTING);
        int from = lines.indexOf("## Enums nested in QPOSService (constants in declaration order)");
        assertTrue(from >= 0, "the listing has its enum section");
        List<String> checked = new ArrayList<>();
        for (String line : lines.subList(from + 1, lines.size())) {
            if (line.isBlank() || line.startsWith("#")) {
                break;
            }
            String name = line.substring(0, line.indexOf(':')).trim();
            List<String> vendor = Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split(" "));
            Class<?> ours = Class.forName(QPOSService.class.getName() + "$" + name);
            List<String> constants = Arrays.stream(ours.getEnumConstants()).map(c -> ((Enum<?>) c).name()).collect(Collectors.toList());
            // Error goes on with the earlier SDKs' names after the vendor's.
            assertEquals(vendor, name.equals("Error") ? constants.subList(0, vendor.size()) : constants, name);
            checked.add(name);
        }
        assertEquals(44, checked.size(), checked.toString());
    }
}
