//! Why a TR-34 token was not read, not accepted or not built. Every refusal names its check
//! ([`Tr34Error::check`]); none carries key material.

/// A check a KRD makes before it accepts a token; named in refusals and in what was left unchecked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The KDH's certificate is issued (name and signature) by the trusted KDH CA.
    KdhChain,
    /// The token's signer (SignerInfo issuer and serial) is the KDH certificate given.
    Signer,
    /// The messageDigest attribute is the SHA-256 of the enveloped data.
    MessageDigest,
    /// The KDH's signature over the signed attributes, as received.
    Signature,
    /// The recipient (issuer and serial) is this KRD's certificate, whose key is the KRD's key.
    Recipient,
    /// The random nonce attribute is the one this KRD issued.
    Nonce,
    /// The key block header in the signed attributes is the one inside the encrypted key block.
    Header,
    /// The KDH named inside the encrypted key block is the signer.
    KdhIdentity,
    /// Every RSA key involved has at least 2048 bits.
    RsaKeySize,
    /// The content-encryption key decrypts (RSAES-OAEP) under the KRD's private key.
    KeyDecryption,
    /// The key block decrypts and reads as a TR-34 key block.
    ContentDecryption,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Self::KdhChain => "kdh-chain",
            Self::Signer => "signer",
            Self::MessageDigest => "message-digest",
            Self::Signature => "signature",
            Self::Recipient => "recipient",
            Self::Nonce => "nonce",
            Self::Header => "header",
            Self::KdhIdentity => "kdh-identity",
            Self::RsaKeySize => "rsa-key-size",
            Self::KeyDecryption => "key-decryption",
            Self::ContentDecryption => "content-decryption",
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tr34Error {
    /// The token is not well-formed where this field should be.
    #[error("TR-34 token: {field} at offset {offset}: {detail}")]
    Malformed {
        field: &'static str,
        offset: usize,
        detail: String,
    },
    /// Well-formed, but uses something keybridge does not implement (an algorithm, a content type).
    #[error("TR-34 token: {field}: unsupported {found}")]
    Unsupported { field: &'static str, found: String },
    /// A certificate or key file could not be read.
    #[error("{role}: {detail}")]
    Credential { role: &'static str, detail: String },
    /// A KRD check failed.
    #[error("TR-34 check {check} failed: {detail}")]
    Refused { check: Check, detail: String },
    /// The KDH side was asked to build something it cannot.
    #[error("TR-34 build: {0}")]
    Build(String),
}

impl Tr34Error {
    pub(crate) fn refused(check: Check, detail: impl Into<String>) -> Self {
        Self::Refused {
            check,
            detail: detail.into(),
        }
    }

    /// The failed check, for refusals.
    pub fn check(&self) -> Option<Check> {
        match self {
            Self::Refused { check, .. } => Some(*check),
            _ => None,
        }
    }
}
