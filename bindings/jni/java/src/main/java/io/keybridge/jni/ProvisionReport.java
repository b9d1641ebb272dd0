package io.keybridge.jni;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The result of a provisioning that got its keys from the service. The slots say what happened on
 * the reader whatever became of the report; {@link #getReportFailure()} says whether the service
 * heard of it. Built by the natives (and the Kotlin backend).
 */
public final class ProvisionReport {
    private final String posId;
    private final String requestId;
    private final List<ProvisionedSlot> slots;
    private final boolean cancelled;
    private final KeyServiceException reportFailure;
    private final boolean allVerified;

    public ProvisionReport(String posId, String requestId, ProvisionedSlot[] slots, boolean cancelled,
            KeyServiceException reportFailure, boolean allVerified) {
        this.posId = posId;
        this.requestId = requestId;
        this.slots = Collections.unmodifiableList(Arrays.asList(slots.clone()));
        this.cancelled = cancelled;
        this.reportFailure = reportFailure;
        this.allVerified = allVerified;
    }

    /** The reader's POS id, as the service knows it. */
    public String getPosId() { return posId; }

    /** The key request, as the service's audit trail names it. */
    public String getRequestId() { return requestId; }

    /** Every slot attempted, in slot order; after a cancellation the slots not reached are absent. */
    public List<ProvisionedSlot> getSlots() { return slots; }

    /** Cancelled before every slot was attempted. */
    public boolean isCancelled() { return cancelled; }

    /** Why the service never got the report; null when it did. The load results stand either way. */
    public KeyServiceException getReportFailure() { return reportFailure; }

    /** Every slot loaded and verified against AWS's KCV, nothing cancelled, the report received. */
    public boolean isAllVerified() { return allVerified; }

    @Override
    public String toString() {
        return "ProvisionReport{posId=" + posId + ", requestId=" + requestId + ", slots=" + slots + (cancelled ? ", cancelled" : "")
                + (reportFailure == null ? "" : ", reportFailure=" + reportFailure.getMessage()) + ", allVerified=" + allVerified + "}";
    }
}
