//! One error enum per domain. They are "flat" on the foreign side: each variant becomes a
//! subclass of a sealed Kotlin exception (a Swift `Error` case) whose message is the `Display`
//! text of the core error, which names the field and the character position and never contains
//! key material.

use keybridge::device::transport::TransportError;
use keybridge::loader::{LoadError, ReaderStatus};
use keybridge::tr31::Tr31Error;

/// Why a key block could not be parsed, unwrapped or wrapped.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum KeyBlockError {
    /// The text is not a well-formed key block (syntax, length, unknown field value, optional
    /// block encoding).
    #[error("{0}")]
    Malformed(Tr31Error),
    /// Well-formed, but the header breaks an X9.143 rule (usage × algorithm × mode of use).
    #[error("{0}")]
    RuleViolation(Tr31Error),
    /// Version A or an AES key under a TDES KBPK, refused without an explicit opt-in.
    #[error("{0}")]
    WeakWrapping(Tr31Error),
    /// The KBPK has the wrong length for the block's version.
    #[error("{0}")]
    BadKbpk(Tr31Error),
    /// The MAC did not verify: wrong KBPK or an altered block.
    #[error("{0}")]
    MacMismatch(Tr31Error),
    /// The authenticated payload does not hold a valid key (length, padding).
    #[error("{0}")]
    BadKey(Tr31Error),
    /// A KC or KP optional block does not match the key or the KBPK.
    #[error("{0}")]
    CheckValueMismatch(Tr31Error),
    /// An argument of the call itself is wrong (e.g. a key of the wrong length for a KCV).
    #[error("{reason}")]
    InvalidArgument { reason: String },
}

impl From<Tr31Error> for KeyBlockError {
    fn from(e: Tr31Error) -> Self {
        match e {
            Tr31Error::TooShort { .. }
            | Tr31Error::NonAscii { .. }
            | Tr31Error::BadCharacter { .. }
            | Tr31Error::UnknownValue { .. }
            | Tr31Error::LengthMismatch { .. }
            | Tr31Error::OptionalBlock { .. }
            | Tr31Error::OptionalBlocksNotAligned { .. }
            | Tr31Error::CheckValueUnreadable { .. }
            | Tr31Error::NotHex { .. }
            | Tr31Error::BadLength { .. } => Self::Malformed(e),
            Tr31Error::AlgorithmNotAllowed { .. }
            | Tr31Error::ModeNotAllowed { .. }
            | Tr31Error::Rule { .. }
            | Tr31Error::HmacWithoutHashBlock => Self::RuleViolation(e),
            Tr31Error::WeakWrapping { .. } => Self::WeakWrapping(e),
            Tr31Error::KbpkLength { .. } => Self::BadKbpk(e),
            Tr31Error::MacMismatch { .. } => Self::MacMismatch(e),
            Tr31Error::Payload { .. }
            | Tr31Error::UnobfuscatedKeyLength { .. }
            | Tr31Error::KeyLength { .. }
            | Tr31Error::AsymmetricKey { .. } => Self::BadKey(e),
            Tr31Error::CheckValueMismatch { .. } => Self::CheckValueMismatch(e),
        }
    }
}

/// Why a reader operation failed. Mirrors `keybridge::loader::LoadError`, plus the states of the
/// FFI object itself (closed, another call in progress). No variant means the key was loaded.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum ReaderError {
    /// The key block is malformed (names the field and position); nothing was sent.
    #[error("{0}")]
    InvalidBlock(LoadError),
    /// The load policy refused the block; nothing was sent.
    #[error("{0}")]
    Refused(LoadError),
    /// A bad argument (slot outside 0–9, bad KSN, …); nothing was sent.
    #[error("{0}")]
    InvalidArgument(LoadError),
    /// The reader holds a key whose KCV is not the expected one.
    #[error("{0}")]
    KcvMismatch(LoadError),
    /// The reader refused the key block: its MAC does not verify under the slot's KEK (the block
    /// was wrapped under another KEK, or altered). Nothing was stored.
    #[error("{0}")]
    MacMismatch(LoadError),
    /// The reader is busy with something else; try again later. (The wire has no such answer: the
    /// vendor SDK reports a reader that stays "still working" as NO_RESPONSE, and so does
    /// keybridge. Kept so that code matching on it keeps compiling.)
    #[error("{0}")]
    Busy(LoadError),
    /// The reader's firmware does not support the command (e.g. the chunked load).
    #[error("{0}")]
    NotSupported(LoadError),
    /// The reader answered with another failure status (usage or version not allowed, declined,
    /// device error, …); the message names it.
    #[error("{0}")]
    Rejected(LoadError),
    #[error("{0}")]
    Timeout(LoadError),
    #[error("{0}")]
    NoResponse(LoadError),
    /// The connection dropped; after a drop during a load, read the slot's KCV.
    #[error("{0}")]
    Disconnected(LoadError),
    #[error("{0}")]
    Protocol(LoadError),
    /// The call was cancelled (coroutine cancelled, `cancel()`, or the loader closed).
    #[error("{0}")]
    Cancelled(LoadError),
    /// The reader may or may not hold the key: never treat as success.
    #[error("{0}")]
    Indeterminate(LoadError),
    /// The byte transport failed (I/O error, connection refused).
    #[error("{0}")]
    Transport(LoadError),
    #[error("the key loader is closed")]
    Closed,
    /// One call at a time per reader: the previous one has not finished.
    #[error("another call is in progress on this key loader")]
    CallInProgress,
    /// A bug in keybridge (a panic was caught on a worker thread).
    #[error("internal error in keybridge: {reason}")]
    Internal { reason: String },
}

impl From<LoadError> for ReaderError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::InvalidBlock(_) => Self::InvalidBlock(e),
            LoadError::Refused { .. } => Self::Refused(e),
            LoadError::InvalidArgument { .. } => Self::InvalidArgument(e),
            LoadError::KcvMismatch { .. } | LoadError::KcvUncompared { .. } | LoadError::KsnMismatch { .. } => {
                Self::KcvMismatch(e)
            }
            LoadError::Reader(ReaderStatus::MacError) => Self::MacMismatch(e),
            LoadError::Reader(ReaderStatus::NotSupported) => Self::NotSupported(e),
            LoadError::Reader(ReaderStatus::Timeout) => Self::Timeout(e),
            LoadError::Reader(_) => Self::Rejected(e),
            LoadError::NoResponse => Self::NoResponse(e),
            LoadError::Disconnected => Self::Disconnected(e),
            LoadError::Protocol(_) | LoadError::ShortReaderKcv { .. } => Self::Protocol(e),
            LoadError::Cancelled => Self::Cancelled(e),
            LoadError::Indeterminate { .. } => Self::Indeterminate(e),
            LoadError::Transport(_) => Self::Transport(e),
        }
    }
}

/// Which [`ReaderError`] a failure reported as data ([`crate::LoadFailure`]) is: one value per
/// variant, so that code reading a failure from a record (a provisioned slot, a `*_report` call)
/// decides as it would on the exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LoadFailureKind {
    InvalidBlock,
    Refused,
    InvalidArgument,
    KcvMismatch,
    MacMismatch,
    Busy,
    NotSupported,
    Rejected,
    Timeout,
    NoResponse,
    Disconnected,
    Protocol,
    Cancelled,
    Indeterminate,
    Transport,
    Closed,
    CallInProgress,
    Internal,
}

impl ReaderError {
    pub fn kind(&self) -> LoadFailureKind {
        use LoadFailureKind as K;
        match self {
            Self::InvalidBlock(_) => K::InvalidBlock,
            Self::Refused(_) => K::Refused,
            Self::InvalidArgument(_) => K::InvalidArgument,
            Self::KcvMismatch(_) => K::KcvMismatch,
            Self::MacMismatch(_) => K::MacMismatch,
            Self::Busy(_) => K::Busy,
            Self::NotSupported(_) => K::NotSupported,
            Self::Rejected(_) => K::Rejected,
            Self::Timeout(_) => K::Timeout,
            Self::NoResponse(_) => K::NoResponse,
            Self::Disconnected(_) => K::Disconnected,
            Self::Protocol(_) => K::Protocol,
            Self::Cancelled(_) => K::Cancelled,
            Self::Indeterminate(_) => K::Indeterminate,
            Self::Transport(_) => K::Transport,
            Self::Closed => K::Closed,
            Self::CallInProgress => K::CallInProgress,
            Self::Internal { .. } => K::Internal,
        }
    }

    /// The Dspread `QPOSService.Error` name for this error (what `onError` reports).
    pub fn dspread_error_name(&self) -> &'static str {
        match self {
            Self::InvalidBlock(e)
            | Self::Refused(e)
            | Self::InvalidArgument(e)
            | Self::KcvMismatch(e)
            | Self::MacMismatch(e)
            | Self::Busy(e)
            | Self::NotSupported(e)
            | Self::Rejected(e)
            | Self::Timeout(e)
            | Self::NoResponse(e)
            | Self::Disconnected(e)
            | Self::Protocol(e)
            | Self::Cancelled(e)
            | Self::Indeterminate(e)
            | Self::Transport(e) => e.dspread_error_name(),
            Self::CallInProgress => "DEVICE_BUSY",
            Self::Closed | Self::Internal { .. } => "UNKNOWN",
        }
    }
}

/// What a [`crate::ReaderTransport`] implemented in Kotlin/Swift reports. Thrown by foreign code,
/// so it carries data (not flat).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ReaderTransportError {
    /// Nothing arrived within the timeout (returning an empty array means the same).
    #[error("nothing arrived from the reader within the timeout")]
    TimedOut,
    /// The connection is gone (peer closed, Bluetooth link lost).
    #[error("the connection to the reader is closed")]
    Closed,
    #[error("I/O error talking to the reader: {reason}")]
    Io { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ReaderTransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Io {
            reason: format!("the app's transport threw an unexpected exception: {}", e.reason),
        }
    }
}

impl From<ReaderTransportError> for TransportError {
    fn from(e: ReaderTransportError) -> Self {
        match e {
            ReaderTransportError::TimedOut => Self::TimedOut,
            ReaderTransportError::Closed => Self::Closed,
            ReaderTransportError::Io { reason } => Self::Io(reason),
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn reader_errors_keep_the_core_message_and_dspread_name() {
        let cases = [
            (LoadError::Reader(ReaderStatus::Timeout), "TIMEOUT"),
            (LoadError::NoResponse, "NO_RESPONSE"),
            (
                LoadError::Reader(ReaderStatus::DeviceInBootState),
                "DEVICE_IN_BOOT_STATE",
            ),
            (LoadError::Reader(ReaderStatus::MacError), "MAC_ERROR"),
            (LoadError::Reader(ReaderStatus::NotSupported), "CMD_NOT_AVAILABLE"),
            (
                LoadError::InvalidArgument {
                    reason: "slot 12".into(),
                },
                "INPUT_INVALID",
            ),
        ];
        for (core, name) in cases {
            let text = core.to_string();
            let ffi = ReaderError::from(core);
            assert_eq!(ffi.dspread_error_name(), name, "{ffi:?}");
            assert_eq!(ffi.to_string(), text);
        }
        assert_eq!(ReaderError::CallInProgress.dspread_error_name(), "DEVICE_BUSY");
        assert!(matches!(
            ReaderError::from(LoadError::Reader(ReaderStatus::Timeout)),
            ReaderError::Timeout(_)
        ));
        assert!(matches!(
            ReaderError::from(LoadError::Reader(ReaderStatus::MacError)),
            ReaderError::MacMismatch(_)
        ));
        assert!(matches!(
            ReaderError::from(LoadError::Reader(ReaderStatus::Declined)),
            ReaderError::Rejected(_)
        ));
    }

    #[test]
    fn key_block_errors_are_grouped_by_what_the_caller_does() {
        let mac = Tr31Error::MacMismatch { position: 80 };
        assert!(matches!(
            KeyBlockError::from(mac.clone()),
            KeyBlockError::MacMismatch(_)
        ));
        assert_eq!(KeyBlockError::from(mac.clone()).to_string(), mac.to_string());
        let short = Tr31Error::TooShort { length: 3, minimum: 16 };
        assert!(matches!(KeyBlockError::from(short), KeyBlockError::Malformed(_)));
        let transport: TransportError = ReaderTransportError::Io {
            reason: "socket reset".into(),
        }
        .into();
        assert_eq!(transport, TransportError::Io("socket reset".into()));
    }
}
