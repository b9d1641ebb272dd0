//! RSA private keys as key blocks carry them (algorithm `R`, ANSI X9.143 8.5): a DER-encoded
//! PKCS #1 `RSAPrivateKey`. Wrap and unwrap both check the encoding and the modulus size, so a
//! block never carries, and an unwrap never returns, something that is not such a key.
//!
//! ```text
//! RSAPrivateKey ::= SEQUENCE { version INTEGER (0), modulus, publicExponent, privateExponent,
//!                              prime1, prime2, exponent1, exponent2, coefficient INTEGER }
//! ```
//!
//! Only the structure is read: the numbers are not checked against each other (that would need
//! big-number arithmetic, and the key's owner generated them).

/// The smallest modulus accepted: NIST SP 800-131A disallows shorter RSA keys.
pub const MIN_MODULUS_BITS: usize = 2048;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
/// The integers after the version.
const KEY_INTEGERS: usize = 8;

/// Checks that `der` is exactly one PKCS #1 two-prime RSA private key with a modulus of at
/// least [`MIN_MODULUS_BITS`]; the reason when it is not. Reasons never contain key bytes.
pub fn check_private_key(der: &[u8]) -> Result<(), &'static str> {
    const NOT_DER: &str = "not a DER-encoded PKCS #1 RSAPrivateKey";
    let mut outer = Der(der);
    let mut key = Der(outer.element(SEQUENCE).ok_or(NOT_DER)?);
    if !outer.0.is_empty() {
        return Err("bytes follow the DER-encoded RSAPrivateKey");
    }
    if !key.unsigned().ok_or(NOT_DER)?.is_empty() {
        return Err("RSAPrivateKey version is not 0 (two-prime keys only)");
    }
    let modulus = key.unsigned().ok_or(NOT_DER)?;
    for _ in 1..KEY_INTEGERS {
        key.unsigned().ok_or(NOT_DER)?;
    }
    if !key.0.is_empty() {
        return Err("RSAPrivateKey has fields after the coefficient (multi-prime keys are not supported)");
    }
    if bits(modulus) < MIN_MODULUS_BITS {
        return Err("RSA modulus is shorter than 2048 bits");
    }
    Ok(())
}

/// Significant bits of a big-endian magnitude without leading zero bytes.
fn bits(magnitude: &[u8]) -> usize {
    magnitude
        .first()
        .map_or(0, |&top| 8 * (magnitude.len() - 1) + (8 - top.leading_zeros() as usize))
}

/// The DER elements still to read.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The content of the next element, which must have `tag` and a minimal definite length.
    fn element(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&found, rest) = self.0.split_first()?;
        let (&first, rest) = rest.split_first()?;
        if found != tag {
            return None;
        }
        let (length, rest) = match first {
            0..=0x7F => (usize::from(first), rest),
            0x81 => {
                let (&length, rest) = rest.split_first()?;
                (length >= 0x80).then_some((usize::from(length), rest))?
            }
            0x82 => {
                let (length, rest) = rest.split_at_checked(2)?;
                let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
                (length >= 0x100).then_some((length, rest))?
            }
            // Longer than 64 KiB: more than any key block can hold.
            _ => return None,
        };
        let (content, rest) = rest.split_at_checked(length)?;
        self.0 = rest;
        Some(content)
    }

    /// The magnitude of the next INTEGER, which must be non-negative and minimally encoded;
    /// empty for zero.
    fn unsigned(&mut self) -> Option<&'a [u8]> {
        let content = self.element(INTEGER)?;
        match content {
            [] => None,
            [top, ..] if top & 0x80 != 0 => None,
            [0] => Some(&[]),
            [0, next, ..] if next & 0x80 == 0 => None,
            [0, rest @ ..] => Some(rest),
            _ => Some(content),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PKCS #1 key with a `modulus_bytes`-byte modulus (top bit set) and small other numbers.
    fn synthetic_key(modulus_bytes: usize) -> Vec<u8> {
        let mut integers = vec![0x02, 0x01, 0x00];
        let mut modulus = vec![0x00];
        modulus.extend(std::iter::repeat_n(0xC3, modulus_bytes));
        integers.extend(encode(INTEGER, &modulus));
        for _ in 1..KEY_INTEGERS {
            integers.extend([0x02, 0x01, 0x03]);
        }
        encode(SEQUENCE, &integers)
    }

    fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n @ 0..0x80 => out.push(n as u8),
            n @ 0x80..0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    #[test]
    fn keys_of_2048_bits_and_more_pass() {
        assert_eq!(check_private_key(&synthetic_key(256)), Ok(()));
        assert_eq!(check_private_key(&synthetic_key(512)), Ok(()));
    }

    #[test]
    fn short_malformed_or_trailing_keys_are_refused_with_the_reason() {
        assert_eq!(
            check_private_key(&synthetic_key(128)),
            Err("RSA modulus is shorter than 2048 bits")
        );
        let good = synthetic_key(256);
        for cut in [0, 1, 4, 100, good.len() - 1] {
            assert!(check_private_key(&good[..cut]).is_err(), "{cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            check_private_key(&trailing),
            Err("bytes follow the DER-encoded RSAPrivateKey")
        );
        let mut version_one = good.clone();
        version_one[6] = 1; // 30 82 LL LL 02 01 [00]
        assert!(check_private_key(&version_one).unwrap_err().contains("version"));
        // A non-minimal length (0x81 with a length under 0x80) is not DER.
        assert!(check_private_key(&[0x30, 0x81, 0x03, 0x02, 0x01, 0x00]).is_err());
        assert!(check_private_key(b"not a key").is_err());
    }

    #[test]
    fn integers_must_be_minimal_and_non_negative() {
        assert_eq!(Der(&[0x02, 0x01, 0x80]).unsigned(), None);
        assert_eq!(Der(&[0x02, 0x02, 0x00, 0x7F]).unsigned(), None);
        assert_eq!(Der(&[0x02, 0x02, 0x00, 0x80]).unsigned(), Some(&[0x80u8][..]));
        assert_eq!(Der(&[0x02, 0x00]).unsigned(), None);
        assert_eq!(bits(&[0x01, 0x00]), 9);
    }
}
