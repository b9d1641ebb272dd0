//! What a load established: the outcome, which KCV proved it, and the warnings.

use std::time::Duration;

use crate::kcv::{MIN_KCV_LEN, kcv_matches};
use crate::tr31::{self, KeyUsage, Version};

use super::LoadError;
use crate::device::command::CheckValueType;

/// What a load the reader accepted established. [`kcv_check`](Self::kcv_check) says whether
/// the reader's KCV proved it holds the key ([`is_verified`](Self::is_verified)) or only the
/// reader's word stands ([`KcvCheck::Unverified`]).
#[derive(Debug, Clone)]
pub struct KeyLoadOutcome {
    pub slot: u8,
    pub version: Version,
    pub key_usage: KeyUsage,
    pub algorithm: tr31::Algorithm,
    /// The check value read for the key (`None` when no check value covers its usage).
    pub check_value_type: Option<CheckValueType>,
    /// The KCV the reader reports for the key (empty if the reader cannot report one).
    pub reader_kcv: Vec<u8>,
    /// The KSN the reader reports for a DUKPT key loaded with a KSN frame (empty otherwise).
    pub reader_ksn: Vec<u8>,
    pub kcv_check: KcvCheck,
    pub warnings: Vec<LoadWarning>,
    pub elapsed: Duration,
}

impl KeyLoadOutcome {
    /// Whether the reader's KCV matched a KCV known for the key: the reader holds this key.
    pub fn is_verified(&self) -> bool {
        self.kcv_check != KcvCheck::Unverified
    }
}

/// Which KCV the reader's was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcvCheck {
    /// Verified against the block's `KC` optional block (legacy method).
    MatchedKeyBlock,
    /// Verified against [`LoadRequest::expected_kcv`](super::LoadRequest::expected_kcv).
    MatchedExpected,
    /// NOT verified: the reader accepted the key (result 0x00) but no KCV of the key was known or
    /// the reader reports none (the warnings say which). As with the vendor SDK's `true`, this
    /// is the reader's word only.
    Unverified,
}

/// Things the caller should know although the load may go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadWarning {
    #[error("the block is wrapped under the factory KBPK 0123…3210: anyone can unwrap it")]
    FactoryKbpk,
    #[error("weak wrapping (version A or an AES key under a TDES KBPK) was accepted by opt-in")]
    WeakWrapping,
    #[error("the KC block uses the CMAC method; readers report a legacy KCV, so it cannot be compared")]
    KeyBlockKcvNotLegacy,
    #[error("no KCV to compare with: give an expected KCV or put a KC block in the key block")]
    NoKcvToCompare,
    #[error("the reader does not report KCVs, so the loaded key could not be verified")]
    ReaderKcvUnavailable,
    /// The block breaks an X9.143 rule the lenient profile accepts.
    #[error("{0}")]
    KeyBlock(tr31::Tr31Warning),
}

/// A KCV known for the key being loaded, and the check it stands for.
pub(super) type KnownKcv = (Vec<u8>, KcvCheck);

/// Compares the reader's KCV with every KCV known for the key; any mismatch is an error, and a
/// reader KCV shorter than [`MIN_KCV_LEN`] is one too.
pub(super) fn compare_kcvs(reader: &[u8], known: &[KnownKcv]) -> Result<KcvCheck, LoadError> {
    if reader.len() < MIN_KCV_LEN {
        return Err(LoadError::ShortReaderKcv { length: reader.len() });
    }
    for (wanted, _) in known {
        if !kcv_matches(wanted, reader) {
            return Err(LoadError::KcvMismatch {
                expected: hex::encode_upper(wanted),
                reader: hex::encode_upper(reader),
            });
        }
    }
    Ok(known.first().map_or(KcvCheck::Unverified, |(_, check)| *check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kcvs_compare_over_the_shorter_length_and_mismatch_is_an_error() {
        let kc = (vec![1, 2, 3, 4, 5], KcvCheck::MatchedKeyBlock);
        let expected = (vec![1, 2, 3], KcvCheck::MatchedExpected);
        assert_eq!(
            compare_kcvs(&[1, 2, 3], &[kc.clone(), expected.clone()]).unwrap(),
            KcvCheck::MatchedKeyBlock
        );
        assert_eq!(
            compare_kcvs(&[1, 2, 3, 4], &[expected]).unwrap(),
            KcvCheck::MatchedExpected
        );
        assert_eq!(compare_kcvs(&[1, 2, 3], &[]).unwrap(), KcvCheck::Unverified);
        let err = compare_kcvs(&[1, 2, 3], &[kc, (vec![9, 9, 9], KcvCheck::MatchedExpected)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "KCV mismatch: expected 090909, the reader reports 010203"
        );
    }

    /// A 1-byte KCV from the reader used to match any expected KCV that began with that byte.
    #[test]
    fn a_short_reader_kcv_is_an_error_never_a_match() {
        let known = [(vec![1, 2, 3], KcvCheck::MatchedExpected)];
        for reader in [&[][..], &[1], &[1, 2]] {
            assert!(matches!(
                compare_kcvs(reader, &known),
                Err(LoadError::ShortReaderKcv { length }) if length == reader.len()
            ));
            assert!(matches!(
                compare_kcvs(reader, &[]),
                Err(LoadError::ShortReaderKcv { .. })
            ));
        }
    }
}
