//! A reader driven through another SDK's commands instead of bytes: the app's own, already
//! connected Dspread `QPOSService` (Java: `io.keybridge.dspread.DspreadSdkReader`, an
//! `io.keybridge.jni.ReaderCommands`). keybridge's loader runs over it unchanged: each frame the
//! loader writes becomes a call on the Java object (`updateKeyByTR_31`, `getKeyCheckValue`,
//! `getQposId` for the device information provisioning starts with), and
//! each outcome the SDK reports back becomes the reader answer the loader waits for. So every rule
//! of the loader holds on this path as on a byte stream: the policy check before anything is
//! sent, a verdict only from an answer to the load, the KCV comparison, a lost answer settled by
//! the slot's KCV and never by sending the key again blindly.

use jni::objects::{JObject, JString, JValue};
use jni::refs::Global;
use jni::{Env, jni_sig, jni_str};
use keybridge::device::answer::{ReaderStatus, TYPE_OK, result};
use keybridge::device::command::{
    CheckValueType, CommandCode, DEVICE_INFO, DeviceInfo, GET_CHECK_VALUE, LOAD_KSN, LOAD_TR31, TYPE_COMMAND,
    TYPE_POLL, parse_b0,
};
use keybridge::device::frame::{Frame, FrameBody, FrameCodec};
use keybridge::device::transport::{Transport, TransportError};
use std::time::Duration;

use crate::java_call::with_java;

/// What an SDK's failure (a Dspread `QPOSService.Error` name) is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Nothing arrives: the loader's own timeout and lost-answer rules apply.
    Nothing,
    /// A bare status frame.
    Status(ReaderStatus),
    /// An answer naming the command, with the status's RESULT code.
    Result(ReaderStatus),
}

const FAILED: ReaderStatus = ReaderStatus::Failed { result: result::FAILED };

/// Dspread error names and their answers; any other name (and an SDK's plain `false`) is a
/// failure result. A timeout or a busy SDK is no answer at all: the key may or may not have been
/// stored, so the loader settles it by the check value.
const SDK_ERRORS: [(&str, Answer); 12] = [
    ("TIMEOUT", Answer::Nothing),
    ("NO_RESPONSE", Answer::Nothing),
    ("CMD_TIMEOUT", Answer::Nothing),
    ("DEVICE_BUSY", Answer::Nothing),
    ("DEVICE_IS_OCCUPIED", Answer::Nothing),
    ("CMD_NOT_AVAILABLE", Answer::Status(ReaderStatus::NotSupported)),
    ("DEVICE_RESET", Answer::Status(ReaderStatus::DeviceError)),
    ("DEVICE_ERROR", Answer::Status(ReaderStatus::DeviceError)),
    ("MAC_ERROR", Answer::Result(ReaderStatus::MacError)),
    ("INPUT_INVALID", Answer::Result(ReaderStatus::InvalidInput)),
    ("INPUT_INVALID_FORMAT", Answer::Result(ReaderStatus::InvalidInput)),
    ("INPUT_OUT_OF_RANGE", Answer::Result(ReaderStatus::InvalidInput)),
];

fn answer_to(error: &str) -> Answer {
    SDK_ERRORS
        .iter()
        .find(|(name, _)| *name == error)
        .map_or(Answer::Result(FAILED), |(_, answer)| *answer)
}

/// The longest frame keybridge writes or the link answers: a load of the longest key block.
const MAX_FRAME: usize = 0xFFFF + 4;

pub(crate) struct CommandLink {
    commands: Global<JObject<'static>>,
    /// Decodes what the loader writes.
    requests: FrameCodec,
    /// Encoded answers the loader has not read yet.
    answers: Vec<u8>,
    /// The load command most recently started, which a load outcome answers.
    load: CommandCode,
    /// Whether the command started last reads the device information: its outcome (the ids, or
    /// a failure) answers DEVICE_INFO rather than a KCV read.
    device_info: bool,
    /// The KSN (hex) the loader announced for its next load: the SDK's one call
    /// `updateKeyByTR_31(idx, ksn, block)` sends the load and the KSN frame together.
    announced_ksn: Option<String>,
}

/// One outcome reported by the Java side.
struct Outcome {
    load: bool,
    kcv: Option<String>,
    error: Option<String>,
    /// The POS and PSAM ids (hex) of a device information outcome.
    ids: Option<(String, String)>,
}

impl CommandLink {
    pub(crate) fn new(commands: Global<JObject<'static>>) -> Self {
        Self {
            commands,
            requests: FrameCodec::new(MAX_FRAME),
            answers: Vec::new(),
            load: LOAD_TR31,
            device_info: false,
            announced_ksn: None,
        }
    }

    fn dispatch(&mut self, frame: Frame) -> Result<(), TransportError> {
        let body = match (frame.kind, frame.body) {
            // A poll asks for the pending outcome: it comes from the SDK when it comes.
            (TYPE_POLL, _) => return Ok(()),
            (TYPE_COMMAND, Some(body)) => body,
            (kind, _) => {
                return Err(TransportError::Io(format!(
                    "keybridge wrote a frame of type {kind:#04x}"
                )));
            }
        };
        let code = CommandCode::lookup(body.cmd, body.sub);
        self.device_info = code == Some(DEVICE_INFO);
        if code == Some(LOAD_TR31) {
            let load = LoadCommand::parse(&body)?;
            if load.typed {
                // The Java side's calls take no key type: refuse rather than load it untyped.
                return self.queue(&status_frame(ReaderStatus::NotSupported));
            }
            self.load = LOAD_TR31;
            let ksn = self.announced_ksn.take();
            with_java(|env| {
                let block = env.new_string(load.block)?;
                let ksn: JObject = match ksn {
                    Some(ksn) => env.new_string(ksn)?.into(),
                    None => JObject::null(),
                };
                env.call_method(
                    &self.commands,
                    jni_str!("startLoad"),
                    jni_sig!("(ILjava/lang/String;Ljava/lang/String;)V"),
                    &[
                        JValue::Int(load.slot.into()),
                        JValue::Object(&block),
                        JValue::Object(&ksn),
                    ],
                )?
                .v()
            })
        } else if code == Some(LOAD_KSN) {
            // The SDK's call that answered the load sent this KSN frame too, and its verdict
            // covered both: the load's answer was success only if both succeeded.
            self.queue(&Frame::new(TYPE_OK, body.cmd, body.sub, result::SUCCESS, Vec::new()))
        } else if code == Some(GET_CHECK_VALUE) {
            match body.data[..] {
                // The Java side reads the key of the usage it loaded; it reports no KSNs.
                [0, 0, slot, kind, _] if CheckValueType::from_code(kind).is_some_and(|k| !k.is_ksn()) => {
                    with_java(|env| {
                        env.call_method(
                            &self.commands,
                            jni_str!("startKeyCheckValue"),
                            jni_sig!("(I)V"),
                            &[JValue::Int(i32::from(slot))],
                        )?
                        .v()
                    })
                }
                _ => self.queue(&status_frame(ReaderStatus::NotSupported)),
            }
        } else if self.device_info
            && with_java(|env| {
                env.call_method(&self.commands, jni_str!("startDeviceInfo"), jni_sig!("()Z"), &[])?
                    .z()
            })?
        {
            Ok(())
        } else {
            // The chunked load, or device information this SDK cannot read: not something
            // keybridge asks another SDK for.
            self.queue(&status_frame(ReaderStatus::NotSupported))
        }
    }

    /// Waits at most `timeout` for the next outcome from the Java side.
    fn next_outcome(&self, timeout: Duration) -> Result<Option<Outcome>, TransportError> {
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX).max(1);
        with_java(|env| {
            let outcome = env
                .call_method(
                    &self.commands,
                    jni_str!("awaitOutcome"),
                    jni_sig!("(I)Lio/keybridge/jni/ReaderOutcome;"),
                    &[JValue::Int(timeout_ms)],
                )?
                .l()?;
            if outcome.is_null() {
                return Ok(None);
            }
            let load = env
                .call_method(&outcome, jni_str!("isLoad"), jni_sig!("()Z"), &[])?
                .z()?;
            let kcv = optional_string(env, &outcome, jni_str!("getKcv"))?;
            let error = optional_string(env, &outcome, jni_str!("getError"))?;
            let pos_id = optional_string(env, &outcome, jni_str!("getPosId"))?;
            let psam_id = optional_string(env, &outcome, jni_str!("getPsamId"))?;
            Ok(Some(Outcome {
                load,
                kcv,
                error,
                ids: pos_id.map(|pos_id| (pos_id, psam_id.unwrap_or_default())),
            }))
        })
    }

    /// The frame a reader would have sent for `outcome`, or `None` when it would have sent nothing.
    fn answer(&self, outcome: Outcome) -> Result<Option<Frame>, TransportError> {
        let code = match (outcome.load, self.device_info) {
            (true, _) => self.load,
            (false, true) => DEVICE_INFO,
            (false, false) => GET_CHECK_VALUE,
        };
        let named = |result: u8, data: Vec<u8>| Some(Frame::new(TYPE_OK, code.cmd, code.sub, result, data));
        let bytes = |hex_text: &str, what: &str| {
            hex::decode(hex_text).map_err(|_| TransportError::Io(format!("the SDK reported a {what} that is not hex")))
        };
        if let (None, Some((pos_id, psam_id))) = (&outcome.error, &outcome.ids) {
            let data = DeviceInfo::encode(&bytes(pos_id, "POS id")?, &bytes(psam_id, "PSAM id")?, &[]);
            return Ok(named(result::SUCCESS, data));
        }
        Ok(match (outcome.error, outcome.kcv) {
            (Some(error), _) => match answer_to(&error) {
                Answer::Nothing => None,
                Answer::Status(status) => Some(status_frame(status)),
                Answer::Result(status) => named(status.result_code().unwrap_or(result::FAILED), Vec::new()),
            },
            (None, Some(kcv)) => named(result::SUCCESS, bytes(&kcv, "KCV")?),
            (None, None) => named(result::SUCCESS, Vec::new()),
        })
    }

    fn queue(&mut self, frame: &Frame) -> Result<(), TransportError> {
        let bytes = self
            .requests
            .encode(frame)
            .map_err(|e| TransportError::Io(e.to_string()))?;
        self.answers.extend_from_slice(&bytes);
        Ok(())
    }
}

/// A bare status frame; [`SDK_ERRORS`] holds only statuses that travel as a frame type.
fn status_frame(status: ReaderStatus) -> Frame {
    Frame::status(status.frame_type().unwrap_or(0x26))
}

fn optional_string(
    env: &mut Env<'_>,
    object: &JObject<'_>,
    getter: &jni::strings::JNIStr,
) -> jni::errors::Result<Option<String>> {
    let value = env
        .call_method(object, getter, jni_sig!("()Ljava/lang/String;"), &[])?
        .l()?;
    if value.is_null() {
        return Ok(None);
    }
    let value = env.cast_local::<JString>(value)?;
    Ok(Some(value.try_to_string(env)?))
}

/// The DATA of a load command, as `keybridge::device::command` writes it: B0 ‖ LEN ‖ block.
struct LoadCommand<'a> {
    slot: u8,
    /// Whether B0 carries a key type.
    typed: bool,
    block: &'a str,
}

impl<'a> LoadCommand<'a> {
    fn parse(body: &'a FrameBody) -> Result<Self, TransportError> {
        let bad = || TransportError::Io("keybridge wrote a load command it cannot read back".into());
        let (&b0, rest) = body.data.split_first().ok_or_else(bad)?;
        let (slot, key_type) = parse_b0(b0).ok_or_else(bad)?;
        let (len, block) = rest.split_at_checked(2).ok_or_else(bad)?;
        if usize::from(u16::from_be_bytes([len[0], len[1]])) != block.len() {
            return Err(bad());
        }
        Ok(Self {
            slot,
            typed: key_type.is_some(),
            block: std::str::from_utf8(block).map_err(|_| bad())?,
        })
    }
}

impl Transport for CommandLink {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if self.answers.is_empty() {
            let frame = match self.next_outcome(timeout)? {
                Some(outcome) => self.answer(outcome)?,
                None => None,
            };
            match frame {
                Some(frame) => self.queue(&frame)?,
                None => return Err(TransportError::TimedOut),
            }
        }
        let n = self.answers.len().min(buf.len());
        buf[..n].copy_from_slice(&self.answers[..n]);
        self.answers.drain(..n);
        Ok(n)
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let mut rest = data;
        while !rest.is_empty() {
            let taken = self.requests.push(rest);
            rest = &rest[taken..];
            while let Some(frame) = self.requests.next_frame() {
                let frame =
                    frame.map_err(|e| TransportError::Io(format!("keybridge wrote an undecodable frame: {e}")))?;
                self.dispatch(frame)?;
            }
        }
        Ok(())
    }

    fn announce_ksn(&mut self, ksn: Option<&[u8]>) {
        self.announced_ksn = ksn.map(hex::encode_upper);
    }

    fn close(&mut self) -> Result<(), TransportError> {
        with_java(|env| {
            env.call_method(&self.commands, jni_str!("close"), jni_sig!("()V"), &[])?
                .v()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keybridge::device::command::{Tr31KeyType, load_b0, load_tr31_data};

    fn body(code: CommandCode, data: Vec<u8>) -> FrameBody {
        FrameBody {
            cmd: code.cmd,
            sub: code.sub,
            param: 5,
            data,
        }
    }

    /// The link reads back exactly what the loader writes.
    #[test]
    fn load_commands_read_back_as_written() {
        let block = "B0096P0TE00E0000ABCDEF";
        let direct = body(LOAD_TR31, load_tr31_data(7, block));
        let load = LoadCommand::parse(&direct).unwrap();
        assert_eq!((load.slot, load.typed, load.block), (7, false, block));
        let typed = body(
            LOAD_TR31,
            load_tr31_data(load_b0(2, Some(Tr31KeyType::NewKeyPin)), block),
        );
        let load = LoadCommand::parse(&typed).unwrap();
        assert_eq!((load.slot, load.typed), (2, true));
        let mut truncated = load_tr31_data(7, block);
        truncated.pop();
        assert!(LoadCommand::parse(&body(LOAD_TR31, truncated)).is_err());
        assert!(LoadCommand::parse(&body(LOAD_TR31, vec![])).is_err());
    }

    /// What an SDK reports becomes what a reader would send: a timeout is silence, so the loader
    /// settles the load by the slot's KCV; unknown names and plain `false` are failures.
    #[test]
    fn sdk_errors_map_to_reader_answers() {
        assert_eq!(answer_to("TIMEOUT"), Answer::Nothing);
        assert_eq!(answer_to("MAC_ERROR"), Answer::Result(ReaderStatus::MacError));
        assert_eq!(answer_to("REFUSED"), Answer::Result(FAILED));
        assert_eq!(answer_to("SOMETHING_NEW"), Answer::Result(FAILED));
        for (name, answer) in SDK_ERRORS {
            // Each status is one a reader can send the way the table says.
            match answer {
                Answer::Nothing => {}
                Answer::Status(status) => assert_eq!(
                    status.frame_type().and_then(ReaderStatus::from_type),
                    Some(status),
                    "{name}"
                ),
                Answer::Result(status) => assert_eq!(
                    status.result_code().map(ReaderStatus::from_result),
                    Some(status),
                    "{name}"
                ),
            }
        }
    }
}
