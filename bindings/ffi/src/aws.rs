//! `AwsKeyExporter`: rust-core's AWS Payment Cryptography exporter as an async FFI object
//! (feature `aws`). Calls run on the library runtime; dropping the caller's future (a cancelled
//! Kotlin coroutine) aborts the export.

use std::sync::Arc;
use std::time::Duration;

use keybridge::export::{
    self, AwsConfig, Credentials, ExportError, ExportHeaders, ExportedKeyBlock, StaticCredentials,
};

use crate::AwsKcvAlgorithm;
use crate::runtime::runtime;

/// How to reach AWS Payment Cryptography. `None` keeps the SDK's / keybridge's default.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct AwsExporterConfig {
    /// Region; `None` takes it from the environment (`AWS_REGION`).
    #[uniffi(default = None)]
    pub region: Option<String>,
    /// Endpoint override (a VPC endpoint, or the emulator).
    #[uniffi(default = None)]
    pub endpoint_url: Option<String>,
    /// Static credentials (typically short-lived, with a session token). Without them the
    /// default chain is used (environment, profile, web identity, ECS, IMDS).
    #[uniffi(default = None)]
    pub access_key_id: Option<String>,
    #[uniffi(default = None)]
    pub secret_access_key: Option<String>,
    #[uniffi(default = None)]
    pub session_token: Option<String>,
    /// Total attempts per operation, at least 1 (default 3). Signed, as every number Java sees.
    #[uniffi(default = None)]
    pub max_attempts: Option<i32>,
    /// Limit for a whole operation, retries included (default 30 s).
    #[uniffi(default = None)]
    pub operation_timeout_ms: Option<i32>,
    /// PEM bundle of root CAs to trust instead of the platform's: needed on Android, where native
    /// code cannot read the platform store (ship the Amazon Root CAs with the app).
    #[uniffi(default = None)]
    pub root_certificates_pem: Option<Vec<u8>>,
}

impl AwsExporterConfig {
    fn core(self) -> Result<AwsConfig, AwsError> {
        let credentials = match (self.access_key_id, self.secret_access_key) {
            (Some(id), Some(secret)) => Credentials::Static(StaticCredentials::new(id, secret, self.session_token)),
            (None, None) => Credentials::DefaultChain,
            _ => {
                return Err(AwsError::InvalidRequest {
                    reason: "give both access_key_id and secret_access_key, or neither".into(),
                });
            }
        };
        let defaults = AwsConfig::default();
        Ok(AwsConfig {
            region: self.region,
            endpoint_url: self.endpoint_url,
            credentials,
            max_attempts: positive("maxAttempts", self.max_attempts)?.unwrap_or(defaults.max_attempts),
            operation_timeout: positive("operationTimeoutMs", self.operation_timeout_ms)?
                .map_or(defaults.operation_timeout, |ms| Duration::from_millis(ms.into())),
            root_certificates_pem: self.root_certificates_pem,
            ..defaults
        })
    }
}

/// A number named `field` that must be at least 1, if given.
fn positive(field: &str, value: Option<i32>) -> Result<Option<u32>, AwsError> {
    value
        .map(|n| {
            u32::try_from(n)
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| AwsError::InvalidRequest {
                    reason: format!("{field} is {n}; it must be at least 1"),
                })
        })
        .transpose()
}

/// A key block exported and checked against what was asked for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExportedKey {
    /// The TR-31 key block exactly as AWS returned it: pass it to `KeyLoader.sendTr31Key`.
    pub key_block: String,
    /// KCV of the wrapped key as AWS reports it (hex).
    pub kcv: String,
    /// `ANSI_X9_24` or `CMAC`.
    pub kcv_algorithm: AwsKcvAlgorithm,
    pub wrapping_key_arn: String,
    pub key_arn: String,
    /// The KCV a reader reports for this key, when AWS's KCV is comparable (TDES keys); give it
    /// as `LoadRequest.expectedKcv`.
    pub reader_comparable_kcv: Option<Vec<u8>>,
}

impl From<ExportedKeyBlock> for ExportedKey {
    fn from(e: ExportedKeyBlock) -> Self {
        Self {
            reader_comparable_kcv: e.reader_comparable_kcv(),
            kcv_algorithm: e.kcv_algorithm,
            key_block: e.key_block,
            kcv: e.kcv,
            wrapping_key_arn: e.wrapping_key_arn,
            key_arn: e.key_arn,
        }
    }
}

/// Why an export failed, grouped by what the caller does about it. Messages say what to do next.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum AwsError {
    /// The request is wrong (bad id, a header that would widen the key, no region, …): fix it.
    #[error("{reason}")]
    InvalidRequest { reason: String },
    /// Missing, rejected or insufficient credentials.
    #[error("{0}")]
    AccessDenied(ExportError),
    #[error("{0}")]
    NotFound(ExportError),
    /// Throttling, service unavailable, internal error, timeout or network: retry later.
    #[error("{0}")]
    Unavailable(ExportError),
    /// AWS answered, but what came back does not match the request: do not load it.
    #[error("{0}")]
    BadResponse(ExportError),
    /// Conflicts, quotas and service errors keybridge does not classify.
    #[error("{0}")]
    Other(ExportError),
    /// The call was cancelled or its task failed.
    #[error("{reason}")]
    Aborted { reason: String },
}

impl From<ExportError> for AwsError {
    fn from(e: ExportError) -> Self {
        use ExportError as E;
        match e {
            E::InvalidRequest { .. }
            | E::WidensModesOfUse { .. }
            | E::WidensExportability { .. }
            | E::NotExportable { .. }
            | E::UnsupportedKey { .. }
            | E::NoRegion
            | E::Validation { .. } => Self::InvalidRequest { reason: e.to_string() },
            E::AccessDenied { .. } | E::Credentials { .. } | E::CredentialsRejected { .. } => Self::AccessDenied(e),
            E::NotFound { .. } => Self::NotFound(e),
            E::Throttled { .. }
            | E::ServiceUnavailable { .. }
            | E::Internal { .. }
            | E::Timeout { .. }
            | E::Network { .. } => Self::Unavailable(e),
            E::MalformedBlock(_) | E::Mismatch { .. } | E::IncompleteResponse { .. } => Self::BadResponse(e),
            E::Conflict { .. } | E::QuotaExceeded { .. } | E::Other { .. } => Self::Other(e),
        }
    }
}

/// Exports keys from AWS Payment Cryptography as validated TR-31 key blocks.
#[derive(uniffi::Object)]
pub struct AwsKeyExporter {
    inner: Arc<export::AwsKeyExporter>,
}

#[uniffi::export]
impl AwsKeyExporter {
    /// Builds the client. No network traffic yet: credentials are resolved on the first call.
    #[uniffi::constructor]
    pub fn new(config: AwsExporterConfig) -> Result<Arc<Self>, AwsError> {
        let config = config.core()?;
        let inner = runtime().block_on(export::AwsKeyExporter::connect(config))?;
        Ok(Arc::new(Self { inner: Arc::new(inner) }))
    }

    /// Exports `key_id` (ARN or `alias/…`) as a TR-31 block under `wrapping_key_id` (the KEK the
    /// reader holds), with the key's own attributes, and checks what came back.
    pub async fn export_tr31(&self, key_id: String, wrapping_key_id: String) -> Result<ExportedKey, AwsError> {
        let inner = self.inner.clone();
        spawn(async move {
            inner
                .export_tr31(&key_id, &wrapping_key_id, &ExportHeaders::default())
                .await
        })
        .await
    }

    /// Exports the DUKPT initial key derived from `bdk_id` for `key_serial_number` (hex) as a B1
    /// block under `wrapping_key_id`.
    pub async fn export_dukpt_ipek(
        &self,
        bdk_id: String,
        wrapping_key_id: String,
        key_serial_number: String,
    ) -> Result<ExportedKey, AwsError> {
        let inner = self.inner.clone();
        spawn(async move {
            inner
                .export_dukpt_ipek(&bdk_id, &wrapping_key_id, &key_serial_number)
                .await
        })
        .await
    }
}

/// Runs an export on the library runtime, aborting it if the awaiting future is dropped.
async fn spawn<F>(export: F) -> Result<ExportedKey, AwsError>
where
    F: Future<Output = Result<ExportedKeyBlock, ExportError>> + Send + 'static,
{
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let task = runtime().spawn(export);
    let _abort = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(result) => Ok(result?.into()),
        Err(e) => Err(AwsError::Aborted {
            reason: format!("the export did not complete: {e}"),
        }),
    }
}
