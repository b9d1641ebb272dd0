//! The key block header: 16 fixed characters followed by the optional blocks.
//!
//! `[0]` version · `[1..5]` block length (decimal) · `[5..7]` key usage · `[7]` algorithm ·
//! `[8]` mode of use · `[9..11]` key version · `[11]` exportability · `[12..14]` number of
//! optional blocks (decimal) · `[14]` key context · `[15]` reserved `0`.

use serde::Serialize;

use super::error::{Tr31Error, Tr31Warning};
use super::fields::{Algorithm, Exportability, KeyContext, KeyUsage, KeyVersion, ModeOfUse, Version};
use super::layout::{FIXED_LEN, Field, field_at};
use super::optional::{self, KnownBlockId, OptionalBlock};
use super::profile::Profile;

/// A key block header: the key's attributes, bound to the key by the MAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub version: Version,
    pub key_usage: KeyUsage,
    pub algorithm: Algorithm,
    pub mode_of_use: ModeOfUse,
    pub key_version: KeyVersion,
    pub exportability: Exportability,
    pub key_context: KeyContext,
    pub optional_blocks: Vec<OptionalBlock>,
}

/// A header as read from text, with the numbers the text declared.
#[derive(Debug, Clone)]
pub(crate) struct ParsedHeader {
    pub header: Header,
    /// The block length the header declares.
    pub declared_length: usize,
    /// Offset just past the last optional block.
    pub end: usize,
    /// The relaxations of the profile the optional block lengths needed.
    pub warnings: Vec<Tr31Warning>,
}

impl Header {
    /// A header with no optional blocks, key version `00` and key context `0`.
    pub fn new(
        version: Version,
        key_usage: KeyUsage,
        algorithm: Algorithm,
        mode_of_use: ModeOfUse,
        exportability: Exportability,
    ) -> Self {
        Self {
            version,
            key_usage,
            algorithm,
            mode_of_use,
            key_version: KeyVersion::None,
            exportability,
            key_context: KeyContext::Any,
            optional_blocks: Vec::new(),
        }
    }

    /// The first optional block with this ID.
    pub fn optional_block(&self, id: KnownBlockId) -> Option<&OptionalBlock> {
        self.optional_blocks.iter().find(|b| b.id == id.code())
    }

    /// Total encoded length of the optional blocks.
    pub fn optional_blocks_len(&self) -> usize {
        self.optional_blocks.iter().map(OptionalBlock::encoded_len).sum()
    }

    /// Encodes the header with `block_length` in the length field. (No `fmt` machinery on the
    /// common path: its three formatted writes were a seventh of a wrap.)
    pub fn encode(&self, block_length: usize) -> String {
        use std::fmt::Write;
        // Room for the whole block: wrapping appends the payload and MAC to this string.
        let mut out = String::with_capacity(block_length.max(FIXED_LEN + self.optional_blocks_len()));
        out.push_str(self.version.code());
        push_padded_decimal(&mut out, block_length, 4);
        out.push_str(self.key_usage.code());
        out.push_str(self.algorithm.code());
        out.push_str(self.mode_of_use.code());
        match self.key_version {
            KeyVersion::None => out.push_str("00"),
            KeyVersion::Version(code) => code.iter().for_each(|&b| out.push(char::from(b))),
            component => {
                let _ = write!(out, "{component}");
            }
        }
        out.push_str(self.exportability.code());
        push_padded_decimal(&mut out, self.optional_blocks.len(), 2);
        out.push_str(self.key_context.code());
        out.push('0');
        for block in &self.optional_blocks {
            block.encode_into(&mut out);
        }
        out
    }

    /// Reads a header written as a template: the 16 fixed characters and the optional blocks,
    /// with any digits in the length field (wrapping fills it in). Nothing may follow the last
    /// optional block.
    pub fn from_template(text: &str) -> Result<Self, Tr31Error> {
        let parsed = Self::parse(text, &Profile::STRICT)?;
        if parsed.end != text.len() {
            return Err(Tr31Error::OptionalBlock {
                id: "?".into(),
                position: parsed.end,
                reason: "characters follow the last optional block the header counts".into(),
            });
        }
        Ok(parsed.header)
    }

    /// Reads a header from the start of `text`. Field values are checked for syntax here; the
    /// X9.143 rules that relate fields to each other are in `validate`.
    pub(crate) fn parse(text: &str, profile: &Profile) -> Result<ParsedHeader, Tr31Error> {
        // A key block is ASCII. Past a multi-byte character every byte offset would overstate
        // the character position, so this is settled first, in characters.
        if !text.is_ascii() {
            let position = text.chars().position(|c| !c.is_ascii()).unwrap_or_default();
            return Err(Tr31Error::NonAscii { position });
        }
        let bytes = text.as_bytes();
        if bytes.len() < FIXED_LEN {
            return Err(Tr31Error::TooShort {
                length: bytes.len(),
                minimum: FIXED_LEN,
            });
        }
        let fixed: &[u8; FIXED_LEN] = bytes[..FIXED_LEN].try_into().expect("length checked above");
        if !all_printable(fixed)
            && let Some(at) = fixed.iter().position(|b| !(0x20..=0x7E).contains(b))
        {
            return Err(Tr31Error::BadCharacter {
                field: field_at(at),
                position: at,
                byte: bytes[at],
            });
        }
        let field = |f: Field, len: usize| &bytes[f.header_offset()..f.header_offset() + len];
        let unknown = |f: Field, len: usize| Tr31Error::UnknownValue {
            field: f,
            position: f.header_offset(),
            value: String::from_utf8_lossy(field(f, len)).into_owned(),
        };
        let version = Version::from_code(field(Field::Version, 1)).ok_or_else(|| unknown(Field::Version, 1))?;
        let declared_length = decimal(field(Field::BlockLength, 4)).ok_or_else(|| unknown(Field::BlockLength, 4))?;
        let key_usage = KeyUsage::from_code(field(Field::KeyUsage, 2)).ok_or_else(|| unknown(Field::KeyUsage, 2))?;
        let algorithm = Algorithm::from_code(field(Field::Algorithm, 1)).ok_or_else(|| unknown(Field::Algorithm, 1))?;
        let mode_of_use =
            ModeOfUse::from_code(field(Field::ModeOfUse, 1)).ok_or_else(|| unknown(Field::ModeOfUse, 1))?;
        let key_version =
            KeyVersion::from_code(field(Field::KeyVersion, 2)).ok_or_else(|| unknown(Field::KeyVersion, 2))?;
        let exportability =
            Exportability::from_code(field(Field::Exportability, 1)).ok_or_else(|| unknown(Field::Exportability, 1))?;
        let count =
            decimal(field(Field::OptionalBlockCount, 2)).ok_or_else(|| unknown(Field::OptionalBlockCount, 2))?;
        let key_context =
            KeyContext::from_code(field(Field::KeyContext, 1)).ok_or_else(|| unknown(Field::KeyContext, 1))?;
        if field(Field::Reserved, 1) != b"0" {
            return Err(unknown(Field::Reserved, 1));
        }
        let mut warnings = Vec::new();
        let (optional_blocks, end) = optional::parse_blocks(text, FIXED_LEN, count, profile, &mut warnings)?;
        Ok(ParsedHeader {
            header: Header {
                version,
                key_usage,
                algorithm,
                mode_of_use,
                key_version,
                exportability,
                key_context,
                optional_blocks,
            },
            declared_length,
            end,
            warnings,
        })
    }
}

/// Appends `value` in decimal, with leading zeros up to `width` digits (as `{value:0width$}`;
/// `width` is at most 20). Written right to left into a buffer of zeros, then pushed once.
fn push_padded_decimal(out: &mut String, value: usize, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    let mut rest = value;
    while rest > 0 || start == digits.len() {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let start = start.min(digits.len() - width);
    out.push_str(std::str::from_utf8(&digits[start..]).expect("decimal digits are ASCII"));
}

/// Whether every byte is printable ASCII (0x20–0x7E), tested on the 16 bytes as one number:
/// byte by byte, this check was a fifth of a header's parse (1 % of an unwrap). A byte below 0x20 borrows into its
/// top bit when 0x20 is taken from every byte; one above 0x7E has its top bit set once 1 is added
/// (or already). Borrows and carries cross into other bytes only from a byte that is itself
/// refused, so the answer is exact.
fn all_printable(bytes: &[u8; 16]) -> bool {
    const ONES: u128 = u128::MAX / 0xFF;
    const TOP_BITS: u128 = ONES * 0x80;
    let x = u128::from_le_bytes(*bytes);
    let below = x.wrapping_sub(ONES * 0x20) & !x;
    let above = x.wrapping_add(ONES) | x;
    (below | above) & TOP_BITS == 0
}

fn decimal(digits: &[u8]) -> Option<usize> {
    digits.iter().try_fold(0usize, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + usize::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printable_test_agrees_with_the_byte_range_for_every_byte_and_position() {
        for position in 0..16 {
            for byte in 0..=u8::MAX {
                let mut bytes = [b'~'; 16];
                bytes[position] = byte;
                assert_eq!(
                    all_printable(&bytes),
                    (0x20..=0x7E).contains(&byte),
                    "{byte:#04x} at {position}"
                );
                // Next to the lowest printable byte, which a borrow would push below the range.
                bytes = [b' '; 16];
                bytes[position] = byte;
                assert_eq!(
                    all_printable(&bytes),
                    (0x20..=0x7E).contains(&byte),
                    "{byte:#04x} at {position}"
                );
            }
        }
    }

    #[test]
    fn decimal_fields_are_padded_as_format_pads_them() {
        for (value, width) in [
            (0, 4),
            (7, 4),
            (144, 4),
            (9999, 4),
            (12345, 4),
            (0, 2),
            (99, 2),
            (100, 2),
        ] {
            let mut out = String::new();
            push_padded_decimal(&mut out, value, width);
            assert_eq!(out, format!("{value:0width$}"));
        }
    }

    #[test]
    fn parses_and_encodes_the_published_ks_header() {
        let text = "B0104B0TX12S0100KS1800604B120F9292800000";
        let parsed = Header::parse(text, &Profile::STRICT).unwrap();
        assert_eq!(parsed.declared_length, 104);
        assert_eq!(parsed.end, text.len());
        let h = &parsed.header;
        assert_eq!(
            (h.version, h.key_usage, h.algorithm, h.mode_of_use),
            (Version::B, KeyUsage::B0, Algorithm::Tdes, ModeOfUse::DeriveKeys)
        );
        assert_eq!(
            (h.key_version, h.exportability),
            (KeyVersion::Version(*b"12"), Exportability::Sensitive)
        );
        assert_eq!(h.encode(104), text);
    }

    #[test]
    fn each_bad_field_is_named_with_its_position() {
        let good = "D0112P0AE00E0000";
        let cases = [
            (0, 'Z', Field::Version),
            (2, 'x', Field::BlockLength),
            (5, 'Q', Field::KeyUsage),
            (7, 'Z', Field::Algorithm),
            (8, 'Z', Field::ModeOfUse),
            (9, '#', Field::KeyVersion),
            (11, 'Z', Field::Exportability),
            (12, 'x', Field::OptionalBlockCount),
            (14, '9', Field::KeyContext),
            (15, '1', Field::Reserved),
        ];
        for (at, c, field) in cases {
            let mut text = good.to_string();
            text.replace_range(at..at + 1, &c.to_string());
            match Header::parse(&text, &Profile::STRICT) {
                Err(Tr31Error::UnknownValue { field: f, position, .. }) => {
                    assert_eq!((f, position), (field, field.header_offset()), "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            Header::parse("D0112P0AE00E000", &Profile::STRICT),
            Err(Tr31Error::TooShort { length: 15, .. })
        ));
        assert!(matches!(
            Header::parse("D0112P0\u{7}E00E0000", &Profile::STRICT),
            Err(Tr31Error::BadCharacter {
                field: Field::Algorithm,
                position: 7,
                ..
            })
        ));
    }
}
