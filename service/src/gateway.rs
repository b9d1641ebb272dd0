//! The service's one way to AWS: the existing [`AwsKeyExporter`] (created once, reused by every
//! request), behind this instance's token-bucket rate limit, the account's quota shared by all
//! instances ([`crate::quota`]), a concurrency bound, and a short-lived cache of what `GetKey`
//! says about each key ([`crate::key_cache`]).
//!
//! # Rate
//! AWS Payment Cryptography's quotas are per account and region, for all control-plane
//! operations combined (`ExportKey` and `GetKey` among them; the published default is 5 calls per
//! second). An export is `GetKey` of the key, `GetKey` of the KEK and `ExportKey`; with the key
//! cache, a steady stream needs only `ExportKey`. Every call takes a token from this instance's
//! bucket (`calls_per_second`, `burst`) and from the account's (`account_calls_per_second`)
//! just before it is made.
//!
//! # Retries
//! Throttling, 5xx answers and timeouts are retried with exponential back-off by the SDK's
//! standard retry strategy inside the exporter (`max_attempts`, `retry_initial_backoff_ms`).
//! What still fails after that becomes a 503 with `Retry-After`. Retries are not counted
//! against the buckets: they are AWS telling us to slow down, and the back-off does that; with
//! the account quota set to the account's real quota they do not happen.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota};
use keybridge::export::{
    AwsConfig, AwsKeyExporter, Credentials, ExportError, ExportHeaders, ExportKind, ExportedKeyBlock, KeyFacts,
};
use serde::Deserialize;
use sqlx::AnyPool;
use tokio::sync::Semaphore;

use crate::db::DbError;
use crate::key_cache::KeyCache;
use crate::quota::AccountQuota;

/// AWS calls of an export with nothing cached: `GetKey` (key), `GetKey` (KEK), `ExportKey`.
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
    /// The account's quota: AWS calls per second for every instance on this database together
    /// (shared through PostgreSQL; on SQLite it applies to the one instance). None: no limit
    /// beyond each instance's own.
    pub account_calls_per_second: Option<u32>,
    /// How long what `GetKey` said about a key is reused; 0 asks AWS for every export.
    pub key_cache_ttl_ms: u64,
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
            account_calls_per_second: None,
            key_cache_ttl_ms: 30_000,
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
    /// The account quota's bucket in the database could not be reached.
    #[error("the shared AWS quota: {0}")]
    Quota(#[from] DbError),
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// A validated export and where its time went.
#[derive(Debug)]
pub struct Exported {
    pub block: ExportedKeyBlock,
    /// Waiting for the buckets and a concurrency slot.
    pub queued: Duration,
    /// Inside AWS calls (`ExportKey`, the `GetKey`s the cache did not answer, any retries).
    pub aws: Duration,
}

/// The shared AWS client, rate limit and concurrency bound.
pub struct Gateway {
    exporter: AwsKeyExporter,
    limiter: DefaultDirectRateLimiter,
    quota: AccountQuota,
    cache: KeyCache,
    /// Waiters take turns at the buckets in arrival order (tokio's mutex is fair); polling the
    /// buckets together would let some wait far longer than others.
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
    /// static ones. `shared` is the PostgreSQL pool the account quota is kept in (none on
    /// SQLite, where it is kept here).
    pub async fn connect(
        settings: &AwsSettings,
        credentials: Credentials,
        probe_key: Option<String>,
        shared: Option<AnyPool>,
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
        if settings.account_calls_per_second == Some(0) {
            return Err(setting("account_calls_per_second", "must be at least 1"));
        }
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
            quota: AccountQuota::new(settings.account_calls_per_second, shared),
            cache: KeyCache::new(Duration::from_millis(settings.key_cache_ttl_ms)),
            turn: tokio::sync::Mutex::new(()),
            slots: Semaphore::new(settings.max_concurrent_exports as usize),
            queue_timeout: Duration::from_millis(settings.queue_timeout_ms),
            probe_key: settings.probe_key.clone().or(probe_key),
            health: Mutex::new(Health::default()),
        })
    }

    /// Exports `key_id` under `kek` (a DUKPT initial key when `ksn` is given), validated as
    /// `keybridge aws export` validates. Each AWS call waits for both buckets first: a `GetKey`
    /// only when the cache does not know the key (and one request asks while others with the
    /// same key wait for its answer), then `ExportKey`. Everything waits within the queue
    /// timeout, else the answer is `busy`.
    pub async fn export(&self, key_id: &str, kek: &str, ksn: Option<&str>) -> Result<Exported, GatewayError> {
        let start = Instant::now();
        let deadline = tokio::time::Instant::from_std(start + self.queue_timeout);
        let mut timing = (Duration::ZERO, Duration::ZERO);
        let kind = match ksn {
            Some(ksn) => ExportKind::DukptIpek {
                key_serial_number: ksn.to_ascii_uppercase(),
            },
            None => ExportKind::Tr31(ExportHeaders::default()),
        };
        let result = match tokio::time::timeout_at(deadline, self.slots.acquire()).await {
            Ok(permit) => {
                let _permit = permit.expect("the semaphore is never closed");
                timing.0 = start.elapsed();
                self.export_admitted(key_id, kek, kind, deadline, &mut timing).await
            }
            Err(_) => Err(GatewayError::Busy {
                waited_ms: start.elapsed().as_millis() as u64,
            }),
        };
        let (queued, aws) = timing;
        metrics::histogram!("keybridge_aws_export_duration_seconds").record(aws.as_secs_f64());
        match result {
            Ok(block) => {
                self.health().last_success = Some(Instant::now());
                metrics::counter!("keybridge_exports_total", "kind" => if ksn.is_some() { "dukpt" } else { "fixed" })
                    .increment(1);
                Ok(Exported { block, queued, aws })
            }
            Err(error) => {
                let reason = match &error {
                    GatewayError::Busy { .. } => "busy",
                    GatewayError::Quota(_) => "quota",
                    GatewayError::Export(e) => failure_reason(e),
                    GatewayError::Setting { .. } => "rejected",
                };
                metrics::counter!("keybridge_export_failures_total", "reason" => reason).increment(1);
                Err(error)
            }
        }
    }

    /// The facts of both keys, then `ExportKey`; `timing` gathers (waiting, inside AWS). A
    /// failure that may mean a key changed drops both from the cache.
    async fn export_admitted(
        &self,
        key_id: &str,
        kek: &str,
        kind: ExportKind,
        deadline: tokio::time::Instant,
        timing: &mut (Duration, Duration),
    ) -> Result<ExportedKeyBlock, GatewayError> {
        let key_facts = self.facts(key_id, deadline, timing).await?;
        let kek_facts = self.facts(kek, deadline, timing).await?;
        self.admit(deadline, timing).await?;
        let called = Instant::now();
        let result = self.exporter.export_with_facts(&key_facts, &kek_facts, kind).await;
        timing.1 += called.elapsed();
        if let Err(error) = &result
            && !is_transient(error)
        {
            self.cache.forget(key_id);
            self.cache.forget(kek);
        }
        Ok(result?)
    }

    /// What `GetKey` says about `key_id`: from the cache, or asked once (concurrent askers for
    /// the same key wait for that one answer).
    async fn facts(
        &self,
        key_id: &str,
        deadline: tokio::time::Instant,
        timing: &mut (Duration, Duration),
    ) -> Result<KeyFacts, GatewayError> {
        if let Some(facts) = self.cache.get(key_id) {
            return Ok(facts);
        }
        let fetching = self.cache.fetch_lock(key_id);
        let _fetching = match tokio::time::timeout_at(deadline, fetching.lock()).await {
            Ok(guard) => guard,
            Err(_) => return Err(self.busy(deadline)),
        };
        if let Some(facts) = self.cache.peek(key_id) {
            return Ok(facts);
        }
        self.admit(deadline, timing).await?;
        let called = Instant::now();
        let facts = self.exporter.key_facts(key_id).await;
        timing.1 += called.elapsed();
        let facts = facts?;
        self.cache.put(key_id, &facts);
        Ok(facts)
    }

    /// Waits (in arrival order) until one AWS call fits this instance's bucket and the
    /// account's.
    async fn admit(
        &self,
        deadline: tokio::time::Instant,
        timing: &mut (Duration, Duration),
    ) -> Result<(), GatewayError> {
        let waiting = Instant::now();
        let admitted = tokio::time::timeout_at(deadline, async {
            let _turn = self.turn.lock().await;
            self.limiter.until_ready().await;
            self.quota.acquire(1).await
        })
        .await;
        timing.0 += waiting.elapsed();
        match admitted {
            Ok(quota) => Ok(quota?),
            Err(_) => Err(self.busy(deadline)),
        }
    }

    fn busy(&self, deadline: tokio::time::Instant) -> GatewayError {
        let started = deadline.into_std() - self.queue_timeout;
        GatewayError::Busy {
            waited_ms: started.elapsed().as_millis() as u64,
        }
    }

    /// Hits over lookups of the `GetKey` cache.
    pub fn cache_hit_ratio(&self) -> f64 {
        self.cache.hit_ratio()
    }

    /// Whether AWS answers: yes if an export or probe succeeded within the last few seconds,
    /// otherwise a `GetKey` of the probe key, when both buckets have a token to spare. `None` when
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
        if self.limiter.check().is_err() || !self.quota.try_acquire_one().await {
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
