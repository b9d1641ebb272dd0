package io.keybridge.jni;

/** What a reader says about itself (its device-information answer). Built by the natives. */
public final class DeviceInfo {
    private final String posId;
    private final String psamId;
    private final String extra;

    public DeviceInfo(String posId, String psamId, String extra) {
        this.posId = posId;
        this.psamId = psamId;
        this.extra = extra;
    }

    /** POS id, upper-case hex. */
    public String getPosId() { return posId; }

    /** PSAM id, upper-case hex. */
    public String getPsamId() { return psamId; }

    /** What followed the two ids (firmware-specific fields), upper-case hex, not decoded. */
    public String getExtra() { return extra; }

    @Override
    public String toString() {
        return "DeviceInfo{posId=" + posId + ", psamId=" + psamId + ", extra=" + extra + "}";
    }
}
