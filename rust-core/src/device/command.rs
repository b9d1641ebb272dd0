//! The commands keybridge sends, byte for byte as the vendor's Android SDK 8.5.4 sends them (read
//! from its bytecode; the offsets below are the SDK's, see the project's notes on it), and the
//! DATA layouts of each. Every command code is in the one table [`COMMANDS`].
//!
//! * Load (`updateKeyByTR_31`): CMD 0x10 SUB 0xF5, DATA = B0 ‖ LEN (2, BE) ‖ the block in ASCII.
//!   B0 is the key index, or the decimal digits of the index followed by the key type's code.
//! * KSN of a DUKPT initial key (`updateKeyByTR_31(idx, ksn, block)`): after a successful load,
//!   CMD 0x11 SUB 0x60 TIMEOUT 10, DATA = `0000000P ‖ L ‖ KSN ‖ L ‖ KSN ‖ L ‖ KSN`.
//! * Check value (`getKeyCheckValue`): CMD 0x23 SUB 0x20, DATA = `00 00 idx code len`.
//! * Chunked path (`sendTR31Key`): CMD 0x40 SUB 0x20 TIMEOUT 60 chunks of DATA = offset (2, BE, in
//!   units of 16 bytes) ‖ up to 64 bytes, closed by CMD 0x40 SUB 0x21 TIMEOUT 60 without data.
//! * Poll (after a "still working" answer): TYPE 0x22 CMD 00 SUB 00 TIMEOUT 0x0F, no data.
//!
//! Device info (CMD 0x10 SUB 0x00) comes from the PC SDK's test harness, not from the Android SDK.

use super::frame::Frame;

/// `TYPE` of a host command (`j.<init>(III[B)` @10: always 0x21).
pub const TYPE_COMMAND: u8 = 0x21;
/// `TYPE` of the poll that asks for the pending command's answer (`new j(34,0,0,15)` @613).
pub const TYPE_POLL: u8 = 0x22;
/// The poll's TIMEOUT byte, fixed by the SDK.
pub const POLL_TIMEOUT: u8 = 0x0F;
/// TIMEOUT of both frames of a load with a KSN (`s0.a(Vpos,ksn,block,10,idx)`).
pub const KSN_PATH_TIMEOUT: u8 = 10;
/// TIMEOUT of the chunked path's frames (@264–276, @304–314).
pub const CHUNK_TIMEOUT: u8 = 60;
/// TIMEOUT of a load when the caller gives none (`MPOSService.w`, initially 5).
pub const DEFAULT_LOAD_TIMEOUT: u8 = 5;

/// A command's `CMD`/`SUB` pair, and the TIMEOUT byte the SDK always sends with it, if fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandCode {
    pub name: &'static str,
    pub cmd: u8,
    pub sub: u8,
    /// The TIMEOUT byte the SDK always sends with this command (`None`: the caller's timeout).
    pub fixed_timeout: Option<u8>,
}

const fn code(name: &'static str, cmd: u8, sub: u8, fixed_timeout: Option<u8>) -> CommandCode {
    CommandCode {
        name,
        cmd,
        sub,
        fixed_timeout,
    }
}

/// Device info: POS id and PSAM id (PC SDK harness: `getDLPackage(0x21, 0x10, 0x00, …)`).
pub const DEVICE_INFO: CommandCode = code("device info", 0x10, 0x00, None);
/// TR-31 load (`s0.a(Vpos,String,int,int,TR31KeyType)` @153–165).
pub const LOAD_TR31: CommandCode = code("load TR-31 key block", 0x10, 0xF5, None);
/// The KSN of the DUKPT initial key just loaded (s0 l.6742 @155–230).
pub const LOAD_KSN: CommandCode = code("load DUKPT KSN", 0x11, 0x60, Some(KSN_PATH_TIMEOUT));
/// A key's check value or KSN (`y.b(Vpos,int,CHECKVALUE_KEYTYPE,int,int)` @65–76).
pub const GET_CHECK_VALUE: CommandCode = code("get key check value", 0x23, 0x20, None);
/// One chunk of the `sendTR31Key` path.
pub const TR31_CHUNK: CommandCode = code("TR-31 key block chunk", 0x40, 0x20, Some(CHUNK_TIMEOUT));
/// Closes the chunked path; the reader then applies the block.
pub const TR31_CHUNK_END: CommandCode = code("TR-31 key block end", 0x40, 0x21, Some(CHUNK_TIMEOUT));

/// Every command keybridge sends.
pub const COMMANDS: [CommandCode; 6] = [
    DEVICE_INFO,
    LOAD_TR31,
    LOAD_KSN,
    GET_CHECK_VALUE,
    TR31_CHUNK,
    TR31_CHUNK_END,
];

/// Data bytes per chunk of the chunked path.
pub const CHUNK_LEN: usize = 64;
/// Chunk offsets count units of this many bytes (@31–90: `pos/16`).
pub const CHUNK_OFFSET_UNIT: usize = 16;
/// Key indexes the SDK takes (`updateKeyByTR_31`: outside 0–9 is INPUT_INVALID).
pub const SLOTS: std::ops::RangeInclusive<u8> = 0..=9;

impl CommandCode {
    /// The command in [`COMMANDS`] with this `CMD`/`SUB`.
    pub fn lookup(cmd: u8, sub: u8) -> Option<Self> {
        COMMANDS.iter().copied().find(|c| c.cmd == cmd && c.sub == sub)
    }

    /// A host frame for this command with TIMEOUT `timeout_secs` (the fixed one where the SDK
    /// fixes it).
    pub fn frame(self, timeout_secs: u8, data: Vec<u8>) -> Frame {
        Frame::new(
            TYPE_COMMAND,
            self.cmd,
            self.sub,
            self.fixed_timeout.unwrap_or(timeout_secs),
            data,
        )
    }

    /// Whether a reader may change its key storage when it receives this command: such a
    /// command is never re-sent blindly after a lost answer.
    pub fn changes_keys(self) -> bool {
        self == LOAD_TR31 || self == LOAD_KSN || self == TR31_CHUNK_END
    }
}

/// The poll frame.
pub fn poll_frame() -> Frame {
    Frame::new(TYPE_POLL, 0, 0, POLL_TIMEOUT, Vec::new())
}

/// The vendor's `QPOSService.TR31KeyType`: where a TR-31 key goes. Its code is the digit that
/// follows the key index in B0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tr31KeyType {
    NewKeyAll,
    NewKeyTmk,
    NewKeyPin,
    NewKeyData,
}

/// (type, code, vendor constant name), in the vendor's order.
const KEY_TYPES: [(Tr31KeyType, u8, &str); 4] = [
    (Tr31KeyType::NewKeyAll, 0, "NEW_KEY_ALL"),
    (Tr31KeyType::NewKeyTmk, 1, "NEW_KEY_TMK"),
    (Tr31KeyType::NewKeyPin, 2, "NEW_KEY_PIN"),
    (Tr31KeyType::NewKeyData, 3, "NEW_KEY_DATA"),
];

impl Tr31KeyType {
    pub fn code(self) -> u8 {
        KEY_TYPES.iter().find(|(t, _, _)| *t == self).map_or(0, |(_, c, _)| *c)
    }

    pub fn from_code(code: u8) -> Option<Self> {
        KEY_TYPES.iter().find(|(_, c, _)| *c == code).map(|(t, _, _)| *t)
    }

    /// The vendor's constant name (`NEW_KEY_PIN`).
    pub fn name(self) -> &'static str {
        KEY_TYPES.iter().find(|(t, _, _)| *t == self).map_or("", |(_, _, n)| *n)
    }

    /// The type with this vendor name, or its short form (`all`, `tmk`, `pin`, `data`, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        KEY_TYPES
            .iter()
            .find(|(_, _, n)| n.eq_ignore_ascii_case(name) || n[8..].eq_ignore_ascii_case(name))
            .map(|(t, _, _)| *t)
    }
}

/// B0 of a load: the index, or `Integer.parseInt("" + idx + type.code)` (@24–74). Note the
/// vendor's ambiguity: index 0 with type code c is the byte c, the same as index c without a type.
pub fn load_b0(slot: u8, key_type: Option<Tr31KeyType>) -> u8 {
    match key_type {
        None => slot,
        Some(t) => slot * 10 + t.code(),
    }
}

/// How a reader reads B0: 0–9 is an index without a type; 10–99 is the index's digit then the
/// type's code (`None` when that code is not a key type).
pub fn parse_b0(b0: u8) -> Option<(u8, Option<Tr31KeyType>)> {
    match b0 {
        0..=9 => Some((b0, None)),
        10..=99 => Tr31KeyType::from_code(b0 % 10).map(|t| (b0 / 10, Some(t))),
        _ => None,
    }
}

/// DATA of a TR-31 load: B0 ‖ block length (2, BE) ‖ the ASCII block.
pub fn load_tr31_data(b0: u8, block: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(3 + block.len());
    data.push(b0);
    data.extend_from_slice(&(block.len() as u16).to_be_bytes());
    data.extend_from_slice(block.as_bytes());
    data
}

/// KSN lengths the SDK takes: 10 bytes (TDES DUKPT) or 12 (AES DUKPT), as 20 or 24 hex digits.
pub const KSN_LENGTHS: [usize; 2] = [10, 12];

/// The `P` of the KSN frame's prefix `0000000P`: 3 for NEW_KEY_DATA, 4 for NEW_KEY_PIN, else 7
/// (s0 l.6892). Read as a bit set it names the DUKPT groups (1 track, 2 EMV, 4 PIN).
pub fn ksn_prefix(key_type: Option<Tr31KeyType>) -> u8 {
    match key_type {
        Some(Tr31KeyType::NewKeyData) => 3,
        Some(Tr31KeyType::NewKeyPin) => 4,
        _ => 7,
    }
}

/// DATA of the KSN frame: `00 00 00 P ‖ L ‖ KSN ‖ L ‖ KSN ‖ L ‖ KSN`, L = the KSN's length.
pub fn ksn_data(key_type: Option<Tr31KeyType>, ksn: &[u8]) -> Vec<u8> {
    let mut data = vec![0, 0, 0, ksn_prefix(key_type)];
    for _ in 0..3 {
        data.push(ksn.len() as u8);
        data.extend_from_slice(ksn);
    }
    data
}

/// Reads KSN frame DATA back: the prefix's `P` and the KSN, or what is wrong with it.
pub fn parse_ksn_data(data: &[u8]) -> Result<(u8, Vec<u8>), String> {
    let (prefix, mut rest) = data
        .split_first_chunk::<4>()
        .ok_or_else(|| format!("{} bytes, shorter than the 4-byte prefix", data.len()))?;
    if prefix[..3] != [0, 0, 0] || ![3, 4, 7].contains(&prefix[3]) {
        return Err(format!(
            "prefix {} is not 00000003, 00000004 or 00000007",
            hex::encode_upper(prefix)
        ));
    }
    let mut ksns = Vec::new();
    for copy in 1..=3 {
        let (&len, tail) = rest
            .split_first()
            .ok_or_else(|| format!("ends before the length of KSN copy {copy}"))?;
        if !KSN_LENGTHS.contains(&usize::from(len)) {
            return Err(format!("KSN copy {copy} has length {len}, not 10 or 12"));
        }
        let (ksn, tail) = tail
            .split_at_checked(usize::from(len))
            .ok_or_else(|| format!("KSN copy {copy} says {len} bytes but {} remain", tail.len()))?;
        ksns.push(ksn);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the third KSN", rest.len()));
    }
    if ksns[1] != ksns[0] || ksns[2] != ksns[0] {
        return Err("the three KSN copies differ".into());
    }
    Ok((prefix[3], ksns[0].to_vec()))
}

/// The vendor's `QPOSService.CHECKVALUE_KEYTYPE`: which key's check value (or which DUKPT KSN)
/// a check-value read asks for. The wire code is the ordinal, 0xFF for all types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckValueType {
    MkskTmk,
    MkskPik,
    MkskTdk,
    MkskMck,
    Tck,
    Magk,
    DukptTrkIpek,
    DukptEmvIpek,
    DukptPinIpek,
    DukptTrkKsn,
    DukptEmvKsn,
    DukptPinKsn,
    DukptMkskAllType,
}

/// (type, wire code, vendor constant name), in the vendor's ordinal order.
const CHECK_VALUE_TYPES: [(CheckValueType, u8, &str); 13] = [
    (CheckValueType::MkskTmk, 0, "MKSK_TMK"),
    (CheckValueType::MkskPik, 1, "MKSK_PIK"),
    (CheckValueType::MkskTdk, 2, "MKSK_TDK"),
    (CheckValueType::MkskMck, 3, "MKSK_MCK"),
    (CheckValueType::Tck, 4, "TCK"),
    (CheckValueType::Magk, 5, "MAGK"),
    (CheckValueType::DukptTrkIpek, 6, "DUKPT_TRK_IPEK"),
    (CheckValueType::DukptEmvIpek, 7, "DUKPT_EMV_IPEK"),
    (CheckValueType::DukptPinIpek, 8, "DUKPT_PIN_IPEK"),
    (CheckValueType::DukptTrkKsn, 9, "DUKPT_TRK_KSN"),
    (CheckValueType::DukptEmvKsn, 10, "DUKPT_EMV_KSN"),
    (CheckValueType::DukptPinKsn, 11, "DUKPT_PIN_KSN"),
    (CheckValueType::DukptMkskAllType, 0xFF, "DUKPT_MKSK_ALLTYPE"),
];

/// KCV length the SDK asks for (`M0`, initially 3).
pub const KCV_LEN: u8 = 3;
/// Length the SDK asks for once a KSN type was read (`M0` = 10, and it stays 10).
pub const KSN_READ_LEN: u8 = 10;

impl CheckValueType {
    /// Every single type (not ALLTYPE), in ordinal order: the order of an all-types answer.
    pub const SINGLE: [CheckValueType; 12] = [
        Self::MkskTmk,
        Self::MkskPik,
        Self::MkskTdk,
        Self::MkskMck,
        Self::Tck,
        Self::Magk,
        Self::DukptTrkIpek,
        Self::DukptEmvIpek,
        Self::DukptPinIpek,
        Self::DukptTrkKsn,
        Self::DukptEmvKsn,
        Self::DukptPinKsn,
    ];

    /// The wire code: the ordinal, 0xFF for [`DukptMkskAllType`](Self::DukptMkskAllType).
    pub fn code(self) -> u8 {
        CHECK_VALUE_TYPES
            .iter()
            .find(|(t, _, _)| *t == self)
            .map_or(0xFF, |(_, c, _)| *c)
    }

    pub fn from_code(code: u8) -> Option<Self> {
        CHECK_VALUE_TYPES
            .iter()
            .find(|(_, c, _)| *c == code)
            .map(|(t, _, _)| *t)
    }

    /// The vendor's constant name.
    pub fn name(self) -> &'static str {
        CHECK_VALUE_TYPES
            .iter()
            .find(|(t, _, _)| *t == self)
            .map_or("", |(_, _, n)| *n)
    }

    /// The type with this vendor name (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        CHECK_VALUE_TYPES
            .iter()
            .find(|(_, _, n)| n.eq_ignore_ascii_case(name))
            .map(|(t, _, _)| *t)
    }

    /// Whether this type reads a DUKPT KSN rather than a key's KCV.
    pub fn is_ksn(self) -> bool {
        matches!(self, Self::DukptTrkKsn | Self::DukptEmvKsn | Self::DukptPinKsn)
    }

    /// The key of this value in the vendor's `onGetKeyCheckValue` table: `<NAME>_KCV` for keys,
    /// `<NAME>` for KSNs (y.a l.7580).
    pub fn table_key(self) -> String {
        if self.is_ksn() {
            self.name().to_owned()
        } else {
            format!("{}_KCV", self.name())
        }
    }

    /// The `len` byte the SDK's 2-argument `getKeyCheckValue` sends: 10 for KSN types, else 3.
    pub fn read_len(self) -> u8 {
        if self.is_ksn() { KSN_READ_LEN } else { KCV_LEN }
    }
}

/// DATA of a check-value read: `00 00 idx code len`.
pub fn check_value_data(slot: u8, kind: CheckValueType, len: u8) -> Vec<u8> {
    vec![0, 0, slot, kind.code(), len]
}

/// An answer's DATA as the SDK reads it into `onGetKeyCheckValue`'s table: one entry for a single
/// type (the whole DATA); for all types, the 9 KCVs of `len` bytes in ordinal order, then the 3
/// KSNs of 10 bytes each if 30 bytes remain or 12 each if 36 remain (y.a @73–112).
pub fn parse_check_values(kind: CheckValueType, len: u8, data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    if kind != CheckValueType::DukptMkskAllType {
        return Ok(vec![(kind.table_key(), data.to_vec())]);
    }
    let len = usize::from(len);
    let kcvs = 9 * len;
    let ksn_len = match data.len().checked_sub(kcvs) {
        Some(30) => 10,
        Some(36) => 12,
        _ => {
            return Err(format!(
                "an all-types answer of {} bytes is not 9 × {len} KCV bytes and 3 KSNs of 10 or 12 bytes",
                data.len()
            ));
        }
    };
    let (kcv_bytes, ksn_bytes) = data.split_at(kcvs);
    let values = kcv_bytes.chunks(len).chain(ksn_bytes.chunks(ksn_len));
    Ok(CheckValueType::SINGLE
        .iter()
        .zip(values)
        .map(|(t, v)| (t.table_key(), v.to_vec()))
        .collect())
}

/// DATA of each chunk of the chunked path: offset (2, BE) ‖ up to [`CHUNK_LEN`] bytes, the offset
/// counting units of [`CHUNK_OFFSET_UNIT`] bytes (0, 4, 8, … for 64-byte chunks).
pub fn chunk_data(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .chunks(CHUNK_LEN)
        .enumerate()
        .map(|(i, chunk)| {
            let mut data = ((i * CHUNK_LEN / CHUNK_OFFSET_UNIT) as u16).to_be_bytes().to_vec();
            data.extend_from_slice(chunk);
            data
        })
        .collect()
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

    /// B0 as the SDK computes it: idx 1 with NEW_KEY_PIN is 12 = 0x0C.
    #[test]
    fn b0_is_the_index_then_the_key_type_digit() {
        assert_eq!(load_b0(1, Some(Tr31KeyType::NewKeyPin)), 0x0C);
        assert_eq!(load_b0(9, Some(Tr31KeyType::NewKeyData)), 93);
        assert_eq!(load_b0(4, None), 4);
        assert_eq!(parse_b0(0x0C), Some((1, Some(Tr31KeyType::NewKeyPin))));
        assert_eq!(parse_b0(3), Some((3, None)));
        assert_eq!(parse_b0(15), None);
        assert_eq!(load_tr31_data(3, "D0016"), b"\x03\x00\x05D0016");
        assert_eq!(Tr31KeyType::from_name("pin"), Some(Tr31KeyType::NewKeyPin));
        assert_eq!(Tr31KeyType::from_name("NEW_KEY_TMK"), Some(Tr31KeyType::NewKeyTmk));
    }

    #[test]
    fn ksn_frame_data() {
        let ksn = hex::decode("FFFF9876543210E00000").unwrap();
        let data = ksn_data(None, &ksn);
        let mut expected = hex::decode("00000007").unwrap();
        for _ in 0..3 {
            expected.push(10);
            expected.extend(&ksn);
        }
        assert_eq!(data, expected);
        assert_eq!(parse_ksn_data(&data), Ok((7, ksn.clone())));
        assert_eq!(ksn_data(Some(Tr31KeyType::NewKeyData), &ksn)[3], 3);
        assert_eq!(ksn_data(Some(Tr31KeyType::NewKeyPin), &ksn)[3], 4);
        assert_eq!(ksn_data(Some(Tr31KeyType::NewKeyTmk), &ksn)[3], 7);
        let mut bad = data.clone();
        bad[4] = 11;
        assert!(parse_ksn_data(&bad).is_err());
        assert!(parse_ksn_data(&data[..20]).is_err());
    }

    #[test]
    fn check_value_reads() {
        assert_eq!(
            check_value_data(4, CheckValueType::DukptPinKsn, 10),
            vec![0, 0, 4, 11, 10]
        );
        assert_eq!(CheckValueType::DukptMkskAllType.code(), 0xFF);
        for (i, t) in CheckValueType::SINGLE.iter().enumerate() {
            assert_eq!(usize::from(t.code()), i);
        }
        assert_eq!(CheckValueType::MkskPik.table_key(), "MKSK_PIK_KCV");
        assert_eq!(CheckValueType::DukptEmvKsn.table_key(), "DUKPT_EMV_KSN");
        let single = parse_check_values(CheckValueType::MkskTmk, 3, &[1, 2, 3]).unwrap();
        assert_eq!(single, vec![("MKSK_TMK_KCV".to_owned(), vec![1, 2, 3])]);
        let mut all: Vec<u8> = (0..27).collect();
        all.extend([0xEE; 36]);
        let table = parse_check_values(CheckValueType::DukptMkskAllType, 3, &all).unwrap();
        assert_eq!(table.len(), 12);
        assert_eq!(table[8], ("DUKPT_PIN_IPEK_KCV".to_owned(), vec![24, 25, 26]));
        assert_eq!(table[11], ("DUKPT_PIN_KSN".to_owned(), vec![0xEE; 12]));
        assert!(parse_check_values(CheckValueType::DukptMkskAllType, 3, &all[..40]).is_err());
    }

    #[test]
    fn chunk_offsets_count_16_byte_units() {
        let block = "X".repeat(130);
        let chunks = chunk_data(block.as_bytes());
        assert_eq!(chunks.len(), 3);
        assert_eq!(&chunks[0][..2], &[0, 0]);
        assert_eq!(&chunks[1][..2], &[0, 4]);
        assert_eq!(&chunks[2][..2], &[0, 8]);
        assert_eq!(chunks[2].len(), 2 + 2);
        assert_eq!(poll_frame(), Frame::new(0x22, 0, 0, 0x0F, vec![]));
        assert_eq!(TR31_CHUNK.frame(5, vec![]).body.unwrap().param, 60);
    }
}
