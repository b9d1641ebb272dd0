//! Key check values (ANSI X9.24-1).
//!
//! * Legacy: encrypt one block of zeros with the key, keep the leftmost bytes (3 by convention).
//!   This is what readers report and what AWS calls `ANSI_X9_24` for TDES keys.
//! * CMAC: CMAC of one block of zeros under the key, leftmost 5 bytes. AWS calls its AES flavour
//!   `CMAC` and reports only the leftmost 3 bytes, so comparisons use [`kcv_matches`] on the common
//!   prefix — of at least [`MIN_KCV_LEN`] bytes: a 1-byte "KCV" would match one key in 256.

use crate::crypto::{BadKeyLength, BlockCipher, CipherFamily};

/// How a KCV is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KcvMethod {
    /// Encrypt zeros (X9.24-1 legacy).
    Legacy,
    /// CMAC of zeros (X9.24-1:2017).
    Cmac,
}

impl KcvMethod {
    /// The conventional KCV length: 3 bytes legacy, 5 bytes CMAC.
    pub fn default_length(self) -> usize {
        match self {
            Self::Legacy => 3,
            Self::Cmac => 5,
        }
    }
}

/// The full-block check value (8 or 16 bytes); truncate with [`kcv`] or by slicing.
pub fn check_block(key: &[u8], family: CipherFamily, method: KcvMethod) -> Result<Vec<u8>, BadKeyLength> {
    let cipher = BlockCipher::new(family, key)?;
    let bs = cipher.block_size();
    let mut block = [0u8; 16];
    let out = match method {
        KcvMethod::Legacy => {
            cipher.encrypt_block(&mut block[..bs]);
            block
        }
        KcvMethod::Cmac => cipher.cmac(&cipher.cmac_subkeys(), &[&block[..bs]]),
    };
    Ok(out[..bs].to_vec())
}

/// The KCV at its conventional length for `method`.
pub fn kcv(key: &[u8], family: CipherFamily, method: KcvMethod) -> Result<Vec<u8>, BadKeyLength> {
    let mut block = check_block(key, family, method)?;
    block.truncate(method.default_length());
    Ok(block)
}

/// The shortest KCV worth comparing: 3 bytes, the X9.24 convention. Shorter values would let
/// many different keys "match" (a 1-byte KCV matches one key in 256).
pub const MIN_KCV_LEN: usize = 3;

/// Whether two KCVs agree over the full length of the shorter one (AWS reports 3 bytes of a
/// 5-byte CMAC KCV). Both must be at least [`MIN_KCV_LEN`] bytes: a short or empty side never
/// matches. Not secret, so not constant time.
pub fn kcv_matches(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    n >= MIN_KCV_LEN && a[..n] == b[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_tdes_kcv_of_the_dspread_factory_key() {
        // 0123456789ABCDEFFEDCBA9876543210 has the widely published KCV 08D7B4.
        let key = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap();
        assert_eq!(
            kcv(&key, CipherFamily::Tdes, KcvMethod::Legacy).unwrap(),
            hex::decode("08D7B4").unwrap()
        );
    }

    #[test]
    fn aes_cmac_kcv_is_five_bytes_of_cmac_of_zeros() {
        // SP 800-38B: CMAC(2b7e…, empty) differs from CMAC(2b7e…, zeros); check against the mode.
        let key = hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap();
        let value = kcv(&key, CipherFamily::Aes, KcvMethod::Cmac).unwrap();
        assert_eq!(value.len(), 5);
        let c = BlockCipher::new(CipherFamily::Aes, &key).unwrap();
        assert_eq!(value, c.cmac(&c.cmac_subkeys(), &[&[0u8; 16]])[..5].to_vec());
    }

    #[test]
    fn prefix_comparison() {
        assert!(kcv_matches(&[1, 2, 3], &[1, 2, 3, 4, 5]));
        assert!(!kcv_matches(&[1, 2, 4], &[1, 2, 3, 4, 5]));
        assert!(!kcv_matches(&[], &[1]));
        // A short side never matches, however it compares.
        assert!(!kcv_matches(&[1], &[1, 2, 3]));
        assert!(!kcv_matches(&[1, 2], &[1, 2]));
        assert!(kcv_matches(&[1, 2, 3], &[1, 2, 3]));
    }
}
