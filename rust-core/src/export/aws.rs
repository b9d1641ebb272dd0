//! [`AwsKeyExporter`]: `ExportKey` on `aws-sdk-paymentcryptography`, wrapped in the checks of
//! [`super::validate`].
//!
//! Every export is `GetKey` (key) → `GetKey` (KEK) → request check → `ExportKey` → reply check.
//! The two `GetKey` calls resolve aliases to ARNs and give the attributes the checks compare
//! against; a request that would widen the key fails before `ExportKey` is sent.
//!
//! # Timeouts and retries
//! The SDK sets no timeouts of its own, so a dead network would hang a POS app forever. The
//! defaults here ([`AwsConfig::default`]) are: connect 5 s (a TCP+TLS handshake to a regional
//! endpoint takes well under a second), each attempt 10 s, the whole operation including retries
//! 30 s, and 3 attempts with the SDK's standard exponential back-off (which also retries
//! throttling and 5xx replies).

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_paymentcryptography as pc;
use aws_sdk_paymentcryptography::config::retry::RetryConfig;
use aws_sdk_paymentcryptography::config::timeout::TimeoutConfig;
use aws_sdk_paymentcryptography::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_paymentcryptography::types as t;
use aws_smithy_http_client::tls;
use zeroize::Zeroizing;

use super::error::ExportError;
use super::names::{KcvAlgorithm, KeyAlgorithm, ModesOfUse, exportability_to_aws, key_usage_from_aws};
use super::validate::{self, WrappedKeyReply};
use super::{ExportHeaders, ExportKind, ExportedKeyBlock, KeyFacts};

/// Where credentials come from.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    /// The standard chain: environment, profile files, web identity, ECS, EC2 IMDS. Works without
    /// HOME or a profile (it skips the profile step), as on Android.
    #[default]
    DefaultChain,
    /// Fixed credentials handed in by an app, typically short-lived ones with a session token.
    Static(StaticCredentials),
}

/// An access key, its secret and an optional session token. `Debug` shows only the key id.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    pub session_token: Option<Zeroizing<String>>,
}

impl StaticCredentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
            session_token: session_token.map(Zeroizing::new),
        }
    }
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .field("session_token", &self.session_token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// How to reach AWS Payment Cryptography.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    /// Region; `None` takes it from the environment (`AWS_REGION`, profile).
    pub region: Option<String>,
    /// Endpoint override (a VPC endpoint, or the emulator); `None` uses the regional endpoint.
    pub endpoint_url: Option<String>,
    pub credentials: Credentials,
    /// Total attempts per operation, first one included (1 = no retries).
    pub max_attempts: u32,
    pub connect_timeout: Duration,
    /// Limit for each attempt (one HTTP request and its reply).
    pub attempt_timeout: Duration,
    /// Limit for a whole operation, retries and back-off included.
    pub operation_timeout: Duration,
    /// First back-off before a retry; later ones grow exponentially (with jitter).
    pub retry_initial_backoff: Duration,
    /// PEM bundle of root CAs to trust instead of the platform's store. Needed on Android, where
    /// the platform store is not readable from native code: ship the Amazon Root CAs with the app.
    /// `None` uses the platform's roots (`rustls-native-certs`); note that debug builds of the
    /// SDK's connector assert that this store is not empty.
    pub root_certificates_pem: Option<Vec<u8>>,
}

impl AwsConfig {
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
    /// The SDK's own default.
    pub const DEFAULT_RETRY_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            credentials: Credentials::DefaultChain,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            attempt_timeout: Self::DEFAULT_ATTEMPT_TIMEOUT,
            operation_timeout: Self::DEFAULT_OPERATION_TIMEOUT,
            retry_initial_backoff: Self::DEFAULT_RETRY_INITIAL_BACKOFF,
            root_certificates_pem: None,
        }
    }
}

/// Exports keys from AWS Payment Cryptography as validated TR-31 key blocks.
#[derive(Debug, Clone)]
pub struct AwsKeyExporter {
    client: pc::Client,
}

impl AwsKeyExporter {
    /// Builds the client: HTTPS on rustls + ring, the timeouts and retries of `config`, and the
    /// credentials it names. Resolving credentials is lazy (first call); a missing region is an
    /// error here.
    pub async fn connect(config: AwsConfig) -> Result<Self, ExportError> {
        if config.max_attempts == 0 {
            return Err(ExportError::InvalidRequest {
                field: "retry attempts",
                reason: "must be at least 1".into(),
            });
        }
        let builder = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring));
        let http_client = match &config.root_certificates_pem {
            Some(pem) => {
                check_root_certificates(pem)?;
                let trust = tls::TrustStore::empty().with_pem_certificate(pem.clone());
                let context = tls::TlsContext::builder()
                    .with_trust_store(trust)
                    .build()
                    .map_err(|e| invalid("root certificates", e))?;
                builder.tls_context(context).build_https()
            }
            None => builder.build_https(),
        };
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(config.connect_timeout)
            .operation_attempt_timeout(config.attempt_timeout)
            .operation_timeout(config.operation_timeout)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client)
            .timeout_config(timeouts)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(config.max_attempts)
                    .with_initial_backoff(config.retry_initial_backoff),
            );
        if let Some(region) = config.region {
            loader = loader.region(Region::new(region));
        }
        if let Some(url) = config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Credentials::Static(creds) = config.credentials {
            loader = loader.credentials_provider(pc::config::Credentials::new(
                creds.access_key_id,
                creds.secret_access_key.as_str(),
                creds.session_token.map(|t| t.as_str().to_owned()),
                None,
                "keybridge-static",
            ));
        }
        let sdk_config = loader.load().await;
        if sdk_config.region().is_none() {
            return Err(ExportError::NoRegion);
        }
        Ok(Self {
            client: pc::Client::new(&sdk_config),
        })
    }

    /// The underlying SDK client, for calls the exporter does not wrap (creating keys and aliases
    /// in tests and the demo).
    pub fn client(&self) -> &pc::Client {
        &self.client
    }

    /// `GetKey`, reduced to what the export checks need. `key_id` may be an ARN or `alias/…`.
    pub async fn key_facts(&self, key_id: &str) -> Result<KeyFacts, ExportError> {
        let out = self
            .client
            .get_key()
            .key_identifier(key_id)
            .send()
            .await
            .map_err(|e| ExportError::from_sdk("GetKey", e))?;
        let key = out.key().ok_or(incomplete("GetKey", "Key"))?;
        key_facts(key)
    }

    /// Exports `key_id` as a TR-31 block under `wrapping_key_id` with `headers`, and checks it.
    pub async fn export_tr31(
        &self,
        key_id: &str,
        wrapping_key_id: &str,
        headers: &ExportHeaders,
    ) -> Result<ExportedKeyBlock, ExportError> {
        self.export(key_id, wrapping_key_id, ExportKind::Tr31(headers.clone()))
            .await
    }

    /// Exports the DUKPT initial key derived from `bdk_id` for `key_serial_number` (hex: 20
    /// digits for a TDES BDK, 24 for AES) as a B1 block under `wrapping_key_id`.
    pub async fn export_dukpt_ipek(
        &self,
        bdk_id: &str,
        wrapping_key_id: &str,
        key_serial_number: &str,
    ) -> Result<ExportedKeyBlock, ExportError> {
        let kind = ExportKind::DukptIpek {
            key_serial_number: key_serial_number.to_ascii_uppercase(),
        };
        self.export(bdk_id, wrapping_key_id, kind).await
    }

    async fn export(
        &self,
        key_id: &str,
        wrapping_key_id: &str,
        kind: ExportKind,
    ) -> Result<ExportedKeyBlock, ExportError> {
        let key = self.key_facts(key_id).await?;
        let kek = self.key_facts(wrapping_key_id).await?;
        self.export_with_facts(&key, &kek, kind).await
    }

    /// Exports with what `GetKey` said about the key and the KEK already in hand (one AWS call,
    /// `ExportKey`): for a caller that keeps [`AwsKeyExporter::key_facts`] answers for a while,
    /// as the key service does. The request is checked against `key` and `kek` and the reply
    /// against both, as in [`AwsKeyExporter::export_tr31`].
    pub async fn export_with_facts(
        &self,
        key: &KeyFacts,
        kek: &KeyFacts,
        kind: ExportKind,
    ) -> Result<ExportedKeyBlock, ExportError> {
        validate::check_request(key, kek, &kind)?;

        let mut block = t::ExportTr31KeyBlock::builder().wrapping_key_identifier(&kek.arn);
        let mut request = self.client.export_key().export_key_identifier(&key.arn);
        match &kind {
            ExportKind::Tr31(headers) => block = block.key_block_headers(key_block_headers(headers)),
            ExportKind::DukptIpek { key_serial_number } => {
                let ipek = t::ExportDukptInitialKey::builder()
                    .key_serial_number(key_serial_number)
                    .build()
                    .map_err(|e| invalid("key serial number", e))?;
                request = request.export_attributes(
                    t::ExportAttributes::builder()
                        .export_dukpt_initial_key(ipek)
                        .key_check_value_algorithm(t::KeyCheckValueAlgorithm::from(
                            key.algorithm.kcv_algorithm().aws_name(),
                        ))
                        .build(),
                );
            }
        }
        let block = block.build().map_err(|e| invalid("wrapping key", e))?;
        let out = request
            .key_material(t::ExportKeyMaterial::Tr31KeyBlock(block))
            .send()
            .await
            .map_err(|e| ExportError::from_sdk("ExportKey", e))?;
        let wrapped = out.wrapped_key().ok_or(incomplete("ExportKey", "WrappedKey"))?;
        let reply = WrappedKeyReply {
            wrapping_key_arn: wrapped.wrapping_key_arn().to_owned(),
            key_material: wrapped.key_material().to_owned(),
            key_check_value: wrapped.key_check_value().map(str::to_owned),
            key_check_value_algorithm: wrapped.key_check_value_algorithm().map(|a| a.as_str().to_owned()),
        };
        validate::check_reply(key, kek, &kind, reply)
    }
}

/// Parses a PEM root bundle the way the HTTPS client will, so that a bad bundle is a typed error
/// here rather than a panic inside the SDK's connector.
fn check_root_certificates(pem: &[u8]) -> Result<(), ExportError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for (index, cert) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let cert = cert.map_err(|e| invalid("root certificates", format!("PEM item {}: {e}", index + 1)))?;
        roots
            .add(cert)
            .map_err(|e| invalid("root certificates", format!("certificate {}: {e}", index + 1)))?;
    }
    if roots.is_empty() {
        return Err(invalid("root certificates", "the bundle holds no certificate"));
    }
    Ok(())
}

impl From<ModesOfUse> for t::KeyModesOfUse {
    fn from(m: ModesOfUse) -> Self {
        t::KeyModesOfUse::builder()
            .encrypt(m.encrypt)
            .decrypt(m.decrypt)
            .wrap(m.wrap)
            .unwrap(m.unwrap)
            .generate(m.generate)
            .sign(m.sign)
            .verify(m.verify)
            .derive_key(m.derive_key)
            .no_restrictions(m.no_restrictions)
            .build()
    }
}

fn key_block_headers(headers: &ExportHeaders) -> t::KeyBlockHeaders {
    let mut builder = t::KeyBlockHeaders::builder();
    if let Some(m) = headers.modes_of_use {
        builder = builder.key_modes_of_use(m.into());
    }
    if let Some(e) = headers.exportability {
        builder = builder.key_exportability(t::KeyExportability::from(exportability_to_aws(e)));
    }
    if let Some(v) = &headers.key_version {
        builder = builder.key_version(v);
    }
    for (id, data) in &headers.optional_blocks {
        builder = builder.optional_blocks(id, data);
    }
    builder.build()
}

fn key_facts(key: &t::Key) -> Result<KeyFacts, ExportError> {
    let attributes = key.key_attributes().ok_or(incomplete("GetKey", "KeyAttributes"))?;
    let unsupported = |reason: String| ExportError::UnsupportedKey {
        which: "key",
        key_arn: key.key_arn().to_owned(),
        reason,
    };
    let usage = key_usage_from_aws(attributes.key_usage().as_str()).ok_or_else(|| {
        unsupported(format!(
            "key usage {} has no TR-31 export",
            attributes.key_usage().as_str()
        ))
    })?;
    let algorithm = KeyAlgorithm::from_aws(attributes.key_algorithm().as_str()).ok_or_else(|| {
        unsupported(format!(
            "algorithm {} is not TDES or AES",
            attributes.key_algorithm().as_str()
        ))
    })?;
    let modes = attributes
        .key_modes_of_use()
        .map(|m| ModesOfUse {
            encrypt: m.encrypt(),
            decrypt: m.decrypt(),
            wrap: m.wrap(),
            unwrap: m.unwrap(),
            generate: m.generate(),
            sign: m.sign(),
            verify: m.verify(),
            derive_key: m.derive_key(),
            no_restrictions: m.no_restrictions(),
        })
        .unwrap_or_default();
    Ok(KeyFacts {
        arn: key.key_arn().to_owned(),
        usage,
        algorithm,
        modes,
        exportable: key.exportable(),
        kcv: key.key_check_value().to_owned(),
        kcv_algorithm: KcvAlgorithm::from_aws(key.key_check_value_algorithm().as_str()),
        enabled: key.enabled(),
        state: key.key_state().as_str().to_owned(),
    })
}

fn incomplete(operation: &'static str, field: &'static str) -> ExportError {
    ExportError::IncompleteResponse { operation, field }
}

fn invalid(field: &'static str, error: impl std::fmt::Display) -> ExportError {
    ExportError::InvalidRequest {
        field,
        reason: error.to_string(),
    }
}

impl ExportError {
    /// Turns an SDK failure of `operation` into the typed error that says what to do next. Public
    /// so that callers using [`AwsKeyExporter::client`] directly get the same errors.
    pub fn from_sdk<E, R>(operation: &'static str, error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        map_sdk_error(operation, error)
    }
}

fn map_sdk_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> ExportError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let detail = DisplayErrorContext(&error).to_string();
    if is_credentials_error(&error) {
        return ExportError::Credentials { detail };
    }
    match &error {
        SdkError::TimeoutError(_) => ExportError::Timeout { operation, detail },
        SdkError::DispatchFailure(failure) if failure.is_timeout() => ExportError::Timeout { operation, detail },
        SdkError::DispatchFailure(failure) if failure.is_io() => ExportError::Network { operation, detail },
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or_default().to_owned();
            let message = context.err().message().unwrap_or_default().to_owned();
            service_error(operation, code, message)
        }
        _ => ExportError::Other {
            operation,
            code: "client".into(),
            message: detail,
        },
    }
}

/// Service error codes (`__type`) and what they mean for the caller.
fn service_error(operation: &'static str, code: String, message: String) -> ExportError {
    match code.as_str() {
        "AccessDeniedException" => ExportError::AccessDenied { operation, message },
        "ResourceNotFoundException" => ExportError::NotFound { operation, message },
        "ValidationException" => ExportError::Validation { operation, message },
        "ThrottlingException" => ExportError::Throttled { operation, message },
        "ConflictException" => ExportError::Conflict { operation, message },
        "ServiceUnavailableException" => ExportError::ServiceUnavailable { operation, message },
        "ServiceQuotaExceededException" => ExportError::QuotaExceeded { operation, message },
        "InternalServerException" => ExportError::Internal { operation, message },
        "UnrecognizedClientException" | "InvalidSignatureException" | "ExpiredTokenException" => {
            ExportError::CredentialsRejected { operation, message }
        }
        _ => ExportError::Other {
            operation,
            code,
            message,
        },
    }
}

fn is_credentials_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_codes_map_to_their_variants() {
        let map = |code: &str| service_error("ExportKey", code.into(), "m".into());
        assert!(matches!(map("AccessDeniedException"), ExportError::AccessDenied { .. }));
        assert!(matches!(
            map("ServiceQuotaExceededException"),
            ExportError::QuotaExceeded { .. }
        ));
        assert!(matches!(
            map("InvalidSignatureException"),
            ExportError::CredentialsRejected { .. }
        ));
        assert!(matches!(map("Teapot"), ExportError::Other { .. }));
    }

    #[test]
    fn static_credentials_do_not_print_secrets() {
        let creds = StaticCredentials::new("AKIDEXAMPLE", "very-secret", Some("token-secret".into()));
        let text = format!("{creds:?}");
        assert!(text.contains("AKIDEXAMPLE") && !text.contains("very-secret") && !text.contains("token-secret"));
    }

    /// A self-signed P-256 root made for this test.
    const TEST_ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBkzCCATmgAwIBAgIUSdWYIy58lgCZdQLFmsFyzfUQA8QwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTa2V5YnJpZGdlLXRlc3Qtcm9vdDAgFw0yNjExMjMxOTU5MjZa
GA8yMTI2MTAzMDE5NTkyNlowHjEcMBoGA1UEAwwTa2V5YnJpZGdlLXRlc3Qtcm9v
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNSxptmxwPFLLDLuxkHqipyafPea
D8yqPnYwPeYC6uWa6/Ifm0l8cKxQaHmKO4d3Hw9lTV+sRSyJhtU3Gw9/jTejUzBR
MB0GA1UdDgQWBBR/HGTKoTTsGG/gkk4QW0jBBZZ/2zAfBgNVHSMEGDAWgBR/HGTK
oTTsGG/gkk4QW0jBBZZ/2zAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gA
MEUCIHEaQ5pTpEuIsi4PSB+B5cD+u4MjqA9LC4AlsbtgfgVmAiEAtkQbworgGeC6
o/8xdKpOgY818lSOmrkaou2LaMG10Ww=
-----END CERTIFICATE-----
";

    #[tokio::test]
    async fn root_bundles_are_checked_before_the_sdk_sees_them() {
        let with_roots = |pem: &str| AwsConfig {
            region: Some("us-east-1".into()),
            root_certificates_pem: Some(pem.as_bytes().to_vec()),
            ..Default::default()
        };
        AwsKeyExporter::connect(with_roots(TEST_ROOT)).await.unwrap();
        for bad in ["", "not pem", &TEST_ROOT.replace("MIIB", "AAAA")] {
            let error = AwsKeyExporter::connect(with_roots(bad)).await.unwrap_err();
            assert!(
                matches!(
                    error,
                    ExportError::InvalidRequest {
                        field: "root certificates",
                        ..
                    }
                ),
                "{error:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_zero_attempt_budget_is_refused() {
        let config = AwsConfig {
            max_attempts: 0,
            region: Some("us-east-1".into()),
            ..Default::default()
        };
        assert!(matches!(
            AwsKeyExporter::connect(config).await,
            Err(ExportError::InvalidRequest { .. })
        ));
    }
}
