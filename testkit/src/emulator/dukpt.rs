//! DUKPT initial key (IPEK) derivation, as `ExportDukptInitialKey` does it.
//!
//! * TDES (ANSI X9.24-1:2009): with the KSN's counter bits (rightmost 21) cleared, the IPEK's left
//!   half is TDES(BDK, KSN[0..8]) and its right half TDES(BDK ⊕ C0C0C0C000000000C0C0C0C000000000,
//!   KSN[0..8]).
//! * AES (ANSI X9.24-3:2017): the initial key ID is the KSN's leftmost 8 bytes; each 16-byte block
//!   of the IPEK is AES(BDK, 01 ‖ counter ‖ 8001 ‖ algorithm ‖ length in bits ‖ initial key ID).

use keybridge::SecretBytes;
use keybridge::crypto::{BlockCipher, CipherFamily};

use super::service_error::ServiceError;

const TDES_VARIANT: [u8; 16] = [0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0];

/// (key length in bytes, X9.24-3 algorithm indicator) for AES keys.
const AES_INDICATORS: &[(usize, u16)] = &[(16, 0x0002), (24, 0x0003), (32, 0x0004)];

fn cipher(family: CipherFamily, key: &[u8]) -> Result<BlockCipher, ServiceError> {
    BlockCipher::new(family, key).map_err(|e| ServiceError::validation(format!("BDK: {e:?}")))
}

/// The IPEK for `ksn` (10 bytes for TDES, 12 for AES) under `bdk`.
pub fn initial_key(bdk: &[u8], family: CipherFamily, ksn: &[u8]) -> Result<SecretBytes, ServiceError> {
    match family {
        CipherFamily::Aes => {
            if ksn.len() != 12 {
                return Err(ServiceError::validation(
                    "KeySerialNumber must be 24 hex digits for an AES BDK",
                ));
            }
            let indicator = AES_INDICATORS
                .iter()
                .find(|(len, _)| *len == bdk.len())
                .map(|(_, i)| *i)
                .ok_or_else(|| ServiceError::validation("BDK has an unsupported AES key length"))?;
            let aes = cipher(CipherFamily::Aes, bdk)?;
            let bits = (bdk.len() * 8) as u16;
            let mut out = vec![0u8; bdk.len().div_ceil(16) * 16];
            for (counter, chunk) in out.chunks_mut(16).enumerate() {
                chunk[0] = 0x01;
                chunk[1] = counter as u8 + 1;
                chunk[2..4].copy_from_slice(&0x8001u16.to_be_bytes());
                chunk[4..6].copy_from_slice(&indicator.to_be_bytes());
                chunk[6..8].copy_from_slice(&bits.to_be_bytes());
                chunk[8..16].copy_from_slice(&ksn[..8]);
                aes.encrypt_block(chunk);
            }
            out.truncate(bdk.len());
            Ok(SecretBytes::new(out))
        }
        _ => {
            if ksn.len() != 10 {
                return Err(ServiceError::validation(
                    "KeySerialNumber must be 20 hex digits for a TDES BDK",
                ));
            }
            if bdk.len() != 16 {
                return Err(ServiceError::validation("TDES DUKPT takes a double-length BDK"));
            }
            let mut base = [0u8; 8];
            base.copy_from_slice(&ksn[..8]);
            base[7] &= 0xE0;
            let variant = SecretBytes::new(bdk.iter().zip(TDES_VARIANT).map(|(b, m)| b ^ m).collect());
            let mut out = vec![0u8; 16];
            out[..8].copy_from_slice(&base);
            out[8..].copy_from_slice(&base);
            cipher(CipherFamily::Tdes, bdk)?.encrypt_block(&mut out[..8]);
            cipher(CipherFamily::Tdes, variant.as_bytes())?.encrypt_block(&mut out[8..]);
            Ok(SecretBytes::new(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tdes_ipek_matches_the_x9_24_example() {
        let bdk = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let ksn = hex::decode("FFFF9876543210E00000").unwrap();
        let ipek = initial_key(&bdk, CipherFamily::Tdes, &ksn).unwrap();
        assert_eq!(ipek.expose_hex(), "6AC292FAA1315B4D858AB3A3D7D5933A");
    }

    #[test]
    fn aes_ipek_matches_the_x9_24_3_example() {
        let bdk = hex::decode("FEDCBA9876543210F1F1F1F1F1F1F1F1").unwrap();
        let ksn = hex::decode("123456789012345600000000").unwrap();
        let ipek = initial_key(&bdk, CipherFamily::Aes, &ksn).unwrap();
        assert_eq!(ipek.expose_hex(), "1273671EA26AC29AFA4D1084127652A1");
    }

    #[test]
    fn wrong_ksn_lengths_are_validation_errors() {
        let bdk = [0x11u8; 16];
        assert_eq!(
            initial_key(&bdk, CipherFamily::Tdes, &[0; 12]).unwrap_err().code,
            "ValidationException"
        );
        assert_eq!(
            initial_key(&bdk, CipherFamily::Aes, &[0; 10]).unwrap_err().code,
            "ValidationException"
        );
    }
}
