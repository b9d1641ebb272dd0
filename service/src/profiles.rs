//! Key profiles: the keys a reader gets, slot by slot, as the configuration file names them.
//!
//! ```toml
//! [profiles.standard]
//! slots = [
//!   { slot = 0, key = "alias/pin-key" },                                   # a fixed key
//!   { slot = 1, dukpt = "tdes", bdk = "alias/bdk", ksi = "FFFF987654" },   # TDES DUKPT IPEK
//!   { slot = 2, dukpt = "aes", bdk = "alias/bdk-aes", bdk_id = "12345678" } # AES DUKPT initial key
//! ]
//! ```
//!
//! A DUKPT slot gets the reader its own Initial Key ID, numbered from a sequence per key set
//! (see [`DukptScheme`]); the numbering itself is in [`crate::requests`].
//!
//! `kek = "per-reader"` gives every reader of the profile its own KEK, created in AWS and
//! delivered by TR-34 ([`crate::kek`]); the default, `"shared"`, wraps under the KEK an operator
//! named when registering the reader (loaded by a paper key ceremony).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// A profile as written in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    pub slots: Vec<SlotConfig>,
    #[serde(default)]
    pub kek: KekChoice,
}

/// Which KEK a profile's readers' keys are wrapped under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KekChoice {
    /// The KEK named when the reader was registered, shared with other readers (paper ceremony).
    #[default]
    Shared,
    /// The reader's own KEK, made by the service in AWS and delivered by TR-34.
    PerReader,
}

/// A slot as written: either `key`, or `dukpt` with `bdk` and `ksi` (TDES) or `bdk_id` (AES).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotConfig {
    pub slot: u8,
    pub key: Option<String>,
    pub dukpt: Option<DukptFamily>,
    pub bdk: Option<String>,
    pub ksi: Option<String>,
    pub bdk_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DukptFamily {
    Tdes,
    Aes,
}

/// A checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub slots: Vec<SlotSpec>,
    pub kek: KekChoice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotSpec {
    pub slot: u8,
    pub source: KeySource,
}

/// Where a slot's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The same key for every reader (ARN or alias).
    Fixed { key: String },
    /// A DUKPT initial key derived from `bdk` for the reader's own Initial Key ID.
    Dukpt { bdk: String, scheme: DukptScheme },
}

impl KeySource {
    /// The AWS key the slot exports (the BDK for DUKPT).
    pub fn key_id(&self) -> &str {
        match self {
            Self::Fixed { key } => key,
            Self::Dukpt { bdk, .. } => bdk,
        }
    }
}

/// How Initial Key IDs are laid out, per ANSI X9.24.
///
/// * TDES (X9.24-1): the 80-bit KSN is a 59-bit Initial Key ID (the Key Set Identifier, then the
///   device id in the remaining bits) and a 21-bit transaction counter. The configured KSI takes
///   4 bits per hex digit; the device id gets what is left of the 59 (19 bits for the usual
///   10-digit KSI).
/// * AES (X9.24-3): the 96-bit KSN is a 32-bit BDK ID, a 32-bit derivation id and a 32-bit
///   counter.
///
/// Initial KSNs have the counter at zero. Device ids are numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DukptScheme {
    Tdes { ksi: u64, ksi_digits: u32 },
    Aes { bdk_id: u32 },
}

const TDES_INITIAL_KEY_ID_BITS: u32 = 59;
const TDES_COUNTER_BITS: u32 = 21;

impl DukptScheme {
    /// The sequence this scheme numbers from: one per key set, named by what the KSN carries.
    pub fn scope(&self) -> String {
        match self {
            Self::Tdes { ksi, ksi_digits } => format!("tdes:{:0width$X}", ksi, width = *ksi_digits as usize),
            Self::Aes { bdk_id } => format!("aes:{bdk_id:08X}"),
        }
    }

    /// The largest device id the layout has room for.
    pub fn max_device_id(&self) -> u64 {
        match self {
            Self::Tdes { ksi_digits, .. } => (1u64 << (TDES_INITIAL_KEY_ID_BITS - 4 * ksi_digits)) - 1,
            Self::Aes { .. } => u64::from(u32::MAX),
        }
    }

    /// The initial KSN (counter zero) for `device_id`, as hex: 20 digits TDES, 24 AES.
    pub fn initial_ksn(&self, device_id: u64) -> String {
        debug_assert!(device_id <= self.max_device_id());
        match self {
            Self::Tdes { ksi, ksi_digits } => {
                let device_bits = TDES_INITIAL_KEY_ID_BITS - 4 * ksi_digits;
                let initial_key_id = (u128::from(*ksi) << device_bits) | u128::from(device_id);
                format!("{:020X}", initial_key_id << TDES_COUNTER_BITS)
            }
            Self::Aes { bdk_id } => format!("{bdk_id:08X}{device_id:08X}00000000"),
        }
    }
}

/// A profile that cannot be used, naming the profile, slot and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile `{profile}`{}: {reason}", slot.map(|s| format!(", slot {s}")).unwrap_or_default())]
pub struct ProfileError {
    pub profile: String,
    pub slot: Option<u8>,
    pub reason: String,
}

/// Checks every profile: slots unique, each slot one kind of key, DUKPT fields well-formed, and
/// no two DUKPT key sets whose KSNs could collide (the same KSI naming two BDKs, or one TDES KSI
/// a prefix of another).
pub fn check_profiles(configs: &BTreeMap<String, ProfileConfig>) -> Result<BTreeMap<String, Profile>, ProfileError> {
    let mut profiles = BTreeMap::new();
    let mut scopes: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (name, config) in configs {
        let error = |slot: Option<u8>, reason: String| ProfileError {
            profile: name.clone(),
            slot,
            reason,
        };
        if config.slots.is_empty() {
            return Err(error(None, "has no slots".into()));
        }
        let mut seen = BTreeSet::new();
        let mut slots = Vec::new();
        for slot in &config.slots {
            if !seen.insert(slot.slot) {
                return Err(error(Some(slot.slot), "listed twice".into()));
            }
            let source = slot_source(slot).map_err(|reason| error(Some(slot.slot), reason))?;
            if let KeySource::Dukpt { bdk, scheme } = &source {
                let scope = scheme.scope();
                if let Some((other_bdk, other_profile)) = scopes.get(&scope)
                    && other_bdk != bdk
                {
                    return Err(error(
                        Some(slot.slot),
                        format!("key set {scope} already names BDK {other_bdk} (profile `{other_profile}`)"),
                    ));
                }
                if let Some(other) = scopes.keys().find(|s| overlaps(s, &scope)) {
                    return Err(error(
                        Some(slot.slot),
                        format!("KSI of {scope} and {other} overlap, so their KSNs could collide"),
                    ));
                }
                scopes.insert(scope, (bdk.clone(), name.clone()));
            }
            slots.push(SlotSpec {
                slot: slot.slot,
                source,
            });
        }
        profiles.insert(name.clone(), Profile { slots, kek: config.kek });
    }
    Ok(profiles)
}

/// Two different TDES scopes where one KSI is a prefix of the other.
fn overlaps(a: &str, b: &str) -> bool {
    a != b && a.starts_with("tdes:") && b.starts_with("tdes:") && (a.starts_with(b) || b.starts_with(a))
}

fn slot_source(slot: &SlotConfig) -> Result<KeySource, String> {
    let nonempty = |value: &Option<String>, field: &str| match value {
        Some(v) if v.trim().is_empty() => Err(format!("`{field}` is empty")),
        _ => Ok(()),
    };
    nonempty(&slot.key, "key")?;
    nonempty(&slot.bdk, "bdk")?;
    match (&slot.key, slot.dukpt) {
        (Some(key), None) => {
            if slot.bdk.is_some() || slot.ksi.is_some() || slot.bdk_id.is_some() {
                return Err("a fixed `key` slot takes no `bdk`, `ksi` or `bdk_id`".into());
            }
            Ok(KeySource::Fixed { key: key.clone() })
        }
        (None, Some(family)) => {
            let bdk = slot.bdk.clone().ok_or("a `dukpt` slot needs `bdk`")?;
            let scheme = match family {
                DukptFamily::Tdes => {
                    if slot.bdk_id.is_some() {
                        return Err("`bdk_id` is for AES DUKPT; TDES takes `ksi`".into());
                    }
                    let ksi = slot.ksi.as_deref().ok_or("TDES DUKPT needs `ksi` (hex)")?;
                    let digits = ksi.len() as u32;
                    if !(1..=14).contains(&digits) || !ksi.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(format!("`ksi` must be 1 to 14 hex digits (10 is usual), not `{ksi}`"));
                    }
                    DukptScheme::Tdes {
                        ksi: u64::from_str_radix(ksi, 16).map_err(|e| e.to_string())?,
                        ksi_digits: digits,
                    }
                }
                DukptFamily::Aes => {
                    if slot.ksi.is_some() {
                        return Err("`ksi` is for TDES DUKPT; AES takes `bdk_id`".into());
                    }
                    let id = slot
                        .bdk_id
                        .as_deref()
                        .ok_or("AES DUKPT needs `bdk_id` (8 hex digits)")?;
                    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(format!("`bdk_id` must be 8 hex digits, not `{id}`"));
                    }
                    DukptScheme::Aes {
                        bdk_id: u32::from_str_radix(id, 16).map_err(|e| e.to_string())?,
                    }
                }
            };
            Ok(KeySource::Dukpt { bdk, scheme })
        }
        (Some(_), Some(_)) => Err("give either `key` or `dukpt`, not both".into()),
        (None, None) => Err("give `key` (a fixed key) or `dukpt` (\"tdes\" or \"aes\")".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<BTreeMap<String, Profile>, ProfileError> {
        #[derive(Deserialize)]
        struct Wrapper {
            profiles: BTreeMap<String, ProfileConfig>,
        }
        use figment::providers::Format;
        let wrapper: Wrapper = figment::Figment::from(figment::providers::Toml::string(toml_text))
            .extract()
            .unwrap();
        check_profiles(&wrapper.profiles)
    }

    #[test]
    fn tdes_initial_ksns_are_ksi_then_device_id_then_a_zero_counter() {
        let scheme = DukptScheme::Tdes {
            ksi: 0xFFFF987654,
            ksi_digits: 10,
        };
        assert_eq!(scheme.max_device_id(), (1 << 19) - 1);
        // The X9.24-1 example KSN FFFF9876543210E00000 is KSI FFFF987654, then 19 bits of device
        // id (0x3210E00000 >> 21 = 0x19087), then a 21-bit counter of zero.
        assert_eq!(scheme.initial_ksn(0x19087), "FFFF9876543210E00000");
        assert_eq!(scheme.initial_ksn(1), "FFFF9876540000200000");
        assert_eq!(scheme.scope(), "tdes:FFFF987654");
    }

    #[test]
    fn aes_initial_ksns_are_bdk_id_then_derivation_id_then_a_zero_counter() {
        let scheme = DukptScheme::Aes { bdk_id: 0x12345678 };
        assert_eq!(scheme.initial_ksn(0x90123456), "123456789012345600000000");
        assert_eq!(scheme.max_device_id(), u64::from(u32::MAX));
        assert_eq!(scheme.scope(), "aes:12345678");
    }

    #[test]
    fn profiles_parse_into_fixed_and_dukpt_slots() {
        let profiles = parse(
            r#"
            [profiles.standard]
            slots = [
              { slot = 0, key = "alias/pin" },
              { slot = 1, dukpt = "tdes", bdk = "alias/bdk", ksi = "ffff987654" },
              { slot = 2, dukpt = "aes", bdk = "alias/bdk-aes", bdk_id = "12345678" },
            ]
            "#,
        )
        .unwrap();
        let slots = &profiles["standard"].slots;
        assert_eq!(
            slots[0].source,
            KeySource::Fixed {
                key: "alias/pin".into()
            }
        );
        assert!(matches!(&slots[1].source, KeySource::Dukpt { scheme, .. } if scheme.scope() == "tdes:FFFF987654"));
        assert_eq!(slots[2].source.key_id(), "alias/bdk-aes");
        assert_eq!(profiles["standard"].kek, KekChoice::Shared);
        let own = parse("[profiles.own]\nkek = \"per-reader\"\nslots = [{ slot = 0, key = \"k\" }]").unwrap();
        assert_eq!(own["own"].kek, KekChoice::PerReader);
    }

    #[test]
    fn bad_profiles_name_the_profile_slot_and_field() {
        let cases = [
            (
                r#"slots = [{ slot = 0, key = "a" }, { slot = 0, key = "b" }]"#,
                "listed twice",
            ),
            (r#"slots = [{ slot = 1, dukpt = "tdes", bdk = "b" }]"#, "needs `ksi`"),
            (
                r#"slots = [{ slot = 1, dukpt = "tdes", bdk = "b", ksi = "XYZ" }]"#,
                "hex digits",
            ),
            (
                r#"slots = [{ slot = 1, dukpt = "aes", bdk = "b", bdk_id = "123" }]"#,
                "8 hex digits",
            ),
            (r#"slots = [{ slot = 1, key = "k", dukpt = "aes" }]"#, "not both"),
            (r#"slots = [{ slot = 1 }]"#, "give `key`"),
            (r#"slots = [{ slot = 1, key = "k", ksi = "FF" }]"#, "takes no"),
            (r#"slots = []"#, "has no slots"),
            (
                r#"slots = [{ slot = 1, dukpt = "tdes", bdk = "a", ksi = "FFFF" }, { slot = 2, dukpt = "tdes", bdk = "a", ksi = "FFFF98" }]"#,
                "overlap",
            ),
            (
                r#"slots = [{ slot = 1, dukpt = "aes", bdk = "a", bdk_id = "00000001" }, { slot = 2, dukpt = "aes", bdk = "b", bdk_id = "00000001" }]"#,
                "already names BDK a",
            ),
        ];
        for (slots, expected) in cases {
            let error = parse(&format!("[profiles.p]\n{slots}")).unwrap_err();
            assert_eq!(error.profile, "p");
            assert!(error.to_string().contains(expected), "{slots}: {error}");
        }
    }
}
