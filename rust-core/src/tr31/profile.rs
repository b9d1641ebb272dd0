//! How strict parsing and unwrapping are.
//!
//! Three presets, each a set of named flags so that a caller can see and choose what it
//! tolerates:
//!
//! * [`Profile::STRICT`]: ANSI X9.143 as written.
//! * [`Profile::DEFAULT`]: what a receiver must take from real HSMs: X9.143 plus a key length that
//!   is not obfuscated (payShield and the TR-31:2018 examples write the real length).
//! * [`Profile::LENIENT`]: also lower-case hex, text in hex-valued optional blocks and ISO 20038's
//!   usage/mode pairs, HMAC keys without `HM` and single-length TDES keys.
//!
//! Nothing is relaxed silently: every deviation a profile accepts comes back as a
//! [`super::Tr31Warning`] naming the relaxation and the character position.

/// Which deviations from X9.143 are accepted on import, and whether weak wrapping is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Accept lower-case hex in the encrypted key, the MAC, optional block lengths and
    /// hex-valued optional blocks.
    pub lowercase_hex: bool,
    /// Accept any printable characters in optional blocks whose value X9.143 defines as hex
    /// (vendors put text in `KS`).
    pub non_hex_optional_data: bool,
    /// Accept a payload that reveals the key length, i.e. is not padded to the algorithm's
    /// longest key (payShield and TR-31:2010-era systems do not obfuscate).
    pub unobfuscated_key_length: bool,
    /// Accept a well-formed key usage × algorithm × mode of use combination outside X9.143's
    /// table (ISO 20038 and older systems pair some differently: ISO 20038's own example is B0
    /// with mode V).
    pub outside_usage_table: bool,
    /// Accept an HMAC key (algorithm `H`) without the `HM` block naming its hash, as ISO 20038
    /// writes them.
    pub hmac_without_hash_block: bool,
    /// Accept an 8-byte key with algorithm `T` (single-length TDES, i.e. DES, as TR-31:2010-era
    /// systems wrapped it; X9.143 has TDES keys of 16 and 24 bytes).
    pub single_length_tdes: bool,
    /// Accept version A (deprecated variant binding) and AES keys under a TDES KBPK (versions
    /// A/B/C). Off in every preset: it is an explicit opt-in.
    pub allow_weak_wrapping: bool,
}

/// The three presets by name, as the CLI (`--strict`, `--lenient`) and the bindings offer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// [`Profile::STRICT`].
    Strict,
    /// [`Profile::DEFAULT`].
    #[default]
    Default,
    /// [`Profile::LENIENT`].
    Lenient,
}

impl Profile {
    /// ANSI X9.143 as written.
    pub const STRICT: Self = Self {
        lowercase_hex: false,
        non_hex_optional_data: false,
        unobfuscated_key_length: false,
        outside_usage_table: false,
        hmac_without_hash_block: false,
        single_length_tdes: false,
        allow_weak_wrapping: false,
    };

    /// X9.143, and a key length that is not obfuscated, as HSMs write it (with a warning).
    pub const DEFAULT: Self = Self {
        unobfuscated_key_length: true,
        ..Self::STRICT
    };

    /// Everything real HSMs, ISO 20038 and TR-31:2010-era systems emit (each with a warning).
    pub const LENIENT: Self = Self {
        lowercase_hex: true,
        non_hex_optional_data: true,
        unobfuscated_key_length: true,
        outside_usage_table: true,
        hmac_without_hash_block: true,
        single_length_tdes: true,
        allow_weak_wrapping: false,
    };

    /// The preset `strictness` names, with weak wrapping accepted or not.
    pub const fn preset(strictness: Strictness, allow_weak_wrapping: bool) -> Self {
        let base = match strictness {
            Strictness::Strict => Self::STRICT,
            Strictness::Default => Self::DEFAULT,
            Strictness::Lenient => Self::LENIENT,
        };
        Self {
            allow_weak_wrapping,
            ..base
        }
    }

    /// The same profile with weak wrapping accepted.
    pub const fn with_weak_wrapping(self) -> Self {
        Self {
            allow_weak_wrapping: true,
            ..self
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::DEFAULT
    }
}
