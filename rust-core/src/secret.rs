//! Key material that cleans up after itself.
//!
//! Every clear key, KBPK and derived key in this crate lives in a [`SecretBytes`]: the buffer is
//! zeroized on drop, `Debug` prints only the length, and equality is constant time so that callers
//! comparing keys or MACs cannot leak a prefix length through timing.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A byte string holding secret material (a key, a KBPK, a derived key, a clear payload).
#[derive(Clone, Default)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes`; the caller's vector is moved, not copied.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// `len` zero bytes, to be filled in place.
    pub(crate) fn zeroed(len: usize) -> Self {
        Self(vec![0; len])
    }

    /// The bytes, to be written in place (decrypted, encrypted, filled).
    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Copies `bytes` into a new zeroizing buffer.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// Decodes hexadecimal (either case). Errors never echo the input, which may be a key.
    pub fn from_hex(text: &str) -> Result<Self, HexError> {
        let text = text.trim();
        if !text.len().is_multiple_of(2) {
            return Err(HexError::OddLength { length: text.len() });
        }
        let mut out = Self::zeroed(text.len() / 2);
        if let Some(position) = decode_hex_into(text.as_bytes(), out.as_mut_bytes()) {
            return Err(HexError::NotHex { position });
        }
        Ok(out)
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

/// Wiped as a slice, and so is any spare capacity. (`Zeroizing<Vec<u8>>` wipes one volatile byte
/// write at a time.)
impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
        self.0.spare_capacity_mut().zeroize();
    }
}

/// Fixed-size secret bytes on the stack — a derived key, a MAC, a batch of derivation blocks —
/// wiped on drop as one slice. `Zeroizing<[u8; N]>` wipes an array one volatile byte write at a
/// time: some three hundred of them per version D unwrap.
pub(crate) struct SecretArray<T: ByteArray>(pub T);

/// Arrays of bytes, seen as one slice.
pub(crate) trait ByteArray {
    fn bytes_mut(&mut self) -> &mut [u8];
}

impl<const N: usize> ByteArray for [u8; N] {
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl<const N: usize, const M: usize> ByteArray for [[u8; M]; N] {
    fn bytes_mut(&mut self) -> &mut [u8] {
        self.as_flattened_mut()
    }
}

impl<T: ByteArray> Drop for SecretArray<T> {
    fn drop(&mut self) {
        self.0.bytes_mut().zeroize();
    }
}

impl<T: ByteArray> std::ops::Deref for SecretArray<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ByteArray> std::ops::DerefMut for SecretArray<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
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
    decode_hex_with(&HEX_ANY_CASE, digits, out)
}

/// Like [`decode_hex_into`] but upper-case only, as X9.143 writes key blocks.
pub(crate) fn decode_upper_hex_into(digits: &[u8], out: &mut [u8]) -> Option<usize> {
    decode_hex_with(&HEX_UPPER, digits, out)
}

/// Appends `bytes` to `out` as upper-case hex. Two characters per byte straight from a table of
/// all 256 pairs: a wrap writes some 128 digits, and a per-character iterator was a sixth of it.
pub(crate) fn push_upper_hex(out: &mut String, bytes: &[u8]) {
    out.reserve(2 * bytes.len());
    for &byte in bytes {
        let at = 2 * usize::from(byte);
        out.push_str(&HEX_PAIRS[at..at + 2]);
    }
}

/// `"000102…FEFF"`: every byte's two upper-case digits, in order.
const HEX_PAIRS: &str = match std::str::from_utf8(&hex_pairs()) {
    Ok(text) => text,
    Err(_) => panic!("hex digits are ASCII"),
};

const fn hex_pairs() -> [u8; 512] {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut pairs = [0u8; 512];
    let mut byte = 0;
    while byte < 256 {
        pairs[2 * byte] = DIGITS[byte >> 4];
        pairs[2 * byte + 1] = DIGITS[byte & 0x0F];
        byte += 1;
    }
    pairs
}

/// Value of each byte as a hex digit, or `INVALID`. A table because key block payloads are
/// decoded on every unwrap and a branchy decoder was a tenth of the unwrap time.
const INVALID: u8 = 0xFF;
const HEX_UPPER: [u8; 256] = hex_table(false);
const HEX_ANY_CASE: [u8; 256] = hex_table(true);

const fn hex_table(lower: bool) -> [u8; 256] {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'A' as usize + i] = 10 + i as u8;
        if lower {
            table[b'a' as usize + i] = 10 + i as u8;
        }
        i += 1;
    }
    table
}

fn decode_hex_with(table: &[u8; 256], digits: &[u8], out: &mut [u8]) -> Option<usize> {
    debug_assert_eq!(digits.len(), out.len() * 2);
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (table[usize::from(pair[0])], table[usize::from(pair[1])]);
        invalid |= (hi | lo) & 0xF0;
        *byte = (hi << 4) | (lo & 0x0F);
    }
    // Only on failure: find where, for the error message.
    (invalid != 0).then(|| {
        digits
            .iter()
            .position(|&d| table[usize::from(d)] == INVALID)
            .unwrap_or(0)
    })
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
    fn hex_is_written_upper_case_as_the_hex_crate_does() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut out = String::from("D0112");
        push_upper_hex(&mut out, &bytes);
        assert_eq!(out, format!("D0112{}", hex::encode_upper(&bytes)));
    }

    #[test]
    fn equality_is_by_content() {
        assert_eq!(SecretBytes::from_slice(&[1, 2]), SecretBytes::from_slice(&[1, 2]));
        assert_ne!(SecretBytes::from_slice(&[1, 2]), SecretBytes::from_slice(&[1, 3]));
        assert_ne!(SecretBytes::from_slice(&[1]), SecretBytes::from_slice(&[1, 2]));
    }
}
