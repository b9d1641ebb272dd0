//! Reports: what the reader did with each slot, and the service's verdict on it.
//!
//! Readers report the legacy KCV (encrypt a block of zeros, leftmost 3 bytes). AWS reports
//! `ANSI_X9_24` for TDES keys (the same computation, so the two are compared) and `CMAC` for AES
//! keys (a different one: nothing ties the two without the clear key, so the verdict is
//! `unverifiable`, never `verified`). A comparison needs at least 3 bytes on both sides and
//! compares the shorter value's full length.

use keybridge::export::KcvAlgorithm;
use keybridge::service_api::{Report, ReportResponse, SlotOutcome, SlotVerdict, Verdict};
use sqlx::{AnyPool, Row};

use crate::audit::{self, Entry, Event};
use crate::db::{DbError, now_ms};
use crate::requests::StoredRequest;

/// The fewest KCV bytes a comparison accepts.
const MIN_KCV_BYTES: usize = 3;
/// The most a KCV can have (one AES block).
const MAX_KCV_BYTES: usize = 16;
/// The longest failure text kept from a device.
const MAX_ERROR_CHARS: usize = 200;

/// The verdict for a loaded slot.
pub fn verdict(aws_kcv: &str, aws_algorithm: KcvAlgorithm, reader_kcv: Option<&[u8]>) -> Verdict {
    if aws_algorithm != KcvAlgorithm::AnsiX924 {
        return Verdict::Unverifiable;
    }
    let (Ok(aws), Some(reader)) = (hex::decode(aws_kcv), reader_kcv) else {
        return Verdict::Unverifiable;
    };
    if aws.len() < MIN_KCV_BYTES || reader.len() < MIN_KCV_BYTES {
        return Verdict::Unverifiable;
    }
    if keybridge::kcv::kcv_matches(&aws, reader) {
        Verdict::Verified
    } else {
        Verdict::Mismatch
    }
}

/// Why a report was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("request {0} was never answered, so no slot of it can have been loaded")]
    NotAnswered(String),
    #[error("slot {0} was not issued by this request")]
    UnknownSlot(u8),
    #[error("slot {0} was already reported with a different outcome or KCV")]
    Conflict(u8),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A slot report after its fields were checked.
struct CheckedSlot {
    slot: u8,
    outcome: SlotOutcome,
    /// Upper-case hex.
    reader_kcv: Option<String>,
    error: Option<String>,
}

fn check(report: &Report, request: &StoredRequest) -> Result<Vec<CheckedSlot>, ReportError> {
    if report.slots.is_empty() {
        return Err(ReportError::Invalid {
            field: "slots".into(),
            reason: "reports at least one slot".into(),
        });
    }
    let mut checked: Vec<CheckedSlot> = Vec::with_capacity(report.slots.len());
    for slot in &report.slots {
        let invalid = |field: &str, reason: &str| ReportError::Invalid {
            field: format!("slots[slot={}].{field}", slot.slot),
            reason: reason.into(),
        };
        if checked.iter().any(|c| c.slot == slot.slot) {
            return Err(invalid("slot", "listed twice"));
        }
        if !request.slots.iter().any(|s| s.slot == slot.slot) {
            return Err(ReportError::UnknownSlot(slot.slot));
        }
        let reader_kcv = match &slot.reader_kcv {
            Some(kcv) => {
                let even = kcv.len() % 2 == 0 && kcv.len() <= 2 * MAX_KCV_BYTES;
                if !even || !kcv.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid("readerKcv", "must be hex, whole bytes, at most 16 bytes"));
                }
                Some(kcv.to_ascii_uppercase())
            }
            None => None,
        };
        if let Some(error) = &slot.error
            && (error.chars().count() > MAX_ERROR_CHARS || error.chars().any(char::is_control))
        {
            return Err(invalid(
                "error",
                "must be at most 200 characters, no control characters",
            ));
        }
        checked.push(CheckedSlot {
            slot: slot.slot,
            outcome: slot.outcome,
            reader_kcv,
            error: slot.error.clone(),
        });
    }
    Ok(checked)
}

/// Stored names of the slot outcomes.
const OUTCOMES: [(SlotOutcome, &str); 3] = [
    (SlotOutcome::Loaded, "loaded"),
    (SlotOutcome::Failed, "failed"),
    (SlotOutcome::Indeterminate, "indeterminate"),
];

fn outcome_name(outcome: SlotOutcome) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(o, _)| *o == outcome)
        .map_or("failed", |(_, name)| name)
}

/// Parses a stored verdict.
pub fn parse_verdict(name: &str) -> Option<Verdict> {
    Verdict::ALL.into_iter().find(|v| v.as_str() == name)
}

/// Parses a stored outcome.
pub fn parse_outcome(name: &str) -> SlotOutcome {
    OUTCOMES
        .iter()
        .find(|(_, n)| *n == name)
        .map_or(SlotOutcome::Failed, |(outcome, _)| *outcome)
}

/// Records `report` for `request` and audits each slot. A slot reported before keeps its first
/// report; the same report again is answered the same (a retried report), a different one is a
/// conflict and changes nothing.
pub async fn record(
    pool: &AnyPool,
    request: &StoredRequest,
    token_id: &str,
    report: &Report,
    instance: &str,
) -> Result<ReportResponse, ReportError> {
    if request.state != keybridge::service_api::RequestState::Answered {
        return Err(ReportError::NotAnswered(request.id.clone()));
    }
    let checked = check(report, request)?;
    let now = now_ms();
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let mut verdicts = Vec::with_capacity(checked.len());
    for slot in &checked {
        let issued = request
            .slots
            .iter()
            .find(|s| s.slot == slot.slot)
            .and_then(|s| s.answer.as_ref().map(|a| (s, a)));
        let Some((issued, answer)) = issued else {
            return Err(ReportError::UnknownSlot(slot.slot));
        };
        let verdict = match slot.outcome {
            SlotOutcome::Loaded => {
                let reader = slot.reader_kcv.as_deref().and_then(|k| hex::decode(k).ok());
                Some(verdict(&answer.kcv, answer.kcv_algorithm, reader.as_deref()))
            }
            SlotOutcome::Failed | SlotOutcome::Indeterminate => None,
        };
        let inserted = sqlx::query(
            "INSERT INTO slot_reports (request_id, slot, outcome, reader_kcv, verdict, error, token_id, reported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id, slot) DO NOTHING",
        )
        .bind(&request.id)
        .bind(i64::from(slot.slot))
        .bind(outcome_name(slot.outcome))
        .bind(slot.reader_kcv.clone())
        .bind(verdict.map(|v| v.as_str().to_owned()))
        .bind(slot.error.clone())
        .bind(token_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if inserted.rows_affected() == 0 {
            let row = sqlx::query("SELECT outcome, reader_kcv FROM slot_reports WHERE request_id = $1 AND slot = $2")
                .bind(&request.id)
                .bind(i64::from(slot.slot))
                .fetch_one(&mut *tx)
                .await
                .map_err(DbError::from)?;
            let same = row.try_get::<String, _>("outcome").map_err(DbError::from)? == outcome_name(slot.outcome)
                && row.try_get::<Option<String>, _>("reader_kcv").map_err(DbError::from)? == slot.reader_kcv;
            if !same {
                return Err(ReportError::Conflict(slot.slot));
            }
        } else {
            let mut entry = Entry::new(Event::Report)
                .device(&request.device_id)
                .token(token_id)
                .request(&request.id);
            entry.slot = Some(slot.slot);
            entry.key_arn = Some(answer.key_arn.clone());
            entry.ksn = issued.ksn.clone();
            entry.kcv = slot.reader_kcv.clone();
            entry.outcome = Some(match verdict {
                Some(v) => v.as_str().to_owned(),
                None => outcome_name(slot.outcome).to_owned(),
            });
            entry.detail = slot.error.clone();
            audit::append(&mut *tx, instance, &entry).await?;
            metrics::counter!("keybridge_reports_total", "verdict" => verdict.map_or(outcome_name(slot.outcome), Verdict::as_str))
                .increment(1);
        }
        verdicts.push(SlotVerdict {
            slot: slot.slot,
            outcome: slot.outcome,
            verdict,
        });
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(ReportResponse {
        request_id: request.id.clone(),
        slots: verdicts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_kcv_method() {
        let tdes = KcvAlgorithm::AnsiX924;
        let kcv = |hex_text: &str| hex::decode(hex_text).unwrap();
        assert_eq!(verdict("08D7B4", tdes, Some(&kcv("08D7B4"))), Verdict::Verified);
        assert_eq!(verdict("08D7B4", tdes, Some(&kcv("08D7B4AABB"))), Verdict::Verified);
        assert_eq!(verdict("08D7B4", tdes, Some(&kcv("08D7B5"))), Verdict::Mismatch);
        // AWS's CMAC KCV of an AES key is another computation: never verified, even if equal.
        assert_eq!(
            verdict("08D7B4", KcvAlgorithm::Cmac, Some(&kcv("08D7B4"))),
            Verdict::Unverifiable
        );
        // Fewer than 3 bytes on either side, or none: nothing to compare.
        assert_eq!(verdict("08D7B4", tdes, Some(&kcv("08D7"))), Verdict::Unverifiable);
        assert_eq!(verdict("08D7", tdes, Some(&kcv("08D7B4"))), Verdict::Unverifiable);
        assert_eq!(verdict("08D7B4", tdes, None), Verdict::Unverifiable);
    }

    #[test]
    fn stored_names_parse_back() {
        for v in Verdict::ALL {
            assert_eq!(parse_verdict(v.as_str()), Some(v));
        }
        for (o, _) in OUTCOMES {
            assert_eq!(parse_outcome(outcome_name(o)), o);
        }
    }
}
