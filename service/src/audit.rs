//! The audit trail: one append-only table of every export, report, refusal and admin action.
//!
//! Rows name devices, tokens (by id), requests, key and KEK ARNs, KSNs and KCVs: enough to say
//! which key left AWS for which reader, when and on whose token. They never hold key material, a
//! key block or a token secret. This module only inserts and reads; nothing updates or deletes.

use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyPool, Executor, Row};

use crate::db::{DbError, format_time, now_ms, random_hex};

/// What happened. The serde names are the stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A key block left AWS for a device.
    Export,
    /// A key request could not be answered (AWS, database or configuration).
    RequestFailed,
    /// A device reported a slot.
    Report,
    /// A request was refused (authentication, authorisation, bad input).
    Refused,
    DeviceAdded,
    DeviceRevoked,
    TokenCreated,
    TokenRevoked,
    /// A profile was rotated to new AWS keys (a new key generation).
    ProfileRotated,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::RequestFailed => "request_failed",
            Self::Report => "report",
            Self::Refused => "refused",
            Self::DeviceAdded => "device_added",
            Self::DeviceRevoked => "device_revoked",
            Self::TokenCreated => "token_created",
            Self::TokenRevoked => "token_revoked",
            Self::ProfileRotated => "profile_rotated",
        }
    }
}

/// One row to append; unset fields stay empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub event: Event,
    pub device_id: Option<String>,
    pub token_id: Option<String>,
    pub request_id: Option<String>,
    pub slot: Option<u8>,
    pub key_arn: Option<String>,
    pub kek_arn: Option<String>,
    pub ksn: Option<String>,
    pub kcv: Option<String>,
    pub outcome: Option<String>,
    pub code: Option<String>,
    pub detail: Option<String>,
}

impl Entry {
    pub fn new(event: Event) -> Self {
        Self {
            event,
            device_id: None,
            token_id: None,
            request_id: None,
            slot: None,
            key_arn: None,
            kek_arn: None,
            ksn: None,
            kcv: None,
            outcome: None,
            code: None,
            detail: None,
        }
    }

    pub fn device(mut self, id: impl Into<String>) -> Self {
        self.device_id = Some(id.into());
        self
    }

    pub fn token(mut self, id: impl Into<String>) -> Self {
        self.token_id = Some(id.into());
        self
    }

    pub fn request(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Longest `detail` kept: details come from error messages and device reports, and the trail
/// must not grow without bound on a hostile client.
const DETAIL_LIMIT: usize = 300;

/// Appends `entry`, on a pool or inside a transaction (`&mut *tx`).
pub async fn append<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    instance: &str,
    entry: &Entry,
) -> Result<(), DbError> {
    let at = now_ms();
    insert(executor, &new_id(at), at, instance, entry, None).await
}

/// A new row id for time `at`: time-ordered, unique.
pub fn new_id(at: i64) -> String {
    format!("{at:013}-{}", random_hex(6))
}

/// Inserts a row with its id and time; `delayed_at` when it is written after the event. A row
/// whose id is already there is left as it is (a spool drained twice writes each row once).
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    id: &str,
    at: i64,
    instance: &str,
    entry: &Entry,
    delayed_at: Option<i64>,
) -> Result<(), DbError> {
    let detail = entry
        .detail
        .as_ref()
        .map(|d| d.chars().take(DETAIL_LIMIT).collect::<String>());
    sqlx::query(
        "INSERT INTO audit_log (id, at, event, device_id, token_id, request_id, slot, key_arn, kek_arn, ksn, kcv, \
         outcome, code, detail, instance, delayed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(at)
    .bind(entry.event.as_str())
    .bind(entry.device_id.clone())
    .bind(entry.token_id.clone())
    .bind(entry.request_id.clone())
    .bind(entry.slot.map(i64::from))
    .bind(entry.key_arn.clone())
    .bind(entry.kek_arn.clone())
    .bind(entry.ksn.clone())
    .bind(entry.kcv.clone())
    .bind(entry.outcome.clone())
    .bind(entry.code.clone())
    .bind(detail)
    .bind(instance)
    .bind(delayed_at)
    .execute(executor)
    .await?;
    Ok(())
}

/// A row as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: String,
    /// RFC 3339.
    pub time: String,
    pub event: String,
    pub device_id: Option<String>,
    pub token_id: Option<String>,
    pub request_id: Option<String>,
    pub slot: Option<i64>,
    pub key_arn: Option<String>,
    pub kek_arn: Option<String>,
    pub ksn: Option<String>,
    pub kcv: Option<String>,
    pub outcome: Option<String>,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub instance: String,
    /// RFC 3339: when a row written after the event was written (a refusal spooled during a
    /// database outage).
    pub delayed_at: Option<String>,
}

/// Which rows to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub device: Option<String>,
    /// Unix milliseconds, inclusive.
    pub since_ms: Option<i64>,
}

/// The rows matching `filter`, oldest first.
pub async fn read(pool: &AnyPool, filter: &Filter) -> Result<Vec<Record>, DbError> {
    let rows = sqlx::query(
        "SELECT id, at, event, device_id, token_id, request_id, slot, key_arn, kek_arn, ksn, kcv, outcome, code, \
         detail, instance, delayed_at FROM audit_log WHERE ($1 IS NULL OR device_id = $1) AND at >= $2 ORDER BY id",
    )
    .bind(filter.device.clone())
    .bind(filter.since_ms.unwrap_or(0))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Record {
                id: row.try_get("id")?,
                time: format_time(row.try_get("at")?),
                event: row.try_get("event")?,
                device_id: row.try_get("device_id")?,
                token_id: row.try_get("token_id")?,
                request_id: row.try_get("request_id")?,
                slot: row.try_get("slot")?,
                key_arn: row.try_get("key_arn")?,
                kek_arn: row.try_get("kek_arn")?,
                ksn: row.try_get("ksn")?,
                kcv: row.try_get("kcv")?,
                outcome: row.try_get("outcome")?,
                code: row.try_get("code")?,
                detail: row.try_get("detail")?,
                instance: row.try_get("instance")?,
                delayed_at: row.try_get::<Option<i64>, _>("delayed_at")?.map(format_time),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// Writes `records` as CSV with a header row.
pub fn write_csv(records: &[Record], out: impl std::io::Write) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    for record in records {
        writer.serialize(record)?;
    }
    writer.flush()?;
    Ok(())
}
