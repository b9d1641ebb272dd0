//! Optional blocks: `ID (2) | length (2 hex, or 00 + count of length digits + length) | data`.
//!
//! Lengths here are hexadecimal and count the block's own header; the header's block length is
//! decimal. Known IDs get a typed value ([`OptionalValue`]); unknown and proprietary (numeric) IDs
//! are kept verbatim, as X9.143 requires of a receiver.

use serde::Serialize;

use super::error::{Tr31Error, Tr31Warning};
use super::fields::{Algorithm, Exportability, KeyUsage, ModeOfUse};
use super::layout::Field;
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
        self.decode_noting(profile, position, &mut Vec::new())
    }

    /// [`Self::decode`], adding to `warnings` each relaxation of `profile` the value needs.
    pub(crate) fn decode_noting(
        &self,
        profile: &Profile,
        position: usize,
        warnings: &mut Vec<Tr31Warning>,
    ) -> Result<OptionalValue, Tr31Error> {
        let bad = |reason: &str| Tr31Error::OptionalBlock {
            id: self.id.clone(),
            position,
            reason: reason.to_owned(),
        };
        let data = self.data.as_str();
        // `text` starts `offset` characters into the data.
        let data_start = position + self.encoded_len() - data.len();
        let mut hex = |text: &str, offset: usize| check_hex(&self.id, text, data_start + offset, profile, warnings);
        let Some(id) = self.known_id() else {
            return Ok(OptionalValue::Verbatim);
        };
        Ok(match id {
            KnownBlockId::KeySetId => {
                non_empty(data).map_err(|_| bad("key set identifier is empty"))?;
                hex(data, 0)?;
                OptionalValue::KeySetId { ksi: data.to_owned() }
            }
            KnownBlockId::KeyCheckValue | KnownBlockId::KbpkCheckValue => {
                let (method, kcv) = parse_check_value(data).ok_or_else(|| {
                    bad("check value must be 00 (legacy) or 01 (CMAC) followed by 2 to 32 hex digits")
                })?;
                hex(kcv, 2)?;
                OptionalValue::CheckValue {
                    method: method_name(method),
                    kcv: kcv.to_ascii_uppercase(),
                }
            }
            KnownBlockId::InitialKeyId => {
                if data.len() != 16 {
                    return Err(bad("initial key identifier must be 16 hex digits"));
                }
                hex(data, 0)?;
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
                hex(id, 2)?;
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
                    return Err(bad(
                        "time must be YYYYMMDDhhmmss[cc]Z or YYYY-MM-DDThh:mm:ss[.cc]Z (UTC, X9.143)",
                    ));
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

/// Checks a value X9.143 defines as upper-case hex, starting at character `start` of the block.
/// Lower-case digits and text are refused unless `profile` relaxes them; a relaxation applied is
/// added to `warnings` with the position of the first character that needed it.
fn check_hex(
    id: &str,
    text: &str,
    start: usize,
    profile: &Profile,
    warnings: &mut Vec<Tr31Warning>,
) -> Result<(), Tr31Error> {
    let Some(first) = text.bytes().position(|b| !is_upper_hex(b)) else {
        return Ok(());
    };
    let (allowed, at, warning) = match text.bytes().position(|b| !b.is_ascii_hexdigit()) {
        Some(at) => (
            profile.non_hex_optional_data,
            at,
            Tr31Warning::TextInHexBlock {
                id: id.to_owned(),
                position: start + at,
            },
        ),
        None => (
            profile.lowercase_hex,
            first,
            Tr31Warning::LowercaseHex {
                field: Field::OptionalBlocks,
                position: start + first,
            },
        ),
    };
    if !allowed {
        return Err(Tr31Error::NotHex {
            id: id.to_owned(),
            position: start + at,
            byte: text.as_bytes()[at],
        });
    }
    warnings.push(warning);
    Ok(())
}

fn is_upper_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
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

/// The four UTC forms of X9.143 (TS and TC, tables 21 and 22): `YYYYMMDDhhmmssZ`,
/// `YYYYMMDDhhmmssccZ` (hundredths), `YYYY-MM-DDThh:mm:ssZ` and `YYYY-MM-DDThh:mm:ss.ccZ`.
fn is_utc_timestamp(text: &str) -> bool {
    const FORMS: [&[u8]; 4] = [
        b"99999999999999Z",
        b"9999999999999999Z",
        b"9999-99-99T99:99:99Z",
        b"9999-99-99T99:99:99.99Z",
    ];
    FORMS.iter().any(|form| {
        form.len() == text.len()
            && form
                .iter()
                .zip(text.bytes())
                .all(|(&f, b)| if f == b'9' { b.is_ascii_digit() } else { f == b })
    })
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
/// offset just past them. Errors name the block and the character position. Lengths are
/// upper-case hex; lower case is accepted only by a profile that relaxes it, with a warning.
pub(crate) fn parse_blocks(
    block: &str,
    start: usize,
    count: usize,
    profile: &Profile,
    warnings: &mut Vec<Tr31Warning>,
) -> Result<(Vec<OptionalBlock>, usize), Tr31Error> {
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
        let mut upper_case = |digits: &[u8], at: usize| match digits.iter().position(u8::is_ascii_lowercase) {
            Some(lower) if digits.iter().all(u8::is_ascii_hexdigit) => {
                if !profile.lowercase_hex {
                    return Err(Tr31Error::NotHex {
                        id: id.to_owned(),
                        position: at + lower,
                        byte: digits[lower],
                    });
                }
                warnings.push(Tr31Warning::LowercaseHex {
                    field: Field::OptionalBlocks,
                    position: at + lower,
                });
                Ok(())
            }
            _ => Ok(()),
        };
        let length_field = bytes
            .get(at + 2..at + 4)
            .ok_or_else(|| fail(id, at + 2, "length is missing".into()))?;
        upper_case(length_field, at + 2)?;
        let (length, data_start) = match read_hex(length_field) {
            Some(0) => {
                let count_field = bytes.get(at + 4..at + 6);
                let count_digits = count_field
                    .and_then(read_hex)
                    .ok_or_else(|| fail(id, at + 4, "extended length count is not hex".into()))?;
                upper_case(count_field.unwrap_or_default(), at + 4)?;
                let digits = bytes
                    .get(at + 6..at + 6 + count_digits)
                    .filter(|d| !d.is_empty() && d.len() <= 8);
                let length = digits
                    .and_then(read_hex)
                    .ok_or_else(|| fail(id, at + 6, "extended length is not 1 to 8 hex digits".into()))?;
                upper_case(digits.unwrap_or_default(), at + 6)?;
                (length, 6 + count_digits)
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
            let (parsed, end) = parse_blocks(&s, 0, 1, &Profile::STRICT, &mut Vec::new()).unwrap();
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

    /// Strict refuses lower case and text in hex-valued blocks at the first offending character;
    /// lenient accepts them and says which relaxation it applied, and where.
    #[test]
    fn lenient_accepts_text_and_lower_case_in_hex_blocks_with_a_warning() {
        for (data, byte, warning) in [
            (
                "00604b",
                b'b',
                Tr31Warning::LowercaseHex {
                    field: Field::OptionalBlocks,
                    position: 25,
                },
            ),
            (
                "0060vendor",
                b'v',
                Tr31Warning::TextInHexBlock {
                    id: "KS".into(),
                    position: 24,
                },
            ),
        ] {
            let b = OptionalBlock::new("KS", data);
            assert_eq!(
                b.decode(&Profile::STRICT, 16),
                Err(Tr31Error::NotHex {
                    id: "KS".into(),
                    position: 16 + 4 + data.find(char::from(byte)).unwrap(),
                    byte
                })
            );
            let mut warnings = Vec::new();
            assert!(b.decode_noting(&Profile::LENIENT, 16, &mut warnings).is_ok());
            assert_eq!(warnings, [warning]);
        }
        let mut warnings = Vec::new();
        assert!(
            OptionalBlock::new("KS", "00604B")
                .decode_noting(&Profile::LENIENT, 16, &mut warnings)
                .is_ok()
        );
        assert!(warnings.is_empty(), "upper-case hex needs no relaxation");
    }

    /// X9.143's four UTC forms, and nothing else.
    #[test]
    fn timestamps() {
        for good in [
            "20200818221218Z",
            "2019071718192921Z",
            "2017-05-17T19:41:38Z",
            "2017-05-17T19:41:38.21Z",
        ] {
            assert!(decode("TS", good).is_ok(), "{good}");
        }
        for bad in [
            "2018-06-18T20:42:39.22",
            "20200818221218",
            "20200818221218.5Z",
            "2020-08-18 22:12:18Z",
        ] {
            assert!(decode("TC", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_lengths() {
        assert!(matches!(
            parse_blocks("KS0", 0, 1, &Profile::STRICT, &mut Vec::new()),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("KS02", 0, 1, &Profile::STRICT, &mut Vec::new()),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("KS10AB", 0, 1, &Profile::STRICT, &mut Vec::new()),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("KSZZ", 0, 1, &Profile::STRICT, &mut Vec::new()),
            Err(Tr31Error::OptionalBlock { position: 2, .. })
        ));
        assert!(matches!(
            parse_blocks("K!04", 0, 1, &Profile::STRICT, &mut Vec::new()),
            Err(Tr31Error::OptionalBlock { position: 0, .. })
        ));
        assert!(matches!(
            parse_blocks("KS05\x01", 0, 1, &Profile::STRICT, &mut Vec::new()),
            Err(Tr31Error::OptionalBlock { position: 4, .. })
        ));
        assert!(matches!(
            parse_blocks("", 0, 1, &Profile::STRICT, &mut Vec::new()),
            Err(Tr31Error::OptionalBlock { position: 0, .. })
        ));
    }
}
