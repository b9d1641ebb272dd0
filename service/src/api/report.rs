//! `POST /v1/key-requests/{requestId}/report`: what the reader did with each slot. The token must
//! be allowed to act on the request's device; the verdicts are in [`crate::reports`].

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use keybridge::service_api::{ErrorCode, Report, ReportResponse};

use super::error::ApiError;
use super::{AppState, CallContext, auth, body};
use crate::{reports, requests};

pub async fn create(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut context = CallContext {
        request: Some(request_id.chars().take(64).collect()),
        ..CallContext::default()
    };
    match record(&state, &mut context, &request_id, &headers, body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => state.fail(context, error).await,
    }
}

async fn record(
    state: &AppState,
    context: &mut CallContext,
    request_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<ReportResponse, ApiError> {
    let principal = auth::authenticate(state, headers, context).await?;
    let report: Report = body::json(headers, body, state.body_limits, false).await?;
    let unknown = || ApiError::new(ErrorCode::UnknownRequest, "no such key request");
    if request_id.len() > 64 {
        return Err(unknown());
    }
    let request = requests::load(&state.pool, request_id).await?.ok_or_else(unknown)?;
    context.device = Some(request.device_id.clone());
    // Reporting on a revoked device's last request is still allowed: it records what the reader
    // holds, which matters most for a device being taken out of service.
    auth::device_for(state, &principal, &request.device_id, true).await?;
    Ok(reports::record(&state.pool, &request, &principal.token_id, &report, &state.instance).await?)
}
