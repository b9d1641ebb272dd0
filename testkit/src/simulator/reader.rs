//! The reader's behaviour: its key slots, the KEK of each slot, and the answer to each command.
//! Incoming blocks are unwrapped with the rules a reader applies: the MAC must verify under the
//! slot's KEK, and the version and usage must be ones the firmware takes.

use keybridge::SecretBytes;
use keybridge::device::command::{
    CommandCode, DEVICE_INFO, DeviceInfo, GET_KCV, LOAD_TR31, LOAD_TR31_KSN, ReaderStatus, TR31_CHUNK, TR31_CHUNK_END,
    TYPE_BUSY, TYPE_CONTINUE, TYPE_OK, TYPE_POLL, result,
};
use keybridge::device::frame::{Frame, FrameBody};
use keybridge::kcv::{self, KcvMethod};
use keybridge::tr31::{self, KeyUsage, Profile, Tr31Error, Version};

use super::FalseAnswer;

/// Versions and usages reader firmware documents.
const VERSIONS: [Version; 3] = [Version::A, Version::B, Version::D];
const USAGES: [KeyUsage; 4] = [KeyUsage::K0, KeyUsage::B1, KeyUsage::D0, KeyUsage::P0];
/// Largest block the chunked path assembles (the TR-31 length field's maximum).
const MAX_BLOCK: usize = 9999;

/// A key the reader holds.
pub struct StoredKey {
    pub key: SecretBytes,
    pub algorithm: tr31::Algorithm,
    pub usage: KeyUsage,
    pub ksn: Option<String>,
}

impl StoredKey {
    /// Legacy KCV: first 3 bytes of ECB of zeros, for TDES and AES alike, as readers report it.
    pub fn kcv(&self) -> Option<Vec<u8>> {
        kcv::kcv(self.key.as_bytes(), self.algorithm.cipher_family()?, KcvMethod::Legacy).ok()
    }
}

/// Key storage and protocol state of one simulated reader.
pub struct Reader {
    /// KEK (KBPK) of each slot.
    pub keks: Vec<SecretBytes>,
    pub slots: Vec<Option<StoredKey>>,
    pub pos_id: Vec<u8>,
    pub psam_id: Vec<u8>,
    /// The chunked path's block under assembly.
    chunks: Vec<u8>,
    /// The answer to the last command, which a poll (TYPE 0x22) returns.
    pub last_answer: Option<Frame>,
}

impl Reader {
    pub fn new(keks: Vec<SecretBytes>, pos_id: Vec<u8>) -> Self {
        let slots = keks.iter().map(|_| None).collect();
        Self {
            keks,
            slots,
            pos_id,
            psam_id: vec![0x11; 10],
            chunks: Vec::new(),
            last_answer: None,
        }
    }

    /// Whether the command in `frame` would load a key (faults that refuse loads use this).
    pub fn is_load(frame: &Frame) -> bool {
        frame.kind != TYPE_POLL
            && frame
                .body
                .as_ref()
                .and_then(|b| CommandCode::lookup(b.cmd, b.sub))
                .is_some_and(CommandCode::changes_keys)
    }

    /// Carries out a host frame and returns the answer.
    pub fn handle(&mut self, frame: &Frame) -> Frame {
        if frame.kind == TYPE_POLL {
            return self
                .last_answer
                .clone()
                .unwrap_or_else(|| Frame::status(ReaderStatus::Declined.frame_type().unwrap_or(0x34)));
        }
        let Some(body) = &frame.body else {
            return not_supported();
        };
        let answer = match CommandCode::lookup(body.cmd, body.sub) {
            Some(DEVICE_INFO) => ok(body, DeviceInfo::encode(&self.pos_id, &self.psam_id, &[0; 5])),
            Some(LOAD_TR31) => self.load_direct(body, false),
            Some(LOAD_TR31_KSN) => self.load_direct(body, true),
            Some(TR31_CHUNK) => self.chunk(body),
            Some(TR31_CHUNK_END) => {
                let block = std::mem::take(&mut self.chunks);
                let outcome = self.load(0, &block, None);
                answer(body, outcome)
            }
            Some(GET_KCV) => match body.data.first().and_then(|&s| self.slots.get(usize::from(s))) {
                Some(Some(key)) => ok(body, key.kcv().unwrap_or_default()),
                Some(None) => failed(body, result::KEY_NOT_FOUND),
                None => failed(body, result::INVALID_INPUT),
            },
            _ => not_supported(),
        };
        self.last_answer = Some(answer.clone());
        answer
    }

    /// A false answer to the key load in `frame`, which is not carried out (the false-answer
    /// fault). A later poll returns the lie again, or, for [`FalseAnswer::StalePoll`], the answer
    /// to the command before.
    pub fn answer_falsely(&mut self, frame: &Frame, lie: FalseAnswer) -> Frame {
        let body = frame.body.as_ref();
        let answer = match lie {
            FalseAnswer::BareOk => Frame::status(TYPE_OK),
            FalseAnswer::Continue => Frame::status(TYPE_CONTINUE),
            FalseAnswer::WrongCommand => Frame::new(TYPE_OK, 0, 0, result::SUCCESS, Vec::new()),
            FalseAnswer::StalePoll => return Frame::status(TYPE_BUSY),
            FalseAnswer::OkWithoutStoring => body.map_or(Frame::status(TYPE_OK), |b| ok(b, Vec::new())),
        };
        self.last_answer = Some(answer.clone());
        answer
    }

    /// An answer with `status` for the command in `frame` (the status fault).
    pub fn refuse(&mut self, frame: &Frame, status: ReaderStatus) -> Frame {
        let answer = match (status.result_code(), &frame.body) {
            (Some(code), Some(body)) => failed(body, code),
            _ => Frame::status(status.frame_type().unwrap_or(0x26)),
        };
        self.last_answer = Some(answer.clone());
        answer
    }

    fn load_direct(&mut self, body: &FrameBody, with_ksn: bool) -> Frame {
        let parsed = parse_load(&body.data, with_ksn);
        let outcome = match parsed {
            Some((slot, ksn, block)) => self.load(slot, block, ksn),
            None => Err(result::INVALID_INPUT),
        };
        answer(body, outcome)
    }

    fn chunk(&mut self, body: &FrameBody) -> Frame {
        let Some((offset, bytes)) = body.data.split_first_chunk::<2>() else {
            return failed(body, result::INVALID_INPUT);
        };
        let offset = usize::from(u16::from_be_bytes(*offset));
        if offset == 0 {
            self.chunks.clear();
        }
        if offset != self.chunks.len() || offset + bytes.len() > MAX_BLOCK {
            // A re-sent chunk at the offset already received is harmless; anything else is not.
            if offset + bytes.len() == self.chunks.len() && self.chunks.ends_with(bytes) {
                return ok(body, Vec::new());
            }
            return failed(body, result::INVALID_INPUT);
        }
        self.chunks.extend_from_slice(bytes);
        ok(body, Vec::new())
    }

    /// Unwraps `block` under the slot's KEK with the firmware's rules and stores the key.
    fn load(&mut self, slot: u8, block: &[u8], ksn: Option<String>) -> Result<(), u8> {
        let slot = usize::from(slot);
        let kek = self.keks.get(slot).ok_or(result::INVALID_INPUT)?;
        let text = std::str::from_utf8(block).map_err(|_| result::INVALID_INPUT)?;
        // Firmware takes what HSMs emit, including version A.
        let profile = Profile::LENIENT.with_weak_wrapping();
        let parsed = tr31::KeyBlock::parse(text, &profile).map_err(|_| result::INVALID_INPUT)?;
        let header = parsed.header();
        if !VERSIONS.contains(&header.version) {
            return Err(result::VERSION_NOT_ALLOWED);
        }
        if !USAGES.contains(&header.key_usage) {
            return Err(result::USAGE_NOT_ALLOWED);
        }
        let unwrapped = parsed.unwrap(kek.as_bytes()).map_err(|e| match e {
            Tr31Error::MacMismatch { .. } | Tr31Error::KbpkLength { .. } => result::MAC_ERROR,
            _ => result::INVALID_INPUT,
        })?;
        let ksn = ksn.or_else(|| {
            header
                .optional_block(tr31::KnownBlockId::KeySetId)
                .map(|b| b.data.clone())
        });
        if header.key_usage == KeyUsage::B1 && ksn.is_none() {
            return Err(result::INVALID_INPUT);
        }
        self.slots[slot] = Some(StoredKey {
            key: unwrapped.key,
            algorithm: header.algorithm,
            usage: header.key_usage,
            ksn,
        });
        Ok(())
    }
}

/// `index ‖ [KSN len ‖ KSN] ‖ block len (2) ‖ block`.
fn parse_load(data: &[u8], with_ksn: bool) -> Option<(u8, Option<String>, &[u8])> {
    let (&slot, mut rest) = data.split_first()?;
    let mut ksn = None;
    if with_ksn {
        let (&len, tail) = rest.split_first()?;
        let (k, tail) = tail.split_at_checked(usize::from(len))?;
        ksn = Some(String::from_utf8(k.to_vec()).ok()?);
        rest = tail;
    }
    let (len, block) = rest.split_first_chunk::<2>()?;
    (usize::from(u16::from_be_bytes(*len)) == block.len()).then_some((slot, ksn, block))
}

fn answer(body: &FrameBody, outcome: Result<(), u8>) -> Frame {
    match outcome {
        Ok(()) => ok(body, Vec::new()),
        Err(code) => failed(body, code),
    }
}

fn ok(body: &FrameBody, data: Vec<u8>) -> Frame {
    Frame::new(TYPE_OK, body.cmd, body.sub, result::SUCCESS, data)
}

fn failed(body: &FrameBody, code: u8) -> Frame {
    Frame::new(TYPE_OK, body.cmd, body.sub, code, Vec::new())
}

fn not_supported() -> Frame {
    Frame::status(ReaderStatus::NotSupported.frame_type().unwrap_or(0x35))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keybridge::device::command;
    use keybridge::tr31::{Algorithm, Exportability, Header, ModeOfUse, WrapOptions};

    fn load_frame(slot: u8, block: &str) -> Frame {
        LOAD_TR31.frame(5, command::load_tr31_data(slot, block))
    }

    #[test]
    fn loads_under_the_slot_kek_and_refuses_a_foreign_mac() {
        let kek = SecretBytes::from_slice(&[0x42; 32]);
        let mut reader = Reader::new(vec![kek.clone(); 10], vec![0x31; 8]);
        let header = Header::new(
            Version::D,
            KeyUsage::P0,
            Algorithm::Aes,
            ModeOfUse::EncryptOnly,
            Exportability::NonExportable,
        );
        let block = tr31::wrap(kek.as_bytes(), &header, &[7; 16], &WrapOptions::default()).unwrap();
        let answer = reader.handle(&load_frame(4, &block));
        assert_eq!(answer.body.unwrap().param, result::SUCCESS);
        let expected = kcv::kcv(&[7; 16], keybridge::crypto::CipherFamily::Aes, KcvMethod::Legacy).unwrap();
        let kcv = reader.handle(&GET_KCV.frame(5, vec![4]));
        assert_eq!(kcv.body.unwrap().data, expected);

        let other = tr31::wrap(&[0x43; 32], &header, &[7; 16], &WrapOptions::default()).unwrap();
        let answer = reader.handle(&load_frame(5, &other));
        assert_eq!(answer.body.unwrap().param, result::MAC_ERROR);
        assert!(reader.slots[5].is_none());
        let empty = reader.handle(&GET_KCV.frame(5, vec![5]));
        assert_eq!(empty.body.unwrap().param, result::KEY_NOT_FOUND);
    }

    #[test]
    fn refuses_usages_the_firmware_does_not_take() {
        let kek = SecretBytes::from_slice(&[0x42; 32]);
        let mut reader = Reader::new(vec![kek.clone(); 10], vec![0x31; 8]);
        let header = Header::new(
            Version::D,
            KeyUsage::M6,
            Algorithm::Aes,
            ModeOfUse::GenerateAndVerify,
            Exportability::NonExportable,
        );
        let block = tr31::wrap(kek.as_bytes(), &header, &[7; 16], &WrapOptions::default()).unwrap();
        let answer = reader.handle(&load_frame(0, &block));
        assert_eq!(answer.body.unwrap().param, result::USAGE_NOT_ALLOWED);
    }
}
