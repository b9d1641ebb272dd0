//! Who may call: the bearer token, then whether it may act on the device named.
//!
//! A device token acts only on its own device; anyone else's is 403 whether or not that device
//! exists, so a token cannot probe the registry. An operator token acts on the devices of its
//! group: an unknown device is 404, another group's 403.

use axum::http::{HeaderMap, header};
use keybridge::service_api::ErrorCode;

use super::error::ApiError;
use super::{AppState, CallContext};
use crate::devices::{self, Device, check_identifier};
use crate::tokens::{self, AuthError, Principal, Scope};

/// Checks the `Authorization` header.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    context: &mut CallContext,
) -> Result<Principal, ApiError> {
    let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match tokens::authenticate(&state.pool, header).await {
        Ok(principal) => {
            context.token = Some(principal.token_id.clone());
            Ok(principal)
        }
        Err(error) => {
            context.token = match &error {
                AuthError::Unknown { token_id } => token_id.clone(),
                AuthError::Revoked { token_id } | AuthError::Expired { token_id } => Some(token_id.clone()),
                _ => None,
            };
            Err(error.into())
        }
    }
}

/// The device `pos_id`, if `principal` may act on it. Revoked devices are refused unless
/// `allow_revoked` (looking at a revoked device is fine; getting keys for it is not).
pub async fn device_for(
    state: &AppState,
    principal: &Principal,
    pos_id: &str,
    allow_revoked: bool,
) -> Result<Device, ApiError> {
    check_identifier("POS id", pos_id)?;
    let forbidden = || ApiError::new(ErrorCode::Forbidden, "this token may not act on this device");
    match &principal.scope {
        Scope::Device(own) if own != pos_id => return Err(forbidden()),
        // Administration never touches a reader's keys.
        Scope::Admin => return Err(forbidden()),
        _ => {}
    }
    let device = devices::get(&state.pool, pos_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownDevice, format!("no device `{pos_id}` is registered")))?;
    if let Scope::Operator(group) = &principal.scope
        && &device.group != group
    {
        return Err(forbidden());
    }
    if device.revoked_at.is_some() && !allow_revoked {
        return Err(ApiError::new(
            ErrorCode::DeviceRevoked,
            format!("device `{pos_id}` is revoked"),
        ));
    }
    Ok(device)
}
