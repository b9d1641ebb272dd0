//! What a reader's answer means, as the vendor's Android SDK 8.5.4 reads it (`MPOSService.a(k)`,
//! "checkCmdId", and `Vpos.d(int)`; see the project's notes on the SDK's bytecode).
//!
//! The answer's `TYPE` says how it went: one of the OK types (then `RESULT` 0 is success and any
//! other value is the vendor's `false`), "still working" (0x23, 0x54: poll with TYPE 0x22 and wait
//! again), a display update, or an error that the SDK reports through `onError` with one of its
//! `Error` names. Every row of those tables is here, once: [`TYPE_TABLE`].

use super::frame::{Frame, FrameBody};

/// `TYPE` of the usual OK answer.
pub const TYPE_OK: u8 = 0x24;
/// `TYPE` of "still working: poll with TYPE 0x22" (`Vpos.d` @130–712).
pub const TYPE_IN_PROGRESS: u8 = 0x23;

/// Answer types the SDK takes as OK (`MPOSService.a(k)`): 0x24 and eight others.
pub const OK_TYPES: [u8; 9] = [0x24, 0x88, 0x43, 0x53, 0x49, 0x89, 0x66, 0x69, 0x71];
/// Answer types the SDK takes as "still working" (`Vpos.d(int)`).
pub const IN_PROGRESS_TYPES: [u8; 2] = [0x23, 0x54];
/// Display-only answer types: they update the reader's screen and answer no command.
pub const DISPLAY_TYPES: [u8; 6] = [0x41, 0x42, 0x52, 0x70, 0x65, 0x6B];

/// The vendor SDK's `QPOSService.Error` constants keybridge reports, by their vendor names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DspreadError {
    NoResponse,
    MacError,
    Timeout,
    CmdNotAvailable,
    DeviceReset,
    Unknown,
    DeviceBusy,
    InputOutOfRange,
    InputInvalidFormat,
    InputInvalid,
    DeviceInBootState,
    ReceivePlaintInEncryptionMode,
    ReceiveCipherInNonencryptionMode,
    DecryptFailInEncryptionMode,
    DeviceError,
    TransTokenInvalid,
    NoUpdateWorkKey,
}

/// Each [`DspreadError`] and its vendor name (the enum constant, spelled as the SDK spells it).
const ERROR_NAMES: [(DspreadError, &str); 17] = [
    (DspreadError::NoResponse, "NO_RESPONSE"),
    (DspreadError::MacError, "MAC_ERROR"),
    (DspreadError::Timeout, "TIMEOUT"),
    (DspreadError::CmdNotAvailable, "CMD_NOT_AVAILABLE"),
    (DspreadError::DeviceReset, "DEVICE_RESET"),
    (DspreadError::Unknown, "UNKNOWN"),
    (DspreadError::DeviceBusy, "DEVICE_BUSY"),
    (DspreadError::InputOutOfRange, "INPUT_OUT_OF_RANGE"),
    (DspreadError::InputInvalidFormat, "INPUT_INVALID_FORMAT"),
    (DspreadError::InputInvalid, "INPUT_INVALID"),
    (DspreadError::DeviceInBootState, "DEVICE_IN_BOOT_STATE"),
    (
        DspreadError::ReceivePlaintInEncryptionMode,
        "RECEIVE_PLAINT_IN_ENCRYPTION_MODE",
    ),
    (
        DspreadError::ReceiveCipherInNonencryptionMode,
        "RECEIVE_CIPHER_IN_NONENCRYPTION_MODE",
    ),
    (
        DspreadError::DecryptFailInEncryptionMode,
        "DECRYPT_FAIL_IN_ENCRYPTION_MODE",
    ),
    (DspreadError::DeviceError, "DEVICE_ERROR"),
    (DspreadError::TransTokenInvalid, "TRANS_TOKEN_INVALID"),
    (DspreadError::NoUpdateWorkKey, "NO_UPDATE_WORK_KEY"),
];

impl DspreadError {
    /// The vendor's name of this error (`QPOSService.Error.valueOf` takes it).
    pub fn name(self) -> &'static str {
        ERROR_NAMES
            .iter()
            .find(|(e, _)| *e == self)
            .map_or("UNKNOWN", |(_, name)| name)
    }

    /// The error with this vendor name.
    pub fn from_name(name: &str) -> Option<Self> {
        ERROR_NAMES.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
    }
}

impl std::fmt::Display for DspreadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a reader did not do what was asked.
///
/// The first group travels as the answer's `TYPE` ([`TYPE_TABLE`]). The second group travels as
/// a non-zero `RESULT` in an OK answer: the vendor SDK reads only "zero or not" there (its
/// `onReturnUpdateKeyByTR_31Result(false)`), so which non-zero value means what is not known from
/// the SDK; the named codes in [`result`] are the ones keybridge's simulator sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReaderStatus {
    #[error("the reader timed out (answer type 0x25)")]
    Timeout,
    #[error("the reader reported a device error (answer type 0x26)")]
    DeviceError,
    #[error("the reader does not support this command (answer type 0x35 or 0x00)")]
    NotSupported,
    #[error("the reader reported a MAC error on the command (answer type 0x29 or 0x67)")]
    CommandMacError,
    #[error("the reader is in its boot loader (answer type 0x2A)")]
    DeviceInBootState,
    #[error("the reader has no working key for this (answer type 0x40)")]
    NoUpdateWorkKey,
    #[error("the reader's transaction token is invalid (answer type 0x60)")]
    TransTokenInvalid,
    #[error("the reader received plain data in encryption mode (answer type 0xF0)")]
    PlainInEncryptionMode,
    #[error("the reader received cipher data outside encryption mode (answer type 0xF1)")]
    CipherInNonEncryptionMode,
    #[error("the reader failed to decrypt in encryption mode (answer type 0xF2)")]
    DecryptFailInEncryptionMode,
    #[error("the reader cancelled the command (answer type 0x28)")]
    Cancelled,
    #[error("the reader reset (answer type 0x20)")]
    Reset,
    #[error("the reader declined the command (answer type 0x34)")]
    Declined,
    #[error("the reader terminated the command (answer type 0x33)")]
    Terminated,
    #[error("the reader answered with unknown type 0x{kind:02X}")]
    UnknownType { kind: u8 },
    #[error("the reader rejected the key block: its MAC does not verify under the reader's KEK")]
    MacError,
    #[error("the reader does not allow this key usage under the KEK of that slot")]
    UsageNotAllowed,
    #[error("the reader does not allow this key block version")]
    VersionNotAllowed,
    #[error("the reader rejected the input as invalid")]
    InvalidInput,
    #[error("the reader holds no such key in that slot")]
    KeyNotFound,
    #[error("the reader refused (result 0x{result:02X})")]
    Failed { result: u8 },
}

/// Every answer `TYPE` the SDK reports as an error, with its status and vendor `Error` (checkCmdId:
/// 0x25 @502, 0x26 @415, 0x35/0x00 @870/@889, 0x29/0x67 @721/@1441, anything unlisted @1431).
/// 0x28, 0x20, 0x34 and 0x33 are trade outcomes in the SDK (`onTradeCancelled`, a reset, DECLINED,
/// TERMINATED), which a key load has no callback for: keybridge reports them as UNKNOWN. Which of
/// 0xF0–0xF2 is which encryption-mode error follows the order of the vendor's enum (unconfirmed).
pub const TYPE_TABLE: [(u8, ReaderStatus, DspreadError); 16] = [
    (0x25, ReaderStatus::Timeout, DspreadError::Timeout),
    (0x26, ReaderStatus::DeviceError, DspreadError::DeviceError),
    (0x35, ReaderStatus::NotSupported, DspreadError::CmdNotAvailable),
    (0x00, ReaderStatus::NotSupported, DspreadError::CmdNotAvailable),
    (0x29, ReaderStatus::CommandMacError, DspreadError::MacError),
    (0x67, ReaderStatus::CommandMacError, DspreadError::MacError),
    (0x2A, ReaderStatus::DeviceInBootState, DspreadError::DeviceInBootState),
    (0x40, ReaderStatus::NoUpdateWorkKey, DspreadError::NoUpdateWorkKey),
    (0x60, ReaderStatus::TransTokenInvalid, DspreadError::TransTokenInvalid),
    (
        0xF0,
        ReaderStatus::PlainInEncryptionMode,
        DspreadError::ReceivePlaintInEncryptionMode,
    ),
    (
        0xF1,
        ReaderStatus::CipherInNonEncryptionMode,
        DspreadError::ReceiveCipherInNonencryptionMode,
    ),
    (
        0xF2,
        ReaderStatus::DecryptFailInEncryptionMode,
        DspreadError::DecryptFailInEncryptionMode,
    ),
    (0x28, ReaderStatus::Cancelled, DspreadError::Unknown),
    (0x20, ReaderStatus::Reset, DspreadError::DeviceReset),
    (0x34, ReaderStatus::Declined, DspreadError::Unknown),
    (0x33, ReaderStatus::Terminated, DspreadError::Unknown),
];

/// RESULT codes in an OK answer. 0x00 is success (all key calls of the SDK); 0x08 ("update keys
/// failed") is from the PC SDK's test harness; the rest are keybridge's simulator's choice.
pub mod result {
    pub const SUCCESS: u8 = 0x00;
    pub const FAILED: u8 = 0x08;
    pub const MAC_ERROR: u8 = 0x10;
    pub const USAGE_NOT_ALLOWED: u8 = 0x11;
    pub const VERSION_NOT_ALLOWED: u8 = 0x12;
    pub const INVALID_INPUT: u8 = 0x13;
    pub const KEY_NOT_FOUND: u8 = 0x14;
}

/// Named non-zero RESULT codes: (RESULT, status).
const RESULT_CODES: [(u8, ReaderStatus); 6] = [
    (result::FAILED, ReaderStatus::Failed { result: result::FAILED }),
    (result::MAC_ERROR, ReaderStatus::MacError),
    (result::USAGE_NOT_ALLOWED, ReaderStatus::UsageNotAllowed),
    (result::VERSION_NOT_ALLOWED, ReaderStatus::VersionNotAllowed),
    (result::INVALID_INPUT, ReaderStatus::InvalidInput),
    (result::KEY_NOT_FOUND, ReaderStatus::KeyNotFound),
];

impl ReaderStatus {
    /// The status of an error answer `TYPE` (`None` for OK, in-progress and display types).
    pub fn from_type(kind: u8) -> Option<Self> {
        if OK_TYPES.contains(&kind) || IN_PROGRESS_TYPES.contains(&kind) || DISPLAY_TYPES.contains(&kind) {
            return None;
        }
        Some(
            TYPE_TABLE
                .iter()
                .find(|(k, _, _)| *k == kind)
                .map_or(Self::UnknownType { kind }, |(_, s, _)| *s),
        )
    }

    /// The `TYPE` a reader sends for this status, if it travels as one (the simulator uses it).
    pub fn frame_type(self) -> Option<u8> {
        match self {
            Self::UnknownType { kind } => Some(kind),
            _ => TYPE_TABLE.iter().find(|(_, s, _)| *s == self).map(|(k, _, _)| *k),
        }
    }

    /// The status of a non-zero RESULT byte.
    pub fn from_result(result: u8) -> Self {
        RESULT_CODES
            .iter()
            .find(|(r, _)| *r == result)
            .map_or(Self::Failed { result }, |(_, s)| *s)
    }

    /// The RESULT byte a reader sends for this status, if it travels as a result code.
    pub fn result_code(self) -> Option<u8> {
        match self {
            Self::Failed { result } => Some(result),
            _ => RESULT_CODES.iter().find(|(_, s)| *s == self).map(|(r, _)| *r),
        }
    }

    /// Whether the reader answered the command itself with "no" (an OK answer with a non-zero
    /// RESULT): what the SDK reports as `onReturnUpdateKeyByTR_31Result(false)` /
    /// `onRequestSendTR31KeyResult(false)` rather than `onError`.
    pub fn is_refusal(self) -> bool {
        self.result_code().is_some()
    }

    /// The vendor `Error` the SDK reports for this status through `onError` (for a refusal, which
    /// the SDK reports as `false`, the closest name: the key block MAC → MAC_ERROR, else
    /// INPUT_INVALID or UNKNOWN).
    pub fn dspread_error(self) -> DspreadError {
        if let Some((_, _, error)) = TYPE_TABLE.iter().find(|(_, s, _)| *s == self) {
            return *error;
        }
        match self {
            Self::MacError => DspreadError::MacError,
            Self::UsageNotAllowed | Self::VersionNotAllowed | Self::InvalidInput => DspreadError::InputInvalid,
            _ => DspreadError::Unknown,
        }
    }
}

/// What a reader frame means, before anyone asks which command it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An OK type with RESULT 0: done, with the answer's body (its CMD/SUB name the command).
    Done(FrameBody),
    /// An OK type without a body: "OK" that names no command, so it answers nothing for certain.
    BareOk,
    /// 0x23 / 0x54: still working; poll with TYPE 0x22 and wait again.
    InProgress,
    /// A display update: answers no command; keep waiting.
    Display,
    /// A failure: a RESULT code in an answer to `answers` (CMD, SUB), or an error type (`answers`
    /// is `None`), which answers whatever command is pending.
    Failed {
        status: ReaderStatus,
        answers: Option<(u8, u8)>,
    },
}

impl Reply {
    pub fn from_frame(frame: Frame) -> Self {
        let kind = frame.kind;
        if IN_PROGRESS_TYPES.contains(&kind) {
            return Self::InProgress;
        }
        if DISPLAY_TYPES.contains(&kind) {
            return Self::Display;
        }
        match (OK_TYPES.contains(&kind), frame.body) {
            (true, Some(body)) if body.param == result::SUCCESS => Self::Done(body),
            (true, Some(body)) => Self::Failed {
                status: ReaderStatus::from_result(body.param),
                answers: Some((body.cmd, body.sub)),
            },
            (true, None) => Self::BareOk,
            (false, _) => Self::Failed {
                status: ReaderStatus::from_type(kind).unwrap_or(ReaderStatus::UnknownType { kind }),
                answers: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_type_maps_to_a_status_and_a_vendor_name_and_back() {
        for (kind, status, error) in TYPE_TABLE {
            assert_eq!(
                Reply::from_frame(Frame::status(kind)),
                Reply::Failed { status, answers: None },
                "{kind:#04x}"
            );
            assert_eq!(ReaderStatus::from_type(kind), Some(status));
            assert_eq!(status.dspread_error(), error);
            assert!(!status.is_refusal());
            let sent = status.frame_type().unwrap();
            assert_eq!(ReaderStatus::from_type(sent), Some(status));
        }
        for (error, name) in ERROR_NAMES {
            assert_eq!(DspreadError::from_name(name), Some(error));
            assert_eq!(error.to_string(), name);
        }
        assert_eq!(
            ReaderStatus::from_type(0x99).map(ReaderStatus::dspread_error),
            Some(DspreadError::Unknown)
        );
    }

    #[test]
    fn ok_in_progress_and_display_types() {
        for kind in OK_TYPES {
            let ok = Frame::new(kind, 0x10, 0xF5, 0, vec![]);
            assert!(matches!(Reply::from_frame(ok), Reply::Done(_)), "{kind:#04x}");
            let no = Frame::new(kind, 0x10, 0xF5, 1, vec![]);
            assert_eq!(
                Reply::from_frame(no),
                Reply::Failed {
                    status: ReaderStatus::Failed { result: 1 },
                    answers: Some((0x10, 0xF5))
                }
            );
            assert_eq!(Reply::from_frame(Frame::status(kind)), Reply::BareOk);
        }
        for kind in IN_PROGRESS_TYPES {
            assert_eq!(Reply::from_frame(Frame::status(kind)), Reply::InProgress);
        }
        for kind in DISPLAY_TYPES {
            assert_eq!(Reply::from_frame(Frame::status(kind)), Reply::Display);
        }
    }

    #[test]
    fn result_codes_are_refusals() {
        for (code, status) in RESULT_CODES {
            assert_eq!(ReaderStatus::from_result(code), status);
            assert_eq!(status.result_code(), Some(code));
            assert!(status.is_refusal());
        }
        assert_eq!(ReaderStatus::MacError.dspread_error(), DspreadError::MacError);
        assert_eq!(ReaderStatus::from_result(0x77), ReaderStatus::Failed { result: 0x77 });
    }
}
