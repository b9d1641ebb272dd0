//! What `keybridge tr34 inspect` shows: a token's structure, readable without any key.

use serde::Serialize;

use super::oids;
use super::token::{ContentCipher, IssuerSerial, OaepParams, Tr34Token};

/// A token's structure, for people and for JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `aws` or `dspread` when the token matches one of the two known layouts.
    pub shape: Option<&'static str>,
    pub signed_data_version: u64,
    pub digest_algorithms: Vec<String>,
    pub certificates: usize,
    pub signer: SignerSummary,
    pub recipient: RecipientSummary,
    pub content: ContentSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub issuer: String,
    /// Upper-case hex.
    pub serial: String,
}

impl From<&IssuerSerial> for Party {
    fn from(id: &IssuerSerial) -> Self {
        Self {
            issuer: id.issuer_text(),
            serial: id.serial_hex(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerSummary {
    pub version: u64,
    #[serde(flatten)]
    pub kdh: Party,
    pub digest_algorithm: String,
    pub signature_algorithm: String,
    pub signature_bits: usize,
    /// Signed attributes in the order sent (TR-34's order, not DER's).
    pub attributes: Vec<String>,
    /// Upper-case hex.
    pub nonce: String,
    pub header: String,
    /// Upper-case hex.
    pub message_digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientSummary {
    pub version: u64,
    #[serde(flatten)]
    pub krd: Party,
    pub key_encryption: &'static str,
    pub oaep: OaepParams,
    pub encrypted_key_bits: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentSummary {
    pub enveloped_data_version: u64,
    pub content_type: String,
    pub cipher: ContentCipher,
    /// Upper-case hex.
    pub iv: String,
    pub encrypted_bytes: usize,
}

impl Tr34Token {
    pub fn summary(&self) -> Summary {
        let signer = &self.signer;
        let envelope = &self.envelope;
        let recipient = &envelope.recipient;
        let shape = match (self.signed_data_version, signer.version, recipient.oaep.hash_null) {
            (1, 1, true) => Some("aws"),
            (0x49, 0x49, false) => Some("dspread"),
            _ => None,
        };
        Summary {
            shape,
            signed_data_version: self.signed_data_version,
            digest_algorithms: self.digest_algorithms.iter().map(oids::name).collect(),
            certificates: self.certificates.len(),
            signer: SignerSummary {
                version: signer.version,
                kdh: (&signer.id).into(),
                digest_algorithm: oids::name(&signer.digest_algorithm),
                signature_algorithm: oids::name(&signer.signature_algorithm),
                signature_bits: signer.signature.len() * 8,
                attributes: signer.attribute_order.iter().map(oids::name).collect(),
                nonce: hex::encode_upper(&signer.nonce),
                header: signer.header.clone(),
                message_digest: hex::encode_upper(&signer.message_digest),
            },
            recipient: RecipientSummary {
                version: recipient.version,
                krd: (&recipient.id).into(),
                key_encryption: "rsaesOaep",
                oaep: recipient.oaep.clone(),
                encrypted_key_bits: recipient.encrypted_key.len() * 8,
            },
            content: ContentSummary {
                enveloped_data_version: envelope.version,
                content_type: oids::name(&envelope.content_type),
                cipher: envelope.cipher,
                iv: hex::encode_upper(&envelope.iv),
                encrypted_bytes: envelope.encrypted_content.len(),
            },
        }
    }
}
