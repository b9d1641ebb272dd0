//! `KeyServiceClient`: rust-core's client of the key service (`keybridge serve`) as an FFI object
//! (feature `service-client`), and `KeyServiceError`, which keeps the service's stable `code`.
//! A device holds a bearer token for its reader (or an operator's for a group), never AWS
//! credentials. Provisioning itself is `KeyLoader.provision` (see [`crate::provision`]).
//!
//! The token never leaves this crate in text: the config's and the client's generated
//! `toString()` / `debugDescription` come from the `Debug` implementations here, which redact it,
//! and no error names it.

use std::sync::Arc;
use std::time::Duration;

use keybridge::service_api::{
    DeviceSlot, DeviceStatus, DeviceView, RequestState, RequestSummary, SlotOutcome, SlotReportView, Verdict,
};
use keybridge::service_client::{self, ServiceClientConfig, ServiceError};
use zeroize::Zeroizing;

use crate::runtime::runtime;
use crate::{AwsKcvAlgorithm, LoadFailure};

/// How to reach the key service. `None` keeps keybridge's default (5 s to connect, 60 s per call,
/// 4 attempts, back-off from 500 ms to 10 s, the platform's root CAs). Numbers are signed so that
/// Java can call this; values out of range are `KeyServiceException.InvalidConfig` naming the field.
#[derive(Clone, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct KeyServiceConfig {
    /// `https://keys.example.com` (a path prefix is kept). Plain `http://` only to a loopback
    /// address unless [`KeyServiceConfig::allow_insecure_http`].
    pub base_url: String,
    /// The bearer token the service issued for this reader, or an operator's for its group.
    pub token: String,
    /// Connecting, TLS handshake included, in ms (at least 1).
    #[uniffi(default = None)]
    pub connect_timeout_ms: Option<i32>,
    /// One attempt of one call, in ms (at least 1): the service may wait for AWS's rate limit.
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<i32>,
    /// Attempts per call, the first included (at least 1). Key requests are retried with the same
    /// `Idempotency-Key`, so a retry never allocates new keys.
    #[uniffi(default = None)]
    pub max_attempts: Option<i32>,
    /// First pause between attempts in ms (at least 1); doubled each time.
    #[uniffi(default = None)]
    pub initial_backoff_ms: Option<i32>,
    /// Longest pause between attempts in ms (at least 1); a longer `Retry-After` ends the retries.
    #[uniffi(default = None)]
    pub max_backoff_ms: Option<i32>,
    /// PEM root CAs to trust instead of the platform's: needed on Android, where native code
    /// cannot read the platform store (pass the system roots, or ship the service's CA).
    #[uniffi(default = None)]
    pub root_certificates_pem: Option<Vec<u8>>,
    /// PEM certificate chain and private key for mutual TLS.
    #[uniffi(default = None)]
    pub client_identity_pem: Option<Vec<u8>>,
    /// `http://` to a host that is not a loopback address (a TLS-terminating proxy on the same
    /// machine only: the token would cross the network in clear).
    #[uniffi(default = false)]
    pub allow_insecure_http: bool,
}

impl std::fmt::Debug for KeyServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyServiceConfig")
            .field("base_url", &self.base_url)
            .field("token", &"[REDACTED]")
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff_ms", &self.initial_backoff_ms)
            .field("max_backoff_ms", &self.max_backoff_ms)
            .field(
                "root_certificates_pem",
                &self.root_certificates_pem.as_ref().map(Vec::len),
            )
            .field(
                "client_identity_pem",
                &self.client_identity_pem.as_ref().map(|_| "[REDACTED]"),
            )
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

impl KeyServiceConfig {
    fn core(mut self) -> Result<ServiceClientConfig, KeyServiceError> {
        // The core keeps its own zeroizing copy; this one is wiped when it goes out of scope.
        let token = Zeroizing::new(std::mem::take(&mut self.token));
        let defaults = ServiceClientConfig::new(&self.base_url, &token);
        let duration =
            |field, value| Ok::<_, KeyServiceError>(positive(field, value)?.map(|ms| Duration::from_millis(ms.into())));
        Ok(ServiceClientConfig {
            connect_timeout: duration("connectTimeoutMs", self.connect_timeout_ms)?.unwrap_or(defaults.connect_timeout),
            request_timeout: duration("requestTimeoutMs", self.request_timeout_ms)?.unwrap_or(defaults.request_timeout),
            max_attempts: positive("maxAttempts", self.max_attempts)?.unwrap_or(defaults.max_attempts),
            initial_backoff: duration("initialBackoffMs", self.initial_backoff_ms)?.unwrap_or(defaults.initial_backoff),
            max_backoff: duration("maxBackoffMs", self.max_backoff_ms)?.unwrap_or(defaults.max_backoff),
            root_certificates_pem: self.root_certificates_pem,
            client_identity_pem: self.client_identity_pem.map(Zeroizing::new),
            allow_insecure_http: self.allow_insecure_http,
            ..defaults
        })
    }
}

/// A number named `field` that must be at least 1, if given.
fn positive(field: &str, value: Option<i32>) -> Result<Option<u32>, KeyServiceError> {
    value
        .map(|n| {
            u32::try_from(n)
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| KeyServiceError::InvalidConfig {
                    field: field.into(),
                    reason: format!("is {n}; it must be at least 1"),
                })
        })
        .transpose()
}

/// Why a call to the key service (or a provisioning) failed. The service's answers keep its
/// stable `code` (`token_revoked`, `unknown_device`, `aws_unavailable`, …) and HTTP status.
/// Fields are readable on the foreign side; `toString()` (Swift: `description`) is the sentence.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum KeyServiceError {
    /// A setting cannot work (bad URL, plain HTTP off loopback, unreadable PEM, a number out of
    /// range); `field` names it.
    #[error("invalid key service setting {field}: {reason}")]
    InvalidConfig { field: String, reason: String },
    /// The service refused the call; the same call will not succeed later (revoked or unknown
    /// token, unknown or revoked device, …).
    #[error("the key service refused the call ({status} {code}): {reason}")]
    Refused { status: i32, code: String, reason: String },
    /// The service, or AWS or the database behind it, stayed unavailable through every attempt.
    /// `retry_after_ms` is the service's last advice.
    #[error("the key service is unavailable ({status} {code}): {reason}")]
    Unavailable {
        status: i32,
        code: String,
        reason: String,
        retry_after_ms: Option<i64>,
    },
    /// The service could not be reached (DNS, connection, TLS, timeout) through every attempt.
    #[error("cannot reach the key service: {reason}")]
    Network { reason: String },
    /// The service answered something this client cannot read.
    #[error("unreadable answer from the key service: {reason}")]
    Protocol { reason: String },
    /// `provision` only: it stopped before the service was asked for keys (the reader's POS id
    /// could not be read, the loader is closed or busy, a bad argument).
    #[error("provisioning stopped before the key service was asked: {}", failure.message)]
    Reader { failure: LoadFailure },
    /// `provision` only: cancelled before any key was loaded.
    #[error("cancelled before any key was loaded")]
    Cancelled,
}

impl From<ServiceError> for KeyServiceError {
    fn from(e: ServiceError) -> Self {
        let status = i32::from;
        match e {
            ServiceError::InvalidConfig { field, reason } => Self::InvalidConfig {
                field: field.into(),
                reason,
            },
            ServiceError::Refused {
                status: s,
                code,
                message,
                ..
            } => Self::Refused {
                status: status(s),
                code,
                reason: message,
            },
            ServiceError::Unavailable {
                status: s,
                code,
                message,
                retry_after,
            } => Self::Unavailable {
                status: status(s),
                code,
                reason: message,
                retry_after_ms: retry_after.map(millis),
            },
            ServiceError::Network { reason } => Self::Network { reason },
            ServiceError::Protocol { reason } => Self::Protocol { reason },
        }
    }
}

/// Which `KeyServiceException` a [`ServiceFailure`] would have been.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ServiceFailureKind {
    InvalidConfig,
    Refused,
    Unavailable,
    Network,
    Protocol,
}

/// A failed call to the service as data, where it sits beside results rather than ending the
/// call (a provisioning's report that did not get through).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ServiceFailure {
    pub kind: ServiceFailureKind,
    /// The HTTP status, when the service answered.
    pub status: Option<i32>,
    /// The service's stable error code, when it answered with one.
    pub code: Option<String>,
    pub retry_after_ms: Option<i64>,
    /// What `KeyServiceException` would have said.
    pub message: String,
}

impl From<ServiceError> for ServiceFailure {
    fn from(e: ServiceError) -> Self {
        use ServiceFailureKind as K;
        let (kind, status, code, retry_after) = match &e {
            ServiceError::InvalidConfig { .. } => (K::InvalidConfig, None, None, None),
            ServiceError::Refused { status, code, .. } => (K::Refused, Some(*status), Some(code.clone()), None),
            ServiceError::Unavailable {
                status,
                code,
                retry_after,
                ..
            } => (K::Unavailable, Some(*status), Some(code.clone()), *retry_after),
            ServiceError::Network { .. } => (K::Network, None, None, None),
            ServiceError::Protocol { .. } => (K::Protocol, None, None, None),
        };
        Self {
            kind,
            status: status.map(i32::from),
            code,
            retry_after_ms: retry_after.map(millis),
            message: KeyServiceError::from(e).to_string(),
        }
    }
}

/// A duration for the foreign side, in ms.
fn millis(d: Duration) -> i64 {
    d.as_millis().try_into().unwrap_or(i64::MAX)
}

#[uniffi::remote(Enum)]
pub enum SlotOutcome {
    Loaded,
    Failed,
    Indeterminate,
}

#[uniffi::remote(Enum)]
pub enum Verdict {
    Verified,
    Mismatch,
    Unverifiable,
}

#[uniffi::remote(Enum)]
pub enum DeviceStatus {
    Active,
    Revoked,
}

#[uniffi::remote(Enum)]
pub enum RequestState {
    Pending,
    Answered,
    Failed,
}

// The device view (`GET /v1/devices/{posId}`) is rust-core's `service_api` types themselves:
// these remote declarations only tell uniffi their shape (it checks them against the real
// types at compile time), so the service, its client and the bindings share one definition.
// Slots are the wire's `u8` (`UByte` in Kotlin, `UInt8` in Swift).

/// What the service knows about a reader (`GET /v1/devices/{posId}`): what each slot should
/// hold and what the reader reported. Times are RFC 3339 in UTC.
#[uniffi::remote(Record)]
pub struct DeviceView {
    pub pos_id: String,
    pub group: String,
    pub profile: String,
    pub status: DeviceStatus,
    pub registered_at: String,
    /// The reader's most recent key request, answered or not.
    pub last_request: Option<RequestSummary>,
    /// Per slot, the key of the latest answered request and its report.
    pub slots: Vec<DeviceSlot>,
}

#[uniffi::remote(Record)]
pub struct RequestSummary {
    pub request_id: String,
    pub state: RequestState,
    pub created_at: String,
}

/// A slot as the service last issued it.
#[uniffi::remote(Record)]
pub struct DeviceSlot {
    pub slot: u8,
    pub request_id: String,
    pub issued_at: String,
    pub key_arn: String,
    /// AWS's KCV of the key (hex) and how AWS computed it: `ANSI_X9_24` or `CMAC`.
    pub kcv: String,
    pub kcv_algorithm: AwsKcvAlgorithm,
    pub ksn: Option<String>,
    /// What the reader reported for the slot; `None` if nothing was reported.
    pub report: Option<SlotReportView>,
}

#[uniffi::remote(Record)]
pub struct SlotReportView {
    pub outcome: SlotOutcome,
    pub reader_kcv: Option<String>,
    pub verdict: Option<Verdict>,
    pub reported_at: String,
}

/// A client of one key service. Share it between the readers of a station: calls are
/// independent and the client keeps no per-reader state.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct KeyServiceClient {
    pub(crate) inner: Arc<service_client::KeyServiceClient>,
}

#[uniffi::export]
impl KeyServiceClient {
    /// Checks the configuration and builds the HTTPS client; no call is made yet.
    #[uniffi::constructor]
    pub fn new(config: KeyServiceConfig) -> Result<Arc<Self>, KeyServiceError> {
        let inner = service_client::KeyServiceClient::new(config.core()?)?;
        Ok(Arc::new(Self { inner: Arc::new(inner) }))
    }

    /// What the service says each slot of reader `pos_id` should hold, and what was reported
    /// (`GET /v1/devices/{posId}`). Runs on the library's threads; the HTTP call is not
    /// interrupted if the caller goes away.
    pub async fn device(&self, pos_id: String) -> Result<DeviceView, KeyServiceError> {
        let inner = self.inner.clone();
        runtime()
            .spawn_blocking(move || inner.device(&pos_id))
            .await
            .map_err(|e| KeyServiceError::Protocol {
                reason: format!("the call did not complete: {e}"),
            })?
            .map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> KeyServiceConfig {
        KeyServiceConfig {
            base_url: "https://keys.example.com".into(),
            token: "kbt_abc_secretsecret".into(),
            connect_timeout_ms: None,
            request_timeout_ms: None,
            max_attempts: None,
            initial_backoff_ms: None,
            max_backoff_ms: None,
            root_certificates_pem: None,
            client_identity_pem: Some(b"-----BEGIN PRIVATE KEY-----\nQUFB\n-----END PRIVATE KEY-----\n".to_vec()),
            allow_insecure_http: false,
        }
    }

    #[test]
    fn the_token_and_the_client_key_are_never_printed() {
        let printed = format!("{:?}", config());
        assert!(!printed.contains("secret") && !printed.contains("QUFB"), "{printed}");
        let err = KeyServiceClient::new(config()).unwrap_err();
        assert!(
            matches!(&err, KeyServiceError::InvalidConfig { field, .. } if field == "client identity"),
            "{err}"
        );
        assert!(
            !err.to_string().contains("QUFB") && !err.to_string().contains("secret"),
            "{err}"
        );
    }

    #[test]
    fn numbers_out_of_range_name_their_field() {
        for (config, field) in [
            (
                KeyServiceConfig {
                    connect_timeout_ms: Some(0),
                    ..config()
                },
                "connectTimeoutMs",
            ),
            (
                KeyServiceConfig {
                    max_attempts: Some(-2),
                    ..config()
                },
                "maxAttempts",
            ),
            (
                KeyServiceConfig {
                    max_backoff_ms: Some(-1),
                    ..config()
                },
                "maxBackoffMs",
            ),
        ] {
            match KeyServiceClient::new(config) {
                Err(KeyServiceError::InvalidConfig { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{field}: {:?}", other.map(|_| "a client")),
            }
        }
    }

    #[test]
    fn service_errors_keep_their_code_status_and_advice() {
        let unavailable = ServiceError::Unavailable {
            status: 503,
            code: "aws_unavailable".into(),
            message: "AWS throttled".into(),
            retry_after: Some(Duration::from_secs(2)),
        };
        let failure = ServiceFailure::from(unavailable.clone());
        assert_eq!(
            (
                failure.kind,
                failure.status,
                failure.code.as_deref(),
                failure.retry_after_ms
            ),
            (
                ServiceFailureKind::Unavailable,
                Some(503),
                Some("aws_unavailable"),
                Some(2000)
            )
        );
        assert_eq!(failure.message, KeyServiceError::from(unavailable).to_string());
        let network = ServiceFailure::from(ServiceError::Network {
            reason: "connection refused".into(),
        });
        assert_eq!(
            (network.kind, network.status, network.code),
            (ServiceFailureKind::Network, None, None)
        );
    }
}
