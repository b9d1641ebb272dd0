//! TR-34 export: a reader's own KEK out of AWS Payment Cryptography, wrapped for that reader.
//!
//! 1. [`AwsKeyExporter::import_root_certificate`]: `ImportKey` of the reader fleet's device CA
//!    (`RootCertificatePublicKey`), once per CA.
//! 2. [`AwsKeyExporter::tr34_export_parameters`]: `GetParametersForExport` gives an export token
//!    (valid 30 days, reusable) and AWS's signing certificate and chain: the KDH's.
//! 3. [`AwsKeyExporter::export_tr34`]: `ExportKey` with `Tr34KeyBlock` (the reader's certificate,
//!    the export token, the reader's nonce), and the reply checked before anyone loads it: the
//!    token parses, AWS's signing key signed it (chain, digest and signature), it is addressed to
//!    that reader's certificate, carries the nonce sent and a header of the key's usage, and the
//!    KCV is the key's.

use aws_sdk_paymentcryptography::types as t;

use super::error::ExportError;
use super::names::KcvAlgorithm;
use super::{AwsKeyExporter, KeyFacts};
use crate::crypto::CipherFamily;
use crate::tr34::{Certificate, Tr34Token};

/// What `GetParametersForExport` gives for TR-34.
#[derive(Debug, Clone)]
pub struct Tr34ExportParameters {
    pub export_token: String,
    /// AWS's signing certificate: the KDH a reader must trust.
    pub signing_certificate: Certificate,
    /// The CA that issued it (the first certificate of AWS's chain).
    pub signing_ca: Certificate,
}

/// A checked TR-34 export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedTr34 {
    /// The token (DER), as a reader takes it.
    pub token: Vec<u8>,
    /// Its key block header.
    pub header: String,
    /// KCV of the exported key (hex, as AWS reports it).
    pub kcv: String,
    pub kcv_algorithm: KcvAlgorithm,
    pub key_arn: String,
}

/// The nonce length AWS takes (`RandomNonce`, 16 hex digits).
pub const TR34_NONCE_LEN: usize = 8;

impl AwsKeyExporter {
    /// Imports `ca` (a self-signed root, e.g. the readers' device CA) as a public key that can
    /// vouch for reader certificates; returns its ARN.
    pub async fn import_root_certificate(&self, ca: &Certificate) -> Result<String, ExportError> {
        let algorithm = t::KeyAlgorithm::from(format!("RSA_{}", ca.rsa_bits()).as_str());
        let attributes = t::KeyAttributes::builder()
            .key_usage(t::KeyUsage::Tr31S0AsymmetricKeyForDigitalSignature)
            .key_class(t::KeyClass::PublicKey)
            .key_algorithm(algorithm)
            .key_modes_of_use(t::KeyModesOfUse::builder().verify(true).build())
            .build()
            .map_err(|e| invalid("root certificate", e))?;
        let root = t::RootCertificatePublicKey::builder()
            .key_attributes(attributes)
            .public_key_certificate(ca.to_base64_pem())
            .build()
            .map_err(|e| invalid("root certificate", e))?;
        let out = self
            .client()
            .import_key()
            .enabled(true)
            .key_material(t::ImportKeyMaterial::RootCertificatePublicKey(root))
            .send()
            .await
            .map_err(|e| ExportError::from_sdk("ImportKey", e))?;
        let key = out.key().ok_or(incomplete("ImportKey", "Key"))?;
        Ok(key.key_arn().to_owned())
    }

    /// `GetParametersForExport` for a TR-34 key block signed with RSA-2048.
    pub async fn tr34_export_parameters(&self) -> Result<Tr34ExportParameters, ExportError> {
        let out = self
            .client()
            .get_parameters_for_export()
            .key_material_type(t::KeyMaterialType::Tr34KeyBlock)
            .signing_key_algorithm(t::KeyAlgorithm::Rsa2048)
            .send()
            .await
            .map_err(|e| ExportError::from_sdk("GetParametersForExport", e))?;
        let certificate = |field: &'static str, text: &str| {
            Certificate::from_base64_pem("AWS signing certificate", text).map_err(|e| ExportError::Mismatch {
                field,
                expected: "a base64 PEM certificate".into(),
                found: e.to_string(),
            })
        };
        Ok(Tr34ExportParameters {
            export_token: out.export_token().to_owned(),
            signing_certificate: certificate("SigningKeyCertificate", out.signing_key_certificate())?,
            signing_ca: certificate("SigningKeyCertificateChain", out.signing_key_certificate_chain())?,
        })
    }

    /// Exports `key_id` (a TDES key, typically the reader's KEK) as a TR-34 token for the reader
    /// holding `krd_certificate`, issued by the CA imported as `ca_id`, with the reader's `nonce`.
    pub async fn export_tr34(
        &self,
        key_id: &str,
        ca_id: &str,
        krd_certificate: &Certificate,
        parameters: &Tr34ExportParameters,
        nonce: &[u8],
    ) -> Result<ExportedTr34, ExportError> {
        if nonce.len() != TR34_NONCE_LEN {
            return Err(invalid(
                "nonce",
                format!("AWS takes a {TR34_NONCE_LEN}-byte nonce, not {} bytes", nonce.len()),
            ));
        }
        let key = self.key_facts(key_id).await?;
        check_tr34_key(&key)?;
        let block = t::ExportTr34KeyBlock::builder()
            .certificate_authority_public_key_identifier(ca_id)
            .wrapping_key_certificate(krd_certificate.to_base64_pem())
            .export_token(&parameters.export_token)
            .key_block_format(t::Tr34KeyBlockFormat::X9Tr342012)
            .random_nonce(hex::encode_upper(nonce))
            .build()
            .map_err(|e| invalid("TR-34 export", e))?;
        let out = self
            .client()
            .export_key()
            .export_key_identifier(&key.arn)
            .key_material(t::ExportKeyMaterial::Tr34KeyBlock(block))
            .send()
            .await
            .map_err(|e| ExportError::from_sdk("ExportKey", e))?;
        let wrapped = out.wrapped_key().ok_or(incomplete("ExportKey", "WrappedKey"))?;
        check_reply(&key, krd_certificate, parameters, nonce, wrapped)
    }
}

/// TR-34 carries TDES keys (AWS's rule); the key must be exportable.
fn check_tr34_key(key: &KeyFacts) -> Result<(), ExportError> {
    if !key.exportable {
        return Err(ExportError::NotExportable {
            key_arn: key.arn.clone(),
        });
    }
    if key.algorithm.family() != CipherFamily::Tdes {
        return Err(ExportError::UnsupportedKey {
            which: "key",
            key_arn: key.arn.clone(),
            reason: format!("TR-34 exports TDES keys only, not {}", key.algorithm.aws_name()),
        });
    }
    Ok(())
}

fn check_reply(
    key: &KeyFacts,
    krd: &Certificate,
    parameters: &Tr34ExportParameters,
    nonce: &[u8],
    wrapped: &t::WrappedKey,
) -> Result<ExportedTr34, ExportError> {
    let mismatch =
        |field: &'static str, expected: String, found: String| ExportError::Mismatch { field, expected, found };
    if wrapped.wrapped_key_material_format() != &t::WrappedKeyMaterialFormat::Tr34KeyBlock {
        return Err(mismatch(
            "key material format",
            "TR34_KEY_BLOCK".into(),
            wrapped.wrapped_key_material_format().as_str().into(),
        ));
    }
    let der = crate::tr34::decode_hex_token(wrapped.key_material())
        .map_err(|e| mismatch("TR-34 token", "hex".into(), e.to_string()))?;
    let token = Tr34Token::parse(&der).map_err(|e| mismatch("TR-34 token", "a TR-34 token".into(), e.to_string()))?;
    token
        .verify_origin(&parameters.signing_certificate, Some(&parameters.signing_ca))
        .map_err(|e| mismatch("TR-34 signature", "AWS's signing key".into(), e.to_string()))?;
    let recipient = &token.envelope.recipient.id;
    if *recipient != krd.issuer_serial() {
        return Err(mismatch(
            "TR-34 recipient",
            krd.subject(),
            format!("{} serial {}", recipient.issuer_text(), recipient.serial_hex()),
        ));
    }
    if token.signer.nonce != nonce {
        return Err(mismatch(
            "TR-34 nonce",
            hex::encode_upper(nonce),
            hex::encode_upper(&token.signer.nonce),
        ));
    }
    let header = token.signer.header.clone();
    let usage = header.get(5..7).unwrap_or_default();
    if usage != key.usage.code() {
        return Err(mismatch(
            "TR-34 header key usage",
            key.usage.code().into(),
            usage.into(),
        ));
    }
    let kcv = wrapped.key_check_value().unwrap_or(&key.kcv).to_owned();
    if !kcv.eq_ignore_ascii_case(&key.kcv) {
        return Err(mismatch("key check value", key.kcv.clone(), kcv));
    }
    Ok(ExportedTr34 {
        token: der,
        header,
        kcv,
        kcv_algorithm: key.kcv_algorithm.unwrap_or_else(|| key.algorithm.kcv_algorithm()),
        key_arn: key.arn.clone(),
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
