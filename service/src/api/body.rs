//! Request bodies: read up to the configured limit, then parsed as JSON into a type that refuses
//! unknown fields. Done inside the handlers rather than by axum's extractors so that every
//! refusal gets the service's JSON error and an audit row.

use axum::body::Body;
use keybridge::service_api::ErrorCode;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::error::ApiError;

/// Reads and parses the body; an empty body reads as `{}` when `empty_is_object`.
pub async fn json<T: DeserializeOwned>(body: Body, limit: usize, empty_is_object: bool) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|error| {
        let too_large =
            std::error::Error::source(&error).is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::new(
                ErrorCode::BodyTooLarge,
                format!("the body is larger than {limit} bytes"),
            )
        } else {
            ApiError::new(ErrorCode::InvalidRequest, "the body could not be read")
        }
    })?;
    let bytes: &[u8] = if bytes.is_empty() && empty_is_object {
        b"{}"
    } else {
        &bytes
    };
    // Syntax first, over the whole body: a typed parse stops at the first unknown field and would
    // call broken JSON merely wrong.
    serde_json::from_slice::<IgnoredAny>(bytes)
        .map_err(|error| ApiError::new(ErrorCode::MalformedJson, format!("the body is not JSON: {error}")))?;
    serde_json::from_slice(bytes).map_err(|error| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the body does not fit the request: {error}"),
        )
    })
}
