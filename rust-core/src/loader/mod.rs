//! `KeyLoader::send_tr31_key`: the Dspread `updateKeyByTR_31` / `sendTR31Key` flows, byte for
//! byte as the vendor SDK sends them, with certainty about the result. Validate the block against
//! a [`LoadPolicy`] before anything is sent, send it (the direct CMD 0x10/0xF5 load, followed by
//! the CMD 0x11/0x60 KSN frame for a DUKPT key, or the chunked 0x40 path), await the reader's
//! verdict, read the key's check value (the vendor's `CHECKVALUE_KEYTYPE` for the block's usage,
//! see [`check_value_type`]) and compare it with the block's `KC` optional block or the caller's
//! expected KCV.
//!
//! Everything is BLOCKING: a key load is a short sequential exchange over a blocking byte stream.
//! Bindings run calls on a worker thread (e.g. tokio `spawn_blocking`) and cancel through a
//! [`CancelHandle`] when, say, a Kotlin coroutine is cancelled.
//!
//! A key reported loaded is a key the reader holds: that is the one promise here.
//! * Only an answer that names the load command counts as the reader's verdict (see
//!   [`Session::request`]); a bare OK, an unknown answer type or an answer to another command
//!   does not. A DUKPT load with a KSN counts only if both frames are answered with RESULT 0.
//! * A key load whose answer was lost or garbled is never re-sent blindly: the loader reads the
//!   key's check value (and the KSN it was loaded with). If it shows the key, that is success; if
//!   it shows another key or none, the load is sent again (within `max_retries`); if it cannot be
//!   read, no KCV of the key is known, or the connection dropped after the load was sent, the
//!   result is [`LoadError::Indeterminate`].
//! * After the reader's OK the check value is read and compared with every KCV known for the key
//!   (the block's `KC`, the caller's, AWS's or the key service's). Where none is known the outcome
//!   says so: [`KcvCheck::Unverified`] is "the reader accepted it", never "verified". Where one
//!   is known but the reader reports no KCV, the load is [`LoadError::KcvUncompared`], never loaded.
//! * KCVs are compared over at least [`MIN_KCV_LEN`](crate::kcv::MIN_KCV_LEN) bytes; a shorter
//!   KCV from the reader is an error, not a match.

mod check_value;
mod dukpt;
mod error;
mod exchange;
mod outcome;
mod policy;
mod request;

use std::time::Instant;

pub use crate::device::answer::{DspreadError, ReaderStatus};
pub use crate::device::command::{CheckValueType, DeviceInfo, Tr31KeyType};
use crate::device::command::{DEVICE_INFO, GET_CHECK_VALUE, SLOTS, check_value_data, parse_check_values};
pub use crate::device::session::CancelHandle;
use crate::device::session::{Session, SessionConfig};
#[cfg(feature = "serial")]
use crate::device::transport::{SerialConfig, SerialTransport};
use crate::device::transport::{TcpTransport, Transport};
use crate::kcv::MIN_KCV_LEN;
pub use check_value::check_value_type;
pub use error::LoadError;
use exchange::Plan;
pub use outcome::{KcvCheck, KeyLoadOutcome, LoadWarning};
use outcome::{KnownKcv, compare_kcvs};
use policy::Checked;
pub use policy::{FACTORY_KBPK, LoadPolicy};
pub use request::{LoadMethod, LoadRequest, LoaderConfig};

/// Loads TR-31 key blocks into one reader. `Send`; one call at a time.
pub struct KeyLoader {
    session: Session,
    config: LoaderConfig,
    /// The check value type of the key this loader last sent into each slot.
    sent: [Option<CheckValueType>; 10],
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
        Self {
            session,
            config,
            sent: [None; 10],
        }
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
        let method = request.method.unwrap_or(self.config.method);
        let slot = self.check_request(block, request, method)?;
        let Checked {
            block: parsed,
            mut warnings,
            kc,
        } = self.config.policy.check(block)?;
        let header = parsed.header();
        let ksn = dukpt::ksn_to_send(header, request.ksn.as_deref())?;
        if method == LoadMethod::Chunked && ksn.is_some() {
            return Err(invalid(
                "the chunked method cannot carry a KSN: load a DUKPT key with its KSN directly",
            ));
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
        let plan = Plan {
            block,
            slot,
            key_type: request.key_type,
            ksn,
            check: check_value_type(header.key_usage, request.key_type),
            method,
            wait: request.timeout,
        };
        self.sent[usize::from(slot)] = plan.check;
        let reader_kcv = self.load_and_read_back(&plan, &known)?;
        let (reader_kcv, kcv_check) = match reader_kcv {
            Some(kcv) => {
                let check = compare_kcvs(&kcv, &known)?;
                (kcv, check)
            }
            None if !known.is_empty() => {
                return Err(LoadError::KcvUncompared {
                    expected: hex::encode_upper(&known[0].0),
                });
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
            check_value_type: plan.check,
            reader_kcv,
            reader_ksn: plan.ksn.clone().unwrap_or_default(),
            kcv_check,
            warnings,
            elapsed: start.elapsed(),
        })
    }

    /// Parse + policy check only, nothing sent: the warnings, or the refusal.
    pub fn check(&self, block: &str) -> Result<Vec<LoadWarning>, LoadError> {
        self.config.policy.check(block).map(|c| c.warnings)
    }

    /// The reader's check value of one key (`kind` a single type: a KCV of 3 bytes, or a KSN), the
    /// whole answer DATA as the SDK reads it. For all types at once see
    /// [`check_values`](Self::check_values).
    pub fn key_check_value(&mut self, slot: u8, kind: CheckValueType) -> Result<Vec<u8>, LoadError> {
        check_slot(slot)?;
        if kind == CheckValueType::DukptMkskAllType {
            return Err(invalid("DUKPT_MKSK_ALLTYPE answers a table: use check_values"));
        }
        Ok(self.read_check_value(slot, kind, None)?)
    }

    /// The check value of `slot` as this loader knows it: of the key type it last sent there, or,
    /// for a slot it has not loaded, of the PIN key (MKSK_PIK).
    pub fn slot_check_value(&mut self, slot: u8) -> Result<Vec<u8>, LoadError> {
        check_slot(slot)?;
        let kind = self.sent[usize::from(slot)].unwrap_or(CheckValueType::MkskPik);
        self.key_check_value(slot, kind)
    }

    /// The reader's check values as the SDK's `onGetKeyCheckValue` table: (vendor key, value)
    /// rows, one for a single type, twelve for [`CheckValueType::DukptMkskAllType`] (9 KCVs, 3 KSNs).
    pub fn check_values(&mut self, slot: u8, kind: CheckValueType) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
        check_slot(slot)?;
        let len = kind.read_len();
        let body = self
            .session
            .request(GET_CHECK_VALUE, check_value_data(slot, kind, len), None)?;
        parse_check_values(kind, len, &body.data).map_err(LoadError::Protocol)
    }

    pub fn close(&mut self) {
        self.session.close();
    }

    /// Argument checks that need no parsing; returns the slot.
    fn check_request(&self, block: &str, request: &LoadRequest, method: LoadMethod) -> Result<u8, LoadError> {
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
        if let Some(key_type) = request.key_type
            && slot == 0
            && key_type != Tr31KeyType::NewKeyAll
        {
            return Err(invalid(&format!(
                "key index 0 with key type {} is the byte {}, which a reader reads as key index {} without a type (the vendor's B0 encoding): use index 1–9",
                key_type.name(),
                key_type.code(),
                key_type.code()
            )));
        }
        match method {
            LoadMethod::Chunked if slot != 0 => Err(invalid(
                "the chunked method carries no key index, so it loads slot 0 only",
            )),
            LoadMethod::Chunked if request.key_type.is_some() => Err(invalid("the chunked method carries no key type")),
            LoadMethod::Direct if 13 + block.len() > self.config.max_frame_len => Err(invalid(&format!(
                "a key block of {} characters does not fit a {}-byte frame; send it chunked (in 64-byte parts)",
                block.len(),
                self.config.max_frame_len
            ))),
            _ => Ok(slot),
        }
    }
}

/// The ASCII key block behind the argument of the vendor's `sendTR31Key(String)`: the SDK
/// hex-decodes that argument and sends the bytes, so a compatible caller passes hex of the
/// block's ASCII (`4430313132…` for `D0112…`).
pub fn block_from_wire_hex(wire_hex: &str) -> Result<String, LoadError> {
    let bytes = hex::decode(wire_hex.trim())
        .map_err(|e| invalid(&format!("sendTR31Key takes hex of the bytes to send: {e}")))?;
    String::from_utf8(bytes)
        .ok()
        .filter(|text| text.is_ascii())
        .ok_or_else(|| invalid("the hex-decoded sendTR31Key argument is not an ASCII key block"))
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
    use crate::device::transport::{TransportError, memory_pair};
    use crate::kcv::KcvMethod;
    use crate::tr31::{
        Algorithm, Exportability, Header, KeyUsage, ModeOfUse, OptionalBlock, Remedy, Version, WrapOptions, wrap,
    };
    use std::time::Duration;

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
    fn a_reader_without_kcv_support_gives_a_warned_unverified_success_only_with_no_kcv_known() {
        use crate::device::answer::{TYPE_OK, result};
        use crate::device::frame::{Frame, FrameCodec};
        let (host, mut reader) = memory_pair();
        let sim = std::thread::spawn(move || {
            let mut codec = FrameCodec::default();
            let mut buf = [0u8; 512];
            while let Ok(n) = reader.read(&mut buf, Duration::from_secs(2)) {
                codec.push(&buf[..n]);
                while let Some(Ok(frame)) = codec.next_frame() {
                    let body = frame.body.unwrap();
                    let answer = if (body.cmd, body.sub) == (GET_CHECK_VALUE.cmd, GET_CHECK_VALUE.sub) {
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
            .send_tr31_key(&block(Version::B, KeyUsage::P0, &[0x5A; 16], &[]))
            .unwrap();
        assert_eq!(outcome.kcv_check, KcvCheck::Unverified);
        assert!(!outcome.is_verified());
        assert_eq!(outcome.warnings, vec![LoadWarning::ReaderKcvUnavailable]);
        // A KCV known for the key (here the block's KC) that cannot be compared is never "loaded".
        let err = l
            .send_tr31_key(&block(Version::B, KeyUsage::P0, &[0x5A; 16], &[kc]))
            .unwrap_err();
        assert!(matches!(err, LoadError::KcvUncompared { .. }), "{err}");
        assert!(err.is_refusal());
        l.close();
        drop(l);
        sim.join().unwrap();
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
            LoadRequest {
                key_type: Some(Tr31KeyType::NewKeyPin),
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

    #[test]
    fn the_send_tr31_key_argument_is_hex_of_the_wire_bytes() {
        assert_eq!(block_from_wire_hex("4430303136").unwrap(), "D0016");
        assert!(block_from_wire_hex("D0016P0TE00N0000").is_err());
        assert!(block_from_wire_hex("FF00").is_err());
    }
}
