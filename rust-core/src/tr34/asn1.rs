//! The lenient DER walk TR-34 tokens need, and the few encoders the KDH side writes them with.
//!
//! Why by hand: the CMS crates (and BouncyCastle, OpenSSL) read a token into typed structures that
//! real tokens do not fit. The vendor's SignedData says version 0x49 (CMS knows 1–5); the OAEP
//! parameters come without the [0]/[1]/[2] tags RFC 8017 gives them; and the signed attributes are
//! not in DER SET OF order, while the signature covers them exactly as received, so a parser that
//! re-sorts them (as a DER SET OF decoder must) verifies the wrong bytes. What is walked here is
//! plain tag–length–value with definite lengths; every element keeps its offset in the token so
//! that errors can say where. Certificates and names are left to `x509-cert`.

use super::error::Tr34Error;

/// Universal and context tags the tokens use (single-byte tags only, as in every token seen).
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[0]` constructed: SignedData's content wrapper, certificates, signed attributes.
    pub const CONTEXT_0: u8 = 0xA0;
    /// `[1]` constructed: CRLs in SignedData.
    pub const CONTEXT_1: u8 = 0xA1;
    /// `[0]` primitive: EncryptedContentInfo's encrypted content.
    pub const CONTEXT_0_PRIMITIVE: u8 = 0x80;
}

/// One element: its tag, its value and where it starts in the token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    /// Offset of the tag byte in the whole token.
    pub offset: usize,
    /// Offset of the first value byte in the whole token.
    pub value_offset: usize,
}

impl<'a> Tlv<'a> {
    /// The elements inside a constructed value.
    pub fn children(&self) -> Cursor<'a> {
        Cursor {
            bytes: self.value,
            at: 0,
            base: self.value_offset,
        }
    }

    /// A non-negative INTEGER that fits in a `u64` (versions).
    pub fn small_uint(&self, field: &'static str) -> Result<u64, Tr34Error> {
        let digits = match self.value {
            [0, rest @ ..] if !rest.is_empty() => rest,
            v => v,
        };
        if self.value.is_empty() || digits.len() > 8 || self.value[0] & 0x80 != 0 {
            return Err(malformed(field, self.offset, "not a small non-negative INTEGER"));
        }
        Ok(digits.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

/// A reader over a run of elements.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over a whole token (offsets count from its first byte).
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0, base: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// The offset (in the whole token) of the next element.
    pub fn offset(&self) -> usize {
        self.base + self.at
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// The next element, whatever its tag.
    pub fn any(&mut self, field: &'static str) -> Result<Tlv<'a>, Tr34Error> {
        let offset = self.offset();
        let rest = &self.bytes[self.at..];
        let (&tag, after_tag) = rest.split_first().ok_or_else(|| malformed(field, offset, "missing"))?;
        if tag & 0x1F == 0x1F {
            return Err(malformed(field, offset, "multi-byte tag"));
        }
        let (&first, after_len) = after_tag
            .split_first()
            .ok_or_else(|| malformed(field, offset, "truncated length"))?;
        let (length, header_len) = match first {
            0..=0x7F => (usize::from(first), 2),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7F);
                let digits = after_len
                    .get(..n)
                    .ok_or_else(|| malformed(field, offset, "truncated length"))?;
                let length = digits.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
                (length, 2 + n)
            }
            0x80 => return Err(malformed(field, offset, "indefinite length")),
            _ => return Err(malformed(field, offset, "length too large")),
        };
        let value = rest
            .get(header_len..)
            .and_then(|r| r.get(..length))
            .ok_or_else(|| malformed(field, offset, "length runs past the end"))?;
        self.at += header_len + length;
        Ok(Tlv {
            tag,
            value,
            offset,
            value_offset: offset + header_len,
        })
    }

    /// The next element, which must carry `tag`.
    pub fn expect(&mut self, tag: u8, field: &'static str) -> Result<Tlv<'a>, Tr34Error> {
        let offset = self.offset();
        let tlv = self.any(field)?;
        if tlv.tag != tag {
            return Err(Tr34Error::Malformed {
                field,
                offset,
                detail: format!("tag {:02X}, expected {tag:02X}", tlv.tag),
            });
        }
        Ok(tlv)
    }

    /// The next element if it carries `tag`.
    pub fn optional(&mut self, tag: u8, field: &'static str) -> Result<Option<Tlv<'a>>, Tr34Error> {
        match self.peek_tag() {
            Some(t) if t == tag => self.expect(tag, field).map(Some),
            _ => Ok(None),
        }
    }

    /// Nothing may follow.
    pub fn finish(&self, field: &'static str) -> Result<(), Tr34Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(malformed(field, self.offset(), "unexpected trailing element"))
        }
    }
}

pub(crate) fn malformed(field: &'static str, offset: usize, detail: &str) -> Tr34Error {
    Tr34Error::Malformed {
        field,
        offset,
        detail: detail.to_owned(),
    }
}

/// Encodes one element (DER definite length).
pub(crate) fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let length: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(length + 6);
    out.push(tag);
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let digits = length.to_be_bytes();
        let skip = digits.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (digits.len() - skip) as u8);
        out.extend_from_slice(&digits[skip..]);
    }
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// A SEQUENCE of already encoded elements.
pub(crate) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag::SEQUENCE, parts)
}

/// An OBJECT IDENTIFIER element.
pub(crate) fn oid(oid: &der::oid::ObjectIdentifier) -> Vec<u8> {
    tlv(tag::OID, &[oid.as_bytes()])
}

/// An INTEGER element holding a small non-negative number.
pub(crate) fn small_uint(value: u8) -> Vec<u8> {
    if value & 0x80 != 0 {
        tlv(tag::INTEGER, &[&[0, value]])
    } else {
        tlv(tag::INTEGER, &[&[value]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_through_the_walker() {
        for len in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1_0000] {
            let value = vec![0xAB; len];
            let encoded = tlv(tag::OCTET_STRING, &[&value]);
            let mut cursor = Cursor::new(&encoded);
            let read = cursor.expect(tag::OCTET_STRING, "value").unwrap();
            assert_eq!(read.value, &value[..]);
            assert!(cursor.is_empty());
        }
    }

    #[test]
    fn truncated_and_indefinite_lengths_are_refused_with_their_offset() {
        let err = Cursor::new(&[0x30, 0x05, 0x02]).any("outer").unwrap_err();
        assert!(
            matches!(
                err,
                Tr34Error::Malformed {
                    field: "outer",
                    offset: 0,
                    ..
                }
            ),
            "{err}"
        );
        let err = Cursor::new(&[0x30, 0x80, 0x00, 0x00]).any("outer").unwrap_err();
        assert!(err.to_string().contains("indefinite"), "{err}");
        let err = Cursor::new(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF])
            .any("big")
            .unwrap_err();
        assert!(err.to_string().contains("past the end"), "{err}");
    }

    #[test]
    fn versions_read_as_small_integers() {
        let mut c = Cursor::new(&[0x02, 0x01, 0x49, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0xFF]);
        assert_eq!(c.any("v").unwrap().small_uint("v").unwrap(), 0x49);
        assert_eq!(c.any("v").unwrap().small_uint("v").unwrap(), 0x80);
        assert!(c.any("v").unwrap().small_uint("v").is_err());
    }
}
