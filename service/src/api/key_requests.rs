//! `POST /v1/devices/{posId}/key-requests`: export every slot of the device's profile under its
//! KEK and answer with the key blocks.
//!
//! Order: token, body, `Idempotency-Key`, device and authorisation, the profile's current key
//! generation ([`crate::generations`]), then allocation (committed
//! before AWS is called), then the exports (slots in parallel, each through the gateway), then one
//! transaction that records AWS's answers and the audit rows, then the answer. A refusal before
//! allocation allocates nothing. A retry with the same `Idempotency-Key` finds the stored
//! allocation and exports it again: same request id, slots, KSNs and KCVs (the blocks differ only
//! in their random padding), nothing new allocated.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use keybridge::service_api::{ErrorCode, IDEMPOTENCY_KEY_HEADER, IssuedKey, KeyRequest, KeyRequestResponse};

use super::error::ApiError;
use super::{AppState, CallContext, auth, body};
use crate::audit::{Entry, Event};
use crate::devices::Device;
use crate::gateway::Exported;
use crate::generations;
use crate::requests::{self, SlotAnswer, StoredRequest, StoredSlot};
use crate::tokens::Principal;

/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 200;

pub async fn create(
    State(state): State<AppState>,
    Path(pos_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let start = Instant::now();
    let mut context = CallContext {
        device: Some(pos_id.chars().take(64).collect()),
        ..CallContext::default()
    };
    match issue(&state, &mut context, &pos_id, &headers, body).await {
        Ok((answer, timing)) => {
            let mut response = Json(answer).into_response();
            if let Ok(value) = HeaderValue::from_str(&timing.header(start.elapsed())) {
                response.headers_mut().insert("server-timing", value);
            }
            response
        }
        Err(error) => state.fail(context, error).await,
    }
}

/// Where a request's time went, for the `Server-Timing` header: waiting for the AWS rate limit and
/// a concurrency slot, and inside AWS calls (the slowest slot of each), beside the total.
struct Timing {
    queued: Duration,
    aws: Duration,
}

impl Timing {
    fn header(&self, total: Duration) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        format!(
            "queue;dur={:.3}, aws;dur={:.3}, total;dur={:.3}",
            ms(self.queued),
            ms(self.aws),
            ms(total)
        )
    }
}

async fn issue(
    state: &AppState,
    context: &mut CallContext,
    pos_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(KeyRequestResponse, Timing), ApiError> {
    let principal = auth::authenticate(state, headers, context).await?;
    let KeyRequest {} = body::json(headers, body, state.body_limits, true).await?;
    let idempotency_key = idempotency_key(headers)?;
    let device = auth::device_for(state, &principal, pos_id, false).await?;
    let configured = state.profiles.get(&device.profile).ok_or_else(|| {
        ApiError::new(ErrorCode::Misconfigured, "the device's key profile is not configured").with_log_detail(format!(
            "profile `{}` of device {pos_id} is not in the configuration",
            device.profile
        ))
    })?;
    let current = generations::current(&state.pool, &device.profile, configured).await?;
    let (request, replay) = requests::begin(
        &state.pool,
        &device,
        (&current.profile, current.generation),
        &principal.token_id,
        idempotency_key.as_deref(),
    )
    .await?;
    context.request = Some(request.id.clone());
    export_all(state, &principal, &device, &request, replay).await
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let printable = text.bytes().all(|b| (0x21..0x7f).contains(&b));
    if text.is_empty() || text.len() > MAX_IDEMPOTENCY_KEY || !printable {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "Idempotency-Key must be 1 to 200 printable ASCII characters without spaces",
        ));
    }
    Ok(Some(text.to_owned()))
}

async fn export_all(
    state: &AppState,
    principal: &Principal,
    device: &Device,
    request: &StoredRequest,
    replay: bool,
) -> Result<(KeyRequestResponse, Timing), ApiError> {
    let results = futures_util::future::join_all(request.slots.iter().map(|slot| {
        state
            .gateway
            .export(slot.export_key(), slot.export_kek(), slot.ksn.as_deref())
    }))
    .await;
    let audit_base = || {
        Entry::new(Event::Export)
            .device(&device.pos_id)
            .token(&principal.token_id)
            .request(&request.id)
    };
    let mut audit = Vec::new();
    let mut answers = Vec::new();
    let mut keys = Vec::new();
    let mut first_error = None;
    let mut timing = Timing {
        queued: Duration::ZERO,
        aws: Duration::ZERO,
    };
    for (slot, result) in request.slots.iter().zip(results) {
        let outcome = result
            .map_err(ApiError::from)
            .and_then(|exported| same_as_before(slot, exported));
        match outcome {
            Ok(exported) => {
                timing.queued = timing.queued.max(exported.queued);
                timing.aws = timing.aws.max(exported.aws);
                let block = exported.block;
                let mut entry = audit_base();
                entry.slot = Some(slot.slot);
                entry.key_arn = Some(block.key_arn.clone());
                entry.kek_arn = Some(block.wrapping_key_arn.clone());
                entry.ksn = slot.ksn.clone();
                entry.kcv = Some(block.kcv.clone());
                entry.outcome = Some(block.kcv_algorithm.aws_name().to_owned());
                if replay {
                    entry.detail = Some("replayed for a retried Idempotency-Key".into());
                }
                audit.push(entry);
                answers.push((
                    slot.slot,
                    SlotAnswer {
                        key_arn: block.key_arn.clone(),
                        kek_arn: block.wrapping_key_arn.clone(),
                        kcv: block.kcv.clone(),
                        kcv_algorithm: block.kcv_algorithm,
                    },
                ));
                keys.push(IssuedKey {
                    slot: slot.slot,
                    key_block: block.key_block,
                    kcv: block.kcv,
                    kcv_algorithm: block.kcv_algorithm,
                    ksn: slot.ksn.clone(),
                    key_arn: block.key_arn,
                });
            }
            Err(error) => {
                tracing::warn!(request = %request.id, slot = slot.slot, code = %error.code,
                    detail = error.detail.as_deref().unwrap_or(&error.message), "export failed");
                // A transient failure decides the answer (503: retry) over a permanent one.
                let keep = first_error
                    .as_ref()
                    .is_none_or(|kept: &ApiError| !kept.code.is_retryable() && error.code.is_retryable());
                if keep {
                    first_error = Some(error);
                }
            }
        }
    }
    if let Some(mut error) = first_error {
        let mut failed = Entry::new(Event::RequestFailed)
            .device(&device.pos_id)
            .token(&principal.token_id)
            .request(&request.id)
            .code(error.code.as_str())
            .detail(&error.message);
        failed.ksn = ksn_list(&request.slots);
        audit.push(failed);
        requests::record_failure(&state.pool, &request.id, error.code.as_str(), &audit, &state.instance).await?;
        error.audited = true;
        return Err(error);
    }
    requests::record_answer(&state.pool, &request.id, &answers, &audit, &state.instance).await?;
    Ok((
        KeyRequestResponse {
            request_id: request.id.clone(),
            keys,
        },
        timing,
    ))
}

/// A replayed slot must carry the KCV it was first answered with: the same key (by ARN) under
/// the same KEK always does, so a difference means AWS changed under us and the block is refused.
fn same_as_before(slot: &StoredSlot, exported: Exported) -> Result<Exported, ApiError> {
    match &slot.answer {
        Some(before) if before.kcv != exported.block.kcv => Err(ApiError::new(
            ErrorCode::ExportInvalid,
            "the replayed export's KCV differs from the first answer",
        )
        .with_log_detail(format!(
            "slot {}: was {}, now {}",
            slot.slot, before.kcv, exported.block.kcv
        ))),
        _ => Ok(exported),
    }
}

/// The KSNs a failed request burned, for its audit row.
fn ksn_list(slots: &[StoredSlot]) -> Option<String> {
    let ksns: Vec<&str> = slots.iter().filter_map(|s| s.ksn.as_deref()).collect();
    (!ksns.is_empty()).then(|| ksns.join(" "))
}
