//! Request bodies: checked and read within limits, then parsed as a JSON object into a type that
//! refuses unknown fields. Done inside the handlers rather than by axum's extractors so that every
//! refusal gets the service's JSON error and an audit row.
//!
//! In order: a declared `Content-Length` over the limit is refused before a byte is read (413);
//! a body that is not declared JSON is refused unread (415); the body must then arrive within
//! the body timeout (else 408) and within the limit (413); it must be JSON (400
//! `malformed_json`) and an object (400 `invalid_request`: `[]`, `null`, `42` and `"x"` are JSON
//! but not a request). The refusals that leave a body unread close the connection.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use keybridge::service_api::ErrorCode;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::error::ApiError;

/// How much body a request may send, and how slowly.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

/// Reads and parses the body; an absent or empty body reads as `{}` when `empty_is_object`.
pub async fn json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limits: BodyLimits,
    empty_is_object: bool,
) -> Result<T, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("the body is larger than {} bytes", limits.max_bytes),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_bytes as u64) {
        return Err(too_large());
    }
    let has_body = declared.is_some_and(|length| length > 0) || headers.contains_key(header::TRANSFER_ENCODING);
    if has_body && !is_json(headers) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be sent as Content-Type: application/json",
        ));
    }
    let read = tokio::time::timeout(limits.timeout, axum::body::to_bytes(body, limits.max_bytes)).await;
    let bytes = match read {
        Err(_) => {
            return Err(ApiError::new(
                ErrorCode::RequestTimeout,
                format!("the body did not arrive within {} ms", limits.timeout.as_millis()),
            ));
        }
        Ok(Err(error)) => {
            let over =
                std::error::Error::source(&error).is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return Err(if over {
                too_large()
            } else {
                ApiError::new(ErrorCode::InvalidRequest, "the body could not be read")
            });
        }
        Ok(Ok(bytes)) => bytes,
    };
    let bytes: &[u8] = if bytes.is_empty() && empty_is_object {
        b"{}"
    } else {
        &bytes
    };
    // Syntax first, over the whole body: a typed parse stops at the first unknown field and would
    // call broken JSON merely wrong.
    serde_json::from_slice::<IgnoredAny>(bytes)
        .map_err(|error| ApiError::new(ErrorCode::MalformedJson, format!("the body is not JSON: {error}")))?;
    // A struct also deserializes from a JSON array (its fields in order), and an empty one from
    // `[]`: only an object is a request.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "the body must be a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the body does not fit the request: {error}"),
        )
    })
}

/// `application/json`, or a `+json` type, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let media_type = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    media_type == "application/json" || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}
