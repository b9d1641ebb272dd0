//! How a loader is set up ([`LoaderConfig`]) and what one call asks for ([`LoadRequest`]).

use std::time::Duration;

use crate::device::command::Tr31KeyType;
use crate::device::session::SessionConfig;

use super::LoadPolicy;

/// How the block travels to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadMethod {
    /// CMD 0x10 SUB 0xF5 (B0, length and the ASCII block), then CMD 0x11 SUB 0x60 with the KSN of
    /// a DUKPT key: the SDK's `updateKeyByTR_31`.
    #[default]
    Direct,
    /// 64-byte chunks on CMD 0x40 SUB 0x20 (offsets in units of 16 bytes), closed by 0x40/0x21:
    /// the SDK's `sendTR31Key`. Carries no key index, key type or KSN: slot 0.
    Chunked,
}

/// Settings of a [`KeyLoader`](super::KeyLoader).
#[derive(Debug, Clone)]
pub struct LoaderConfig {
    pub policy: LoadPolicy,
    /// How long to wait for each answer from the reader (also the TIMEOUT byte of the frames whose
    /// TIMEOUT the SDK leaves to the caller, in whole seconds).
    pub command_timeout: Duration,
    /// Retries after a lost or corrupted answer; at most [`LoaderConfig::MAX_RETRIES`].
    pub max_retries: u32,
    /// Largest frame the reader takes (1024; some firmware 4096).
    pub max_frame_len: usize,
    pub method: LoadMethod,
    /// Pause between polls while the reader is still working.
    pub poll_interval: Duration,
}

impl LoaderConfig {
    /// The most retries a loader makes. More only delay the verdict on a line that bad; a larger
    /// `max_retries` is taken as this.
    pub const MAX_RETRIES: u32 = 10;
}

impl Default for LoaderConfig {
    fn default() -> Self {
        let session = SessionConfig::default();
        Self {
            policy: LoadPolicy::default(),
            command_timeout: session.command_timeout,
            max_retries: session.max_retries,
            max_frame_len: session.max_frame_len,
            method: LoadMethod::Direct,
            poll_interval: session.poll_interval,
        }
    }
}

/// Per-call options of [`KeyLoader::send_tr31_key_with`](super::KeyLoader::send_tr31_key_with).
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    /// Key index; `None` is 0. Outside 0–9: [`LoadError::InvalidArgument`](super::LoadError), nothing sent.
    pub slot: Option<u8>,
    /// The key's legacy KCV (ECB of zeros, as readers compute it; at least 3 bytes), compared
    /// over the full length of the shorter of it and the reader's.
    pub expected_kcv: Option<Vec<u8>>,
    /// KSN of a DUKPT key (hex: 20 digits for TDES, 24 for AES), sent in the KSN frame after the
    /// load. Optional when the block carries a `KS` or `IK` optional block (then it must agree).
    pub ksn: Option<String>,
    /// The vendor's `TR31KeyType` to load the key as (B0 = index digit ‖ type code); `None` sends
    /// the bare index, as the 2-argument `updateKeyByTR_31` does.
    pub key_type: Option<Tr31KeyType>,
    /// Overrides the configured method for this call.
    pub method: Option<LoadMethod>,
    /// Overrides the configured per-answer timeout.
    pub timeout: Option<Duration>,
}
