//! Getting keys out of AWS Payment Cryptography as TR-31 key blocks, and checking what came back.
//!
//! * [`names`] — the service's vocabulary (`TR31_P0_PIN_ENCRYPTION_KEY`, `AES_128`, modes of use,
//!   KCV methods) mapped onto [`crate::tr31`] types. Shared with the emulator in
//!   `keybridge-testkit`.
//! * [`validate`] — checks before `ExportKey` (a header may only narrow the key) and after it (the
//!   block says what was asked for, under the KEK that was named, with a fitting KCV).
//! * `aws` (feature `aws`, on by default) — [`AwsKeyExporter`], the client on
//!   `aws-sdk-paymentcryptography`.
//! * `tr34` (features `aws` and `tr34`) — TR-34 export of a reader's own KEK: import the reader
//!   CA, `GetParametersForExport`, `ExportKey` with `Tr34KeyBlock`, and the reply's checks.
//!
//! # TLS
//! The SDK crates are used with `default-features = false`, which leaves out their default HTTPS
//! client and its TLS stack (rustls on `aws-lc-rs`, whose `aws-lc-sys` build needs cmake, a C
//! toolchain per target and is large, which makes Android cross-builds painful). The exporter
//! instead builds its HTTPS client explicitly from `aws-smithy-http-client` with the
//! `rustls-ring` feature: hyper 1 + rustls with the `ring` provider, which cross-compiles with
//! `cc` alone. The same client serves the credential providers (STS, ECS, IMDS). Switching the
//! `aws` feature off removes all of this for a lean mobile build that only parses, validates and
//! loads key blocks.

pub mod error;
pub mod names;
pub mod validate;

#[cfg(feature = "aws")]
mod aws;
#[cfg(all(feature = "aws", feature = "tr34"))]
mod tr34;

#[cfg(feature = "aws")]
pub use aws::{AwsConfig, AwsKeyExporter, Credentials, StaticCredentials};
pub use error::ExportError;
pub use names::{KcvAlgorithm, KeyAlgorithm, ModesOfUse};
#[cfg(all(feature = "aws", feature = "tr34"))]
pub use tr34::{ExportedTr34, TR34_NONCE_LEN, Tr34ExportParameters};

use serde::Serialize;

use crate::tr31::{Exportability, Header, KeyUsage};

/// Key block header fields requested on export. `None`/empty leaves the service's choice (the
/// key's own attributes). AWS only lets these narrow the key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportHeaders {
    pub modes_of_use: Option<ModesOfUse>,
    pub exportability: Option<Exportability>,
    /// Two characters, `00` for none.
    pub key_version: Option<String>,
    /// (ID, data) pairs; AWS passes them into the block.
    pub optional_blocks: Vec<(String, String)>,
}

/// What is exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportKind {
    /// The key itself, as a TR-31 block with these headers.
    Tr31(ExportHeaders),
    /// The DUKPT initial key (IPEK) derived from a BDK for this KSN, as a B1 block.
    DukptIpek { key_serial_number: String },
}

/// What `GetKey` says about a key, reduced to what export checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    pub arn: String,
    pub usage: KeyUsage,
    pub algorithm: KeyAlgorithm,
    pub modes: ModesOfUse,
    pub exportable: bool,
    /// Hex, as the service reports it.
    pub kcv: String,
    pub kcv_algorithm: Option<KcvAlgorithm>,
    /// Whether the key is enabled in AWS.
    pub enabled: bool,
    /// AWS's `KeyState`: `CREATE_COMPLETE` for a usable key, `DELETE_PENDING` once deletion is
    /// scheduled.
    pub state: String,
}

impl KeyFacts {
    /// The state of a key that can be exported and whose facts stay true until someone changes
    /// the key in AWS: enabled and fully created (not being created, not pending deletion).
    /// Only such facts may be reused for later exports.
    pub fn is_settled(&self) -> bool {
        self.enabled && self.state == "CREATE_COMPLETE"
    }
}

/// A validated export: the key block and what AWS said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedKeyBlock {
    /// The TR-31 key block, as AWS returned it.
    pub key_block: String,
    /// KCV of the wrapped key (hex, 3 bytes from the service).
    pub kcv: String,
    pub kcv_algorithm: KcvAlgorithm,
    pub wrapping_key_arn: String,
    /// ARN of the exported key (the BDK for an IPEK export).
    pub key_arn: String,
    /// The parsed header of `key_block`.
    pub header: Header,
}

impl ExportedKeyBlock {
    /// The KCV a reader's own check can be compared with, if there is one. Readers report the
    /// legacy KCV (encrypt zeros). AWS's `ANSI_X9_24` KCV of a TDES key is that same computation;
    /// its `CMAC` KCV of an AES key is a different one, so for AES keys there is nothing to
    /// compare without the clear key.
    pub fn reader_comparable_kcv(&self) -> Option<Vec<u8>> {
        match self.kcv_algorithm {
            KcvAlgorithm::AnsiX924 => hex::decode(&self.kcv).ok(),
            KcvAlgorithm::Cmac => None,
        }
    }
}
