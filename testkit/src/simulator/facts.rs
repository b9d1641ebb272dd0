//! What a real reader accepts from its host, as the vendor's Android SDK 8.5.4 sends it (read from
//! its bytecode; offsets are the SDK's). The simulator checks every frame it receives against
//! these facts and records each breach as a [`Deviation`]: a frame a real reader would refuse or
//! misread. The facts are written down here from the notes on the SDK, not taken from
//! keybridge's own command code, so that the simulator can catch keybridge.

/// A fact about the host's frames that a frame can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fact {
    Framing,
    HostFrameType,
    PollLayout,
    PollWithoutWork,
    ResendWhileWorking,
    UnknownCommand,
    LoadLayout,
    LoadB0,
    CommandTimeout,
    KsnAfterLoad,
    KsnLayout,
    KsnPathTimeout,
    KsnLength,
    KsnMissing,
    CheckValueLayout,
    ChunkLayout,
    ChunkOffset,
    ChunkAfterShort,
    ChunkTimeout,
    CloseLayout,
}

/// Each fact, what it says and where the SDK shows it.
const FACTS: [(Fact, &str); 20] = [
    (
        Fact::Framing,
        "a frame is 'M' ‖ LEN (2, BE) ‖ TYPE CMD SUB TIMEOUT DATA_LEN (2, BE) DATA ‖ XOR of every byte before it, LEN = 6 + DATA_LEN (j0.b() @0–35)",
    ),
    (
        Fact::HostFrameType,
        "the host sends TYPE 0x21 commands (j.<init>(III[B) @10) and TYPE 0x22 polls, each with CMD SUB TIMEOUT DATA_LEN",
    ),
    (
        Fact::PollLayout,
        "the poll is TYPE 0x22 CMD 00 SUB 00 TIMEOUT 0x0F without data (new j(34,0,0,15), Vpos.d @613)",
    ),
    (
        Fact::PollWithoutWork,
        "the host polls only after a 0x23 \"still working\" answer (Vpos.d @130–712)",
    ),
    (
        Fact::ResendWhileWorking,
        "after a 0x23 answer the host polls with 0x22 and sends nothing else until the answer (Vpos.d @130–712)",
    ),
    (
        Fact::UnknownCommand,
        "the key commands are 0x10/0xF5 load, 0x11/0x60 KSN, 0x23/0x20 check value, 0x40/0x20 chunk, 0x40/0x21 close (and 0x10/0x00 device info)",
    ),
    (
        Fact::LoadLayout,
        "load DATA = B0 ‖ LEN (2, BE) ‖ the block in ASCII, LEN its length (s0.a(Vpos,String,int,int,TR31KeyType) @3, @24–74)",
    ),
    (
        Fact::LoadB0,
        "load B0 = key index 0–9, or the decimal digits of index then key type code 0–3 (@24–74)",
    ),
    (
        Fact::CommandTimeout,
        "TIMEOUT is the caller's timeout in seconds, at least 1 (updateKeyByTR_31 w = 5, getKeyCheckValue 5)",
    ),
    (
        Fact::KsnAfterLoad,
        "the KSN frame 0x11/0x60 follows directly a DUKPT load the reader answered with RESULT 0 (s0 l.6742)",
    ),
    (
        Fact::KsnLayout,
        "KSN DATA = 0000000P ‖ L ‖ KSN ‖ L ‖ KSN ‖ L ‖ KSN, three equal copies, L = 10 or 12, P = 3 for NEW_KEY_DATA, 4 for NEW_KEY_PIN, else 7 (s0 l.6742 @155–230, l.6892)",
    ),
    (
        Fact::KsnPathTimeout,
        "a load with a KSN sends both frames with TIMEOUT 10 (s0.a(Vpos,ksn,block,10,idx))",
    ),
    (
        Fact::KsnLength,
        "a TDES DUKPT KSN is 10 bytes, an AES DUKPT KSN 12 (IK ‖ counter)",
    ),
    (
        Fact::KsnMissing,
        "a DUKPT initial key whose block carries no KS or IK is followed by its KSN frame (updateKeyByTR_31(idx, ksn, block))",
    ),
    (
        Fact::CheckValueLayout,
        "check value DATA = 00 00 idx code len, idx 0–9, code the CHECKVALUE_KEYTYPE ordinal 0–11 or 0xFF, len at least 1 (y.b @65–76)",
    ),
    (
        Fact::ChunkLayout,
        "chunk DATA = offset (2, BE) ‖ 1–64 bytes (s0.a(Vpos,String) @31–90)",
    ),
    (
        Fact::ChunkOffset,
        "a chunk's offset is the byte position of its data / 16: 0, 4, 8, … (@31–90)",
    ),
    (
        Fact::ChunkAfterShort,
        "every chunk but the last carries 64 bytes (@31–90)",
    ),
    (
        Fact::ChunkTimeout,
        "the chunked path's frames carry TIMEOUT 60 (@264–276, @304–314)",
    ),
    (
        Fact::CloseLayout,
        "the chunked path closes with 0x40/0x21 without data, after its chunks (@304–314)",
    ),
];

impl Fact {
    /// What the fact says, with where the SDK shows it.
    pub fn text(self) -> &'static str {
        FACTS.iter().find(|(f, _)| *f == self).map_or("", |(_, t)| t)
    }
}

/// A received frame that breaks a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// Which received frame (1 = the first, over the simulator's life).
    pub frame: u64,
    pub fact: Fact,
    /// What the frame did.
    pub detail: String,
}

impl std::fmt::Display for Deviation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "frame {}: {} — breaks: {}",
            self.frame,
            self.detail,
            self.fact.text()
        )
    }
}

/// `TYPE` of a host command and of the poll.
pub const COMMAND: u8 = 0x21;
pub const POLL: u8 = 0x22;
/// The poll's fixed TIMEOUT.
pub const POLL_TIMEOUT: u8 = 0x0F;
/// `TYPE` of "still working".
pub const IN_PROGRESS: u8 = 0x23;

/// (CMD, SUB) of each command a reader takes.
pub const DEVICE_INFO: (u8, u8) = (0x10, 0x00);
pub const LOAD: (u8, u8) = (0x10, 0xF5);
pub const KSN: (u8, u8) = (0x11, 0x60);
pub const CHECK_VALUE: (u8, u8) = (0x23, 0x20);
pub const CHUNK: (u8, u8) = (0x40, 0x20);
pub const CLOSE: (u8, u8) = (0x40, 0x21);

/// TIMEOUT of the KSN path and of the chunked path.
pub const KSN_TIMEOUT: u8 = 10;
pub const CHUNK_TIMEOUT: u8 = 60;

/// A load's B0 as the SDK writes it: (index, key type code).
pub fn read_b0(b0: u8) -> Option<(u8, Option<u8>)> {
    match b0 {
        0..=9 => Some((b0, None)),
        10..=99 if b0 % 10 <= 3 => Some((b0 / 10, Some(b0 % 10))),
        _ => None,
    }
}

/// The KSN prefix's `P` for a key type code: 3 DATA, 4 PIN, else 7.
pub fn ksn_prefix(key_type: Option<u8>) -> u8 {
    match key_type {
        Some(3) => 3,
        Some(2) => 4,
        _ => 7,
    }
}

/// KSN frame DATA: (P, KSN), or what breaks the layout.
pub fn read_ksn_data(data: &[u8]) -> Result<(u8, Vec<u8>), String> {
    if data.len() < 5 || data[..3] != [0, 0, 0] {
        return Err(format!("DATA {} does not start 000000P", hex::encode_upper(data)));
    }
    let prefix = data[3];
    let len = usize::from(data[4]);
    if len != 10 && len != 12 {
        return Err(format!("L is {len}"));
    }
    if data.len() < 5 + len {
        return Err(format!("L is {len} but {} bytes follow it", data.len() - 5));
    }
    let copy = &data[4..5 + len];
    let rest = &data[4..];
    if rest.len() != 3 * (1 + len) || rest.chunks(1 + len).any(|c| c != copy) {
        return Err(format!(
            "DATA after the prefix is {} bytes, not three equal copies of L ‖ KSN",
            rest.len()
        ));
    }
    Ok((prefix, copy[1..].to_vec()))
}
