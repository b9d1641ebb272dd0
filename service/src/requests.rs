//! Key requests in the database: what each request allocated, and what AWS reported once it was
//! answered. Key blocks are never stored; a replay exports again from the stored allocation.
//!
//! # DUKPT Initial Key IDs
//! A request's row and its Initial Key IDs are written in one transaction, committed before
//! AWS is called. The id comes from `UPDATE ksn_sequences SET last_value = last_value + 1 …
//! RETURNING last_value`: the row lock (PostgreSQL) or the database write lock (SQLite) makes
//! concurrent allocators, in this process or another instance, take turns, and a committed value
//! is never handed out again: not after a crash (the allocation was durable before AWS saw it),
//! not after a revocation, not when the request then failed (the id is burned). `request_slots.ksn`
//! is `UNIQUE` as well, so even a configuration mistake cannot issue a KSN twice.

use keybridge::export::KcvAlgorithm;
use keybridge::service_api::RequestState;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::db::{DbError, now_ms, random_hex};
use crate::devices::Device;
use crate::profiles::{DukptScheme, KeySource, Profile};

/// A request and its slots as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub id: String,
    pub device_id: String,
    pub state: RequestState,
    pub slots: Vec<StoredSlot>,
}

/// One slot: what was allocated, and AWS's answer once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSlot {
    pub slot: u8,
    /// The configured key or BDK (ARN or alias).
    pub key_id: String,
    pub kek: String,
    pub ksn: Option<String>,
    pub answer: Option<SlotAnswer>,
}

/// What AWS reported for an exported slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotAnswer {
    pub key_arn: String,
    pub kek_arn: String,
    pub kcv: String,
    pub kcv_algorithm: KcvAlgorithm,
}

impl StoredSlot {
    /// The key to export: once answered, the ARN AWS resolved then, so that an alias moved to
    /// another key since cannot change a replayed answer.
    pub fn export_key(&self) -> &str {
        self.answer.as_ref().map_or(&self.key_id, |a| &a.key_arn)
    }

    pub fn export_kek(&self) -> &str {
        self.answer.as_ref().map_or(&self.kek, |a| &a.kek_arn)
    }
}

/// Why a request could not be started.
#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    #[error("the Initial Key ID space of key set {scope} is used up ({max} ids); configure a new KSI or BDK ID")]
    Exhausted { scope: String, max: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

fn state_name(state: RequestState) -> &'static str {
    match state {
        RequestState::Pending => "pending",
        RequestState::Answered => "answered",
        RequestState::Failed => "failed",
    }
}

/// Parses a stored request state.
pub fn parse_state(name: &str) -> RequestState {
    match name {
        "answered" => RequestState::Answered,
        "failed" => RequestState::Failed,
        _ => RequestState::Pending,
    }
}

/// Starts a key request for `device` with the slots of `profile` (its keys of key generation
/// `generation`), or, when `idempotency_key` names an earlier request of this device, returns
/// that one (`true` in the second field) and allocates nothing.
pub async fn begin(
    pool: &AnyPool,
    device: &Device,
    (profile, generation): (&Profile, i64),
    token_id: &str,
    idempotency_key: Option<&str>,
) -> Result<(StoredRequest, bool), AllocationError> {
    if let Some(key) = idempotency_key
        && let Some(existing) = find_by_idempotency_key(pool, &device.pos_id, key).await?
    {
        return Ok((existing, true));
    }
    match allocate(pool, device, (profile, generation), token_id, idempotency_key).await {
        Err(AllocationError::Db(e)) if e.is_unique_violation() && idempotency_key.is_some() => {
            // Another call with the same key won the race; answer as it does.
            let key = idempotency_key.unwrap_or_default();
            let existing = find_by_idempotency_key(pool, &device.pos_id, key).await?;
            existing.map(|r| (r, true)).ok_or(AllocationError::Db(e))
        }
        other => other.map(|request| (request, false)),
    }
}

async fn allocate(
    pool: &AnyPool,
    device: &Device,
    (profile, generation): (&Profile, i64),
    token_id: &str,
    idempotency_key: Option<&str>,
) -> Result<StoredRequest, AllocationError> {
    let request = StoredRequest {
        id: format!("kr_{}", random_hex(16)),
        device_id: device.pos_id.clone(),
        state: RequestState::Pending,
        slots: Vec::new(),
    };
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    // The first statement writes, so a SQLite transaction takes the write lock at once instead of
    // failing to upgrade a read lock later.
    sqlx::query(
        "INSERT INTO key_requests (id, device_id, token_id, idempotency_key, state, created_at, generation) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
    )
    .bind(&request.id)
    .bind(&request.device_id)
    .bind(token_id)
    .bind(idempotency_key.map(str::to_owned))
    .bind(now_ms())
    .bind(generation)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    // Key sets are locked in one global order (by scope), so two requests whose profiles list
    // them differently cannot deadlock.
    let mut ksns: Vec<Option<String>> = vec![None; profile.slots.len()];
    let mut dukpt: Vec<(usize, &str, &DukptScheme)> = profile
        .slots
        .iter()
        .enumerate()
        .filter_map(|(i, spec)| match &spec.source {
            KeySource::Dukpt { bdk, scheme } => Some((i, bdk.as_str(), scheme)),
            KeySource::Fixed { .. } => None,
        })
        .collect();
    dukpt.sort_by_key(|(_, _, scheme)| scheme.scope());
    for (i, bdk, scheme) in dukpt {
        ksns[i] = Some(next_initial_ksn(&mut tx, bdk, scheme).await?);
    }
    let mut slots = Vec::with_capacity(profile.slots.len());
    for (spec, ksn) in profile.slots.iter().zip(ksns) {
        sqlx::query("INSERT INTO request_slots (request_id, slot, key_id, kek, ksn) VALUES ($1, $2, $3, $4, $5)")
            .bind(&request.id)
            .bind(i64::from(spec.slot))
            .bind(spec.source.key_id())
            .bind(&device.kek)
            .bind(ksn.clone())
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?;
        slots.push(StoredSlot {
            slot: spec.slot,
            key_id: spec.source.key_id().to_owned(),
            kek: device.kek.clone(),
            ksn,
            answer: None,
        });
    }
    tx.commit().await.map_err(DbError::from)?;
    metrics::counter!("keybridge_ksn_allocated_total")
        .increment(slots.iter().filter(|s| s.ksn.is_some()).count() as u64);
    Ok(StoredRequest { slots, ..request })
}

/// `last_value + 1` of `scope`'s sequence, locked until the transaction ends; `None` when the
/// sequence does not exist yet.
async fn increment(conn: &mut AnyConnection, scope: &str) -> Result<Option<i64>, DbError> {
    let row = sqlx::query("UPDATE ksn_sequences SET last_value = last_value + 1 WHERE scope = $1 RETURNING last_value")
        .bind(scope)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// The next Initial Key ID of `scheme`'s key set, as an initial KSN, inside the caller's
/// transaction.
async fn next_initial_ksn(
    conn: &mut AnyConnection,
    bdk: &str,
    scheme: &DukptScheme,
) -> Result<String, AllocationError> {
    let scope = scheme.scope();
    let mut value = increment(conn, &scope).await?;
    if value.is_none() {
        // The key set's first id: create its sequence (a concurrent creator may win; either way
        // the row exists afterwards) and take the next value.
        sqlx::query(
            "INSERT INTO ksn_sequences (scope, bdk, last_value) VALUES ($1, $2, 0) ON CONFLICT (scope) DO NOTHING",
        )
        .bind(&scope)
        .bind(bdk)
        .execute(&mut *conn)
        .await
        .map_err(DbError::from)?;
        value = increment(conn, &scope).await?;
    }
    let value = value.ok_or(AllocationError::Db(DbError::Query(sqlx::Error::RowNotFound)))?;
    let max = scheme.max_device_id();
    match u64::try_from(value) {
        Ok(id) if (1..=max).contains(&id) => Ok(scheme.initial_ksn(id)),
        _ => Err(AllocationError::Exhausted { scope, max }),
    }
}

async fn find_by_idempotency_key(pool: &AnyPool, device_id: &str, key: &str) -> Result<Option<StoredRequest>, DbError> {
    let id: Option<String> = sqlx::query("SELECT id FROM key_requests WHERE device_id = $1 AND idempotency_key = $2")
        .bind(device_id)
        .bind(key)
        .fetch_optional(pool)
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    match id {
        Some(id) => load(pool, &id).await,
        None => Ok(None),
    }
}

/// The request with `id` and its slots.
pub async fn load(pool: &AnyPool, id: &str) -> Result<Option<StoredRequest>, DbError> {
    let Some(row) = sqlx::query("SELECT id, device_id, state FROM key_requests WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let slots = sqlx::query(
        "SELECT slot, key_id, kek, ksn, key_arn, kek_arn, kcv, kcv_algorithm FROM request_slots \
         WHERE request_id = $1 ORDER BY slot",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Some(StoredRequest {
        id: row.try_get("id")?,
        device_id: row.try_get("device_id")?,
        state: parse_state(&row.try_get::<String, _>("state")?),
        slots: slots.iter().map(slot_from_row).collect::<Result<_, _>>()?,
    }))
}

fn slot_from_row(row: &AnyRow) -> Result<StoredSlot, sqlx::Error> {
    let answer = match (
        row.try_get::<Option<String>, _>("key_arn")?,
        row.try_get::<Option<String>, _>("kek_arn")?,
        row.try_get::<Option<String>, _>("kcv")?,
        row.try_get::<Option<String>, _>("kcv_algorithm")?
            .as_deref()
            .and_then(KcvAlgorithm::from_aws),
    ) {
        (Some(key_arn), Some(kek_arn), Some(kcv), Some(kcv_algorithm)) => Some(SlotAnswer {
            key_arn,
            kek_arn,
            kcv,
            kcv_algorithm,
        }),
        _ => None,
    };
    Ok(StoredSlot {
        slot: u8::try_from(row.try_get::<i64, _>("slot")?).unwrap_or(u8::MAX),
        key_id: row.try_get("key_id")?,
        kek: row.try_get("kek")?,
        ksn: row.try_get("ksn")?,
        answer,
    })
}

/// Records AWS's answers and marks the request answered, with `audit` rows appended in the same
/// transaction: once the caller sees the answer, its audit rows are durable.
pub async fn record_answer(
    pool: &AnyPool,
    request_id: &str,
    answers: &[(u8, SlotAnswer)],
    audit: &[crate::audit::Entry],
    instance: &str,
) -> Result<(), DbError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE key_requests SET state = 'answered', error_code = NULL, answered_at = COALESCE(answered_at, $1) \
         WHERE id = $2",
    )
    .bind(now_ms())
    .bind(request_id)
    .execute(&mut *tx)
    .await?;
    for (slot, answer) in answers {
        sqlx::query(
            "UPDATE request_slots SET key_arn = $1, kek_arn = $2, kcv = $3, kcv_algorithm = $4 \
             WHERE request_id = $5 AND slot = $6",
        )
        .bind(&answer.key_arn)
        .bind(&answer.kek_arn)
        .bind(&answer.kcv)
        .bind(answer.kcv_algorithm.aws_name())
        .bind(request_id)
        .bind(i64::from(*slot))
        .execute(&mut *tx)
        .await?;
    }
    for entry in audit {
        crate::audit::append(&mut *tx, instance, entry).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a request that could not be answered as failed (unless a concurrent retry answered it),
/// with its audit rows. Its KSNs stay allocated to it.
pub async fn record_failure(
    pool: &AnyPool,
    request_id: &str,
    code: &str,
    audit: &[crate::audit::Entry],
    instance: &str,
) -> Result<(), DbError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE key_requests SET state = $1, error_code = $2 WHERE id = $3 AND state <> 'answered'")
        .bind(state_name(RequestState::Failed))
        .bind(code)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
    for entry in audit {
        crate::audit::append(&mut *tx, instance, entry).await?;
    }
    tx.commit().await?;
    Ok(())
}
