//! `KeyServiceClient`: the device side of the key service (`keybridge serve`), feature
//! `service-client`. A POS app or key-injection station asks the service for its reader's keys
//! and reports what the reader did with them; it holds a bearer token for its reader (or group),
//! never AWS credentials.
//!
//! The client is BLOCKING, like [`crate::loader::KeyLoader`]: provisioning is a short sequence
//! of HTTP calls and reader exchanges, and bindings run it on a worker thread. It is a small
//! HTTP/1.1 client (`ureq`) on rustls with the `ring` provider, so the mobile build carries no
//! AWS SDK, no async runtime and no C toolchain requirement beyond `ring`'s.
//!
//! * Retries: connection failures, timeouts, 429 and 5xx answers are retried with exponential
//!   back-off (honouring `Retry-After`, and giving up when the service asks for a longer wait
//!   than [`ServiceClientConfig::max_backoff`]). A key request is retried with the SAME
//!   `Idempotency-Key`, so a retry returns the same keys and KSNs and allocates nothing new; a
//!   report is safe to repeat (the service answers an identical report the same way).
//! * TLS: the platform's root store, or a PEM bundle the app ships (Android's store is not
//!   readable from native code), and an optional client certificate for mutual TLS. Plain
//!   `http://` only to a loopback address, unless the caller opts in.
//! * Errors keep the service's stable `code` ([`crate::service_api::ErrorCode`]).
//! * The token is zeroized on drop and never printed: `Debug` redacts it, and no error names it.

use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use ureq::tls::{Certificate, ClientCert, PemItem, RootCerts, TlsConfig, TlsProvider};
use zeroize::Zeroizing;

use crate::service_api::{
    DeviceView, ErrorBody, ErrorCode, IDEMPOTENCY_KEY_HEADER, KekReport, KekReportResponse, KekRequest, KekResponse,
    KeyRequest, KeyRequestResponse, Report, ReportResponse,
};

/// Largest answer body read from the service: far above any answer (a key request answer for
/// ten slots is a few kilobytes), small enough that a broken proxy cannot exhaust a phone.
const MAX_ANSWER_BYTES: u64 = 1 << 20;

/// How to reach the key service. `Debug` never shows the token or the client key.
#[derive(Clone)]
pub struct ServiceClientConfig {
    /// `https://keys.example.com` (a path prefix is kept: `https://host/keybridge`).
    pub base_url: String,
    /// The bearer token the service issued for this reader or group (`kbt_…`).
    pub token: Zeroizing<String>,
    /// Connecting, including the TLS handshake.
    pub connect_timeout: Duration,
    /// One whole call (one attempt): the service may wait for AWS's rate limit.
    pub request_timeout: Duration,
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// First pause between attempts; doubled each time.
    pub initial_backoff: Duration,
    /// Longest pause between attempts. A `Retry-After` longer than this ends the retries.
    pub max_backoff: Duration,
    /// PEM root CAs to trust instead of the platform store (needed on Android: ship the roots
    /// of the service's certificate with the app). `None`: the platform's roots.
    pub root_certificates_pem: Option<Vec<u8>>,
    /// PEM certificate chain and private key for mutual TLS (`--client-ca` on the service).
    pub client_identity_pem: Option<Zeroizing<Vec<u8>>>,
    /// Allow `http://` to a host that is not a loopback address (tests behind a TLS-terminating
    /// proxy on the same machine only: the token would cross the network in clear).
    pub allow_insecure_http: bool,
}

impl ServiceClientConfig {
    /// Defaults for `base_url` and `token`: 5 s to connect, 60 s per call, 4 attempts, back-off
    /// from 500 ms to 10 s, platform roots.
    pub fn new(base_url: &str, token: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            token: Zeroizing::new(token.to_owned()),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(60),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            root_certificates_pem: None,
            client_identity_pem: None,
            allow_insecure_http: false,
        }
    }
}

impl std::fmt::Debug for ServiceClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &"[REDACTED]")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
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

/// Why a call to the key service failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The configuration cannot work (bad URL, plain HTTP off loopback, unreadable PEM).
    #[error("invalid key service setting {field}: {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    /// The service refused the call; retrying the same call will not help. `code` is the
    /// service's stable code (`unknown_device`, `token_revoked`, …), `kind` its typed form when
    /// this version knows it.
    #[error("the key service refused the call ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        kind: Option<ErrorCode>,
        message: String,
    },
    /// The service (or AWS or its database behind it) stayed unavailable through every attempt.
    /// `retry_after` is the service's last advice.
    #[error("the key service is unavailable ({status} {code}): {message}")]
    Unavailable {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The service could not be reached (DNS, connection, TLS, timeout) through every attempt.
    #[error("cannot reach the key service: {reason}")]
    Network { reason: String },
    /// The service answered something this client cannot read.
    #[error("unreadable answer from the key service: {reason}")]
    Protocol { reason: String },
}

impl ServiceError {
    /// The service's stable error code, when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused { code, .. } | Self::Unavailable { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A client for one key service. `Send + Sync`: share it between readers of a station.
pub struct KeyServiceClient {
    agent: ureq::Agent,
    base_url: String,
    authorization: Zeroizing<String>,
    config: ServiceClientConfig,
}

impl std::fmt::Debug for KeyServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyServiceClient")
            .field("config", &self.config)
            .finish()
    }
}

/// One attempt's outcome, before the retry policy looks at it.
enum Attempt {
    /// 2xx with its body.
    Answered(String),
    /// Worth another attempt, after `retry_after` if the service named one.
    Retry {
        error: ServiceError,
        retry_after: Option<Duration>,
    },
    /// Final.
    Failed(ServiceError),
}

impl KeyServiceClient {
    /// Checks the configuration and builds the HTTPS client (no call is made).
    pub fn new(config: ServiceClientConfig) -> Result<Self, ServiceError> {
        let base_url = check_base_url(&config.base_url, config.allow_insecure_http)?;
        if config.token.trim().is_empty() || !config.token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("token", "must be the printable token the service issued"));
        }
        if config.max_attempts == 0 {
            return Err(invalid("max attempts", "must be at least 1"));
        }
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(root_certs(config.root_certificates_pem.as_deref())?)
            .client_cert(
                config
                    .client_identity_pem
                    .as_ref()
                    .map(|pem| client_identity(pem))
                    .transpose()?,
            )
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("keybridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Self {
            agent,
            base_url,
            authorization: Zeroizing::new(format!("Bearer {}", config.token.as_str())),
            config,
        })
    }

    /// `POST /v1/devices/{posId}/key-requests`: the reader's keys, exported from AWS under its
    /// KEK. Retried with the same `idempotency_key`: whatever the number of attempts, the service
    /// allocates for one request.
    pub fn request_keys(&self, pos_id: &str, idempotency_key: &str) -> Result<KeyRequestResponse, ServiceError> {
        let path = format!("/v1/devices/{}/key-requests", path_segment("POS id", pos_id)?);
        self.call("POST", &path, Some(&KeyRequest::default()), Some(idempotency_key))
    }

    /// `POST /v1/key-requests/{requestId}/report`: what the reader did with each slot.
    pub fn report(&self, request_id: &str, report: &Report) -> Result<ReportResponse, ServiceError> {
        let path = format!("/v1/key-requests/{}/report", path_segment("request id", request_id)?);
        self.call("POST", &path, Some(report), None)
    }

    /// `GET /v1/devices/{posId}`: what the service says each slot of the reader should hold.
    pub fn device(&self, pos_id: &str) -> Result<DeviceView, ServiceError> {
        let path = format!("/v1/devices/{}", path_segment("POS id", pos_id)?);
        self.call::<(), _>("GET", &path, None, None)
    }

    /// `POST /v1/devices/{posId}/kek`: the reader's own KEK as a TR-34 token for its
    /// `certificate` (PEM) and `nonce`.
    pub fn establish_kek(&self, pos_id: &str, certificate: &str, nonce: &[u8]) -> Result<KekResponse, ServiceError> {
        let path = format!("/v1/devices/{}/kek", path_segment("POS id", pos_id)?);
        let body = KekRequest {
            certificate: certificate.to_owned(),
            nonce: hex::encode_upper(nonce),
        };
        self.call("POST", &path, Some(&body), None)
    }

    /// `POST /v1/devices/{posId}/kek/report`: what the reader did with its KEK token.
    pub fn report_kek(&self, pos_id: &str, report: &KekReport) -> Result<KekReportResponse, ServiceError> {
        let path = format!("/v1/devices/{}/kek/report", path_segment("POS id", pos_id)?);
        self.call("POST", &path, Some(report), None)
    }

    /// One call with the retry policy.
    fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
    ) -> Result<T, ServiceError> {
        let url = format!("{}{path}", self.base_url);
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| invalid("request body", &e.to_string()))?;
        let mut backoff = self.config.initial_backoff;
        let mut attempt = 1;
        loop {
            let (error, retry_after) = match self.attempt(method, &url, body.as_deref(), idempotency_key) {
                Attempt::Answered(text) => {
                    return serde_json::from_str(&text).map_err(|e| ServiceError::Protocol {
                        reason: format!("{method} {path}: {e}"),
                    });
                }
                Attempt::Failed(error) => return Err(error),
                Attempt::Retry { error, retry_after } => (error, retry_after),
            };
            let pause = retry_after.unwrap_or(backoff);
            if attempt >= self.config.max_attempts || pause > self.config.max_backoff {
                return Err(error);
            }
            std::thread::sleep(pause);
            attempt += 1;
            backoff = (backoff * 2).min(self.config.max_backoff);
        }
    }

    fn attempt(&self, method: &str, url: &str, body: Option<&[u8]>, idempotency_key: Option<&str>) -> Attempt {
        let sent = match (method, body) {
            ("GET", _) => with_headers(self.agent.get(url), &self.authorization, idempotency_key).call(),
            (_, body) => with_headers(self.agent.post(url), &self.authorization, idempotency_key)
                .content_type("application/json")
                .send(body.unwrap_or_default()),
        };
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Attempt::Retry {
                    error: network(&e),
                    retry_after: None,
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut text = String::new();
        if let Err(e) = response
            .body_mut()
            .as_reader()
            .take(MAX_ANSWER_BYTES)
            .read_to_string(&mut text)
        {
            return Attempt::Retry {
                error: ServiceError::Network {
                    reason: format!("reading the answer: {e}"),
                },
                retry_after: None,
            };
        }
        if (200..300).contains(&status) {
            return Attempt::Answered(text);
        }
        let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => (
                format!("http_{status}"),
                format!("HTTP {status} without a key service error body"),
            ),
        };
        if status == 429 || status >= 500 {
            Attempt::Retry {
                error: ServiceError::Unavailable {
                    status,
                    code,
                    message,
                    retry_after,
                },
                retry_after,
            }
        } else {
            Attempt::Failed(ServiceError::Refused {
                status,
                kind: ErrorCode::from_name(&code),
                code,
                message,
            })
        }
    }
}

fn with_headers<B>(
    request: ureq::RequestBuilder<B>,
    authorization: &str,
    idempotency_key: Option<&str>,
) -> ureq::RequestBuilder<B> {
    let request = request
        .header("Authorization", authorization)
        .header("Accept", "application/json");
    match idempotency_key {
        Some(key) => request.header(IDEMPOTENCY_KEY_HEADER, key),
        None => request,
    }
}

/// A transport failure, described without the URL's query or any header.
fn network(error: &ureq::Error) -> ServiceError {
    ServiceError::Network {
        reason: error.to_string(),
    }
}

fn invalid(field: &'static str, reason: &str) -> ServiceError {
    ServiceError::InvalidConfig {
        field,
        reason: reason.to_owned(),
    }
}

/// The base URL without a trailing slash; `https`, or `http` to loopback (or with the opt-in).
fn check_base_url(url: &str, allow_insecure_http: bool) -> Result<String, ServiceError> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid("base URL", "must start with https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    if host.is_empty() || url.contains(['?', '#', ' ']) {
        return Err(invalid("base URL", "needs a host and no query, fragment or spaces"));
    }
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match scheme {
        "https" => Ok(url.to_owned()),
        "http" if loopback || allow_insecure_http => Ok(url.to_owned()),
        "http" => Err(invalid(
            "base URL",
            "plain http:// is only allowed to a loopback address: the token would cross the network in clear",
        )),
        _ => Err(invalid("base URL", "must start with https://")),
    }
}

/// A path segment: the service's ids are letters, digits, `-` and `_`, so nothing needs escaping
/// and nothing may be smuggled into the path.
fn path_segment<'a>(what: &'static str, value: &'a str) -> Result<&'a str, ServiceError> {
    if !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        Ok(value)
    } else {
        Err(invalid(what, "must be 1–128 letters, digits, '-' or '_'"))
    }
}

/// The roots to trust: the given PEM bundle, or the platform's store.
fn root_certs(pem: Option<&[u8]>) -> Result<RootCerts, ServiceError> {
    let certs: Vec<Certificate<'static>> = match pem {
        Some(pem) => {
            let mut certs = Vec::new();
            for (index, item) in ureq::tls::parse_pem(pem).enumerate() {
                match item.map_err(|e| invalid("root certificates", &format!("PEM item {}: {e}", index + 1)))? {
                    PemItem::Certificate(cert) => certs.push(cert),
                    _ => {
                        return Err(invalid(
                            "root certificates",
                            "the bundle holds something other than certificates",
                        ));
                    }
                }
            }
            certs
        }
        None => rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|der| Certificate::from_der(der).to_owned())
            .collect(),
    };
    if certs.is_empty() {
        return Err(invalid(
            "root certificates",
            "none found: give a PEM bundle (the platform store is not readable here)",
        ));
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

/// The client certificate chain and key from one PEM bundle. Errors never quote the PEM.
fn client_identity(pem: &[u8]) -> Result<ClientCert, ServiceError> {
    let mut chain = Vec::new();
    let mut key = None;
    for (index, item) in ureq::tls::parse_pem(pem).enumerate() {
        match item.map_err(|e| invalid("client identity", &format!("PEM item {}: {e}", index + 1)))? {
            PemItem::Certificate(cert) => chain.push(cert),
            PemItem::PrivateKey(k) if key.is_none() => key = Some(k),
            _ => {
                return Err(invalid(
                    "client identity",
                    "holds more than one private key, or an unknown item",
                ));
            }
        }
    }
    match (chain.is_empty(), key) {
        (false, Some(key)) => Ok(ClientCert::new_with_certs(&chain, key)),
        _ => Err(invalid(
            "client identity",
            "needs a certificate chain and its private key, in PEM",
        )),
    }
}

/// A fresh `Idempotency-Key`: 128 random bits, hex.
pub fn new_idempotency_key() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    // The key needs only to be unique to this device's requests, not secret: should the OS
    // generator fail, the clock and a counter still make it so.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let count = u128::from(CALLS.fetch_add(1, Ordering::Relaxed));
        bytes = (nanos ^ (count << 96)).to_be_bytes();
    }
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_need_https_off_loopback() {
        for good in [
            "https://keys.example.com/",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9/x",
        ] {
            assert!(check_base_url(good, false).is_ok(), "{good}");
        }
        assert_eq!(check_base_url("https://h/prefix/", false).unwrap(), "https://h/prefix");
        for bad in [
            "http://10.0.0.5:8080",
            "ftp://h",
            "keys.example.com",
            "https://",
            "https://h?x=1",
        ] {
            assert!(
                matches!(check_base_url(bad, false), Err(ServiceError::InvalidConfig { .. })),
                "{bad}"
            );
        }
        assert!(check_base_url("http://10.0.0.5:8080", true).is_ok());
    }

    #[test]
    fn ids_cannot_reach_other_paths() {
        assert!(path_segment("POS id", "3131313131313131").is_ok());
        for bad in ["", "../admin", "a/b", "a b", "%2F", &"A".repeat(129)] {
            assert!(path_segment("POS id", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_token_is_never_printed_and_bad_settings_are_named() {
        let config = ServiceClientConfig::new("https://keys.example.com", "kbt_secret_token");
        assert!(!format!("{config:?}").contains("kbt_secret"));
        let client = KeyServiceClient::new(ServiceClientConfig {
            root_certificates_pem: Some(b"not a pem".to_vec()),
            ..config.clone()
        });
        assert!(matches!(
            client,
            Err(ServiceError::InvalidConfig {
                field: "root certificates",
                ..
            })
        ));
        let client = KeyServiceClient::new(ServiceClientConfig::new("https://h", " "));
        assert!(matches!(
            client,
            Err(ServiceError::InvalidConfig { field: "token", .. })
        ));
        let identity = KeyServiceClient::new(ServiceClientConfig {
            root_certificates_pem: None,
            client_identity_pem: Some(Zeroizing::new(
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec(),
            )),
            ..config
        });
        let err = identity.unwrap_err();
        assert!(!err.to_string().contains("AAAA"), "{err}");
    }

    #[test]
    fn idempotency_keys_are_fresh() {
        let (a, b) = (new_idempotency_key(), new_idempotency_key());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
