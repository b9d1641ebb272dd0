//! `POST /v1/devices/{posId}/kek`: the TR-34 step of a reader whose profile gives it its own KEK
//! (see [`crate::kek`]); `POST /v1/devices/{posId}/kek/report`: what the reader did with it.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use keybridge::service_api::{ErrorCode, KekReport, KekReportResponse, KekRequest, KekResponse};

use super::error::ApiError;
use super::{AppState, CallContext, auth, body};
use crate::kek::{self, KekContext, KekError};
use crate::profiles::KekChoice;

impl From<KekError> for ApiError {
    fn from(error: KekError) -> Self {
        let message = error.to_string();
        let code = match error {
            KekError::Gateway(e) => return e.into(),
            KekError::Db(e) => return e.into(),
            KekError::Certificate(_) => ErrorCode::BadDeviceCertificate,
            KekError::Invalid { .. } => ErrorCode::InvalidRequest,
            KekError::Shared => ErrorCode::KekShared,
            KekError::NotEstablished => ErrorCode::KekNotEstablished,
            KekError::CertificateMismatch => ErrorCode::KekCertificateMismatch,
            KekError::UnknownDevice(_) => ErrorCode::UnknownDevice,
            KekError::Active(_) => ErrorCode::InvalidRequest,
            KekError::Changed { .. } => {
                return ApiError::new(
                    ErrorCode::ExportInvalid,
                    "AWS reports another check value for the reader's KEK",
                )
                .with_log_detail(message);
            }
            KekError::NoDeviceCa => {
                return ApiError::new(ErrorCode::Misconfigured, "the service has no device CA configured")
                    .with_log_detail(message);
            }
        };
        ApiError::new(code, message)
    }
}

pub async fn establish(
    State(state): State<AppState>,
    Path(pos_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut context = CallContext {
        device: Some(pos_id.chars().take(64).collect()),
        ..CallContext::default()
    };
    match export(&state, &mut context, &pos_id, &headers, body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => state.fail(context, error).await,
    }
}

async fn export(
    state: &AppState,
    context: &mut CallContext,
    pos_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<KekResponse, ApiError> {
    let principal = auth::authenticate(state, headers, context).await?;
    let request: KekRequest = body::json(headers, body, state.body_limits, false).await?;
    let device = auth::device_for(state, &principal, pos_id, false).await?;
    per_reader(state, &device.profile)?;
    let certificate = kek::read_certificate(&request.certificate)?;
    let nonce = kek::parse_nonce(&request.nonce)?;
    let kek_context = KekContext {
        pool: &state.pool,
        gateway: &state.gateway,
        device_ca: state.device_ca.as_ref(),
        instance: &state.instance,
        token_id: &principal.token_id,
    };
    Ok(kek::establish(&kek_context, &device, &certificate, &nonce).await?)
}

/// Refuses a reader whose profile uses the shared KEK.
fn per_reader(state: &AppState, profile: &str) -> Result<(), ApiError> {
    match state.profiles.get(profile).map(|p| p.kek) {
        Some(KekChoice::PerReader) => Ok(()),
        Some(KekChoice::Shared) => Err(KekError::Shared.into()),
        None => Err(ApiError::new(
            ErrorCode::Misconfigured,
            "the device's key profile is not configured",
        )),
    }
}

pub async fn report(
    State(state): State<AppState>,
    Path(pos_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut context = CallContext {
        device: Some(pos_id.chars().take(64).collect()),
        ..CallContext::default()
    };
    match record(&state, &mut context, &pos_id, &headers, body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => state.fail(context, error).await,
    }
}

async fn record(
    state: &AppState,
    context: &mut CallContext,
    pos_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<KekReportResponse, ApiError> {
    let principal = auth::authenticate(state, headers, context).await?;
    let report: KekReport = body::json(headers, body, state.body_limits, false).await?;
    let device = auth::device_for(state, &principal, pos_id, true).await?;
    per_reader(state, &device.profile)?;
    Ok(kek::record_report(&state.pool, &device, &report, &principal.token_id, &state.instance).await?)
}
