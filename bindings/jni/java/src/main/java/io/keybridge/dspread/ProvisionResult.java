package io.keybridge.dspread;

import io.keybridge.jni.KeyBridgeException;
import io.keybridge.jni.KeyServiceException;
import io.keybridge.jni.ProvisionReport;
import io.keybridge.jni.ReaderException;

/**
 * What {@link QPOSService.QPOSServiceListener#onProvisionResult} receives at the end of
 * {@link QPOSService#provisionFromService}: the report once the service has handed out keys
 * (every slot's outcome, reader KCV and verdict), or why it never did.
 */
public final class ProvisionResult {
    private final ProvisionReport report;
    private final KeyBridgeException failure;

    private ProvisionResult(ProvisionReport report, KeyBridgeException failure) {
        this.report = report;
        this.failure = failure;
    }

    public static ProvisionResult of(ProvisionReport report) {
        return new ProvisionResult(report, null);
    }

    /** Before any key was loaded: a {@link KeyServiceException} or a {@link ReaderException}. */
    public static ProvisionResult failed(KeyBridgeException failure) {
        return new ProvisionResult(null, failure);
    }

    /** The service handed out keys and the slots were attempted: see {@link #getReport()}. */
    public boolean hasReport() { return report != null; }

    /** Every slot loaded and verified against AWS's KCV, and the service heard of it. */
    public boolean isAllVerified() { return report != null && report.isAllVerified(); }

    /** Null when provisioning ended before any key was loaded. */
    public ProvisionReport getReport() { return report; }

    /**
     * Why provisioning ended before any key was loaded: a {@link KeyServiceException} (its code,
     * e.g. {@code token_revoked}) or a {@link ReaderException} (its Dspread error name); null when
     * there is a report.
     */
    public KeyBridgeException getFailure() { return failure; }

    @Override
    public String toString() {
        return report != null ? "ProvisionResult{" + report + "}"
                : "ProvisionResult{failure=" + failure.getClass().getSimpleName() + ": " + failure.getMessage() + "}";
    }
}
