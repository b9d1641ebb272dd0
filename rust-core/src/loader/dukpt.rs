//! The KSN of a DUKPT initial key (B1, or a BDK under B0): whether a KSN frame follows the load,
//! and with which KSN.
//!
//! The vendor SDK sends the KSN in a second frame after a successful load
//! (`updateKeyByTR_31(idx, ksn, block)`): 10 bytes for TDES DUKPT, 12 for AES DUKPT (the initial
//! key id ‖ counter 0). A block that carries its KSN in a `KS` (TDES) or `IK` (AES) optional
//! block may go without that frame, as the vendor's demo loads one.

use crate::device::command::KSN_LENGTHS;
use crate::tr31::{Algorithm, Header, KeyUsage, KnownBlockId};

use super::{LoadError, invalid, refused};

/// Whether a key of `usage` is a DUKPT key that a KSN goes with.
pub fn is_dukpt(usage: KeyUsage) -> bool {
    matches!(usage, KeyUsage::B0 | KeyUsage::B1)
}

/// The KSN length of a DUKPT key of `algorithm`: 10 bytes for TDES, 12 for AES.
fn ksn_len(algorithm: Algorithm) -> usize {
    if algorithm == Algorithm::Aes {
        KSN_LENGTHS[1]
    } else {
        KSN_LENGTHS[0]
    }
}

/// The KSN (bytes) to send in the KSN frame after the load, `None` when no KSN frame goes.
/// `ksn` is the caller's, hex. Checks it against the block's `KS` / `IK` where both are given.
pub(super) fn ksn_to_send(header: &Header, ksn: Option<&str>) -> Result<Option<Vec<u8>>, LoadError> {
    let in_block = header
        .optional_block(KnownBlockId::KeySetId)
        .or_else(|| header.optional_block(KnownBlockId::InitialKeyId))
        .map(|b| b.data.to_ascii_uppercase());
    let Some(ksn) = ksn else {
        if is_dukpt(header.key_usage) && in_block.is_none() {
            return Err(refused(&format!(
                "a {} (DUKPT) key needs its KSN: in a KS or IK optional block, or given with the load (sent in the KSN frame)",
                header.key_usage
            )));
        }
        return Ok(None);
    };
    if !is_dukpt(header.key_usage) {
        return Err(invalid("a KSN goes only with a DUKPT key (usage B1 or B0)"));
    }
    let want = ksn_len(header.algorithm);
    let bytes = hex::decode(ksn.trim())
        .ok()
        .filter(|b| b.len() == want)
        .ok_or_else(|| {
            invalid(&format!(
                "the KSN of a {} DUKPT key must be {} hex digits ({want} bytes)",
                header.algorithm,
                want * 2
            ))
        })?;
    let ksn_hex = hex::encode_upper(&bytes);
    if let Some(in_block) = in_block
        && !ksn_hex.starts_with(&in_block)
    {
        return Err(invalid(&format!(
            "the KSN {ksn_hex} does not agree with the block's own ({in_block})"
        )));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tr31::{Exportability, ModeOfUse, OptionalBlock, Version};

    fn header(algorithm: Algorithm, extra: Option<(&str, &str)>) -> Header {
        let version = if algorithm == Algorithm::Aes {
            Version::D
        } else {
            Version::B
        };
        let mut h = Header::new(
            version,
            KeyUsage::B1,
            algorithm,
            ModeOfUse::DeriveKeys,
            Exportability::NonExportable,
        );
        if let Some((id, data)) = extra {
            h.optional_blocks.push(OptionalBlock::new(id, data));
        }
        h
    }

    #[test]
    fn ksn_lengths_and_agreement() {
        let tdes = header(Algorithm::Tdes, None);
        assert_eq!(
            ksn_to_send(&tdes, Some("FFFF9876543210E00000")).unwrap(),
            Some(hex::decode("FFFF9876543210E00000").unwrap())
        );
        assert!(ksn_to_send(&tdes, Some("FFFF9876543210E0000000")).is_err());
        assert!(matches!(ksn_to_send(&tdes, None), Err(LoadError::Refused { .. })));
        let ks = header(Algorithm::Tdes, Some(("KS", "FFFF9876543210E00000")));
        assert_eq!(ksn_to_send(&ks, None).unwrap(), None);
        assert!(ksn_to_send(&ks, Some("FFFF9876543210E00001")).is_err());
        let ik = header(Algorithm::Aes, Some(("IK", "0123456789ABCDEF")));
        assert_eq!(ksn_to_send(&ik, None).unwrap(), None, "AES DUKPT with IK loads");
        assert_eq!(
            ksn_to_send(&ik, Some("0123456789ABCDEF00000000"))
                .unwrap()
                .map(|k| k.len()),
            Some(12)
        );
        assert!(ksn_to_send(&ik, Some("FFFF456789ABCDEF00000000")).is_err());
    }
}
