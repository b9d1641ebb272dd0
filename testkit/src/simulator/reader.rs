//! The reader's behaviour: its key slots, the KEK of each slot, the answer to each command, and
//! the check of each received frame against the facts ([`super::facts`]).
//!
//! Incoming blocks are unwrapped with the rules a reader applies: the MAC must verify under the
//! slot's KEK, and the version and usage must be ones the firmware takes. Each slot holds the
//! keys a Dspread reader keeps apart (TMK, PIN, data and MAC keys; the track, EMV and PIN DUKPT
//! groups with their KSNs), read back by the vendor's `CHECKVALUE_KEYTYPE` ordinals.
//!
//! As a TR-34 KRD ([`super::krd`]) the reader hands out its certificate and nonces, assembles the
//! envelope and the KDH certificate from chunks, and installs a verified KEK as the KEK of every
//! slot and as key index 0's TMK (what MKSK_TMK reads back).

use keybridge::SecretBytes;
use keybridge::device::answer::{ReaderStatus, TYPE_OK, result};
use keybridge::device::command::{DeviceInfo, certificate_page};
use keybridge::device::frame::{Frame, FrameBody};
use keybridge::kcv::{self, KcvMethod};
use keybridge::tr31::{self, Algorithm, KeyUsage, KnownBlockId, Profile, Tr31Error, Version};

use super::FalseAnswer;
use super::facts::{self, Deviation, Fact};
use super::krd::{KrdState, Tr34Config};

/// Versions and usages reader firmware documents.
const VERSIONS: [Version; 3] = [Version::A, Version::B, Version::D];
const USAGES: [KeyUsage; 4] = [KeyUsage::K0, KeyUsage::B1, KeyUsage::D0, KeyUsage::P0];
/// Largest block the chunked path assembles (the TR-31 length field's maximum).
const MAX_BLOCK: usize = 9999;
/// Largest TR-34 envelope or certificate assembled (the envelope's 2-byte TOTAL).
const MAX_ENVELOPE: usize = 0xFFFF;
/// Check value ordinals of the key kinds a slot holds (0–8), the DUKPT groups' IPEKs (6–8) and
/// KSNs (9–11), and "all types".
const TMK: u8 = 0;
const PIK: u8 = 1;
const TDK: u8 = 2;
const MCK: u8 = 3;
const FIRST_IPEK: u8 = 6;
const FIRST_KSN: u8 = 9;
const LAST_KSN: u8 = 11;
const ALL_TYPES: u8 = 0xFF;

/// A key the reader holds.
pub struct StoredKey {
    pub key: SecretBytes,
    pub algorithm: Algorithm,
    pub usage: KeyUsage,
}

impl StoredKey {
    /// Legacy KCV: first 3 bytes of ECB of zeros, for TDES and AES alike, as readers report it.
    pub fn kcv(&self) -> Option<Vec<u8>> {
        kcv::kcv(self.key.as_bytes(), self.algorithm.cipher_family()?, KcvMethod::Legacy).ok()
    }
}

/// What one key index holds.
#[derive(Default)]
pub struct Slot {
    /// Keys by check value ordinal 0–8.
    keys: [Option<StoredKey>; 9],
    /// KSNs of the track, EMV and PIN DUKPT groups.
    ksns: [Option<Vec<u8>>; 3],
    /// The ordinal of the key loaded last.
    last: Option<u8>,
}

impl Slot {
    /// The key loaded last.
    pub fn last_key(&self) -> Option<&StoredKey> {
        self.keys.get(usize::from(self.last?))?.as_ref()
    }

    /// The KSN of the DUKPT group loaded last.
    pub fn last_ksn(&self) -> Option<&[u8]> {
        let group = self.last?.checked_sub(FIRST_IPEK)?;
        self.ksns.get(usize::from(group))?.as_deref()
    }

    /// What a single-type check value read answers: the KCV or the KSN.
    pub fn check_value(&self, ordinal: u8) -> Option<Vec<u8>> {
        match ordinal {
            0..=8 => self.keys[usize::from(ordinal)].as_ref()?.kcv(),
            FIRST_KSN..=LAST_KSN => self.ksns[usize::from(ordinal - FIRST_KSN)].clone(),
            _ => None,
        }
    }
}

/// A load the reader answered with success, which a KSN frame may follow.
#[derive(Debug, Clone, Copy)]
struct LastLoad {
    slot: u8,
    key_type: Option<u8>,
    aes: bool,
    dukpt: bool,
    /// A DUKPT key without KS or IK: its KSN frame must follow.
    owes_ksn: bool,
    timeout: u8,
}

/// Key storage and protocol state of one simulated reader.
pub struct Reader {
    /// KEK (KBPK) of each slot.
    pub keks: Vec<SecretBytes>,
    pub slots: Vec<Slot>,
    pub pos_id: Vec<u8>,
    pub psam_id: Vec<u8>,
    /// What each chunked command is assembling.
    chunks: Vec<u8>,
    envelope: Vec<u8>,
    kdh_certificate: Vec<u8>,
    /// The reader as a TR-34 KRD.
    pub(super) krd: KrdState,
    /// The answer to the last command, which a poll (TYPE 0x22) returns.
    pub last_answer: Option<Frame>,
    /// Frames that break a fact.
    pub deviations: Vec<Deviation>,
    /// Frames received so far (deviations name them).
    received: u64,
    /// A 0x23 went out intact and no answer has followed it yet.
    in_progress: bool,
    /// A successful load whose answer has not gone out yet, and the one whose answer has.
    pending_load: Option<LastLoad>,
    last_load: Option<LastLoad>,
}

impl Reader {
    pub fn new(keks: Vec<SecretBytes>, pos_id: Vec<u8>, tr34: Tr34Config) -> Self {
        let slots = keks.iter().map(|_| Slot::default()).collect();
        Self {
            keks,
            slots,
            pos_id,
            psam_id: vec![0x11; 10],
            chunks: Vec::new(),
            envelope: Vec::new(),
            kdh_certificate: Vec::new(),
            krd: KrdState::new(tr34),
            last_answer: None,
            deviations: Vec::new(),
            received: 0,
            in_progress: false,
            pending_load: None,
            last_load: None,
        }
    }

    /// Whether the command in `frame` may change keys (faults that refuse or lie about loads).
    pub fn is_load(frame: &Frame) -> bool {
        frame.kind == facts::COMMAND
            && frame
                .body
                .as_ref()
                .is_some_and(|b| [facts::LOAD, facts::KSN, facts::CLOSE, facts::TR34_CLOSE].contains(&(b.cmd, b.sub)))
    }

    fn deviate(&mut self, fact: Fact, detail: String) {
        self.deviations.push(Deviation {
            frame: self.received,
            fact,
            detail,
        });
    }

    /// Bytes that do not decode as a frame.
    pub fn bad_frame(&mut self, error: String) {
        self.received += 1;
        self.deviate(Fact::Framing, error);
    }

    /// Counts a received frame and checks what must hold of every frame; returns the load a KSN
    /// frame may follow.
    fn receive(&mut self, frame: &Frame) -> Option<LastLoad> {
        self.received += 1;
        let last_load = self.last_load.take();
        if frame.kind == facts::POLL {
            // A poll does not end what the last load is owed.
            self.last_load = last_load;
            return None;
        }
        if std::mem::take(&mut self.in_progress) {
            self.deviate(
                Fact::ResendWhileWorking,
                "a new command while the reader is still working (0x23) on the last one".into(),
            );
        }
        let is_ksn = frame.body.as_ref().is_some_and(|b| (b.cmd, b.sub) == facts::KSN);
        if let Some(load) = last_load
            && load.owes_ksn
            && !is_ksn
        {
            self.deviate(
                Fact::KsnMissing,
                format!("the DUKPT key loaded into slot {} got no KSN frame", load.slot),
            );
        }
        last_load
    }

    /// Tells the reader what went out for the last frame: `intact` false when the answer was
    /// dropped or corrupted (the host saw nothing it could read).
    pub fn delivered(&mut self, answer: &Frame, intact: bool) {
        if !intact {
            self.in_progress = false;
            self.pending_load = None;
        } else if answer.kind == facts::IN_PROGRESS {
            self.in_progress = true;
        } else {
            self.in_progress = false;
            self.last_load = self.pending_load.take();
        }
    }

    /// The connection ended: a KSN frame still owed never came.
    pub fn end_of_connection(&mut self) {
        if let Some(load) = self.last_load.take()
            && load.owes_ksn
        {
            self.deviate(
                Fact::KsnMissing,
                format!(
                    "the DUKPT key loaded into slot {} got no KSN frame before the line closed",
                    load.slot
                ),
            );
        }
        self.in_progress = false;
    }

    /// A poll: checks it and returns the pending answer.
    pub fn poll(&mut self, frame: &Frame) -> Frame {
        self.receive(frame);
        let layout_ok = frame
            .body
            .as_ref()
            .is_some_and(|b| (b.cmd, b.sub, b.param) == (0, 0, facts::POLL_TIMEOUT) && b.data.is_empty());
        if !layout_ok {
            self.deviate(Fact::PollLayout, format!("poll {frame:?}"));
        }
        if !self.in_progress {
            self.deviate(Fact::PollWithoutWork, "a poll with no 0x23 answer pending".into());
        }
        self.last_answer
            .clone()
            .unwrap_or_else(|| status(ReaderStatus::Declined))
    }

    /// Carries out a host frame and returns the answer.
    pub fn handle(&mut self, frame: &Frame) -> Frame {
        if frame.kind == facts::POLL {
            return self.poll(frame);
        }
        let last_load = self.receive(frame);
        let answer = match (&frame.body, frame.kind) {
            (Some(body), facts::COMMAND) => self.command(body, last_load),
            _ => {
                self.deviate(Fact::HostFrameType, format!("a frame of TYPE 0x{:02X}", frame.kind));
                status(ReaderStatus::NotSupported)
            }
        };
        self.last_answer = Some(answer.clone());
        answer
    }

    fn command(&mut self, body: &FrameBody, last_load: Option<LastLoad>) -> Frame {
        match (body.cmd, body.sub) {
            facts::DEVICE_INFO => ok(body, DeviceInfo::encode(&self.pos_id, &self.psam_id, &[0; 5])),
            facts::LOAD => self.load_command(body),
            facts::KSN => self.ksn_command(body, last_load),
            facts::CHECK_VALUE => self.check_value_command(body),
            facts::CHUNK => self.chunk(body, Assembly::Tr31Block),
            facts::CLOSE => self.close(body),
            facts::TR34_CHUNK => self.chunk(body, Assembly::Tr34Envelope),
            facts::TR34_CLOSE => self.tr34_close(body),
            facts::STORE_KDH_CERTIFICATE => self.chunk(body, Assembly::KdhCertificate),
            facts::NONCE => self.nonce(body),
            facts::READ_CERTIFICATE => self.read_certificate(body),
            (cmd, sub) => {
                self.deviate(Fact::UnknownCommand, format!("CMD 0x{cmd:02X} SUB 0x{sub:02X}"));
                status(ReaderStatus::NotSupported)
            }
        }
    }

    /// A false answer to the key load in `frame`, which is not carried out (the false-answer
    /// fault). A later poll returns the lie again, or, for [`FalseAnswer::StalePoll`], the answer
    /// to the command before.
    pub fn answer_falsely(&mut self, frame: &Frame, lie: FalseAnswer) -> Frame {
        self.receive(frame);
        let body = frame.body.as_ref();
        let answer = match lie {
            FalseAnswer::BareOk => Frame::status(TYPE_OK),
            FalseAnswer::Continue => Frame::status(0x36),
            FalseAnswer::WrongCommand => Frame::new(TYPE_OK, 0, 0, result::SUCCESS, Vec::new()),
            FalseAnswer::StalePoll => return Frame::status(facts::IN_PROGRESS),
            FalseAnswer::OkWithoutStoring => {
                // As if the load had succeeded: a KSN frame may follow it.
                let load = body.filter(|b| (b.cmd, b.sub) == facts::LOAD);
                self.pending_load = load
                    .and_then(|b| self.read_load(b).ok())
                    .map(|(slot, key_type, block)| {
                        let (aes, dukpt, owes_ksn) = dukpt_facts(&block);
                        LastLoad {
                            slot,
                            key_type,
                            aes,
                            dukpt,
                            owes_ksn,
                            timeout: body.map_or(0, |b| b.param),
                        }
                    });
                body.map_or(Frame::status(TYPE_OK), |b| ok(b, Vec::new()))
            }
        };
        self.last_answer = Some(answer.clone());
        answer
    }

    /// An answer with `status` for the command in `frame` (the status fault).
    pub fn refuse(&mut self, frame: &Frame, refusal: ReaderStatus) -> Frame {
        self.receive(frame);
        let answer = match (refusal.result_code(), &frame.body) {
            (Some(code), Some(body)) => failed(body, code),
            _ => status(refusal),
        };
        self.last_answer = Some(answer.clone());
        answer
    }

    /// Reads load DATA (B0 ‖ LEN ‖ block), recording what breaks the layout.
    fn read_load(&mut self, body: &FrameBody) -> Result<(u8, Option<u8>, String), u8> {
        let layout = body.data.split_first().and_then(|(&b0, rest)| {
            let (len, block) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*len)) == block.len() && block.is_ascii())
                .then(|| (b0, String::from_utf8_lossy(block).into_owned()))
        });
        let Some((b0, block)) = layout else {
            self.deviate(Fact::LoadLayout, format!("load DATA {}", hex::encode_upper(&body.data)));
            return Err(result::INVALID_INPUT);
        };
        let Some((slot, key_type)) = facts::read_b0(b0) else {
            self.deviate(Fact::LoadB0, format!("B0 = 0x{b0:02X}"));
            return Err(result::INVALID_INPUT);
        };
        Ok((slot, key_type, block))
    }

    fn load_command(&mut self, body: &FrameBody) -> Frame {
        if body.param == 0 {
            self.deviate(Fact::CommandTimeout, "a load with TIMEOUT 0".into());
        }
        let outcome = self.read_load(body).and_then(|(slot, key_type, block)| {
            self.load(slot, key_type, block.as_bytes())?;
            let (aes, dukpt, owes_ksn) = dukpt_facts(&block);
            self.pending_load = Some(LastLoad {
                slot,
                key_type,
                aes,
                dukpt,
                owes_ksn,
                timeout: body.param,
            });
            Ok(())
        });
        answer(body, outcome)
    }

    fn ksn_command(&mut self, body: &FrameBody, last_load: Option<LastLoad>) -> Frame {
        let Some(load) = last_load.filter(|l| l.dukpt) else {
            self.deviate(
                Fact::KsnAfterLoad,
                "a KSN frame that does not follow a successful DUKPT load".into(),
            );
            return failed(body, result::INVALID_INPUT);
        };
        if body.param != facts::KSN_TIMEOUT || load.timeout != facts::KSN_TIMEOUT {
            self.deviate(
                Fact::KsnPathTimeout,
                format!(
                    "the load went with TIMEOUT {} and its KSN frame with {}",
                    load.timeout, body.param
                ),
            );
        }
        let (prefix, ksn) = match facts::read_ksn_data(&body.data) {
            Ok(read) => read,
            Err(why) => {
                self.deviate(Fact::KsnLayout, why);
                return failed(body, result::INVALID_INPUT);
            }
        };
        if prefix != facts::ksn_prefix(load.key_type) {
            self.deviate(
                Fact::KsnLayout,
                format!("prefix 0000000{prefix} after a load with key type {:?}", load.key_type),
            );
        }
        let want = if load.aes { 12 } else { 10 };
        if ksn.len() != want {
            self.deviate(
                Fact::KsnLength,
                format!(
                    "a {}-byte KSN for a {} key",
                    ksn.len(),
                    if load.aes { "AES" } else { "TDES" }
                ),
            );
        }
        let slot = &mut self.slots[usize::from(load.slot)];
        for group in 0..3 {
            if prefix & (1 << group) != 0 {
                slot.ksns[group] = Some(ksn.clone());
            }
        }
        ok(body, Vec::new())
    }

    fn check_value_command(&mut self, body: &FrameBody) -> Frame {
        if body.param == 0 {
            self.deviate(Fact::CommandTimeout, "a check value read with TIMEOUT 0".into());
        }
        let request = match body.data[..] {
            [0, 0, slot, code, len] if slot <= 9 && (code <= LAST_KSN || code == ALL_TYPES) && len > 0 => {
                Some((slot, code, len))
            }
            _ => None,
        };
        let Some((slot, code, len)) = request else {
            self.deviate(
                Fact::CheckValueLayout,
                format!("check value DATA {}", hex::encode_upper(&body.data)),
            );
            return failed(body, result::INVALID_INPUT);
        };
        let slot = &self.slots[usize::from(slot)];
        if code != ALL_TYPES {
            return match slot.check_value(code) {
                Some(value) => ok(body, value),
                None => failed(body, result::KEY_NOT_FOUND),
            };
        }
        // 9 KCVs of `len` bytes (zeros where no key), then the 3 KSNs, 12 bytes each if any is.
        let len = usize::from(len);
        let mut data = Vec::new();
        for ordinal in 0..FIRST_KSN {
            let mut kcv = slot.check_value(ordinal).unwrap_or_default();
            kcv.resize(len, 0);
            data.extend(kcv);
        }
        let ksn_len = if slot.ksns.iter().flatten().any(|k| k.len() == 12) {
            12
        } else {
            10
        };
        for ksn in &slot.ksns {
            let mut ksn = ksn.clone().unwrap_or_default();
            ksn.resize(ksn_len, 0);
            data.extend(ksn);
        }
        ok(body, data)
    }

    /// One chunk (offset/16 ‖ 1–64 bytes) of what `assembly` puts together.
    fn chunk(&mut self, body: &FrameBody, assembly: Assembly) -> Frame {
        if let Some((fact, timeout)) = assembly.timeout()
            && body.param != timeout
        {
            self.deviate(fact, format!("a chunk with TIMEOUT {}", body.param));
        }
        let Some((offset, bytes)) = body
            .data
            .split_first_chunk::<2>()
            .filter(|(_, bytes)| (1..=64).contains(&bytes.len()))
        else {
            self.deviate(Fact::ChunkLayout, format!("chunk DATA of {} bytes", body.data.len()));
            return failed(body, result::INVALID_INPUT);
        };
        let position = usize::from(u16::from_be_bytes(*offset)) * 16;
        let mut buffer = std::mem::take(self.buffer(assembly));
        let answer = self.append(body, &mut buffer, position, bytes, assembly.max());
        *self.buffer(assembly) = buffer;
        answer
    }

    fn buffer(&mut self, assembly: Assembly) -> &mut Vec<u8> {
        match assembly {
            Assembly::Tr31Block => &mut self.chunks,
            Assembly::Tr34Envelope => &mut self.envelope,
            Assembly::KdhCertificate => &mut self.kdh_certificate,
        }
    }

    fn append(&mut self, body: &FrameBody, buffer: &mut Vec<u8>, position: usize, bytes: &[u8], max: usize) -> Frame {
        if position == 0 {
            buffer.clear();
        }
        // A re-sent chunk (its answer was lost) is harmless.
        if position + bytes.len() == buffer.len() && buffer.ends_with(bytes) && position != 0 {
            return ok(body, Vec::new());
        }
        if position != buffer.len() {
            self.deviate(
                Fact::ChunkOffset,
                format!(
                    "offset {} after {} bytes (expected {})",
                    position / 16,
                    buffer.len(),
                    buffer.len() / 16
                ),
            );
            return failed(body, result::INVALID_INPUT);
        }
        if !buffer.len().is_multiple_of(64) {
            self.deviate(
                Fact::ChunkAfterShort,
                "a chunk after a chunk shorter than 64 bytes".into(),
            );
        }
        if position + bytes.len() > max {
            return failed(body, result::INVALID_INPUT);
        }
        buffer.extend_from_slice(bytes);
        ok(body, Vec::new())
    }

    fn close(&mut self, body: &FrameBody) -> Frame {
        if body.param != facts::CHUNK_TIMEOUT || !body.data.is_empty() || self.chunks.is_empty() {
            self.deviate(
                Fact::CloseLayout,
                format!(
                    "close with TIMEOUT {}, {} data bytes, after {} chunk bytes",
                    body.param,
                    body.data.len(),
                    self.chunks.len()
                ),
            );
        }
        let block = std::mem::take(&mut self.chunks);
        let outcome = self.load(0, None, &block);
        answer(body, outcome)
    }

    /// `getTR31Token`: a fresh nonce, remembered for the next envelope.
    fn nonce(&mut self, body: &FrameBody) -> Frame {
        if body.param != facts::NONCE_TIMEOUT || !body.data.is_empty() {
            self.deviate(
                Fact::NonceLayout,
                format!("TIMEOUT {}, {} data bytes", body.param, body.data.len()),
            );
        }
        match self.krd.issue_nonce() {
            Some(nonce) => ok(body, nonce),
            None => status(ReaderStatus::NotSupported),
        }
    }

    /// One page of the device certificate (keybridge's chosen command).
    fn read_certificate(&mut self, body: &FrameBody) -> Frame {
        let Some(identity) = &self.krd.config.identity else {
            return status(ReaderStatus::NotSupported);
        };
        let der = identity.certificate.der().to_vec();
        let offset = match body.data[..] {
            [high, low] => usize::from(u16::from_be_bytes([high, low])),
            _ => {
                self.deviate(
                    Fact::CertificateReadLayout,
                    format!("DATA {}", hex::encode_upper(&body.data)),
                );
                return failed(body, result::INVALID_INPUT);
            }
        };
        if offset >= der.len() {
            return failed(body, result::INVALID_INPUT);
        }
        ok(body, certificate_page(&der, offset))
    }

    /// Closes the TR-34 envelope: verify, then install the KEK, or refuse with the vendor's
    /// `UpdateInformationResult`.
    fn tr34_close(&mut self, body: &FrameBody) -> Frame {
        if body.param != facts::TR34_CLOSE_TIMEOUT {
            self.deviate(Fact::Tr34Timeout, format!("the close with TIMEOUT {}", body.param));
        }
        if !body.data.is_empty() || self.envelope.is_empty() {
            self.deviate(
                Fact::Tr34CloseLayout,
                format!(
                    "close with {} data bytes after {} envelope bytes",
                    body.data.len(),
                    self.envelope.len()
                ),
            );
        }
        let envelope = std::mem::take(&mut self.envelope);
        let kdh = std::mem::take(&mut self.kdh_certificate);
        match self.krd.open(&envelope, &kdh) {
            Ok(kek) => {
                let installed = StoredKey {
                    key: kek.clone(),
                    algorithm: Algorithm::Tdes,
                    usage: KeyUsage::K0,
                };
                self.keks = vec![kek; self.keks.len()];
                let slot = &mut self.slots[0];
                slot.keys[usize::from(TMK)] = Some(installed);
                slot.last = Some(TMK);
                ok(body, Vec::new())
            }
            Err(refusal) => failed(body, refusal.outcome.result()),
        }
    }

    /// Unwraps `block` under the slot's KEK with the firmware's rules and stores the key where
    /// its usage (and, for DUKPT, the key type) puts it.
    fn load(&mut self, slot: u8, key_type: Option<u8>, block: &[u8]) -> Result<(), u8> {
        let index = usize::from(slot);
        let kek = self.keks.get(index).ok_or(result::INVALID_INPUT)?;
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
        let ksn = header
            .optional_block(KnownBlockId::KeySetId)
            .and_then(|b| hex::decode(&b.data).ok())
            .or_else(|| {
                let ik = hex::decode(&header.optional_block(KnownBlockId::InitialKeyId)?.data).ok()?;
                Some([ik, vec![0; 4]].concat())
            });
        let algorithm = header.algorithm;
        let usage = header.key_usage;
        let stored = |key: &SecretBytes| StoredKey {
            key: key.clone(),
            algorithm,
            usage,
        };
        let slot = &mut self.slots[index];
        let ordinals: Vec<u8> = match usage {
            KeyUsage::K0 => vec![TMK],
            KeyUsage::P0 => vec![PIK],
            KeyUsage::D0 => vec![TDK],
            KeyUsage::B1 => (0..3u8)
                .filter(|g| facts::ksn_prefix(key_type) & (1 << g) != 0)
                .map(|g| FIRST_IPEK + g)
                .collect(),
            _ => vec![MCK],
        };
        for &ordinal in &ordinals {
            slot.keys[usize::from(ordinal)] = Some(stored(&unwrapped.key));
            if let (Some(group), Some(ksn)) = (ordinal.checked_sub(FIRST_IPEK), &ksn) {
                slot.ksns[usize::from(group)] = Some(ksn.clone());
            }
        }
        // The PIN group is the one reported as "the slot's" DUKPT key when all three are loaded.
        slot.last = ordinals.last().copied();
        Ok(())
    }
}

/// What a chunked command assembles.
#[derive(Debug, Clone, Copy)]
enum Assembly {
    Tr31Block,
    Tr34Envelope,
    KdhCertificate,
}

impl Assembly {
    /// The TIMEOUT the SDK sends with its chunks and the fact that says so (`None`: keybridge's
    /// chosen command, which takes the caller's).
    fn timeout(self) -> Option<(Fact, u8)> {
        match self {
            Self::Tr31Block => Some((Fact::ChunkTimeout, facts::CHUNK_TIMEOUT)),
            Self::Tr34Envelope => Some((Fact::Tr34Timeout, facts::TR34_CHUNK_TIMEOUT)),
            Self::KdhCertificate => None,
        }
    }

    fn max(self) -> usize {
        match self {
            Self::Tr31Block => MAX_BLOCK,
            Self::Tr34Envelope | Self::KdhCertificate => MAX_ENVELOPE,
        }
    }
}

/// Whether a block is an AES key, a DUKPT key, and a DUKPT key without KS or IK.
fn dukpt_facts(block: &str) -> (bool, bool, bool) {
    let Ok(parsed) = tr31::KeyBlock::parse(block, &Profile::LENIENT.with_weak_wrapping()) else {
        return (false, false, false);
    };
    let header = parsed.header();
    let dukpt = matches!(header.key_usage, KeyUsage::B1 | KeyUsage::B0);
    let carries_ksn = header.optional_block(KnownBlockId::KeySetId).is_some()
        || header.optional_block(KnownBlockId::InitialKeyId).is_some();
    (header.algorithm == Algorithm::Aes, dukpt, dukpt && !carries_ksn)
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

fn status(status: ReaderStatus) -> Frame {
    Frame::status(status.frame_type().unwrap_or(0x26))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keybridge::tr31::{Exportability, Header, ModeOfUse, OptionalBlock, WrapOptions};

    fn command(cmd: (u8, u8), timeout: u8, data: Vec<u8>) -> Frame {
        Frame::new(facts::COMMAND, cmd.0, cmd.1, timeout, data)
    }

    fn load_frame(b0: u8, block: &str) -> Frame {
        let mut data = vec![b0];
        data.extend((block.len() as u16).to_be_bytes());
        data.extend(block.as_bytes());
        command(facts::LOAD, 5, data)
    }

    fn reader(kek: &[u8]) -> Reader {
        Reader::new(
            vec![SecretBytes::from_slice(kek); 10],
            vec![0x31; 8],
            Tr34Config::default(),
        )
    }

    /// A TDES DUKPT initial key (B1, version B) with no KSN of its own, wrapped under `kek`.
    fn tdes_dukpt_block(kek: &[u8]) -> String {
        let b1 = Header::new(
            Version::B,
            KeyUsage::B1,
            Algorithm::Tdes,
            ModeOfUse::DeriveKeys,
            Exportability::NonExportable,
        );
        tr31::wrap(kek, &b1, &[0x22; 16], &WrapOptions::default()).unwrap()
    }

    /// Handles a frame and delivers its answer intact.
    fn exchange(reader: &mut Reader, frame: &Frame) -> Frame {
        let answer = reader.handle(frame);
        reader.delivered(&answer, true);
        answer
    }

    #[test]
    fn loads_under_the_slot_kek_and_refuses_a_foreign_mac() {
        let kek = [0x42; 32];
        let mut r = reader(&kek);
        let header = Header::new(
            Version::D,
            KeyUsage::P0,
            Algorithm::Aes,
            ModeOfUse::EncryptOnly,
            Exportability::NonExportable,
        );
        let block = tr31::wrap(&kek, &header, &[7; 16], &WrapOptions::default()).unwrap();
        let answer = exchange(&mut r, &load_frame(4, &block));
        assert_eq!(answer.body.unwrap().param, result::SUCCESS);
        let expected = kcv::kcv(&[7; 16], keybridge::crypto::CipherFamily::Aes, KcvMethod::Legacy).unwrap();
        let kcv = exchange(&mut r, &command(facts::CHECK_VALUE, 5, vec![0, 0, 4, PIK, 3]));
        assert_eq!(kcv.body.unwrap().data, expected);

        let other = tr31::wrap(&[0x43; 32], &header, &[7; 16], &WrapOptions::default()).unwrap();
        let answer = exchange(&mut r, &load_frame(5, &other));
        assert_eq!(answer.body.unwrap().param, result::MAC_ERROR);
        let empty = exchange(&mut r, &command(facts::CHECK_VALUE, 5, vec![0, 0, 5, PIK, 3]));
        assert_eq!(empty.body.unwrap().param, result::KEY_NOT_FOUND);
        assert_eq!(r.deviations, vec![]);
    }

    #[test]
    fn refuses_usages_the_firmware_does_not_take() {
        let kek = [0x42; 32];
        let mut r = reader(&kek);
        let header = Header::new(
            Version::D,
            KeyUsage::M6,
            Algorithm::Aes,
            ModeOfUse::GenerateAndVerify,
            Exportability::NonExportable,
        );
        let block = tr31::wrap(&kek, &header, &[7; 16], &WrapOptions::default()).unwrap();
        let answer = exchange(&mut r, &load_frame(0, &block));
        assert_eq!(answer.body.unwrap().param, result::USAGE_NOT_ALLOWED);
    }

    /// Each kind of frame a real reader would not accept is logged with the fact it breaks.
    #[test]
    fn deviations_name_the_fact() {
        let kek = [0x11; 16];
        let mut r = reader(&kek);
        let block = tdes_dukpt_block(&kek);
        let cases: Vec<(Vec<Frame>, Fact)> = vec![
            (vec![command((0x10, 0x46), 5, vec![0])], Fact::UnknownCommand),
            (vec![command(facts::LOAD, 5, vec![1, 0, 9, b'D'])], Fact::LoadLayout),
            (vec![load_frame(0xF0, "D0016")], Fact::LoadB0),
            (vec![command(facts::CHECK_VALUE, 5, vec![4])], Fact::CheckValueLayout),
            (vec![command(facts::CHUNK, 60, vec![0, 1, b'D'])], Fact::ChunkOffset),
            (vec![command(facts::CHUNK, 5, vec![0, 0, b'D'])], Fact::ChunkTimeout),
            (vec![command(facts::CLOSE, 60, vec![])], Fact::CloseLayout),
            (vec![Frame::new(facts::POLL, 0, 0, 0x0F, vec![])], Fact::PollWithoutWork),
            (vec![command(facts::KSN, 10, vec![0, 0, 0, 7])], Fact::KsnAfterLoad),
            (
                vec![
                    load_frame(1, &block),
                    command(facts::CHECK_VALUE, 5, vec![0, 0, 1, 8, 3]),
                ],
                Fact::KsnMissing,
            ),
        ];
        for (frames, fact) in cases {
            let mut r = reader(&kek);
            for frame in &frames {
                exchange(&mut r, frame);
            }
            assert!(
                r.deviations.iter().any(|d| d.fact == fact),
                "{fact:?}: {:?}",
                r.deviations
            );
            assert!(r.deviations[0].to_string().contains("breaks"));
        }
        // A re-send while the reader still works: the host saw 0x23.
        let busy = Frame::status(facts::IN_PROGRESS);
        r.handle(&load_frame(1, &block));
        r.delivered(&busy, true);
        exchange(&mut r, &load_frame(1, &block));
        assert!(r.deviations.iter().any(|d| d.fact == Fact::ResendWhileWorking));
    }

    /// A DUKPT load with its KSN frame: the key and the KSN go to the groups the prefix names,
    /// and an AES key with IK needs no KSN frame.
    #[test]
    fn dukpt_keys_take_their_ksn_from_the_ksn_frame_or_the_block() {
        let kek = [0x11; 16];
        let mut r = reader(&kek);
        let block = tdes_dukpt_block(&kek);
        let ksn = hex::decode("FFFF9876543210E00000").unwrap();
        let mut data = vec![0, 0, 0, 4];
        for _ in 0..3 {
            data.push(10);
            data.extend(&ksn);
        }
        // idx 2, NEW_KEY_PIN: B0 = 22.
        let load = Frame::new(
            facts::COMMAND,
            0x10,
            0xF5,
            10,
            load_frame(22, &block).body.unwrap().data,
        );
        exchange(&mut r, &load);
        exchange(&mut r, &command(facts::KSN, 10, data));
        assert_eq!(r.deviations, vec![]);
        assert_eq!(r.slots[2].check_value(LAST_KSN), Some(ksn));
        assert!(r.slots[2].check_value(8).is_some() && r.slots[2].check_value(6).is_none());

        let mut aes = reader(&[0x33; 32]);
        let mut b1 = Header::new(
            Version::D,
            KeyUsage::B1,
            Algorithm::Aes,
            ModeOfUse::DeriveKeys,
            Exportability::NonExportable,
        );
        b1.optional_blocks.push(OptionalBlock::new("IK", "0123456789ABCDEF"));
        let block = tr31::wrap(&[0x33; 32], &b1, &[0x44; 16], &WrapOptions::default()).unwrap();
        exchange(&mut aes, &load_frame(3, &block));
        let all = exchange(&mut aes, &command(facts::CHECK_VALUE, 5, vec![0, 0, 3, ALL_TYPES, 3]));
        let data = all.body.unwrap().data;
        assert_eq!(data.len(), 27 + 36);
        assert_eq!(hex::encode_upper(&data[27 + 24..]), "0123456789ABCDEF00000000");
        assert_eq!(aes.deviations, vec![]);
    }
}
