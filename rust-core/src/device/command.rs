//! Typed reader commands, replies and statuses.
//!
//! Every command code is in the one table [`COMMANDS`]. Codes are taken from public material:
//! a Java test harness for the Dspread PC SDK (`com.dspread.pos.sdk`; device info, the poll frame,
//! the busy frame, result 0x08 = "update keys failed") and the decompiled Android SDK 8.5.4 as
//! described in the project's `NOTES-dspread.md` (TR-31 load, KSN variant, chunked path). Where
//! public material is silent (the KCV query and the failure result codes other than 0x08)
//! the value is keybridge's own choice, marked as such: confirm on hardware.

use super::frame::{Frame, FrameBody};

/// `TYPE` of a host command.
pub const TYPE_COMMAND: u8 = 0x21;
/// `TYPE` asking the reader for the result of the pending command (after a busy answer).
pub const TYPE_POLL: u8 = 0x22;

/// A command's `CMD`/`SUB` pair and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandCode {
    pub name: &'static str,
    pub cmd: u8,
    pub sub: u8,
    /// Whether the code is documented in public material (false: keybridge's choice).
    pub public: bool,
}

const fn code(name: &'static str, cmd: u8, sub: u8, public: bool) -> CommandCode {
    CommandCode { name, cmd, sub, public }
}

/// Device info: POS id and PSAM id (harness: `getDLPackage(0x21, 0x10, 0x00, …)`).
pub const DEVICE_INFO: CommandCode = code("device info", 0x10, 0x00, true);
/// TR-31 load: DATA = key index (1) ‖ block length (2, BE) ‖ ASCII key block (SDK `updateKeyByTR_31`).
pub const LOAD_TR31: CommandCode = code("load TR-31 key block", 0x10, 0xF5, true);
/// TR-31 load with a KSN (SDK overload with KSN). DATA layout: index (1) ‖ KSN length (1) ‖
/// ASCII KSN ‖ block length (2, BE) ‖ ASCII key block — the layout is keybridge's reading.
pub const LOAD_TR31_KSN: CommandCode = code("load TR-31 key block with KSN", 0x11, 0x60, true);
/// One chunk of the SDK's `sendTR31Key` path: DATA = offset (2, BE) ‖ up to 64 bytes.
pub const TR31_CHUNK: CommandCode = code("TR-31 key block chunk", 0x40, 0x20, true);
/// Closes the chunked path (empty DATA); the reader then applies the block.
pub const TR31_CHUNK_END: CommandCode = code("TR-31 key block end", 0x40, 0x21, true);
/// A slot's KCV (`getKeyCheckValue`): DATA = key index (1); answer DATA = the KCV. The code is
/// keybridge's choice: the public material does not show it.
pub const GET_KCV: CommandCode = code("get key check value", 0x10, 0x46, false);

/// Every command keybridge sends.
pub const COMMANDS: [CommandCode; 6] = [
    DEVICE_INFO,
    LOAD_TR31,
    LOAD_TR31_KSN,
    TR31_CHUNK,
    TR31_CHUNK_END,
    GET_KCV,
];

/// Chunk size of the chunked path.
pub const CHUNK_LEN: usize = 64;
/// Key indexes readers take.
pub const SLOTS: std::ops::RangeInclusive<u8> = 0..=9;

impl CommandCode {
    /// The command in [`COMMANDS`] with this `CMD`/`SUB`.
    pub fn lookup(cmd: u8, sub: u8) -> Option<Self> {
        COMMANDS.iter().copied().find(|c| c.cmd == cmd && c.sub == sub)
    }

    /// A host frame for this command.
    pub fn frame(self, timeout_secs: u8, data: Vec<u8>) -> Frame {
        Frame::new(TYPE_COMMAND, self.cmd, self.sub, timeout_secs, data)
    }

    /// Whether a reader may change its key storage when it receives this command: such a
    /// command is never re-sent blindly after a lost answer.
    pub fn changes_keys(self) -> bool {
        self == LOAD_TR31 || self == LOAD_TR31_KSN || self == TR31_CHUNK_END
    }

    /// Whether "continue" (0x36, send the next part) is an answer to this command: only to a
    /// chunk of the chunked path. To anything else, and above all to a key load, it says nothing
    /// about the command's result.
    pub fn takes_continue(self) -> bool {
        self == TR31_CHUNK
    }
}

/// The poll frame (harness: `CommandDownlink(0x22, 0, 0, timeout, {})`).
pub fn poll_frame(timeout_secs: u8) -> Frame {
    Frame::new(TYPE_POLL, 0, 0, timeout_secs, Vec::new())
}

/// DATA of a TR-31 load (direct path).
pub fn load_tr31_data(slot: u8, block: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(3 + block.len());
    data.push(slot);
    data.extend_from_slice(&(block.len() as u16).to_be_bytes());
    data.extend_from_slice(block.as_bytes());
    data
}

/// DATA of a TR-31 load with KSN.
pub fn load_tr31_ksn_data(slot: u8, ksn: &str, block: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + ksn.len() + block.len());
    data.push(slot);
    data.push(ksn.len() as u8);
    data.extend_from_slice(ksn.as_bytes());
    data.extend_from_slice(&(block.len() as u16).to_be_bytes());
    data.extend_from_slice(block.as_bytes());
    data
}

/// DATA of each chunk of the chunked path: offset (2, BE) ‖ up to [`CHUNK_LEN`] bytes of the ASCII
/// block. Unlike the SDK, keybridge does not hex-decode the block first (that corrupts AWS blocks).
pub fn chunk_data(block: &str) -> Vec<Vec<u8>> {
    block
        .as_bytes()
        .chunks(CHUNK_LEN)
        .enumerate()
        .map(|(i, chunk)| {
            let mut data = ((i * CHUNK_LEN) as u16).to_be_bytes().to_vec();
            data.extend_from_slice(chunk);
            data
        })
        .collect()
}

/// Result codes in the RESULT byte of an OK (0x24) frame. 0x00 and 0x08 are public; the rest are
/// keybridge's (and its simulator's) choice for the failures a reader reports: confirm on hardware.
pub mod result {
    pub const SUCCESS: u8 = 0x00;
    pub const FAILED: u8 = 0x08;
    pub const MAC_ERROR: u8 = 0x10;
    pub const USAGE_NOT_ALLOWED: u8 = 0x11;
    pub const VERSION_NOT_ALLOWED: u8 = 0x12;
    pub const INVALID_INPUT: u8 = 0x13;
    pub const KEY_NOT_FOUND: u8 = 0x14;
}

/// Why a reader did not do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReaderStatus {
    #[error("reader is busy")]
    Busy,
    #[error("reader timed out waiting (status 0x25)")]
    Timeout,
    #[error("reader reported a device error (status 0x26)")]
    DeviceError,
    #[error("reader does not support this command (status 0x35)")]
    NotSupported,
    #[error("reader cancelled the command (status 0x28)")]
    Cancelled,
    #[error("reader declined the command (status 0x34)")]
    Declined,
    #[error("reader rejected the key block: its MAC does not verify under the reader's KEK")]
    MacError,
    #[error("reader does not allow this key usage under the KEK of that slot")]
    UsageNotAllowed,
    #[error("reader does not allow this key block version")]
    VersionNotAllowed,
    #[error("reader rejected the input as invalid")]
    InvalidInput,
    #[error("reader holds no key in that slot")]
    KeyNotFound,
    #[error("reader reported failure (result 0x{result:02X})")]
    Failed { result: u8 },
    #[error("reader answered with unknown frame type 0x{kind:02X}")]
    UnknownType { kind: u8 },
}

/// Reader statuses carried in `TYPE`, one row each: (TYPE, status). 0x24 (OK) and 0x36
/// (continue) are not failures and are handled by [`Reply::from_frame`].
const STATUS_TYPES: [(u8, ReaderStatus); 6] = [
    (0x23, ReaderStatus::Busy),
    (0x25, ReaderStatus::Timeout),
    (0x26, ReaderStatus::DeviceError),
    (0x35, ReaderStatus::NotSupported),
    (0x28, ReaderStatus::Cancelled),
    (0x34, ReaderStatus::Declined),
];

/// Failure result codes of an OK frame: (RESULT, status).
const RESULT_CODES: [(u8, ReaderStatus); 6] = [
    (result::FAILED, ReaderStatus::Failed { result: result::FAILED }),
    (result::MAC_ERROR, ReaderStatus::MacError),
    (result::USAGE_NOT_ALLOWED, ReaderStatus::UsageNotAllowed),
    (result::VERSION_NOT_ALLOWED, ReaderStatus::VersionNotAllowed),
    (result::INVALID_INPUT, ReaderStatus::InvalidInput),
    (result::KEY_NOT_FOUND, ReaderStatus::KeyNotFound),
];

/// `TYPE` of an OK answer.
pub const TYPE_OK: u8 = 0x24;
/// `TYPE` of "continue": the reader wants the next part.
pub const TYPE_CONTINUE: u8 = 0x36;
/// `TYPE` of busy.
pub const TYPE_BUSY: u8 = 0x23;

impl ReaderStatus {
    /// The status of a frame `TYPE`, if it is a failure status.
    pub fn from_type(kind: u8) -> Option<Self> {
        STATUS_TYPES.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
    }

    /// The `TYPE` a reader sends for this status (the simulator uses it).
    pub fn frame_type(self) -> Option<u8> {
        STATUS_TYPES.iter().find(|(_, s)| *s == self).map(|(k, _)| *k)
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
}

/// What a reader frame means, before anyone asks which command it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// TYPE 0x24 with result 0x00: done, with the answer's body (its CMD/SUB name the command).
    Done(FrameBody),
    /// TYPE 0x24 without a body: "OK" that names no command, so it answers nothing for certain.
    BareOk,
    /// TYPE 0x23: still working; poll for the result.
    Busy,
    /// TYPE 0x36: send the next part.
    Continue,
    /// A failure: a result code in an answer to `answers` (CMD, SUB), or a bare status frame
    /// (`answers` is `None`), which by the protocol's rule answers whatever command is pending.
    Failed {
        status: ReaderStatus,
        answers: Option<(u8, u8)>,
    },
}

impl Reply {
    pub fn from_frame(frame: Frame) -> Self {
        match (frame.kind, frame.body) {
            (TYPE_OK, Some(body)) if body.param == result::SUCCESS => Self::Done(body),
            (TYPE_OK, Some(body)) => Self::Failed {
                status: ReaderStatus::from_result(body.param),
                answers: Some((body.cmd, body.sub)),
            },
            (TYPE_OK, None) => Self::BareOk,
            (TYPE_BUSY, _) => Self::Busy,
            (TYPE_CONTINUE, _) => Self::Continue,
            (kind, _) => Self::Failed {
                status: ReaderStatus::from_type(kind).unwrap_or(ReaderStatus::UnknownType { kind }),
                answers: None,
            },
        }
    }
}

/// What `device info` returns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// POS id, upper-case hex.
    pub pos_id: String,
    /// PSAM id, upper-case hex.
    pub psam_id: String,
    /// Whatever followed the two ids, upper-case hex (firmware-specific fields).
    pub extra: String,
}

impl DeviceInfo {
    /// Parses `len ‖ POS id ‖ len ‖ PSAM id ‖ rest`.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let (pos_id, rest) = length_prefixed(data, "POS id")?;
        let (psam_id, rest) = length_prefixed(rest, "PSAM id")?;
        Ok(Self {
            pos_id: hex::encode_upper(pos_id),
            psam_id: hex::encode_upper(psam_id),
            extra: hex::encode_upper(rest),
        })
    }

    /// The DATA a reader sends (the simulator uses it).
    pub fn encode(pos_id: &[u8], psam_id: &[u8], extra: &[u8]) -> Vec<u8> {
        let mut data = vec![pos_id.len() as u8];
        data.extend_from_slice(pos_id);
        data.push(psam_id.len() as u8);
        data.extend_from_slice(psam_id);
        data.extend_from_slice(extra);
        data
    }
}

fn length_prefixed<'a>(data: &'a [u8], what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    let (&len, rest) = data
        .split_first()
        .ok_or_else(|| format!("device info ends before the {what} length"))?;
    let len = usize::from(len);
    if rest.len() < len {
        return Err(format!("device info {what} says {len} bytes but {} remain", rest.len()));
    }
    Ok(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_codes_are_unique() {
        for (i, a) in COMMANDS.iter().enumerate() {
            for b in &COMMANDS[i + 1..] {
                assert!(
                    (a.cmd, a.sub) != (b.cmd, b.sub),
                    "{} and {} share a code",
                    a.name,
                    b.name
                );
            }
            assert_eq!(CommandCode::lookup(a.cmd, a.sub), Some(*a));
        }
    }

    #[test]
    fn device_info_of_the_published_frame() {
        let mut data = vec![0x08];
        data.extend([0x31; 8]);
        data.push(0x0A);
        data.extend([0x11; 10]);
        data.extend([0; 5]);
        let info = DeviceInfo::parse(&data).unwrap();
        assert_eq!(info.pos_id, "3131313131313131");
        assert_eq!(info.psam_id, "11".repeat(10));
        assert_eq!(info.extra, "0000000000");
        assert_eq!(DeviceInfo::encode(&[0x31; 8], &[0x11; 10], &[0; 5]), data);
        assert!(DeviceInfo::parse(&[0x09, 1, 2]).unwrap_err().contains("POS id"));
    }

    #[test]
    fn statuses_map_both_ways() {
        for (kind, status) in STATUS_TYPES {
            assert_eq!(
                Reply::from_frame(Frame::status(kind)),
                if kind == TYPE_BUSY {
                    Reply::Busy
                } else {
                    Reply::Failed { status, answers: None }
                }
            );
            assert_eq!(status.frame_type(), Some(kind));
        }
        for (code, status) in RESULT_CODES {
            let frame = Frame::new(TYPE_OK, 0x10, 0xF5, code, vec![]);
            assert_eq!(
                Reply::from_frame(frame),
                Reply::Failed {
                    status,
                    answers: Some((0x10, 0xF5))
                }
            );
            assert_eq!(status.result_code(), Some(code));
        }
        assert_eq!(ReaderStatus::from_result(0x77), ReaderStatus::Failed { result: 0x77 });
        assert_eq!(
            Reply::from_frame(Frame::status(0x99)),
            Reply::Failed {
                status: ReaderStatus::UnknownType { kind: 0x99 },
                answers: None
            }
        );
        assert_eq!(Reply::from_frame(Frame::status(TYPE_OK)), Reply::BareOk);
        assert!(ReaderStatus::MacError.to_string().contains("MAC"));
    }

    #[test]
    fn load_data_layouts() {
        assert_eq!(load_tr31_data(3, "D0016"), b"\x03\x00\x05D0016");
        assert_eq!(load_tr31_ksn_data(1, "AB", "D0"), b"\x01\x02AB\x00\x02D0");
        let block = "X".repeat(130);
        let chunks = chunk_data(&block);
        assert_eq!(chunks.len(), 3);
        assert_eq!(&chunks[1][..2], &[0, 64]);
        assert_eq!(chunks[2].len(), 2 + 2);
    }
}
