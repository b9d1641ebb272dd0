//! The service's one way to AWS: the existing [`AwsKeyExporter`] (created once, reused by every
//! request), behind a token-bucket rate limit and a concurrency bound shared by all requests of
//! this instance.
//!
//! # Rate
//! AWS Payment Cryptography's published default quota is 5 control-plane requests per second per
//! account and region, for all control-plane operations combined (`ExportKey` and `GetKey`
//! among them). Every export is three such calls (`GetKey` of the key, `GetKey` of the KEK,
//! `ExportKey`), so the bucket counts calls and an export takes [`CALLS_PER_EXPORT`] tokens. The
//! default rate is the default quota; with several instances, give each its share.
//!
//! # Retries
//! Throttling, 5xx answers and timeouts are retried with exponential back-off by the SDK's
//! standard retry strategy inside the exporter (`max_attempts`, `retry_initial_backoff_ms`).
//! What still fails after that becomes a 503 with `Retry-After`. Retries are not counted
//! against the bucket: they are AWS telling us to slow down, and the back-off does that.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota};
use keybridge::export::{AwsConfig, AwsKeyExporter, Credentials, ExportError, ExportHeaders, ExportedKeyBlock};
use serde::Deserialize;
use tokio::sync::Semaphore;

/// AWS calls per export: `GetKey` (key), `GetKey` (KEK), `ExportKey`.
pub const CALLS_PER_EXPORT: u32 = 3;

/// How long a readiness answer about AWS is reused, so that load-balancer health checks do not
/// spend the AWS quota.
const PROBE_TTL: Duration = Duration::from_secs(5);

/// How to reach AWS and how hard to push it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsSettings {
    /// Region; none takes it from the environment (`AWS_REGION`).
    pub region: Option<String>,
    /// Endpoint override (a VPC endpoint, or the emulator).
    pub endpoint_url: Option<String>,
    /// PEM root CAs to trust instead of the system's.
    pub ca_bundle: Option<PathBuf>,
    pub max_attempts: u32,
    pub connect_timeout_ms: u64,
    pub attempt_timeout_ms: u64,
    pub operation_timeout_ms: u64,
    pub retry_initial_backoff_ms: u64,
    /// The token bucket: AWS calls per second for this instance…
    pub calls_per_second: u32,
    /// …and how many may go at once after a quiet spell (at least [`CALLS_PER_EXPORT`]).
    pub burst: u32,
    /// Exports in flight at once.
    pub max_concurrent_exports: u32,
    /// How long an export may wait for the bucket and a slot before the request is answered
    /// 503 `busy`.
    pub queue_timeout_ms: u64,
    /// The key `/readyz` reads (`GetKey`) to tell whether AWS answers; default: the first key
    /// the profiles name.
    pub probe_key: Option<String>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            ca_bundle: None,
            max_attempts: AwsConfig::DEFAULT_MAX_ATTEMPTS,
            connect_timeout_ms: AwsConfig::DEFAULT_CONNECT_TIMEOUT.as_millis() as u64,
            attempt_timeout_ms: AwsConfig::DEFAULT_ATTEMPT_TIMEOUT.as_millis() as u64,
            operation_timeout_ms: AwsConfig::DEFAULT_OPERATION_TIMEOUT.as_millis() as u64,
            retry_initial_backoff_ms: AwsConfig::DEFAULT_RETRY_INITIAL_BACKOFF.as_millis() as u64,
            calls_per_second: 5,
            burst: 5,
            max_concurrent_exports: 16,
            queue_timeout_ms: 10_000,
            probe_key: None,
        }
    }
}

/// Why a gateway could not be built or an export did not happen.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("invalid AWS setting {field}: {reason}")]
    Setting { field: &'static str, reason: String },
    /// The bucket or the concurrency bound did not free up within the queue timeout.
    #[error("the AWS rate limit is saturated; waited {waited_ms} ms")]
    Busy { waited_ms: u64 },
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// A validated export and where its time went.
#[derive(Debug)]
pub struct Exported {
    pub block: ExportedKeyBlock,
    /// Waiting for the bucket and a concurrency slot.
    pub queued: Duration,
    /// Inside the exporter (the three AWS calls and any retries).
    pub aws: Duration,
}

/// The shared AWS client, rate limit and concurrency bound.
pub struct Gateway {
    exporter: AwsKeyExporter,
    limiter: DefaultDirectRateLimiter,
    /// Waiters take turns at the bucket in arrival order (tokio's mutex is fair); polling the
    /// bucket together would let some wait far longer than others.
    turn: tokio::sync::Mutex<()>,
    slots: Semaphore,
    queue_timeout: Duration,
    probe_key: Option<String>,
    /// When AWS last answered an export or a probe, and when a probe last failed.
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    last_success: Option<Instant>,
    last_probe_failure: Option<Instant>,
}

impl Gateway {
    /// Builds the client once. `credentials` is the default chain for a server; tests hand in
    /// static ones.
    pub async fn connect(
        settings: &AwsSettings,
        credentials: Credentials,
        probe_key: Option<String>,
    ) -> Result<Self, GatewayError> {
        let setting = |field, reason: &str| GatewayError::Setting {
            field,
            reason: reason.into(),
        };
        let rate =
            NonZeroU32::new(settings.calls_per_second).ok_or(setting("calls_per_second", "must be at least 1"))?;
        if settings.burst < CALLS_PER_EXPORT {
            return Err(setting("burst", "must be at least 3 (the calls of one export)"));
        }
        let burst = NonZeroU32::new(settings.burst).ok_or(setting("burst", "must be at least 3"))?;
        if settings.max_concurrent_exports == 0 {
            return Err(setting("max_concurrent_exports", "must be at least 1"));
        }
        let root_certificates_pem = match &settings.ca_bundle {
            Some(path) => Some(std::fs::read(path).map_err(|e| GatewayError::Setting {
                field: "ca_bundle",
                reason: format!("{}: {e}", path.display()),
            })?),
            None => None,
        };
        let config = AwsConfig {
            region: settings.region.clone(),
            endpoint_url: settings.endpoint_url.clone(),
            credentials,
            max_attempts: settings.max_attempts,
            connect_timeout: Duration::from_millis(settings.connect_timeout_ms),
            attempt_timeout: Duration::from_millis(settings.attempt_timeout_ms),
            operation_timeout: Duration::from_millis(settings.operation_timeout_ms),
            retry_initial_backoff: Duration::from_millis(settings.retry_initial_backoff_ms),
            root_certificates_pem,
        };
        Ok(Self {
            exporter: AwsKeyExporter::connect(config).await?,
            limiter: DefaultDirectRateLimiter::direct(Quota::per_second(rate).allow_burst(burst)),
            turn: tokio::sync::Mutex::new(()),
            slots: Semaphore::new(settings.max_concurrent_exports as usize),
            queue_timeout: Duration::from_millis(settings.queue_timeout_ms),
            probe_key: settings.probe_key.clone().or(probe_key),
            health: Mutex::new(Health::default()),
        })
    }

    /// Exports `key_id` under `kek` (a DUKPT initial key when `ksn` is given), validated as
    /// `keybridge aws export` validates, once a concurrency slot and the bucket allow it.
    pub async fn export(&self, key_id: &str, kek: &str, ksn: Option<&str>) -> Result<Exported, GatewayError> {
        let start = Instant::now();
        let busy = || GatewayError::Busy {
            waited_ms: start.elapsed().as_millis() as u64,
        };
        let admitted = tokio::time::timeout(self.queue_timeout, async {
            let permit = self.slots.acquire().await.expect("the semaphore is never closed");
            let tokens = NonZeroU32::new(CALLS_PER_EXPORT).expect("non-zero");
            let _turn = self.turn.lock().await;
            // Capacity was checked against the burst in `connect`.
            let _ = self.limiter.until_n_ready(tokens).await;
            permit
        })
        .await;
        let Ok(_permit) = admitted else {
            metrics::counter!("keybridge_export_failures_total", "reason" => "busy").increment(1);
            return Err(busy());
        };
        let queued = start.elapsed();
        let called = Instant::now();
        let result = match ksn {
            Some(ksn) => self.exporter.export_dukpt_ipek(key_id, kek, ksn).await,
            None => self.exporter.export_tr31(key_id, kek, &ExportHeaders::default()).await,
        };
        let aws = called.elapsed();
        metrics::histogram!("keybridge_aws_export_duration_seconds").record(aws.as_secs_f64());
        match result {
            Ok(block) => {
                self.health().last_success = Some(Instant::now());
                metrics::counter!("keybridge_exports_total", "kind" => if ksn.is_some() { "dukpt" } else { "fixed" })
                    .increment(1);
                Ok(Exported { block, queued, aws })
            }
            Err(error) => {
                metrics::counter!("keybridge_export_failures_total", "reason" => failure_reason(&error)).increment(1);
                Err(error.into())
            }
        }
    }

    /// Whether AWS answers: yes if an export or probe succeeded within the last few seconds,
    /// otherwise a `GetKey` of the probe key, when the bucket has a token to spare. `None` when
    /// there is nothing to probe (no key configured).
    pub async fn reachable(&self) -> Option<bool> {
        let key = self.probe_key.as_deref()?;
        {
            let health = self.health();
            let fresh = |at: Option<Instant>| at.is_some_and(|t| t.elapsed() < PROBE_TTL);
            if fresh(health.last_success) {
                return Some(true);
            }
            if fresh(health.last_probe_failure) {
                return Some(false);
            }
        }
        if self.limiter.check().is_err() {
            // Every token is going to exports right now; their outcome will tell.
            return Some(self.health().last_probe_failure.is_none());
        }
        let ok = self.exporter.key_facts(key).await.is_ok();
        let mut health = self.health();
        if ok {
            health.last_success = Some(Instant::now());
            health.last_probe_failure = None;
        } else {
            health.last_probe_failure = Some(Instant::now());
        }
        Some(ok)
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether a failed export may succeed if tried again later (AWS slow, down or throttling).
pub fn is_transient(error: &ExportError) -> bool {
    matches!(
        error,
        ExportError::Throttled { .. }
            | ExportError::ServiceUnavailable { .. }
            | ExportError::Internal { .. }
            | ExportError::Timeout { .. }
            | ExportError::Network { .. }
    )
}

/// Whether AWS answered but the block it returned failed validation.
pub fn is_invalid_reply(error: &ExportError) -> bool {
    matches!(
        error,
        ExportError::MalformedBlock(_) | ExportError::Mismatch { .. } | ExportError::IncompleteResponse { .. }
    )
}

/// A short label for metrics.
fn failure_reason(error: &ExportError) -> &'static str {
    match error {
        ExportError::Throttled { .. } => "throttled",
        ExportError::Timeout { .. } => "timeout",
        ExportError::Network { .. } => "network",
        ExportError::ServiceUnavailable { .. } | ExportError::Internal { .. } => "aws_5xx",
        e if is_invalid_reply(e) => "invalid_reply",
        _ => "rejected",
    }
}
