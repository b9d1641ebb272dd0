//! `KeyLoader::send_tr31_key`: the Dspread `pos.sendTR31Key(block)` flow with certainty about
//! the result. Validate the block against a [`LoadPolicy`] before anything is sent, send it
//! (direct CMD 0x10/0xF5 or the chunked 0x40 path), await the reader's verdict, read the slot's
//! KCV and compare it with the block's `KC` optional block or the caller's expected KCV.
//!
//! Everything is BLOCKING: a key load is a short sequential exchange over a blocking byte stream.
//! Bindings run calls on a worker thread (e.g. tokio `spawn_blocking`) and cancel through a
//! [`CancelHandle`] when, say, a Kotlin coroutine is cancelled.
//!
//! A key reported loaded is a key the reader holds: that is the one promise here.
//! * Only an answer that names the load command counts as the reader's verdict (see
//!   [`Session::request`]); a bare OK, a "continue" or an answer to another command does not.
//! * A key load whose answer was lost or garbled is never re-sent blindly: the loader reads the
//!   slot's KCV. If it shows the key, that is success; if it shows another key or none, the load is
//!   sent again (within `max_retries`); if the KCV cannot be read, no KCV of the key is known, or
//!   the connection dropped after the load was sent, the result is [`LoadError::Indeterminate`].
//! * After the reader's OK the slot's KCV is read and compared with every KCV known for the key
//!   (the block's `KC`, the caller's, AWS's or the key service's). Where none is known the outcome
//!   says so: [`KcvCheck::Unverified`] is "the reader accepted it", never "verified".
//! * KCVs are compared over at least [`MIN_KCV_LEN`] bytes; a shorter KCV from the reader is an
//!   error, not a match.

use std::time::{Duration, Instant};

use crate::device::command::{self, DEVICE_INFO, GET_KCV, LOAD_TR31, LOAD_TR31_KSN, SLOTS, TR31_CHUNK, TR31_CHUNK_END};
pub use crate::device::command::{DeviceInfo, ReaderStatus};
pub use crate::device::session::CancelHandle;
use crate::device::session::{Session, SessionConfig, SessionError};
#[cfg(feature = "serial")]
use crate::device::transport::{SerialConfig, SerialTransport};
use crate::device::transport::{TcpTransport, Transport, TransportError};
use crate::kcv::{KcvMethod, MIN_KCV_LEN, kcv_matches};
use crate::tr31::{self, KeyBlock, KeyUsage, KnownBlockId, Profile, Remedy, Tr31Error, Version};

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
    /// Retries after a lost or corrupted answer; at most [`LoaderConfig::MAX_RETRIES`].
    pub max_retries: u32,
    /// Largest frame the reader takes (1024; some firmware 4096).
    pub max_frame_len: usize,
    pub method: LoadMethod,
    /// Pause between polls while the reader is busy.
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

/// Per-call options of [`KeyLoader::send_tr31_key_with`].
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    /// Key index; `None` is 0. Outside 0–9: [`LoadError::InvalidArgument`], nothing sent.
    pub slot: Option<u8>,
    /// The key's legacy KCV (ECB of zeros, as readers compute it; at least 3 bytes), compared
    /// over the full length of the shorter of it and the reader's.
    pub expected_kcv: Option<Vec<u8>>,
    /// KSN of a B1 key that has no `KS` block (sent with CMD 0x11 SUB 0x60).
    pub ksn: Option<String>,
    /// Overrides the configured per-answer timeout.
    pub timeout: Option<Duration>,
}

/// What a load the reader accepted established. [`kcv_check`](Self::kcv_check) says whether
/// the reader's KCV proved it holds the key ([`is_verified`](Self::is_verified)) or only the
/// reader's word stands ([`KcvCheck::Unverified`]).
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

impl KeyLoadOutcome {
    /// Whether the reader's KCV matched a KCV known for the key: the reader holds this key.
    pub fn is_verified(&self) -> bool {
        self.kcv_check != KcvCheck::Unverified
    }
}

/// Which KCV the reader's was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcvCheck {
    /// Verified against the block's `KC` optional block (legacy method).
    MatchedKeyBlock,
    /// Verified against [`LoadRequest::expected_kcv`].
    MatchedExpected,
    /// NOT verified: the reader accepted the key (result 0x00) but no KCV of the key was known or
    /// the reader reports none (the warnings say which). As with the vendor SDK's `true`, this
    /// is the reader's word only.
    Unverified,
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
    /// The block breaks an X9.143 rule the lenient profile accepts.
    #[error("{0}")]
    KeyBlock(tr31::Tr31Warning),
}

/// Why a load (or query) failed. No variant means the key was loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    #[error("invalid key block: {0}")]
    InvalidBlock(Tr31Error),
    /// `remedy` says what would accept the block anyway, where an opt-in exists.
    #[error("refused by the load policy: {reason}")]
    Refused { reason: String, remedy: Option<Remedy> },
    #[error("invalid argument: {reason}")]
    InvalidArgument { reason: String },
    #[error("KCV mismatch: expected {expected}, the reader reports {reader}")]
    KcvMismatch { expected: String, reader: String },
    /// The reader reported a KCV too short to tell keys apart.
    #[error("the reader reported a KCV of {length} bytes; at least 3 are needed to compare")]
    ShortReaderKcv { length: usize },
    #[error("{0}")]
    Reader(ReaderStatus),
    #[error("no complete answer from the reader within the timeout")]
    Timeout,
    #[error("the reader did not answer")]
    NoResponse,
    /// The connection dropped before any key load was sent. (A drop after a load was sent is
    /// [`LoadError::Indeterminate`].)
    #[error("the connection to the reader was lost")]
    Disconnected,
    #[error("undecodable answers from the reader: {0}")]
    Protocol(String),
    /// Cancelled through a [`CancelHandle`]. If the load had already been sent, the reader may
    /// hold the key: read the slot's KCV.
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
            unexpected @ SessionError::UnexpectedReply { .. } => Self::Protocol(unexpected.to_string()),
            SessionError::Cancelled => Self::Cancelled,
            SessionError::Transport(e) => Self::Transport(e),
        }
    }
}

impl LoadError {
    /// What would accept a refused block anyway, where an opt-in exists.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::InvalidBlock(e) => e.remedy(),
            Self::Refused { remedy, .. } => *remedy,
            _ => None,
        }
    }

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
            Self::KcvMismatch { .. } | Self::ShortReaderKcv { .. } | Self::Cancelled | Self::Indeterminate { .. } => {
                "UNKNOWN"
            }
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
                max_retries: config.max_retries.min(LoaderConfig::MAX_RETRIES),
                max_frame_len: config.max_frame_len,
                poll_interval: config.poll_interval,
            },
        );
        Self { session, config }
    }

    /// Opens a serial port (USB CDC-ACM, UART, a pty).
    #[cfg(feature = "serial")]
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
        let known: Vec<KnownKcv> = kc
            .map(|value| (value, KcvCheck::MatchedKeyBlock))
            .into_iter()
            .chain(
                request
                    .expected_kcv
                    .clone()
                    .map(|value| (value, KcvCheck::MatchedExpected)),
            )
            .collect();
        let reader_kcv = match self.load_until_known(block, slot, ksn, request.timeout, &known)? {
            Confirmed::ByKcv(kcv) => Some(kcv),
            Confirmed::ByReader => self.kcv_after_load(slot, request.timeout)?,
        };
        let (reader_kcv, kcv_check) = match reader_kcv {
            Some(kcv) => {
                let check = compare_kcvs(&kcv, &known)?;
                (kcv, check)
            }
            None => {
                warnings.push(LoadWarning::ReaderKcvUnavailable);
                (Vec::new(), KcvCheck::Unverified)
            }
        };
        if kcv_check == KcvCheck::Unverified && !warnings.contains(&LoadWarning::ReaderKcvUnavailable) {
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
        if let Some(expected) = &request.expected_kcv
            && expected.len() < MIN_KCV_LEN
        {
            return Err(invalid(&format!(
                "the expected KCV is {} bytes; at least {MIN_KCV_LEN} are needed to tell keys apart",
                expected.len()
            )));
        }
        if let Some(ksn) = &request.ksn
            && (ksn.is_empty() || ksn.len() > 40 || !ksn.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(invalid("the KSN must be 1–40 hex digits"));
        }
        match self.config.method {
            LoadMethod::Chunked if slot != 0 => Err(invalid(
                "the chunked method carries no key index, so it loads slot 0 only",
            )),
            LoadMethod::Chunked if request.ksn.is_some() => Err(invalid("the chunked method cannot carry a KSN")),
            LoadMethod::Direct
                if 16 + block.len() + request.ksn.as_ref().map_or(0, |k| k.len() + 1) > self.config.max_frame_len =>
            {
                Err(invalid(&format!(
                    "a key block of {} characters does not fit a {}-byte frame; send it chunked (in 64-byte parts)",
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
            Tr31Error::WeakWrapping { reason } => LoadError::Refused {
                reason: format!("weak wrapping: {reason}"),
                remedy: Some(Remedy::AllowWeakWrapping),
            },
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
        let mut warnings: Vec<LoadWarning> = block.warnings().iter().cloned().map(LoadWarning::KeyBlock).collect();
        if tr31::weak_wrapping(header).is_some() {
            warnings.push(LoadWarning::WeakWrapping);
        }
        // The MAC verifies under the factory KBPK only if that is the wrapping key. The clear key
        // is dropped (zeroized) at once; only the fact is kept.
        if block.unwrap(&FACTORY_KBPK).is_ok() {
            warnings.push(LoadWarning::FactoryKbpk);
        }
        let kc = match header
            .optional_block(KnownBlockId::KeyCheckValue)
            .map(tr31::optional::check_value)
            .transpose()
            .map_err(LoadError::InvalidBlock)?
        {
            Some((KcvMethod::Legacy, value)) if value.len() < MIN_KCV_LEN => {
                return Err(refused(&format!(
                    "the KC block's KCV is {} bytes; at least {MIN_KCV_LEN} are needed to verify the load",
                    value.len()
                )));
            }
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
    /// garbled or did not name the load, the slot's KCV decides: the key is there (done), it is
    /// not (send again, within the retry budget), or nobody can tell (`Indeterminate`).
    fn load_until_known(
        &mut self,
        block: &str,
        slot: u8,
        ksn: Option<&str>,
        timeout: Option<Duration>,
        known: &[KnownKcv],
    ) -> Result<Confirmed, LoadError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.send_load(block, slot, ksn, timeout)? {
                None => return Ok(Confirmed::ByReader),
                Some(error) => error,
            };
            let unknown = |why: String| LoadError::Indeterminate {
                reason: format!("{error} after the load was sent, and {why}"),
            };
            match error {
                SessionError::Cancelled => return Err(LoadError::Cancelled),
                SessionError::Disconnected { .. } => return Err(unknown(format!("slot {slot}'s KCV cannot be read"))),
                _ if known.is_empty() => {
                    return Err(unknown(format!(
                        "no KCV of the key is known (no KC block, no expected KCV) to check slot {slot} with"
                    )));
                }
                _ => {}
            }
            match self.session.request(GET_KCV, vec![slot], timeout) {
                Ok(body) => match compare_kcvs(&body.data, known) {
                    Ok(_) => return Ok(Confirmed::ByKcv(body.data)),
                    Err(short @ LoadError::ShortReaderKcv { .. }) => return Err(unknown(short.to_string())),
                    // Another key: the reader certainly does not hold this one, so sending it
                    // again is safe.
                    Err(_) => {}
                },
                Err(SessionError::Reader(ReaderStatus::KeyNotFound)) => {}
                Err(SessionError::Cancelled) => return Err(LoadError::Cancelled),
                Err(kcv_error) => return Err(unknown(format!("reading slot {slot}'s KCV failed: {kcv_error}"))),
            }
            if attempt > self.session.config().max_retries {
                return Err(error.into());
            }
        }
    }

    /// The slot's KCV after the reader confirmed a load; `None` when the reader cannot report
    /// KCVs. A reader that confirmed the load but cannot be asked afterwards leaves the result
    /// open: it probably holds the key, and nobody can check.
    fn kcv_after_load(&mut self, slot: u8, timeout: Option<Duration>) -> Result<Option<Vec<u8>>, LoadError> {
        match self.session.request(GET_KCV, vec![slot], timeout) {
            Ok(body) => Ok(Some(body.data)),
            Err(SessionError::Reader(ReaderStatus::NotSupported)) => Ok(None),
            Err(e @ (SessionError::Reader(_) | SessionError::Cancelled)) => Err(e.into()),
            Err(e) => Err(LoadError::Indeterminate {
                reason: format!("the reader confirmed the load, but reading slot {slot}'s KCV failed: {e}"),
            }),
        }
    }

    /// Sends the load. `Ok(None)`: the reader confirmed it. `Ok(Some(e))`: the load went out but
    /// its outcome is unknown (`e` says why). `Err`: the reader certainly did not take the key
    /// (it refused, or the failure came before anything that changes keys was sent).
    fn send_load(
        &mut self,
        block: &str,
        slot: u8,
        ksn: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<Option<SessionError>, LoadError> {
        let (code, data) = match (self.config.method, ksn) {
            (LoadMethod::Direct, None) => (LOAD_TR31, command::load_tr31_data(slot, block)),
            (LoadMethod::Direct, Some(ksn)) => (LOAD_TR31_KSN, command::load_tr31_ksn_data(slot, ksn, block)),
            (LoadMethod::Chunked, _) => {
                // Chunks only fill the reader's buffer; any failure here leaves its keys alone.
                for chunk in command::chunk_data(block) {
                    self.session.request(TR31_CHUNK, chunk, timeout)?;
                }
                (TR31_CHUNK_END, Vec::new())
            }
        };
        match self.session.request(code, data, timeout) {
            Ok(_) => Ok(None),
            Err(e)
                if e.outcome_unknown() || matches!(e, SessionError::Disconnected { .. } | SessionError::Cancelled) =>
            {
                Ok(Some(e))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// A KCV known for the key being loaded, and the check it stands for.
type KnownKcv = (Vec<u8>, KcvCheck);

/// How a load came to be known as done.
enum Confirmed {
    /// The reader answered the load with success.
    ByReader,
    /// The answer was lost, and the slot's KCV (this one) shows the key.
    ByKcv(Vec<u8>),
}

/// Compares the reader's KCV with every KCV known for the key; any mismatch is an error, and a
/// reader KCV shorter than [`MIN_KCV_LEN`] is one too.
fn compare_kcvs(reader: &[u8], known: &[KnownKcv]) -> Result<KcvCheck, LoadError> {
    if reader.len() < MIN_KCV_LEN {
        return Err(LoadError::ShortReaderKcv { length: reader.len() });
    }
    for (wanted, _) in known {
        if !kcv_matches(wanted, reader) {
            return Err(LoadError::KcvMismatch {
                expected: hex::encode_upper(wanted),
                reader: hex::encode_upper(reader),
            });
        }
    }
    Ok(known.first().map_or(KcvCheck::Unverified, |(_, check)| *check))
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
    LoadError::Refused {
        reason: reason.into(),
        remedy: None,
    }
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

    fn legacy_kcv(algorithm: Algorithm, key: &[u8]) -> Vec<u8> {
        crate::kcv::kcv(key, algorithm.cipher_family().unwrap(), KcvMethod::Legacy).unwrap()
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
            matches!(&err, LoadError::Refused { reason, remedy: Some(Remedy::AllowWeakWrapping) } if reason.contains("weak wrapping")),
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

    /// A reader that loads but answers the KCV query "not supported" (0x35).
    #[test]
    fn a_reader_without_kcv_support_gives_a_warned_unverified_success() {
        use crate::device::command::{TYPE_OK, result};
        use crate::device::frame::{Frame, FrameCodec};
        let (host, mut reader) = memory_pair();
        let sim = std::thread::spawn(move || {
            let mut codec = FrameCodec::default();
            let mut buf = [0u8; 512];
            while let Ok(n) = reader.read(&mut buf, Duration::from_secs(2)) {
                codec.push(&buf[..n]);
                while let Some(Ok(frame)) = codec.next_frame() {
                    let body = frame.body.unwrap();
                    let answer = if (body.cmd, body.sub) == (GET_KCV.cmd, GET_KCV.sub) {
                        Frame::status(0x35)
                    } else {
                        Frame::new(TYPE_OK, body.cmd, body.sub, result::SUCCESS, vec![])
                    };
                    reader.write_all(&codec.encode(&answer).unwrap()).unwrap();
                }
            }
        });
        let mut l = KeyLoader::new(Box::new(host), LoaderConfig::default());
        let kc = OptionalBlock::new(
            "KC",
            &format!("00{}", hex::encode_upper(legacy_kcv(Algorithm::Tdes, &[0x22; 16]))),
        );
        let outcome = l
            .send_tr31_key(&block(Version::B, KeyUsage::P0, &[0x5A; 16], &[kc]))
            .unwrap();
        assert_eq!(outcome.kcv_check, KcvCheck::Unverified);
        assert!(!outcome.is_verified());
        assert_eq!(outcome.warnings, vec![LoadWarning::ReaderKcvUnavailable]);
        l.close();
        drop(l);
        sim.join().unwrap();
    }

    #[test]
    fn kcvs_compare_over_the_shorter_length_and_mismatch_is_an_error() {
        let kc = (vec![1, 2, 3, 4, 5], KcvCheck::MatchedKeyBlock);
        let expected = (vec![1, 2, 3], KcvCheck::MatchedExpected);
        assert_eq!(
            compare_kcvs(&[1, 2, 3], &[kc.clone(), expected.clone()]).unwrap(),
            KcvCheck::MatchedKeyBlock
        );
        assert_eq!(
            compare_kcvs(&[1, 2, 3, 4], &[expected]).unwrap(),
            KcvCheck::MatchedExpected
        );
        assert_eq!(compare_kcvs(&[1, 2, 3], &[]).unwrap(), KcvCheck::Unverified);
        let err = compare_kcvs(&[1, 2, 3], &[kc, (vec![9, 9, 9], KcvCheck::MatchedExpected)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "KCV mismatch: expected 090909, the reader reports 010203"
        );
    }

    /// A 1-byte KCV from the reader used to match any expected KCV that began with that byte.
    #[test]
    fn a_short_reader_kcv_is_an_error_never_a_match() {
        let known = [(vec![1, 2, 3], KcvCheck::MatchedExpected)];
        for reader in [&[][..], &[1], &[1, 2]] {
            assert!(matches!(
                compare_kcvs(reader, &known),
                Err(LoadError::ShortReaderKcv { length }) if length == reader.len()
            ));
            assert!(matches!(
                compare_kcvs(reader, &[]),
                Err(LoadError::ShortReaderKcv { .. })
            ));
        }
    }

    #[test]
    fn short_expected_kcvs_are_refused_before_anything_is_sent() {
        let (mut l, mut reader) = loader(LoaderConfig::default());
        let kek = [0x5A; 32];
        let request = LoadRequest {
            expected_kcv: Some(vec![0xAB]),
            ..LoadRequest::default()
        };
        let err = l
            .send_tr31_key_with(&block(Version::D, KeyUsage::P0, &kek, &[]), &request)
            .unwrap_err();
        assert!(matches!(err, LoadError::InvalidArgument { .. }), "{err}");
        let first_byte = &legacy_kcv(Algorithm::Aes, &[0x11; 16])[..1];
        let short_kc = OptionalBlock::new("KC", &format!("00{}", hex::encode_upper(first_byte)));
        let err = l
            .send_tr31_key(&block(Version::D, KeyUsage::P0, &kek, &[short_kc]))
            .unwrap_err();
        assert!(matches!(err, LoadError::Refused { .. }), "{err}");
        assert!(nothing_sent(&mut reader));
    }

    #[test]
    fn the_loader_can_move_to_a_worker_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<KeyLoader>();
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
