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
    // Upper case sixteen digits at a time; the rest, and any chunk that fails (to find where), by
    // table.
    #[cfg(target_arch = "x86_64")]
    let done = if std::ptr::eq(table, &HEX_UPPER) {
        upper_hex_sse2::decode(digits, out)
    } else {
        0
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    decode_hex_table(table, &digits[2 * done..], &mut out[done..]).map(|at| 2 * done + at)
}

/// The table decoder: two lookups per byte.
fn decode_hex_table(table: &[u8; 256], digits: &[u8], out: &mut [u8]) -> Option<usize> {
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

/// Upper-case hex on SSE2 (every x86-64 CPU has it): a version D unwrap decodes 128 digits, and
/// by table that was a tenth of its time.
#[cfg(target_arch = "x86_64")]
mod upper_hex_sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16,
        _mm_set1_epi8, _mm_set1_epi16, _mm_slli_epi16, _mm_srli_epi16, _mm_storel_epi64, _mm_sub_epi8,
    };

    /// Decodes whole chunks of sixteen valid upper-case digits from the start of `digits` into
    /// `out`; returns how many bytes it wrote (it stops before the first chunk with anything else).
    pub(super) fn decode(digits: &[u8], out: &mut [u8]) -> usize {
        // SAFETY: SSE2 is part of x86-64.
        unsafe { decode_chunks(digits, out) }
    }

    #[target_feature(enable = "sse2")]
    fn decode_chunks(digits: &[u8], out: &mut [u8]) -> usize {
        let mut done = 0;
        for (chunk, bytes) in digits.chunks_exact(16).zip(out.chunks_exact_mut(8)) {
            // SAFETY: reads the 16 bytes of `chunk` (unaligned loads are allowed).
            let text = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
            let Some(values) = values(text) else { break };
            // Each 16-bit lane holds two digits: high nibble first (low byte), then low nibble.
            let high = _mm_and_si128(_mm_slli_epi16::<4>(values), _mm_set1_epi16(0x00F0));
            let pairs = _mm_or_si128(high, _mm_srli_epi16::<8>(values));
            // SAFETY: writes the 8 bytes of `bytes`.
            unsafe { _mm_storel_epi64(bytes.as_mut_ptr().cast::<__m128i>(), _mm_packus_epi16(pairs, pairs)) };
            done += 8;
        }
        done
    }

    /// The digit values of sixteen characters, or `None` if any is not `0`-`9` or `A`-`F`.
    /// (Signed compares: every byte at or above 0x80 is below '0' and so refused.)
    #[target_feature(enable = "sse2")]
    fn values(text: __m128i) -> Option<__m128i> {
        let above = |limit: u8| _mm_cmpgt_epi8(text, _mm_set1_epi8(limit as i8));
        let digit = _mm_and_si128(above(b'0' - 1), _mm_cmpgt_epi8(_mm_set1_epi8((b'9' + 1) as i8), text));
        let letter = _mm_and_si128(above(b'A' - 1), _mm_cmpgt_epi8(_mm_set1_epi8((b'F' + 1) as i8), text));
        if _mm_movemask_epi8(_mm_or_si128(digit, letter)) != 0xFFFF {
            return None;
        }
        // '0'..'9' → 0..9 and 'A'..'F' → 10..15: subtract '0', then 7 more for letters.
        let value = _mm_sub_epi8(text, _mm_set1_epi8(b'0' as i8));
        Some(_mm_sub_epi8(value, _mm_and_si128(letter, _mm_set1_epi8(7))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sixteen-at-a-time decoder agrees with the table for every digit string, valid or not,
    /// at every length, and reports the first bad character where the table does.
    #[test]
    fn upper_hex_fast_path_agrees_with_the_table() {
        let alphabet = b"0123456789ABCDEFabcdefG/:@`\x80 ";
        for length in [0usize, 2, 14, 16, 18, 32, 34, 96, 128] {
            for seed in 0..64usize {
                let mut digits: Vec<u8> = (0..length)
                    .map(|i| b"0123456789ABCDEF"[(i * 7 + seed * 13) % 16])
                    .collect();
                if seed % 3 == 0 && length > 0 {
                    digits[(seed * 5) % length] = alphabet[seed % alphabet.len()];
                }
                let (mut fast, mut slow) = (vec![0u8; length / 2], vec![0u8; length / 2]);
                let fast_result = decode_upper_hex_into(&digits, &mut fast);
                let slow_result = decode_hex_table(&HEX_UPPER, &digits, &mut slow);
                assert_eq!(fast_result, slow_result, "{digits:?}");
                if slow_result.is_none() {
                    assert_eq!(fast, slow);
                    assert_eq!(fast, hex::decode(&digits).unwrap());
                }
            }
        }
    }

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
