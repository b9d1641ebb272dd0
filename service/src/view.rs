//! The device view (`GET /v1/devices/{posId}`, `keybridge devices show`): per slot, the key of
//! the device's latest answered request and what the reader reported about it.

use keybridge::export::KcvAlgorithm;
use keybridge::service_api::{DeviceSlot, DeviceStatus, DeviceView, RequestSummary, SlotReportView};
use sqlx::{AnyPool, Row};

use crate::db::{DbError, format_time};
use crate::devices::Device;
use crate::reports::{parse_outcome, parse_verdict};
use crate::requests::parse_state;

/// Builds the view of `device`.
pub async fn device_view(pool: &AnyPool, device: &Device) -> Result<DeviceView, DbError> {
    let last = sqlx::query(
        "SELECT id, state, created_at FROM key_requests WHERE device_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(&device.pos_id)
    .fetch_optional(pool)
    .await?;
    let last_request = match last {
        Some(row) => Some(RequestSummary {
            request_id: row.try_get("id")?,
            state: parse_state(&row.try_get::<String, _>("state")?),
            created_at: format_time(row.try_get("created_at")?),
        }),
        None => None,
    };
    // The newest answered slot per slot number (window functions exist in both engines).
    let rows = sqlx::query(
        "SELECT t.slot, t.request_id, t.answered_at, t.key_arn, t.kcv, t.kcv_algorithm, t.ksn, \
                r.outcome, r.reader_kcv, r.verdict, r.reported_at \
         FROM (SELECT s.slot, s.request_id, q.answered_at, s.key_arn, s.kcv, s.kcv_algorithm, s.ksn, \
                      ROW_NUMBER() OVER (PARTITION BY s.slot ORDER BY q.answered_at DESC, q.id DESC) AS newest \
               FROM request_slots s JOIN key_requests q ON q.id = s.request_id \
               WHERE q.device_id = $1 AND q.state = 'answered') t \
         LEFT JOIN slot_reports r ON r.request_id = t.request_id AND r.slot = t.slot \
         WHERE t.newest = 1 ORDER BY t.slot",
    )
    .bind(&device.pos_id)
    .fetch_all(pool)
    .await?;
    let mut slots = Vec::with_capacity(rows.len());
    for row in &rows {
        let report = match row.try_get::<Option<String>, _>("outcome")? {
            Some(outcome) => Some(SlotReportView {
                outcome: parse_outcome(&outcome),
                reader_kcv: row.try_get("reader_kcv")?,
                verdict: row
                    .try_get::<Option<String>, _>("verdict")?
                    .as_deref()
                    .and_then(parse_verdict),
                reported_at: format_time(row.try_get("reported_at")?),
            }),
            None => None,
        };
        let algorithm: String = row.try_get("kcv_algorithm")?;
        slots.push(DeviceSlot {
            slot: u8::try_from(row.try_get::<i64, _>("slot")?).unwrap_or(u8::MAX),
            request_id: row.try_get("request_id")?,
            issued_at: format_time(row.try_get("answered_at")?),
            key_arn: row.try_get("key_arn")?,
            kcv: row.try_get("kcv")?,
            kcv_algorithm: KcvAlgorithm::from_aws(&algorithm).unwrap_or(KcvAlgorithm::Cmac),
            ksn: row.try_get("ksn")?,
            report,
        });
    }
    Ok(DeviceView {
        pos_id: device.pos_id.clone(),
        group: device.group.clone(),
        profile: device.profile.clone(),
        status: if device.revoked_at.is_some() {
            DeviceStatus::Revoked
        } else {
            DeviceStatus::Active
        },
        registered_at: format_time(device.created_at),
        last_request,
        slots,
    })
}
