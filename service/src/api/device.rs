//! `GET /v1/devices/{posId}`: what each slot of the device should hold (the latest answered
//! request per slot) and what the reader reported.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use keybridge::service_api::DeviceView;

use super::error::ApiError;
use super::{AppState, CallContext, auth};
use crate::view;

pub async fn show(State(state): State<AppState>, Path(pos_id): Path<String>, headers: HeaderMap) -> Response {
    let mut context = CallContext {
        device: Some(pos_id.chars().take(64).collect()),
        ..CallContext::default()
    };
    match look_up(&state, &mut context, &pos_id, &headers).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => state.fail(context, error).await,
    }
}

async fn look_up(
    state: &AppState,
    context: &mut CallContext,
    pos_id: &str,
    headers: &HeaderMap,
) -> Result<DeviceView, ApiError> {
    let principal = auth::authenticate(state, headers, context).await?;
    let device = auth::device_for(state, &principal, pos_id, true).await?;
    Ok(view::device_view(&state.pool, &device).await?)
}
