//! Optional blocks: `ID (2) | length (2 hex, or 00 + count of length digits + length) | data`.
//!
//! Lengths here are hexadecimal and count the block's own header; the header's block length is
//! decimal. Known IDs get a typed value ([`OptionalValue`]); unknown and proprietary (numeric) IDs
//! are kept verbatim, as X9.143 requires of a receiver.

use serde::Serialize;

use super::error::Tr31Error;
use super::fields::{Algorithm, Exportability, KeyUsage, ModeOfUse};
use super::profile::Profile;
use crate::kcv::KcvMethod;

code_enum! {
    /// The optional block IDs X9.143 defines.
    KnownBlockId {
        KeySetId = "KS", "Key set identifier (DUKPT KSN of a TDES initial key)";
        KeyCheckValue = "KC", "Check value of the wrapped key";
        KbpkCheckValue = "KP", "Check value of the KBPK";
        InitialKeyId = "IK", "Initial key identifier (AES DUKPT)";
        BaseDerivationKeyId = "BI", "Base derivation key identifier";
        HmacHash = "HM", "Hash algorithm of an HMAC key";
        TimeStamp = "TS", "Time stamp";
        TimeOfCreation = "TC", "Time of creation";
        Padding = "PB", "Padding";
        Certificate = "CT", "Asymmetric public key certificate";
        DerivationsAllowed = "DA", "Derivations allowed";
        Label = "LB", "Label";
        WrappingPedigree = "WP", "Wrapping pedigree";
        AsymmetricKeyLife = "AL", "Asymmetric key life";
        KeyBlockValues = "KV", "Key block values version";
    }
}

code_enum! {
    /// HMAC hash algorithms of the `HM` block.
    HashAlgorithm {
        Sha1 = "10", "SHA-1";
        Sha224 = "20", "SHA-224";
        Sha256 = "21", "SHA-256";
        Sha384 = "22", "SHA-384";
        Sha512 = "23", "SHA-512";
        Sha512_224 = "24", "SHA-512/224";
        Sha512_256 = "25", "SHA-512/256";
        Sha3_224 = "30", "SHA3-224";
        Sha3_256 = "31", "SHA3-256";
        Sha3_384 = "32", "SHA3-384";
        Sha3_512 = "33", "SHA3-512";
        Shake128 = "40", "SHAKE128";
        Shake256 = "41", "SHAKE256";
    }
}

/// One optional block as it appears in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionalBlock {
    /// Two characters; for known IDs see [`KnownBlockId`].
    pub id: String,
    /// The block's data, verbatim.
    pub data: String,
}

/// A derivation permitted by a `DA` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DerivationAllowed {
    pub key_usage: KeyUsage,
    pub algorithm: Algorithm,
    pub mode_of_use: ModeOfUse,
    pub exportability: Exportability,
}

/// The typed meaning of an optional block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OptionalValue {
    KeySetId {
        ksi: String,
    },
    CheckValue {
        method: &'static str,
        kcv: String,
    },
    InitialKeyId {
        id: String,
    },
    BaseDerivationKeyId {
        kind: &'static str,
        id: String,
    },
    HmacHash {
        hash: HashAlgorithm,
    },
    Timestamp {
        utc: String,
    },
    Padding,
    Certificate {
        format: &'static str,
        data: String,
    },
    DerivationsAllowed {
        derivations: Vec<DerivationAllowed>,
    },
    Label {
        text: String,
    },
    WrappingPedigree {
        pedigree: u8,
    },
    AsymmetricKeyLife {
        life: &'static str,
    },
    KeyBlockValues {
        version: String,
        value: String,
    },
    /// A numeric ID, reserved for proprietary use, or an ID this library does not know.
    Verbatim,
}

impl OptionalBlock {
    pub fn new(id: &str, data: &str) -> Self {
        Self {
            id: id.to_owned(),
            data: data.to_owned(),
        }
    }

    pub fn known_id(&self) -> Option<KnownBlockId> {
        KnownBlockId::from_code(self.id.as_bytes())
    }

    /// The encoded length of the block (ID, length field and data).
    pub fn encoded_len(&self) -> usize {
        let short = 4 + self.data.len();
        if short <= 0xFF {
            short
        } else {
            4 + 2 + 4 + self.data.len()
        }
    }

    /// Appends the encoded block; the extended length form is used above 255 characters.
    pub fn encode_into(&self, out: &mut String) {
        use std::fmt::Write;
        let short = 4 + self.data.len();
        out.push_str(&self.id);
        if short <= 0xFF {
            let _ = write!(out, "{short:02X}");
        } else {
            let _ = write!(out, "0004{:04X}", 10 + self.data.len());
        }
        out.push_str(&self.data);
    }

    /// Decodes the value under `profile`. `position` is where the block starts, for errors.
    pub fn decode(&self, profile: &Profile, position: usize) -> Result<OptionalValue, Tr31Error> {
        let bad = |reason: &str| Tr31Error::OptionalBlock {
            id: self.id.clone(),
            position,
            reason: reason.to_owned(),
        };
        let data = self.data.as_str();
        let hex = |text: &str, what: &str| {
            check_hex(text, profile).map_err(|_| bad(&format!("{what} must be upper-case hex")))
        };
        let Some(id) = self.known_id() else {
            return Ok(OptionalValue::Verbatim);
        };
        Ok(match id {
            KnownBlockId::KeySetId => {
                non_empty(data).map_err(|_| bad("key set identifier is empty"))?;
                hex(data, "key set identifier")?;
                OptionalValue::KeySetId { ksi: data.to_owned() }
            }
            KnownBlockId::KeyCheckValue | KnownBlockId::KbpkCheckValue => {
                let (method, kcv) = parse_check_value(data).ok_or_else(|| {
                    bad("check value must be 00 (legacy) or 01 (CMAC) followed by 2 to 32 hex digits")
                })?;
                hex(kcv, "check value")?;
                OptionalValue::CheckValue {
                    method: method_name(method),
                    kcv: kcv.to_ascii_uppercase(),
                }
            }
            KnownBlockId::InitialKeyId => {
                if data.len() != 16 {
                    return Err(bad("initial key identifier must be 16 hex digits"));
                }
                hex(data, "initial key identifier")?;
                OptionalValue::InitialKeyId { id: data.to_owned() }
            }
            KnownBlockId::BaseDerivationKeyId => {
                let (kind, id, expected) = match data.split_at_checked(2) {
                    Some(("00", id)) => ("ksi", id, 10),
                    Some(("01", id)) => ("bdk_id", id, 8),
                    _ => return Err(bad("base derivation key identifier must start 00 (KSI) or 01 (BDK ID)")),
                };
                if id.len() != expected {
                    return Err(bad(
                        "base derivation key identifier has the wrong length (10 hex for 00, 8 for 01)",
                    ));
                }
                hex(id, "base derivation key identifier")?;
                OptionalValue::BaseDerivationKeyId {
                    kind,
                    id: id.to_owned(),
                }
            }
            KnownBlockId::HmacHash => {
                let hash = HashAlgorithm::from_code(data.as_bytes()).ok_or_else(|| bad("unknown hash algorithm"))?;
                OptionalValue::HmacHash { hash }
            }
            KnownBlockId::TimeStamp | KnownBlockId::TimeOfCreation => {
                if !is_utc_timestamp(data) {
                    return Err(bad("time must be YYYYMMDDhhmmss[.s…]Z (UTC)"));
                }
                OptionalValue::Timestamp { utc: data.to_owned() }
            }
            KnownBlockId::Padding => OptionalValue::Padding,
            KnownBlockId::Certificate => {
                let format = match data.split_at_checked(2) {
                    Some(("00", _)) => "x509",
                    Some(("01", _)) => "emv",
                    Some(("02", _)) => "chain",
                    _ => return Err(bad("certificate format must be 00 (X.509), 01 (EMV) or 02 (chain)")),
                };
                OptionalValue::Certificate {
                    format,
                    data: data[2..].to_owned(),
                }
            }
            KnownBlockId::DerivationsAllowed => {
                let derivations = parse_derivations(data).ok_or_else(|| {
                    bad("derivations allowed must be version 01 followed by usage, algorithm, mode, exportability groups")
                })?;
                OptionalValue::DerivationsAllowed { derivations }
            }
            KnownBlockId::Label => {
                if data.len() > 16 {
                    return Err(bad("label is longer than 16 characters"));
                }
                OptionalValue::Label { text: data.to_owned() }
            }
            KnownBlockId::WrappingPedigree => match data.as_bytes() {
                [b'0', b'0', p @ b'0'..=b'3'] => OptionalValue::WrappingPedigree { pedigree: p - b'0' },
                _ => return Err(bad("wrapping pedigree must be version 00 followed by 0, 1, 2 or 3")),
            },
            KnownBlockId::AsymmetricKeyLife => match data {
                "0100" => OptionalValue::AsymmetricKeyLife { life: "ephemeral" },
                "0101" => OptionalValue::AsymmetricKeyLife { life: "static" },
                _ => return Err(bad("asymmetric key life must be 0100 (ephemeral) or 0101 (static)")),
            },
            KnownBlockId::KeyBlockValues => match data.split_at_checked(2) {
                Some((version, value)) if version.bytes().all(|b| b.is_ascii_digit()) => {
                    OptionalValue::KeyBlockValues {
                        version: version.to_owned(),
                        value: value.to_owned(),
                    }
                }
                _ => return Err(bad("key block values must start with a 2-digit version")),
            },
        })
    }
}

fn non_empty(text: &str) -> Result<(), ()> {
    if text.is_empty() { Err(()) } else { Ok(()) }
}

/// Strict: upper-case hex digits only. Lenient profiles relax case and, with
/// `non_hex_optional_data`, accept any printable text.
fn check_hex(text: &str, profile: &Profile) -> Result<(), ()> {
    let ok = text.bytes().all(|b| {
        b.is_ascii_digit()
            || (b'A'..=b'F').contains(&b)
            || (profile.lowercase_hex && (b'a'..=b'f').contains(&b))
            || profile.non_hex_optional_data
    });
    if ok { Ok(()) } else { Err(()) }
}

fn parse_check_value(data: &str) -> Option<(KcvMethod, &str)> {
    let (method, kcv) = data.split_at_checked(2)?;
    let method = match method {
        "00" => KcvMethod::Legacy,
        "01" => KcvMethod::Cmac,
        _ => return None,
    };
    (kcv.len() >= 2 && kcv.len() <= 32 && kcv.len() % 2 == 0).then_some((method, kcv))
}

/// The method and bytes of a `KC`/`KP` block, for comparison with a computed KCV. The lenient
/// profile lets text through where hex belongs; such a value cannot be compared with anything,
/// so it is an error here, not a guess.
pub fn check_value(block: &OptionalBlock) -> Result<(KcvMethod, Vec<u8>), Tr31Error> {
    let unreadable = || Tr31Error::CheckValueUnreadable { id: block.id.clone() };
    let (method, kcv) = parse_check_value(&block.data).ok_or_else(unreadable)?;
    Ok((method, hex::decode(kcv).map_err(|_| unreadable())?))
}

fn method_name(method: KcvMethod) -> &'static str {
    match method {
        KcvMethod::Legacy => "legacy",
        KcvMethod::Cmac => "cmac",
    }
}

fn is_utc_timestamp(text: &str) -> bool {
    let Some(body) = text.strip_suffix('Z') else {
        return false;
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, "1"));
    whole.len() == 14
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn parse_derivations(data: &str) -> Option<Vec<DerivationAllowed>> {
    let groups = data.strip_prefix("01")?.as_bytes();
    if groups.is_empty() || groups.len() % 5 != 0 {
        return None;
    }
    groups
        .chunks_exact(5)
        .map(|g| {
            Some(DerivationAllowed {
                key_usage: KeyUsage::from_code(&g[..2])?,
                algorithm: Algorithm::from_code(&g[2..3])?,
                mode_of_use: ModeOfUse::from_code(&g[3..4])?,
                exportability: Exportability::from_code(&g[4..5])?,
            })
        })
        .collect()
}

/// Reads `count` optional blocks starting at `start` in `block`. Returns the blocks and the
/// offset just past them. Errors name the block and the character position.
pub(crate) fn parse_blocks(block: &str, start: usize, count: usize) -> Result<(Vec<OptionalBlock>, usize), Tr31Error> {
    let bytes = block.as_bytes();
    let mut at = start;
    let mut blocks = Vec::with_capacity(count);
    for index in 0..count {
        let fail = |id: &str, position: usize, reason: String| Tr31Error::OptionalBlock {
            id: id.to_owned(),
            position,
            reason,
        };
        let Some(id) = bytes.get(at..at + 2) else {
            return Err(fail("?", at, format!("block {} of {count} is missing", index + 1)));
        };
        if !id.iter().all(u8::is_ascii_alphanumeric) {
            return Err(fail("?", at, "ID must be two letters or digits".into()));
        }
        let id = std::str::from_utf8(id).expect("alphanumeric ASCII");
        let length_field = bytes
            .get(at + 2..at + 4)
            .ok_or_else(|| fail(id, at + 2, "length is missing".into()))?;
        let (length, data_start) = match read_hex(length_field) {
            Some(0) => {
                let count_digits = bytes
                    .get(at + 4..at + 6)
                    .and_then(read_hex)
                    .ok_or_else(|| fail(id, at + 4, "extended length count is not hex".into()))?;
                let digits = bytes
                    .get(at + 6..at + 6 + count_digits)
                    .filter(|d| !d.is_empty() && d.len() <= 8)
                    .and_then(read_hex)
                    .ok_or_else(|| fail(id, at + 6, "extended length is not 1 to 8 hex digits".into()))?;
                (digits, 6 + count_digits)
            }
            Some(length) => (length, 4),
            None => return Err(fail(id, at + 2, "length is not two hex digits".into())),
        };
        if length < data_start {
            return Err(fail(
                id,
                at + 2,
                format!("length {length} is shorter than the block's own header"),
            ));
        }
        let data = bytes.get(at + data_start..at + length).ok_or_else(|| {
            fail(
                id,
                at + 2,
                format!("length {length} runs past the end of the key block"),
            )
        })?;
        if let Some(bad) = data.iter().position(|b| !(0x20..=0x7E).contains(b)) {
            return Err(fail(id, at + data_start + bad, "data must be printable ASCII".into()));
        }
        blocks.push(OptionalBlock::new(
            id,
            std::str::from_utf8(data).expect("printable ASCII"),
        ));
        at += length;
    }
    Ok((blocks, at))
}

fn read_hex(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() {
        return None;
    }
    digits
        .iter()
        .try_fold(0usize, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)? as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(id: &str, data: &str) -> Result<OptionalValue, Tr31Error> {
        OptionalBlock::new(id, data).decode(&Profile::STRICT, 16)
    }

    #[test]
    fn short_and_extended_lengths_round_trip() {
        for data in ["", "00604B120F9292800000", &"A".repeat(300)] {
            let b = OptionalBlock::new("KS", data);
            let mut s = String::new();
            b.encode_into(&mut s);
            assert_eq!(s.len(), b.encoded_len());
            let (parsed, end) = parse_blocks(&s, 0, 1).unwrap();
            assert_eq!((parsed[0].clone(), end), (b, s.len()));
        }
    }

    #[test]
    fn typed_values() {
        assert_eq!(
            decode("KS", "00604B120F9292800000").unwrap(),
            OptionalValue::KeySetId {
                ksi: "00604B120F9292800000".into()
            }
        );
        assert_eq!(
            decode("KC", "01A1B2C3D4E5").unwrap(),
            OptionalValue::CheckValue {
                method: "cmac",
                kcv: "A1B2C3D4E5".into()
            }
        );
        assert_eq!(
            decode("HM", "21").unwrap(),
            OptionalValue::HmacHash {
                hash: HashAlgorithm::Sha256
            }
        );
        assert_eq!(
            decode("TS", "20261123101500Z").unwrap(),
            OptionalValue::Timestamp {
                utc: "20261123101500Z".into()
            }
        );
        assert_eq!(
            decode("WP", "002").unwrap(),
            OptionalValue::WrappingPedigree { pedigree: 2 }
        );
        assert_eq!(decode("99", "vendor data").unwrap(), OptionalValue::Verbatim);
        let da = decode("DA", "01P0AEE").unwrap();
        assert!(
            matches!(da, OptionalValue::DerivationsAllowed { ref derivations } if derivations[0].key_usage == KeyUsage::P0)
        );
    }

    #[test]
    fn bad_values_name_the_block_and_position() {
        for (id, data) in [
            ("KS", "00604b"),
            ("KS", "TEXT"),
            ("KC", "02ABCDEF"),
            ("IK", "1234"),
            ("BI", "0012"),
            ("HM", "99"),
            ("TS", "2026-11-23"),
            ("CT", "9"),
            ("DA", "01P0AE"),
            ("LB", &"x".repeat(17)),
            ("WP", "005"),
            ("AL", "0102"),
            ("KV", "x"),
        ] {
            match decode(id, data) {
                Err(Tr31Error::OptionalBlock {
                    id: got, position: 16, ..
                }) => assert_eq!(got, id),
                other => panic!("{id} {data}: {other:?}"),
            }
        }
    }

    #[test]
    fn lenient_accepts_text_and_lower_case_in_hex_blocks() {
        let b = OptionalBlock::new("KS", "vendor-ksn 01");
        assert!(b.decode(&Profile::STRICT, 16).is_err());
        assert!(b.decode(&Profile::LENIENT, 16).is_ok());
    }

    #[test]
    fn malformed_lengths() {
        assert!(matches!(
            parse_blocks("KS0", 0, 1),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("KS02", 0, 1),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("KS10AB", 0, 1),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("KSZZ", 0, 1),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("K!04", 0, 1),
            Err(Tr31Error::OptionalBlock { position: 0, .. })
        ));
        assert!(matches!(
            parse_blocks("KS05\x01", 0, 1),
            Err(Tr31Error::OptionalBlock { position: 4, .. })
        ));
        assert!(matches!(
            parse_blocks("", 0, 1),
            Err(Tr31Error::OptionalBlock { position: 0, .. })
        ));
    }
}
