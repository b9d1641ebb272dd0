//! Which of the reader's check values proves a loaded key: a block's usage (and the key type it
//! was loaded as) mapped to the vendor's `CHECKVALUE_KEYTYPE`.
//!
//! | usage | key type | check value read |
//! |---|---|---|
//! | K0 | any | MKSK_TMK |
//! | P0 | any | MKSK_PIK |
//! | D0 | any | MKSK_TDK |
//! | M0–M8 | any | MKSK_MCK |
//! | B1, B0 | NEW_KEY_DATA | DUKPT_TRK_IPEK (the KSN prefix 3 loads the track and EMV groups) |
//! | B1, B0 | none, NEW_KEY_ALL, NEW_KEY_PIN, NEW_KEY_TMK | DUKPT_PIN_IPEK (prefix 7 loads all three groups, 4 the PIN group) |

use crate::device::command::{CheckValueType, Tr31KeyType};
use crate::tr31::KeyUsage;

use super::dukpt::is_dukpt;

/// The check value that shows whether the reader holds a key of `usage` loaded as `key_type`;
/// `None` for usages no check value covers.
pub fn check_value_type(usage: KeyUsage, key_type: Option<Tr31KeyType>) -> Option<CheckValueType> {
    Some(match usage {
        KeyUsage::K0 => CheckValueType::MkskTmk,
        KeyUsage::P0 => CheckValueType::MkskPik,
        KeyUsage::D0 => CheckValueType::MkskTdk,
        u if u.code().starts_with('M') => CheckValueType::MkskMck,
        u if is_dukpt(u) && key_type == Some(Tr31KeyType::NewKeyData) => CheckValueType::DukptTrkIpek,
        u if is_dukpt(u) => CheckValueType::DukptPinIpek,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usages_map_to_the_vendor_types() {
        let cases = [
            (KeyUsage::K0, None, Some(CheckValueType::MkskTmk)),
            (
                KeyUsage::P0,
                Some(Tr31KeyType::NewKeyPin),
                Some(CheckValueType::MkskPik),
            ),
            (KeyUsage::D0, None, Some(CheckValueType::MkskTdk)),
            (KeyUsage::M6, None, Some(CheckValueType::MkskMck)),
            (KeyUsage::B1, None, Some(CheckValueType::DukptPinIpek)),
            (
                KeyUsage::B1,
                Some(Tr31KeyType::NewKeyData),
                Some(CheckValueType::DukptTrkIpek),
            ),
            (
                KeyUsage::B1,
                Some(Tr31KeyType::NewKeyPin),
                Some(CheckValueType::DukptPinIpek),
            ),
            (KeyUsage::E0, None, None),
        ];
        for (usage, key_type, expected) in cases {
            assert_eq!(check_value_type(usage, key_type), expected, "{usage} {key_type:?}");
        }
    }
}
