//! The administration routes: `POST /v1/profiles/{profile}/rotations` rotates a profile to new
//! AWS keys (admin tokens only), and `GET /v1/devices[?stale=true]` lists readers with the key
//! generation they hold (an operator token sees its group, an admin token every reader; a device
//! token none). The admin CLI does the same on the database directly.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use keybridge::service_api::ErrorCode;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::{AppState, CallContext, auth, body};
use crate::generations::{self, DeviceGeneration, RotationError};
use crate::tokens::Scope;

/// The body of a rotation: the slots whose keys change.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotationRequest {
    pub slots: Vec<SlotKey>,
}

/// A slot and the AWS key (ARN or alias) it exports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotKey {
    pub slot: u8,
    pub key: String,
}

/// The profile after a rotation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationAnswer {
    pub profile: String,
    pub generation: i64,
    pub slots: Vec<SlotKey>,
}

/// The readers a token may see.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceList {
    pub devices: Vec<DeviceGeneration>,
}

impl From<RotationError> for ApiError {
    fn from(error: RotationError) -> Self {
        let message = error.to_string();
        let code = match error {
            RotationError::Db(e) => return e.into(),
            RotationError::UnknownProfile(_) => ErrorCode::UnknownProfile,
            RotationError::UnknownSlot { .. } => ErrorCode::UnknownSlot,
            RotationError::Invalid { .. } | RotationError::Empty => ErrorCode::InvalidRequest,
            RotationError::Concurrent(_) => ErrorCode::RotationConflict,
        };
        ApiError::new(code, message)
    }
}

pub async fn rotate(
    State(state): State<AppState>,
    Path(profile): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut context = CallContext::default();
    match rotation(&state, &mut context, &profile, &headers, body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => state.fail(context, error).await,
    }
}

async fn rotation(
    state: &AppState,
    context: &mut CallContext,
    profile: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<RotationAnswer, ApiError> {
    let principal = auth::authenticate(state, headers, context).await?;
    if principal.scope != Scope::Admin {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "rotating a profile takes an admin token",
        ));
    }
    let request: RotationRequest = body::json(headers, body, state.body_limits, false).await?;
    let changes: Vec<(u8, String)> = request.slots.into_iter().map(|s| (s.slot, s.key)).collect();
    let rotated = generations::rotate(&state.pool, &state.profiles, profile, &changes, &state.instance).await?;
    Ok(RotationAnswer {
        profile: profile.to_owned(),
        generation: rotated.generation,
        slots: rotated
            .profile
            .slots
            .iter()
            .map(|spec| SlotKey {
                slot: spec.slot,
                key: spec.source.key_id().to_owned(),
            })
            .collect(),
    })
}

pub async fn list(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let mut context = CallContext::default();
    match listing(&state, &mut context, &uri, &headers).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => state.fail(context, error).await,
    }
}

async fn listing(
    state: &AppState,
    context: &mut CallContext,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<DeviceList, ApiError> {
    let principal = auth::authenticate(state, headers, context).await?;
    let stale_only = stale_parameter(uri.query().unwrap_or_default())?;
    let group = match &principal.scope {
        Scope::Admin => None,
        Scope::Operator(group) => Some(group.as_str()),
        Scope::Device(_) => {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "listing readers takes an operator or admin token",
            ));
        }
    };
    let mut devices = generations::devices(&state.pool, group).await?;
    if stale_only {
        devices.retain(|d| d.stale);
    }
    Ok(DeviceList { devices })
}

/// `stale=true|false` (absent: false); any other parameter is refused.
fn stale_parameter(query: &str) -> Result<bool, ApiError> {
    let mut stale = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        stale = match pair {
            "stale=true" | "stale" => true,
            "stale=false" => false,
            _ => {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "the only query parameter is stale=true|false",
                ));
            }
        };
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stale_parameter_is_the_only_one() {
        assert!(!stale_parameter("").unwrap());
        assert!(stale_parameter("stale=true").unwrap());
        assert!(!stale_parameter("stale=false").unwrap());
        assert!(stale_parameter("group=x").is_err());
        assert!(stale_parameter("stale=yes").is_err());
    }
}
