//! Key material that cleans up after itself.
//!
//! Every clear key, KBPK and derived key in this crate lives in a [`SecretBytes`]: the buffer is
//! zeroized on drop, `Debug` prints only the length, and equality is constant time so that callers
//! comparing keys or MACs cannot leak a prefix length through timing.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A byte string holding secret material (a key, a KBPK, a derived key, a clear payload).
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; the caller's vector is moved, not copied.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new zeroizing buffer.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// Decodes hexadecimal (either case). Errors never echo the input, which may be a key.
    pub fn from_hex(text: &str) -> Result<Self, HexError> {
        let text = text.trim();
        if text.len() % 2 != 0 {
            return Err(HexError::OddLength { length: text.len() });
        }
        let mut out = Zeroizing::new(vec![0u8; text.len() / 2]);
        if let Some(position) = decode_hex_into(text.as_bytes(), &mut out) {
            return Err(HexError::NotHex { position });
        }
        Ok(Self(out))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Upper-case hex of the secret. Named loudly so that every place that reveals a key is easy
    /// to find in review: the CLI's `unwrap --json`, and tests.
    pub fn expose_hex(&self) -> String {
        hex::encode_upper(self.as_bytes())
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {} bytes])", self.0.len())
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl Eq for SecretBytes {}

/// Why a hexadecimal secret could not be decoded. Carries positions, never the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("hex string has an odd number of digits ({length})")]
    OddLength { length: usize },
    #[error("non-hex character at position {position}")]
    NotHex { position: usize },
}

/// Decodes hex digits (either case) into `out`, which must be half the length of `digits`.
/// Returns the index of the first non-hex character, if any.
pub(crate) fn decode_hex_into(digits: &[u8], out: &mut [u8]) -> Option<usize> {
    debug_assert_eq!(digits.len(), out.len() * 2);
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let hi = hex_value(pair[0]).ok_or(2 * i);
        let lo = hex_value(pair[1]).ok_or(2 * i + 1);
        match (hi, lo) {
            (Ok(hi), Ok(lo)) => out[i] = (hi << 4) | lo,
            (Err(p), _) | (_, Err(p)) => return Some(p),
        }
    }
    None
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_bytes() {
        let s = SecretBytes::from_hex("0123456789ABCDEF").unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("0123") && !shown.contains("1, 35"), "{shown}");
        assert!(shown.contains("8 bytes"));
    }

    #[test]
    fn hex_errors_name_the_position_not_the_text() {
        assert_eq!(SecretBytes::from_hex("00G0"), Err(HexError::NotHex { position: 2 }));
        assert_eq!(SecretBytes::from_hex("000"), Err(HexError::OddLength { length: 3 }));
        assert_eq!(SecretBytes::from_hex("0aFf").unwrap().as_bytes(), &[0x0a, 0xff]);
    }

    #[test]
    fn equality_is_by_content() {
        assert_eq!(SecretBytes::from_slice(&[1, 2]), SecretBytes::from_slice(&[1, 2]));
        assert_ne!(SecretBytes::from_slice(&[1, 2]), SecretBytes::from_slice(&[1, 3]));
        assert_ne!(SecretBytes::from_slice(&[1]), SecretBytes::from_slice(&[1, 2]));
    }
}
