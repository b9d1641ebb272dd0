-- The key service's schema. Written once for both engines (SQLite and PostgreSQL): only TEXT and
-- BIGINT columns, no engine-specific defaults or identity columns; times are Unix milliseconds.

-- Readers, by the POS id they report.
CREATE TABLE devices (
    pos_id      TEXT PRIMARY KEY,
    kek         TEXT NOT NULL,            -- the reader's KEK in AWS: ARN or alias
    profile     TEXT NOT NULL,            -- key profile name in the configuration
    group_name  TEXT NOT NULL,            -- operator tokens act on a group
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- Bearer tokens. Only a SHA-256 of the secret part is stored.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL,
    kind         TEXT NOT NULL,           -- 'device' | 'operator'
    device_id    TEXT REFERENCES devices (pos_id),
    group_name   TEXT,
    label        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

-- One DUKPT Initial Key ID sequence per BDK key set (scope: 'tdes:<KSI>' or 'aes:<BDK ID>').
-- last_value only grows; a value handed out is never handed out again.
CREATE TABLE ksn_sequences (
    scope       TEXT PRIMARY KEY,
    bdk         TEXT NOT NULL,
    last_value  BIGINT NOT NULL
);

CREATE TABLE key_requests (
    id               TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL REFERENCES devices (pos_id),
    token_id         TEXT NOT NULL,
    idempotency_key  TEXT,
    state            TEXT NOT NULL,       -- 'pending' | 'answered' | 'failed'
    error_code       TEXT,
    created_at       BIGINT NOT NULL,
    answered_at      BIGINT,
    UNIQUE (device_id, idempotency_key)
);
CREATE INDEX key_requests_by_device ON key_requests (device_id, created_at);

-- What a request allocated and, once answered, what AWS reported. Never the key block.
CREATE TABLE request_slots (
    request_id     TEXT NOT NULL REFERENCES key_requests (id),
    slot           BIGINT NOT NULL,
    key_id         TEXT NOT NULL,         -- the configured key or BDK: ARN or alias
    kek            TEXT NOT NULL,
    ksn            TEXT UNIQUE,           -- initial KSN of a DUKPT slot: unique across everything
    key_arn        TEXT,
    kek_arn        TEXT,
    kcv            TEXT,
    kcv_algorithm  TEXT,
    PRIMARY KEY (request_id, slot)
);

CREATE TABLE slot_reports (
    request_id   TEXT NOT NULL,
    slot         BIGINT NOT NULL,
    outcome      TEXT NOT NULL,           -- 'loaded' | 'failed'
    reader_kcv   TEXT,
    verdict      TEXT,                    -- 'verified' | 'mismatch' | 'unverifiable'
    error        TEXT,
    token_id     TEXT NOT NULL,
    reported_at  BIGINT NOT NULL,
    PRIMARY KEY (request_id, slot),
    FOREIGN KEY (request_id, slot) REFERENCES request_slots (request_id, slot)
);

-- Append-only: the service only ever inserts here. Never key material, never a key block.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,         -- time-ordered: 13-digit milliseconds + random suffix
    at          BIGINT NOT NULL,
    event       TEXT NOT NULL,
    device_id   TEXT,
    token_id    TEXT,
    request_id  TEXT,
    slot        BIGINT,
    key_arn     TEXT,
    kek_arn     TEXT,
    ksn         TEXT,
    kcv         TEXT,
    outcome     TEXT,
    code        TEXT,
    detail      TEXT,
    instance    TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_device ON audit_log (device_id, at);
