//! `KeyLoader::send_tr31_key`: the Dspread `pos.sendTR31Key(block)` flow with certainty about
//! the result. Validate the block against a [`LoadPolicy`] before anything is sent, send it
//! (direct CMD 0x10/0xF5 or the chunked 0x40 path), await the reader's verdict, read the slot's
//! KCV and compare it with the block's `KC` optional block or the caller's expected KCV.
//!
//! Everything is BLOCKING: a key load is a short sequential exchange over a blocking byte stream.
//! Bindings run calls on a worker thread (e.g. tokio `spawn_blocking`) and cancel through a
//! [`CancelHandle`] when, say, a Kotlin coroutine is cancelled.
//!
//! A key load whose answer was lost is never re-sent blindly: the loader first reads the slot's
//! KCV. If it shows the key, that is success; if it shows another key or none, the load is sent
//! again (within `max_retries`); if the KCV cannot be read or no KCV of the key is known, the
//! result is [`LoadError::Indeterminate`], never success.

use std::time::{Duration, Instant};

pub use crate::device::command::DeviceInfo;
use crate::device::command::{
    self, DEVICE_INFO, GET_KCV, LOAD_TR31, LOAD_TR31_KSN, ReaderStatus, SLOTS, TR31_CHUNK, TR31_CHUNK_END,
};
pub use crate::device::session::CancelHandle;
use crate::device::session::{Session, SessionConfig, SessionError};
use crate::device::transport::{SerialConfig, SerialTransport, TcpTransport, Transport, TransportError};
use crate::kcv::{KcvMethod, kcv_matches};
use crate::tr31::{self, KeyBlock, KeyUsage, KnownBlockId, Profile, Tr31Error, Version};

/// The KBPK Dspread readers ship with. A block wrapped under it is readable by anyone.
pub const FACTORY_KBPK: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
];

/// What the loader accepts before sending anything.
///
/// The default allows what reader firmware documents: versions A, B and D, usages K0, B1, D0 and
/// P0. Parsing uses `profile`, which is [`Profile::STRICT`] and so refuses weak wrapping: version
/// A (deprecated variant binding) and AES keys under a TDES KBPK are refused unless the caller
/// opts in with [`LoadPolicy::allow_weak_wrapping`]. Version A is therefore allowed by the
/// version list (the firmware takes it) but needs that explicit opt-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPolicy {
    pub allowed_versions: Vec<Version>,
    pub allowed_usages: Vec<KeyUsage>,
    pub profile: Profile,
}

impl Default for LoadPolicy {
    fn default() -> Self {
        Self {
            allowed_versions: vec![Version::A, Version::B, Version::D],
            allowed_usages: vec![KeyUsage::K0, KeyUsage::B1, KeyUsage::D0, KeyUsage::P0],
            profile: Profile::STRICT,
        }
    }
}

impl LoadPolicy {
    /// The default lists with the lenient import profile (blocks as real HSMs emit them).
    pub fn lenient() -> Self {
        Self {
            profile: Profile::LENIENT,
            ..Self::default()
        }
    }

    /// The same policy with weak wrapping (version A, AES under TDES) accepted.
    pub fn allow_weak_wrapping(mut self) -> Self {
        self.profile = self.profile.with_weak_wrapping();
        self
    }
}

/// How the block travels to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadMethod {
    /// CMD 0x10 SUB 0xF5 (0x11/0x60 with a KSN): key index, length and the ASCII block.
    #[default]
    Direct,
    /// 64-byte chunks on CMD 0x40 SUB 0x20, closed by 0x40/0x21. Carries no key index: slot 0.
    Chunked,
}

/// Settings of a [`KeyLoader`].
#[derive(Debug, Clone)]
pub struct LoaderConfig {
    pub policy: LoadPolicy,
    /// How long to wait for each answer from the reader.
    pub command_timeout: Duration,
    /// Retries after a lost or corrupted answer.
    pub max_retries: u32,
    /// Largest frame the reader takes (1024; some firmware 4096).
    pub max_frame_len: usize,
    pub method: LoadMethod,
    /// Pause between polls while the reader is busy.
    pub poll_interval: Duration,
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

/// Per-call options of [`KeyLoader::send_tr31_key_with`].
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    /// Key index; `None` is 0. Outside 0–9: [`LoadError::InvalidArgument`], nothing sent.
    pub slot: Option<u8>,
    /// The key's legacy KCV (ECB of zeros, as readers compute it), compared on the common prefix.
    pub expected_kcv: Option<Vec<u8>>,
    /// KSN of a B1 key that has no `KS` block (sent with CMD 0x11 SUB 0x60).
    pub ksn: Option<String>,
    /// Overrides the configured per-answer timeout.
    pub timeout: Option<Duration>,
}

/// What a successful load established.
#[derive(Debug, Clone)]
pub struct KeyLoadOutcome {
    pub slot: u8,
    pub version: Version,
    pub key_usage: KeyUsage,
    pub algorithm: tr31::Algorithm,
    /// The KCV the reader reports for the slot (empty if the reader cannot report one).
    pub reader_kcv: Vec<u8>,
    pub kcv_check: KcvCheck,
    pub warnings: Vec<LoadWarning>,
    pub elapsed: Duration,
}

/// Which KCV the reader's was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcvCheck {
    /// The block's `KC` optional block (legacy method).
    MatchedKeyBlock,
    /// [`LoadRequest::expected_kcv`].
    MatchedExpected,
    /// Nothing to compare with (see the warnings).
    NotChecked,
}

/// Things the caller should know although the load may go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadWarning {
    #[error("the block is wrapped under the factory KBPK 0123…3210: anyone can unwrap it")]
    FactoryKbpk,
    #[error("weak wrapping (version A or an AES key under a TDES KBPK) was accepted by opt-in")]
    WeakWrapping,
    #[error("the KC block uses the CMAC method; readers report a legacy KCV, so it cannot be compared")]
    KeyBlockKcvNotLegacy,
    #[error("no KCV to compare with: give an expected KCV or put a KC block in the key block")]
    NoKcvToCompare,
    #[error("the reader does not report KCVs, so the loaded key could not be verified")]
    ReaderKcvUnavailable,
}

/// Why a load (or query) failed. No variant means the key was loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("invalid key block: {0}")]
    InvalidBlock(Tr31Error),
    #[error("refused by the load policy: {reason}")]
    Refused { reason: String },
    #[error("invalid argument: {reason}")]
    InvalidArgument { reason: String },
    #[error("KCV mismatch: expected {expected}, the reader reports {reader}")]
    KcvMismatch { expected: String, reader: String },
    #[error("{0}")]
    Reader(ReaderStatus),
    #[error("no complete answer from the reader within the timeout")]
    Timeout,
    #[error("the reader did not answer")]
    NoResponse,
    /// The connection dropped (possibly mid-frame). After a drop during a load the reader may
    /// hold the key: reconnect and read the slot's KCV.
    #[error("the connection to the reader was lost")]
    Disconnected,
    #[error("undecodable answers from the reader: {0}")]
    Protocol(String),
    #[error("cancelled")]
    Cancelled,
    #[error("the reader may or may not hold the key: {reason}")]
    Indeterminate { reason: String },
    #[error("{0}")]
    Transport(TransportError),
}

impl From<SessionError> for LoadError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Reader(status) => Self::Reader(status),
            SessionError::Timeout => Self::Timeout,
            SessionError::NoResponse => Self::NoResponse,
            SessionError::Disconnected { .. } => Self::Disconnected,
            SessionError::Protocol(e) => Self::Protocol(e.to_string()),
            SessionError::Cancelled => Self::Cancelled,
            SessionError::Transport(e) => Self::Transport(e),
        }
    }
}

impl LoadError {
    /// The Dspread `QPOSService.Error` name closest to this error, for drop-in bindings.
    pub fn dspread_error_name(&self) -> &'static str {
        match self {
            Self::InvalidBlock(_) | Self::Refused { .. } | Self::InvalidArgument { .. } => "INPUT_INVALID",
            Self::Reader(status) => match status {
                ReaderStatus::Busy => "DEVICE_BUSY",
                ReaderStatus::Timeout => "CMD_TIMEOUT",
                ReaderStatus::NotSupported => "CMD_NOT_AVAILABLE",
                ReaderStatus::MacError => "MAC_ERROR",
                ReaderStatus::InvalidInput | ReaderStatus::UsageNotAllowed | ReaderStatus::VersionNotAllowed => {
                    "INPUT_INVALID"
                }
                ReaderStatus::DeviceError => "DEVICE_RESET",
                _ => "UNKNOWN",
            },
            Self::Timeout => "TIMEOUT",
            Self::NoResponse => "NO_RESPONSE",
            Self::Disconnected => "DEVICE_RESET",
            Self::Protocol(_) => "CRC_ERROR",
            Self::Transport(_) => "COMM_ERROR",
            Self::KcvMismatch { .. } | Self::Cancelled | Self::Indeterminate { .. } => "UNKNOWN",
        }
    }
}

/// A validated block and what the loader learned about it.
struct Checked {
    block: KeyBlock,
    warnings: Vec<LoadWarning>,
    /// The `KC` block's legacy KCV, if present.
    kc: Option<Vec<u8>>,
}

/// Loads TR-31 key blocks into one reader. `Send`; one call at a time.
pub struct KeyLoader {
    session: Session,
    config: LoaderConfig,
}

impl KeyLoader {
    pub fn new(transport: Box<dyn Transport>, config: LoaderConfig) -> Self {
        let session = Session::new(
            transport,
            SessionConfig {
                command_timeout: config.command_timeout,
                max_retries: config.max_retries,
                max_frame_len: config.max_frame_len,
                poll_interval: config.poll_interval,
            },
        );
        Self { session, config }
    }

    /// Opens a serial port (USB CDC-ACM, UART, a pty).
    pub fn open_serial(path: &str, serial: &SerialConfig, config: LoaderConfig) -> Result<Self, LoadError> {
        let transport = SerialTransport::open(path, serial).map_err(LoadError::Transport)?;
        Ok(Self::new(Box::new(transport), config))
    }

    /// Connects over TCP (`host:port`), waiting at most the command timeout.
    pub fn open_tcp(addr: &str, config: LoaderConfig) -> Result<Self, LoadError> {
        let transport = TcpTransport::connect(addr, config.command_timeout).map_err(LoadError::Transport)?;
        Ok(Self::new(Box::new(transport), config))
    }

    /// A handle another thread uses to cancel the call in progress (and later calls until
    /// [`CancelHandle::reset`]).
    pub fn cancel_handle(&self) -> CancelHandle {
        self.session.cancel_handle()
    }

    pub fn device_info(&mut self) -> Result<DeviceInfo, LoadError> {
        let body = self.session.request(DEVICE_INFO, Vec::new(), None)?;
        DeviceInfo::parse(&body.data).map_err(LoadError::Protocol)
    }

    /// Validates against the policy, sends to slot 0 with the configured method, awaits the
    /// verdict, compares KCVs. Same as `send_tr31_key_with(block, &LoadRequest::default())`.
    pub fn send_tr31_key(&mut self, block: &str) -> Result<KeyLoadOutcome, LoadError> {
        self.send_tr31_key_with(block, &LoadRequest::default())
    }

    pub fn send_tr31_key_with(&mut self, block: &str, request: &LoadRequest) -> Result<KeyLoadOutcome, LoadError> {
        let start = Instant::now();
        let slot = self.check_request(block, request)?;
        let Checked {
            block: parsed,
            mut warnings,
            kc,
        } = self.checked(block)?;
        let header = parsed.header();
        let ksn = request.ksn.as_deref();
        if header.key_usage == KeyUsage::B1 && ksn.is_none() && header.optional_block(KnownBlockId::KeySetId).is_none()
        {
            return Err(refused(
                "a B1 (DUKPT initial) key needs its KSN: in a KS optional block, as reader firmware takes it, or in LoadRequest::ksn",
            ));
        }
        if ksn.is_some() && header.key_usage != KeyUsage::B1 {
            return Err(invalid("a KSN goes only with a B1 (DUKPT initial) key"));
        }
        let expected: Vec<&[u8]> = kc
            .iter()
            .chain(request.expected_kcv.iter())
            .map(Vec::as_slice)
            .collect();
        self.load_until_known(block, slot, ksn, request.timeout, &expected)?;

        let reader_kcv = match self.session.request(GET_KCV, vec![slot], request.timeout) {
            Ok(body) => body.data,
            Err(SessionError::Reader(ReaderStatus::NotSupported)) => {
                warnings.push(LoadWarning::ReaderKcvUnavailable);
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        let mut kcv_check = KcvCheck::NotChecked;
        for (expected, check) in [
            (kc.as_deref(), KcvCheck::MatchedKeyBlock),
            (request.expected_kcv.as_deref(), KcvCheck::MatchedExpected),
        ] {
            let Some(expected) = expected else { continue };
            if !kcv_matches(expected, &reader_kcv) {
                return Err(LoadError::KcvMismatch {
                    expected: hex::encode_upper(expected),
                    reader: hex::encode_upper(&reader_kcv),
                });
            }
            if kcv_check == KcvCheck::NotChecked {
                kcv_check = check;
            }
        }
        if kcv_check == KcvCheck::NotChecked && !warnings.contains(&LoadWarning::ReaderKcvUnavailable) {
            warnings.push(LoadWarning::NoKcvToCompare);
        }
        Ok(KeyLoadOutcome {
            slot,
            version: header.version,
            key_usage: header.key_usage,
            algorithm: header.algorithm,
            reader_kcv,
            kcv_check,
            warnings,
            elapsed: start.elapsed(),
        })
    }

    /// Parse + policy check only, nothing sent: the warnings, or the refusal.
    pub fn check(&self, block: &str) -> Result<Vec<LoadWarning>, LoadError> {
        self.checked(block).map(|c| c.warnings)
    }

    /// The reader's KCV of a slot (first 3 bytes of ECB of zeros).
    pub fn key_check_value(&mut self, slot: u8) -> Result<Vec<u8>, LoadError> {
        check_slot(slot)?;
        Ok(self.session.request(GET_KCV, vec![slot], None)?.data)
    }

    pub fn close(&mut self) {
        self.session.close();
    }

    /// Argument checks that need no parsing; returns the slot.
    fn check_request(&self, block: &str, request: &LoadRequest) -> Result<u8, LoadError> {
        let slot = request.slot.unwrap_or(0);
        check_slot(slot)?;
        if request.expected_kcv.as_ref().is_some_and(Vec::is_empty) {
            return Err(invalid("the expected KCV is empty"));
        }
        if let Some(ksn) = &request.ksn
            && (ksn.is_empty() || ksn.len() > 40 || !ksn.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(invalid("the KSN must be 1–40 hex digits"));
        }
        match self.config.method {
            LoadMethod::Chunked if slot != 0 => Err(invalid(
                "the chunked method carries no key index; it loads slot 0 only (use the direct method)",
            )),
            LoadMethod::Chunked if request.ksn.is_some() => Err(invalid("the chunked method cannot carry a KSN")),
            LoadMethod::Direct
                if 16 + block.len() + request.ksn.as_ref().map_or(0, |k| k.len() + 1) > self.config.max_frame_len =>
            {
                Err(invalid(&format!(
                    "a key block of {} characters does not fit a {}-byte frame: use the chunked method or a larger max_frame_len",
                    block.len(),
                    self.config.max_frame_len
                )))
            }
            _ => Ok(slot),
        }
    }

    fn checked(&self, text: &str) -> Result<Checked, LoadError> {
        let policy = &self.config.policy;
        let block = KeyBlock::parse(text, &policy.profile).map_err(|e| match e {
            Tr31Error::WeakWrapping { reason } => refused(&format!(
                "weak wrapping: {reason}; opt in with LoadPolicy::allow_weak_wrapping"
            )),
            other => LoadError::InvalidBlock(other),
        })?;
        let header = block.header();
        if !policy.allowed_versions.contains(&header.version) {
            return Err(refused(&format!(
                "version {} is not allowed (allowed: {})",
                header.version,
                list(&policy.allowed_versions)
            )));
        }
        if !policy.allowed_usages.contains(&header.key_usage) {
            return Err(refused(&format!(
                "key usage {} ({}) is not allowed (allowed: {})",
                header.key_usage,
                header.key_usage.meaning(),
                list(&policy.allowed_usages)
            )));
        }
        let mut warnings = Vec::new();
        if policy.profile.allow_weak_wrapping
            && (header.version == Version::A
                || (header.algorithm == tr31::Algorithm::Aes
                    && header.version.kbpk_family() != crate::crypto::CipherFamily::Aes))
        {
            warnings.push(LoadWarning::WeakWrapping);
        }
        // The MAC verifies under the factory KBPK only if that is the wrapping key. The clear key
        // is dropped (zeroized) at once; only the fact is kept.
        if block.unwrap(&FACTORY_KBPK).is_ok() {
            warnings.push(LoadWarning::FactoryKbpk);
        }
        let kc = match header
            .optional_block(KnownBlockId::KeyCheckValue)
            .and_then(tr31::optional::check_value)
        {
            Some((KcvMethod::Legacy, value)) => Some(value),
            Some((KcvMethod::Cmac, _)) => {
                warnings.push(LoadWarning::KeyBlockKcvNotLegacy);
                None
            }
            None => None,
        };
        Ok(Checked { block, warnings, kc })
    }

    /// Sends the load until the reader has certainly taken it. After an answer that was lost,
    /// the slot's KCV decides: the key is there (done), it is not (send again, within the retry
    /// budget), or nobody can tell (`Indeterminate`).
    fn load_until_known(
        &mut self,
        block: &str,
        slot: u8,
        ksn: Option<&str>,
        timeout: Option<Duration>,
        expected: &[&[u8]],
    ) -> Result<(), LoadError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.send_load(block, slot, ksn, timeout) {
                Ok(()) => return Ok(()),
                Err(e) if e.outcome_unknown() => e,
                Err(e) => return Err(e.into()),
            };
            if expected.is_empty() {
                return Err(LoadError::Indeterminate {
                    reason: format!(
                        "{error} after the load was sent, and no KCV of the key is known (no KC block, no expected KCV) to check slot {slot} with"
                    ),
                });
            }
            match self.session.request(GET_KCV, vec![slot], timeout) {
                Ok(body) if expected.iter().all(|e| kcv_matches(e, &body.data)) => return Ok(()),
                Ok(_) | Err(SessionError::Reader(ReaderStatus::KeyNotFound)) if attempt <= self.config.max_retries => {}
                Ok(_) | Err(SessionError::Reader(ReaderStatus::KeyNotFound)) => return Err(error.into()),
                Err(SessionError::Cancelled) => return Err(LoadError::Cancelled),
                Err(kcv_error) => {
                    return Err(LoadError::Indeterminate {
                        reason: format!(
                            "{error} after the load was sent, and reading slot {slot}'s KCV failed: {kcv_error}"
                        ),
                    });
                }
            }
        }
    }

    fn send_load(
        &mut self,
        block: &str,
        slot: u8,
        ksn: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<(), SessionError> {
        match (self.config.method, ksn) {
            (LoadMethod::Direct, None) => {
                self.session
                    .request(LOAD_TR31, command::load_tr31_data(slot, block), timeout)?;
            }
            (LoadMethod::Direct, Some(ksn)) => {
                self.session
                    .request(LOAD_TR31_KSN, command::load_tr31_ksn_data(slot, ksn, block), timeout)?;
            }
            (LoadMethod::Chunked, _) => {
                for chunk in command::chunk_data(block) {
                    self.session.request(TR31_CHUNK, chunk, timeout)?;
                }
                self.session.request(TR31_CHUNK_END, Vec::new(), timeout)?;
            }
        }
        Ok(())
    }
}

fn check_slot(slot: u8) -> Result<(), LoadError> {
    if SLOTS.contains(&slot) {
        Ok(())
    } else {
        Err(invalid(&format!(
            "key index {slot} is outside {}–{}",
            SLOTS.start(),
            SLOTS.end()
        )))
    }
}

fn refused(reason: &str) -> LoadError {
    LoadError::Refused { reason: reason.into() }
}

fn invalid(reason: &str) -> LoadError {
    LoadError::InvalidArgument { reason: reason.into() }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::transport::memory_pair;
    use crate::tr31::{Algorithm, Exportability, Header, ModeOfUse, OptionalBlock, WrapOptions, wrap};

    fn block(version: Version, usage: KeyUsage, kbpk: &[u8], extra: &[OptionalBlock]) -> String {
        let (algorithm, key) = match version {
            Version::D => (Algorithm::Aes, vec![0x11; 16]),
            _ => (Algorithm::Tdes, vec![0x22; 16]),
        };
        let mode = match usage {
            KeyUsage::B1 => ModeOfUse::DeriveKeys,
            KeyUsage::P0 => ModeOfUse::EncryptOnly,
            KeyUsage::M6 => ModeOfUse::GenerateAndVerify,
            _ => ModeOfUse::Both,
        };
        let mut header = Header::new(version, usage, algorithm, mode, Exportability::NonExportable);
        header.optional_blocks = extra.to_vec();
        let options = WrapOptions {
            allow_weak_wrapping: true,
            ..WrapOptions::default()
        };
        wrap(kbpk, &header, &key, &options).unwrap()
    }

    /// A loader whose reader end is returned so tests can see that nothing was sent.
    fn loader(config: LoaderConfig) -> (KeyLoader, crate::device::transport::MemoryTransport) {
        let (host, reader) = memory_pair();
        (KeyLoader::new(Box::new(host), config), reader)
    }

    fn nothing_sent(reader: &mut crate::device::transport::MemoryTransport) -> bool {
        let mut buf = [0u8; 8];
        reader.read(&mut buf, Duration::from_millis(5)) == Err(TransportError::TimedOut)
    }

    #[test]
    fn policy_refusals_name_the_rule_and_send_nothing() {
        let (mut l, mut reader) = loader(LoaderConfig::default());
        let kek = [0x5A; 32];
        let m6 = block(Version::D, KeyUsage::M6, &kek, &[]);
        let err = l.send_tr31_key(&m6).unwrap_err();
        assert!(err.to_string().contains("key usage M6"), "{err}");
        let a = block(Version::A, KeyUsage::P0, &kek[..16], &[]);
        let err = l.send_tr31_key(&a).unwrap_err();
        assert!(
            matches!(&err, LoadError::Refused { reason } if reason.contains("weak wrapping")),
            "{err}"
        );
        let b1 = block(Version::B, KeyUsage::B1, &kek[..16], &[]);
        let err = l.send_tr31_key(&b1).unwrap_err();
        assert!(err.to_string().contains("KSN"), "{err}");
        let err = l.send_tr31_key("D0016P0AE00N0000").unwrap_err();
        assert!(matches!(err, LoadError::InvalidBlock(_)), "{err}");
        assert_eq!(err.dspread_error_name(), "INPUT_INVALID");
        assert!(nothing_sent(&mut reader));
    }

    #[test]
    fn weak_wrapping_needs_the_opt_in() {
        let config = LoaderConfig {
            policy: LoadPolicy::default().allow_weak_wrapping(),
            ..LoaderConfig::default()
        };
        let (l, _reader) = loader(config);
        let a = block(Version::A, KeyUsage::P0, &[0x5A; 16], &[]);
        assert_eq!(l.check(&a).unwrap(), vec![LoadWarning::WeakWrapping]);
    }

    #[test]
    fn factory_kbpk_is_detected() {
        let (l, _reader) = loader(LoaderConfig::default());
        let factory = block(Version::B, KeyUsage::P0, &FACTORY_KBPK, &[]);
        assert_eq!(l.check(&factory).unwrap(), vec![LoadWarning::FactoryKbpk]);
        let other = block(Version::B, KeyUsage::P0, &[0x33; 16], &[]);
        assert_eq!(l.check(&other).unwrap(), vec![]);
    }

    #[test]
    fn bad_arguments_send_nothing() {
        let (mut l, mut reader) = loader(LoaderConfig::default());
        let good = block(Version::D, KeyUsage::P0, &[0x5A; 32], &[]);
        for request in [
            LoadRequest {
                slot: Some(10),
                ..LoadRequest::default()
            },
            LoadRequest {
                expected_kcv: Some(vec![]),
                ..LoadRequest::default()
            },
            LoadRequest {
                ksn: Some("12".into()),
                ..LoadRequest::default()
            },
        ] {
            let err = l.send_tr31_key_with(&good, &request).unwrap_err();
            assert!(matches!(err, LoadError::InvalidArgument { .. }), "{err}");
        }
        let (mut chunked, mut reader2) = loader(LoaderConfig {
            method: LoadMethod::Chunked,
            ..LoaderConfig::default()
        });
        let err = chunked
            .send_tr31_key_with(
                &good,
                &LoadRequest {
                    slot: Some(3),
                    ..LoadRequest::default()
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("slot 0"), "{err}");
        assert!(nothing_sent(&mut reader) && nothing_sent(&mut reader2));
    }
}
