-- The account's AWS quota shared by every instance, key generations of profiles, and audit rows
-- written late (refusals kept in a local spool while the database was down).

-- The account's token bucket (see src/quota.rs): its level in millionths of a call, and when it
-- was last refilled (the database's clock, Unix milliseconds).
CREATE TABLE aws_quota (
    name          TEXT PRIMARY KEY,
    micro_tokens  BIGINT NOT NULL,
    refilled_at   BIGINT NOT NULL
);

-- Rotations: generation 1 of a profile is the configuration's keys; each rotation adds the next
-- generation with the AWS key of every slot (a JSON object, slot number -> ARN or alias).
CREATE TABLE profile_generations (
    profile     TEXT NOT NULL,
    generation  BIGINT NOT NULL,
    slot_keys   TEXT NOT NULL,
    rotated_at  BIGINT NOT NULL,
    PRIMARY KEY (profile, generation)
);

-- The generation a key request was issued from.
ALTER TABLE key_requests ADD COLUMN generation BIGINT NOT NULL DEFAULT 1;

-- When a row was written, for one written after the event (`at`): a refusal spooled during a
-- database outage. Empty for rows written as it happened.
ALTER TABLE audit_log ADD COLUMN delayed_at BIGINT;
