//! One KEK per reader: the first step of the flow, by TR-34.
//!
//! A profile with `kek = "per-reader"` gives each of its readers a KEK of its own, so that one
//! reader's KEK opens no other reader's keys. The reader hands in its device certificate and a
//! nonce it issued ([`keybridge::service_api::KekRequest`]); the service
//!
//! 1. checks the certificate: readable, RSA of at least 2048 bits, issued by the configured
//!    device CA (`[kek] device_ca`);
//! 2. the first time, creates the reader's KEK in AWS (`CreateKey`: TDES, since TR-34 carries TDES
//!    keys) and stores its ARN, check value and the certificate's SHA-256 with the reader (later
//!    calls re-export the same KEK, to that certificate only);
//! 3. imports the device CA into AWS once (`ImportKey`; the ARN is kept in `device_cas`);
//! 4. exports the KEK as a TR-34 token to that certificate and nonce (`GetParametersForExport`
//!    once a day, `GetKey`, `ExportKey`), checked by [`keybridge::export`] before it is handed
//!    out.
//!
//! Every AWS call goes through the gateway's buckets (this instance's and the account's). The
//! reader then reports the KCV it holds ([`record_report`]); from then on its working keys and
//! DUKPT initial keys are exported under its own KEK. Retiring the reader schedules its KEK for
//! deletion in AWS ([`retire`]): unusable at once, gone after `retire_after_days`.

use std::path::PathBuf;

use keybridge::export::TR34_NONCE_LEN;
use keybridge::kcv::kcv_matches;
use keybridge::service_api::{KekReport, KekReportResponse, KekResponse, SlotOutcome, Verdict};
use keybridge::tr34::{Certificate, MIN_RSA_BITS};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

use crate::audit::{self, Entry, Event};
use crate::db::{DbError, now_ms};
use crate::devices::{self, Device};
use crate::gateway::{Gateway, GatewayError};

/// The `[kek]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KekSettings {
    /// PEM of the CA that issues the readers' device certificates; needed by a per-reader profile.
    pub device_ca: Option<PathBuf>,
    /// `DeleteKey`'s waiting period for a retired reader's KEK (AWS takes 3 to 180 days).
    pub retire_after_days: u32,
}

impl Default for KekSettings {
    fn default() -> Self {
        Self {
            device_ca: None,
            retire_after_days: 7,
        }
    }
}

impl KekSettings {
    /// The device CA, read and checked; none when not configured.
    pub fn load_device_ca(&self) -> Result<Option<Certificate>, String> {
        if !(3..=180).contains(&self.retire_after_days) {
            return Err("[kek] retire_after_days: AWS takes 3 to 180 days".into());
        }
        let Some(path) = &self.device_ca else {
            return Ok(None);
        };
        let pem = std::fs::read_to_string(path).map_err(|e| format!("[kek] device_ca {}: {e}", path.display()))?;
        let ca = Certificate::from_pem("device CA", &pem).map_err(|e| format!("[kek] device_ca: {e}"))?;
        if ca.rsa_bits() < MIN_RSA_BITS {
            return Err(format!(
                "[kek] device_ca: RSA-{} is below TR-34's {MIN_RSA_BITS} bits",
                ca.rsa_bits()
            ));
        }
        Ok(Some(ca))
    }
}

/// Why the TR-34 step or a KEK report was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    #[error("device certificate: {0}")]
    Certificate(String),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("the reader's profile uses the shared KEK; it has no TR-34 step")]
    Shared,
    #[error("the reader has no KEK of its own yet")]
    NotEstablished,
    #[error("the reader's KEK was established for another device certificate")]
    CertificateMismatch,
    #[error("no device CA is configured ([kek] device_ca)")]
    NoDeviceCa,
    #[error("AWS reports check value {now} for the reader's KEK, which was made with {before}")]
    Changed { before: String, now: String },
    #[error("no device `{0}` is registered")]
    UnknownDevice(String),
    #[error("device `{0}` is not revoked: revoke it before retiring its KEK")]
    Active(String),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for KekError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(error.into())
    }
}

/// A device certificate as a device sends it: PEM, or base64 of the DER.
pub fn read_certificate(text: &str) -> Result<Certificate, KekError> {
    let bad = |e: &dyn std::fmt::Display| KekError::Certificate(e.to_string());
    if text.trim_start().starts_with("-----BEGIN") {
        return Certificate::from_pem("device certificate", text).map_err(|e| bad(&e));
    }
    use base64ct::{Base64, Encoding};
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = Base64::decode_vec(&compact).map_err(|_| bad(&"neither PEM nor base64 DER"))?;
    Certificate::from_der("device certificate", &der).map_err(|e| bad(&e))
}

/// The certificate is strong enough and the device CA issued it.
pub fn check_certificate(certificate: &Certificate, device_ca: &Certificate) -> Result<(), KekError> {
    if certificate.rsa_bits() < MIN_RSA_BITS {
        return Err(KekError::Certificate(format!(
            "RSA-{} is below TR-34's {MIN_RSA_BITS} bits",
            certificate.rsa_bits()
        )));
    }
    certificate
        .check_issued_by(device_ca)
        .map_err(|why| KekError::Certificate(format!("not issued by the device CA: {why}")))
}

/// The reader's nonce: hex, [`TR34_NONCE_LEN`] bytes (what AWS's `RandomNonce` takes).
pub fn parse_nonce(text: &str) -> Result<Vec<u8>, KekError> {
    let invalid = |reason: String| KekError::Invalid { field: "nonce", reason };
    let nonce = hex::decode(text.trim()).map_err(|_| invalid("must be hex".into()))?;
    if nonce.len() != TR34_NONCE_LEN {
        return Err(invalid(format!(
            "must be {TR34_NONCE_LEN} bytes ({} hex digits), not {} bytes",
            TR34_NONCE_LEN * 2,
            nonce.len()
        )));
    }
    Ok(nonce)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the TR-34 step needs besides the reader.
pub struct KekContext<'a> {
    pub pool: &'a AnyPool,
    pub gateway: &'a Gateway,
    pub device_ca: Option<&'a Certificate>,
    pub instance: &'a str,
    /// The token the call came with, for the audit rows.
    pub token_id: &'a str,
}

/// The TR-34 step for `device` (of a per-reader profile): see the [module](self) docs.
pub async fn establish(
    context: &KekContext<'_>,
    device: &Device,
    certificate: &Certificate,
    nonce: &[u8],
) -> Result<KekResponse, KekError> {
    let device_ca = context.device_ca.ok_or(KekError::NoDeviceCa)?;
    check_certificate(certificate, device_ca)?;
    let fingerprint = sha256_hex(certificate.der());
    let device = if device.has_own_kek() {
        device.clone()
    } else {
        create(context, device, &fingerprint).await?
    };
    if device.kek_certificate.as_deref() != Some(fingerprint.as_str()) {
        return Err(KekError::CertificateMismatch);
    }
    let ca_arn = device_ca_arn(context, device_ca).await?;
    let parameters = context.gateway.tr34_parameters().await?;
    // `export_tr34` makes two calls: `GetKey` of the KEK, then `ExportKey`.
    let exported = context
        .gateway
        .admitted(2)
        .await?
        .export_tr34(&device.kek, &ca_arn, certificate, &parameters, nonce)
        .await
        .map_err(GatewayError::from)?;
    let made_with = device.kek_kcv.clone().unwrap_or_default();
    if !exported.kcv.eq_ignore_ascii_case(&made_with) {
        return Err(KekError::Changed {
            before: made_with,
            now: exported.kcv,
        });
    }
    let mut entry = Entry::new(Event::KekExport)
        .device(&device.pos_id)
        .token(context.token_id)
        .kek(&exported.key_arn, Some(exported.kcv.clone()))
        .detail(format!(
            "TR-34 to {} (certificate SHA-256 {}), nonce {}, header {}",
            certificate.subject(),
            &fingerprint[..16],
            hex::encode_upper(nonce),
            exported.header
        ));
    entry.key_arn = Some(exported.key_arn.clone());
    entry.kcv = Some(exported.kcv.clone());
    entry.outcome = Some(exported.kcv_algorithm.aws_name().to_owned());
    audit::append(context.pool, context.instance, &entry).await?;
    metrics::counter!("keybridge_kek_exports_total").increment(1);
    Ok(KekResponse {
        token: hex::encode_upper(&exported.token),
        kek_kcv: exported.kcv,
        kcv_algorithm: exported.kcv_algorithm,
        kek_arn: exported.key_arn,
        kdh_certificate: parameters.signing_certificate.pem().to_owned(),
    })
}

/// Creates the reader's KEK in AWS and records it with the reader (replacing a shared KEK it was
/// registered with before its profile became per-reader). When a concurrent call for the same
/// reader recorded one first, the one made here is retired and that one is used.
async fn create(context: &KekContext<'_>, device: &Device, fingerprint: &str) -> Result<Device, KekError> {
    let (arn, kcv) = context
        .gateway
        .admitted(1)
        .await?
        .create_reader_kek()
        .await
        .map_err(GatewayError::from)?;
    let recorded = async {
        let mut tx = context.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE devices SET kek = $1, kek_kcv = $2, kek_certificate = $3 \
             WHERE pos_id = $4 AND kek_kcv IS NULL",
        )
        .bind(&arn)
        .bind(&kcv)
        .bind(fingerprint)
        .bind(&device.pos_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 1 {
            let entry = Entry::new(Event::KekCreated)
                .device(&device.pos_id)
                .token(context.token_id)
                .kek(&arn, Some(kcv.clone()))
                .detail("CreateKey: TR31_K0 TDES_3KEY, exportable, for this reader alone");
            audit::append(&mut *tx, context.instance, &entry).await?;
        }
        tx.commit().await?;
        Ok::<_, DbError>(updated.rows_affected() == 1)
    }
    .await;
    match recorded {
        Ok(true) => {
            metrics::counter!("keybridge_keks_created_total").increment(1);
            Ok(Device {
                kek: arn,
                kek_kcv: Some(kcv),
                kek_certificate: Some(fingerprint.to_owned()),
                ..device.clone()
            })
        }
        Ok(false) => {
            // Another call for this reader won; ours serves nobody.
            if let Err(error) = retire_in_aws(context.gateway, &arn, 3).await {
                tracing::error!(%error, kek = %arn, device = %device.pos_id, "could not retire a KEK made twice");
            }
            devices::get(context.pool, &device.pos_id)
                .await?
                .ok_or_else(|| KekError::UnknownDevice(device.pos_id.clone()))
        }
        Err(error) => {
            tracing::error!(%error, kek = %arn, device = %device.pos_id,
                "a reader's KEK was created in AWS but could not be recorded; delete it by hand");
            Err(error.into())
        }
    }
}

async fn retire_in_aws(gateway: &Gateway, arn: &str, days: u32) -> Result<(), GatewayError> {
    Ok(gateway.admitted(1).await?.retire_key(arn, days).await?)
}

/// Imports happen one at a time in this process, so a fleet enrolling at once imports once.
static CA_IMPORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The ARN of `device_ca` in AWS: imported the first time, then read from `device_cas`.
async fn device_ca_arn(context: &KekContext<'_>, device_ca: &Certificate) -> Result<String, KekError> {
    let fingerprint = sha256_hex(device_ca.der());
    if let Some(arn) = recorded_ca(context.pool, &fingerprint).await? {
        return Ok(arn);
    }
    let _one_at_a_time = CA_IMPORT.lock().await;
    if let Some(arn) = recorded_ca(context.pool, &fingerprint).await? {
        return Ok(arn);
    }
    let arn = context
        .gateway
        .admitted(1)
        .await?
        .import_root_certificate(device_ca)
        .await
        .map_err(GatewayError::from)?;
    sqlx::query("INSERT INTO device_cas (fingerprint, arn, imported_at) VALUES ($1, $2, $3) ON CONFLICT (fingerprint) DO NOTHING")
        .bind(&fingerprint)
        .bind(&arn)
        .bind(now_ms())
        .execute(context.pool)
        .await?;
    // Another instance may have imported first: everyone uses the recorded one.
    Ok(recorded_ca(context.pool, &fingerprint).await?.unwrap_or(arn))
}

async fn recorded_ca(pool: &AnyPool, fingerprint: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT arn FROM device_cas WHERE fingerprint = $1")
        .bind(fingerprint)
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.try_get::<String, _>(0)).transpose()
}

fn outcome_name(outcome: SlotOutcome) -> &'static str {
    match outcome {
        SlotOutcome::Loaded => "loaded",
        SlotOutcome::Failed => "failed",
        SlotOutcome::Indeterminate => "indeterminate",
    }
}

/// Records what the reader did with its KEK token and judges it: `verified` when the reader's KCV
/// is the KEK's, `mismatch` when it is not, `unverifiable` when loaded without a KCV.
pub async fn record_report(
    pool: &AnyPool,
    device: &Device,
    report: &KekReport,
    token_id: &str,
    instance: &str,
) -> Result<KekReportResponse, KekError> {
    let kek_kcv = device.kek_kcv.as_deref().ok_or(KekError::NotEstablished)?;
    let reader_kcv = match &report.reader_kcv {
        Some(text) => {
            let bytes = hex::decode(text)
                .ok()
                .filter(|b| (1..=16).contains(&b.len()))
                .ok_or(KekError::Invalid {
                    field: "readerKcv",
                    reason: "must be 1 to 16 bytes of hex".into(),
                })?;
            Some(bytes)
        }
        None => None,
    };
    let verdict = match (report.outcome, &reader_kcv) {
        (SlotOutcome::Loaded, Some(reader)) => {
            let aws = hex::decode(kek_kcv).unwrap_or_default();
            Some(if kcv_matches(&aws, reader) {
                Verdict::Verified
            } else {
                Verdict::Mismatch
            })
        }
        (SlotOutcome::Loaded, None) => Some(Verdict::Unverifiable),
        _ => None,
    };
    let mut entry = Entry::new(Event::KekReport)
        .device(&device.pos_id)
        .token(token_id)
        .kek(&device.kek, Some(kek_kcv.to_owned()));
    entry.kcv = reader_kcv.as_deref().map(hex::encode_upper);
    entry.outcome = Some(outcome_name(report.outcome).to_owned());
    entry.code = verdict.map(|v| v.as_str().to_owned());
    entry.detail = report
        .error
        .as_ref()
        .map(|e| e.chars().filter(|c| !c.is_control()).take(200).collect());
    audit::append(pool, instance, &entry).await?;
    Ok(KekReportResponse {
        outcome: report.outcome,
        verdict,
    })
}

/// Retires a revoked reader's own KEK: `DeleteKey` after `days` (unusable at once, restorable
/// with `RestoreKey` until then), recorded and audited. Returns the KEK's ARN, or `None` when
/// the reader has no KEK of its own or it was retired already. Readers on a shared KEK are left
/// alone: their KEK serves others.
pub async fn retire(
    pool: &AnyPool,
    gateway: &Gateway,
    pos_id: &str,
    days: u32,
    instance: &str,
) -> Result<Option<String>, KekError> {
    let device = devices::get(pool, pos_id)
        .await?
        .ok_or_else(|| KekError::UnknownDevice(pos_id.to_owned()))?;
    if device.revoked_at.is_none() {
        return Err(KekError::Active(pos_id.to_owned()));
    }
    if !device.has_own_kek() || device.kek_retired_at.is_some() {
        return Ok(None);
    }
    retire_in_aws(gateway, &device.kek, days).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE devices SET kek_retired_at = $1 WHERE pos_id = $2")
        .bind(now_ms())
        .bind(pos_id)
        .execute(&mut *tx)
        .await?;
    let entry = Entry::new(Event::KekRetired)
        .device(pos_id)
        .kek(&device.kek, device.kek_kcv.clone())
        .detail(format!("DeleteKey in {days} days: unusable from now on"));
    audit::append(&mut *tx, instance, &entry).await?;
    tx.commit().await?;
    Ok(Some(device.kek))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_eight_bytes_of_hex() {
        assert_eq!(parse_nonce("0102030405060708").unwrap(), [1, 2, 3, 4, 5, 6, 7, 8]);
        for bad in ["", "01", "zz02030405060708", "01020304050607080910111213141516"] {
            assert!(
                matches!(parse_nonce(bad), Err(KekError::Invalid { field: "nonce", .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn certificates_that_are_not_certificates_are_named() {
        for bad in [
            "",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "not base64!",
            "AAAA",
        ] {
            assert!(
                matches!(read_certificate(bad), Err(KekError::Certificate(_))),
                "{bad:?}"
            );
        }
    }
}
