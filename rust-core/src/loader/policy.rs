//! What the loader accepts before anything is sent: the [`LoadPolicy`], and the checks of a block
//! against it.

use crate::kcv::{KcvMethod, MIN_KCV_LEN};
use crate::tr31::{self, KeyBlock, KeyUsage, KnownBlockId, Profile, Remedy, Tr31Error, Version};

use super::{LoadError, LoadWarning, list, refused};

/// The KBPK Dspread readers ship with. A block wrapped under it is readable by anyone.
pub const FACTORY_KBPK: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
];

/// What the loader accepts before sending anything.
///
/// The default allows what reader firmware documents: versions A, B and D, usages K0, B1, D0 and
/// P0. Parsing uses `profile`, which is [`Profile::STRICT`] and so refuses weak wrapping: version
/// A (deprecated variant binding) and AES keys under a TDES KBPK are refused unless the caller
/// opts in with [`LoadPolicy::allow_weak_wrapping`]. Version A is therefore allowed by the
/// version list (the firmware takes it) but needs that explicit opt-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPolicy {
    pub allowed_versions: Vec<Version>,
    pub allowed_usages: Vec<KeyUsage>,
    pub profile: Profile,
}

impl Default for LoadPolicy {
    fn default() -> Self {
        Self {
            allowed_versions: vec![Version::A, Version::B, Version::D],
            allowed_usages: vec![KeyUsage::K0, KeyUsage::B1, KeyUsage::D0, KeyUsage::P0],
            profile: Profile::STRICT,
        }
    }
}

impl LoadPolicy {
    /// The default lists with the lenient import profile (blocks as real HSMs emit them).
    pub fn lenient() -> Self {
        Self {
            profile: Profile::LENIENT,
            ..Self::default()
        }
    }

    /// The same policy with weak wrapping (version A, AES under TDES) accepted.
    pub fn allow_weak_wrapping(mut self) -> Self {
        self.profile = self.profile.with_weak_wrapping();
        self
    }

    /// Parses `text` and checks it against the policy: the block and what was learned about it,
    /// or the refusal. Nothing is sent.
    pub(super) fn check(&self, text: &str) -> Result<Checked, LoadError> {
        let block = KeyBlock::parse(text, &self.profile).map_err(|e| match e {
            Tr31Error::WeakWrapping { reason } => LoadError::Refused {
                reason: format!("weak wrapping: {reason}"),
                remedy: Some(Remedy::AllowWeakWrapping),
            },
            other => LoadError::InvalidBlock(other),
        })?;
        let header = block.header();
        if !self.allowed_versions.contains(&header.version) {
            return Err(refused(&format!(
                "version {} is not allowed (allowed: {})",
                header.version,
                list(&self.allowed_versions)
            )));
        }
        if !self.allowed_usages.contains(&header.key_usage) {
            return Err(refused(&format!(
                "key usage {} ({}) is not allowed (allowed: {})",
                header.key_usage,
                header.key_usage.meaning(),
                list(&self.allowed_usages)
            )));
        }
        let mut warnings: Vec<LoadWarning> = block.warnings().iter().cloned().map(LoadWarning::KeyBlock).collect();
        if tr31::weak_wrapping(header).is_some() {
            warnings.push(LoadWarning::WeakWrapping);
        }
        // The MAC verifies under the factory KBPK only if that is the wrapping key. The clear key
        // is dropped (zeroized) at once; only the fact is kept.
        if block.unwrap(&FACTORY_KBPK).is_ok() {
            warnings.push(LoadWarning::FactoryKbpk);
        }
        let kc = match header
            .optional_block(KnownBlockId::KeyCheckValue)
            .map(tr31::optional::check_value)
            .transpose()
            .map_err(LoadError::InvalidBlock)?
        {
            Some((KcvMethod::Legacy, value)) if value.len() < MIN_KCV_LEN => {
                return Err(refused(&format!(
                    "the KC block's KCV is {} bytes; at least {MIN_KCV_LEN} are needed to verify the load",
                    value.len()
                )));
            }
            Some((KcvMethod::Legacy, value)) => Some(value),
            Some((KcvMethod::Cmac, _)) => {
                warnings.push(LoadWarning::KeyBlockKcvNotLegacy);
                None
            }
            None => None,
        };
        Ok(Checked { block, warnings, kc })
    }
}

/// A validated block and what the loader learned about it.
pub(super) struct Checked {
    pub block: KeyBlock,
    pub warnings: Vec<LoadWarning>,
    /// The `KC` block's legacy KCV, if present.
    pub kc: Option<Vec<u8>>,
}
