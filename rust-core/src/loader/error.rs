//! Why a load (or query) failed, and the vendor SDK's name for it.

use crate::device::answer::{DspreadError, ReaderStatus};
use crate::device::session::SessionError;
use crate::device::transport::TransportError;
use crate::tr31::{Remedy, Tr31Error};

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
    /// The reader took the key but reported no KCV, while one is known for the key: it is not
    /// shown to hold this key, so the load is never reported loaded.
    #[error("the reader reported no KCV, so the known KCV {expected} could not be compared: the key is not verified")]
    KcvUncompared { expected: String },
    /// The reader holds the key but reports another KSN than the one loaded with it.
    #[error("KSN mismatch: loaded {expected}, the reader reports {reader}")]
    KsnMismatch { expected: String, reader: String },
    /// The reader reported a KCV too short to tell keys apart.
    #[error("the reader reported a KCV of {length} bytes; at least 3 are needed to compare")]
    ShortReaderKcv { length: usize },
    #[error("{0}")]
    Reader(ReaderStatus),
    /// Silence, or the reader still working when the time ran out (the SDK's NO_RESPONSE).
    #[error("the reader did not answer")]
    NoResponse,
    /// The connection dropped before any key load was sent. (A drop after a load was sent is
    /// [`LoadError::Indeterminate`].)
    #[error("the connection to the reader was lost")]
    Disconnected,
    #[error("undecodable answers from the reader: {0}")]
    Protocol(String),
    /// Cancelled through a [`CancelHandle`](super::CancelHandle). If the load had already been
    /// sent, the reader may hold the key: read the slot's KCV.
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

    /// Whether the vendor SDK reports this as the load's `false` result
    /// (`onReturnUpdateKeyByTR_31Result(false)`, `onRequestSendTR31KeyResult(false)`) rather than
    /// `onError`: the reader answered the load (or its KSN frame) with a non-zero RESULT, or the
    /// slot shows another key or KSN than the one sent.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Reader(status) => status.is_refusal(),
            Self::KcvMismatch { .. } | Self::KcvUncompared { .. } | Self::KsnMismatch { .. } => true,
            _ => false,
        }
    }

    /// The vendor SDK's `QPOSService.Error` for this error, for drop-in bindings. Answers from the
    /// reader map as the SDK maps their type; silence and a dead link are NO_RESPONSE, input the
    /// loader refuses is INPUT_INVALID, what the SDK has no name for is UNKNOWN.
    pub fn dspread_error(&self) -> DspreadError {
        match self {
            Self::InvalidBlock(_) | Self::Refused { .. } | Self::InvalidArgument { .. } => DspreadError::InputInvalid,
            Self::Reader(status) => status.dspread_error(),
            Self::NoResponse | Self::Protocol(_) | Self::Transport(_) => DspreadError::NoResponse,
            Self::Disconnected => DspreadError::DeviceReset,
            Self::KcvMismatch { .. }
            | Self::KcvUncompared { .. }
            | Self::KsnMismatch { .. }
            | Self::ShortReaderKcv { .. }
            | Self::Cancelled
            | Self::Indeterminate { .. } => DspreadError::Unknown,
        }
    }

    /// [`dspread_error`](Self::dspread_error)'s vendor name (`MAC_ERROR`, `NO_RESPONSE`, …).
    pub fn dspread_error_name(&self) -> &'static str {
        self.dspread_error().name()
    }
}
