//! Errors as the device API answers them: a stable [`ErrorCode`], its HTTP status, a message for
//! people, and `Retry-After` on a 503. Messages never carry key material or tokens; details that
//! help an operator but not a device (AWS's own messages, database errors) go to the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keybridge::service_api::{ErrorBody, ErrorCode};

use crate::db::DbError;
use crate::devices::RegistryError;
use crate::gateway::{GatewayError, is_invalid_reply, is_transient};
use crate::reports::ReportError;
use crate::requests::AllocationError;
use crate::tokens::AuthError;

/// An API failure.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    /// What the caller is told.
    pub message: String,
    /// What the log is told, when it is more than `message`.
    pub detail: Option<String>,
    /// Already in the audit trail (the key-request flow audits its own failures).
    pub audited: bool,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
            audited: false,
        }
    }

    pub fn with_log_detail(mut self, detail: impl ToString) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// Seconds a client should wait before retrying a 503.
    fn retry_after(&self) -> Option<u64> {
        match self.code {
            ErrorCode::Busy => Some(1),
            ErrorCode::AwsUnavailable | ErrorCode::DatabaseUnavailable => Some(5),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after();
        // These are answered with the body unread: the connection cannot carry another request.
        let close = matches!(
            self.code,
            ErrorCode::BodyTooLarge | ErrorCode::RequestTimeout | ErrorCode::UnsupportedMediaType
        );
        let mut response = (status, Json(ErrorBody::new(self.code, self.message))).into_response();
        if close {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match &error {
            DbError::Unavailable(_) => ApiError::new(
                ErrorCode::DatabaseUnavailable,
                "the database is unavailable; retry later",
            ),
            _ => ApiError::new(ErrorCode::Internal, "internal error"),
        }
        .with_log_detail(error)
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing | AuthError::Malformed | AuthError::Unknown { .. } => {
                ApiError::new(ErrorCode::Unauthenticated, "a valid bearer token is required").with_log_detail(error)
            }
            AuthError::Revoked { .. } => ApiError::new(ErrorCode::TokenRevoked, "the token is revoked"),
            AuthError::Expired { .. } => ApiError::new(ErrorCode::TokenExpired, "the token has expired"),
            AuthError::Db(e) => e.into(),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::Db(e) => e.into(),
            RegistryError::Invalid { .. } => ApiError::new(ErrorCode::InvalidRequest, error.to_string()),
            other => ApiError::new(ErrorCode::Internal, "internal error").with_log_detail(other),
        }
    }
}

impl From<AllocationError> for ApiError {
    fn from(error: AllocationError) -> Self {
        match error {
            AllocationError::Db(e) => e.into(),
            AllocationError::Exhausted { .. } => ApiError::new(
                ErrorCode::Misconfigured,
                "the service cannot allocate a KSN for this device",
            )
            .with_log_detail(error),
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(error: ReportError) -> Self {
        let code = match error {
            ReportError::Db(e) => return e.into(),
            ReportError::Invalid { .. } => ErrorCode::InvalidRequest,
            ReportError::NotAnswered(_) => ErrorCode::RequestNotAnswered,
            ReportError::UnknownSlot(_) => ErrorCode::UnknownSlot,
            ReportError::Conflict(_) => ErrorCode::ReportConflict,
        };
        ApiError::new(code, error.to_string())
    }
}

impl From<GatewayError> for ApiError {
    fn from(error: GatewayError) -> Self {
        match &error {
            GatewayError::Busy { .. } => ApiError::new(
                ErrorCode::Busy,
                "the service's AWS rate limit is saturated; retry later",
            ),
            GatewayError::Quota(_) => ApiError::new(
                ErrorCode::DatabaseUnavailable,
                "the database is unavailable; retry later",
            ),
            GatewayError::Export(e) if is_transient(e) => ApiError::new(
                ErrorCode::AwsUnavailable,
                "AWS Payment Cryptography is unavailable; retry later",
            ),
            GatewayError::Export(e) if is_invalid_reply(e) => {
                ApiError::new(ErrorCode::ExportInvalid, "the key block AWS returned failed validation")
            }
            GatewayError::Export(_) | GatewayError::Setting { .. } => ApiError::new(
                ErrorCode::AwsRejected,
                "AWS refused the export; the service's key configuration needs attention",
            ),
        }
        .with_log_detail(error)
    }
}
