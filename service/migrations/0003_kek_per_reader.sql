-- One KEK per reader (TR-34): the reader's own KEK, made by the service, and what the audit trail
-- says about the KEK each block was wrapped under.

-- A reader with its own KEK: the KEK's check value, the SHA-256 (hex) of the device certificate
-- it was exported to (later exports go to that certificate only), and when it was retired in AWS.
-- All empty for a reader on a shared KEK; `kek` is '' until a per-reader KEK exists.
ALTER TABLE devices ADD COLUMN kek_kcv TEXT;
ALTER TABLE devices ADD COLUMN kek_certificate TEXT;
ALTER TABLE devices ADD COLUMN kek_retired_at BIGINT;

-- The check value of the KEK a block was wrapped under, beside its ARN (kek_arn).
ALTER TABLE audit_log ADD COLUMN kek_kcv TEXT;

-- Device CAs imported into AWS (ImportKey of a root certificate), by the SHA-256 (hex) of the
-- certificate, so that every instance and every restart uses the one import.
CREATE TABLE device_cas (
    fingerprint  TEXT PRIMARY KEY,
    arn          TEXT NOT NULL,
    imported_at  BIGINT NOT NULL
);
