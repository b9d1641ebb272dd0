//! How strict parsing and unwrapping are.
//!
//! The strict profile is ANSI X9.143 as written. Real HSMs and older systems emit blocks that
//! X9.143 would not produce, and a key-injection station still has to take them; the lenient
//! profile accepts exactly those deviations, each a named flag so that a caller can see and choose
//! what it tolerates.

/// Which deviations from X9.143 are accepted on import, and whether weak wrapping is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Accept lower-case hex in the encrypted key, the MAC and hex-valued optional blocks.
    pub lowercase_hex: bool,
    /// Accept any printable characters in optional blocks whose value X9.143 defines as hex
    /// (vendors put text in `KS`).
    pub non_hex_optional_data: bool,
    /// Accept a payload that reveals the key length, i.e. is not padded to the algorithm's
    /// longest key (payShield and TR-31:2010-era systems do not obfuscate).
    pub unobfuscated_key_length: bool,
    /// Accept a well-formed key usage × algorithm × mode of use combination outside X9.143's
    /// table (ISO 20038 and older systems pair some differently: ISO 20038's own example is B0
    /// with mode V). The parsed block carries a [`super::Tr31Warning`] naming the rule.
    pub outside_usage_table: bool,
    /// Accept version A (deprecated variant binding) and AES keys under a TDES KBPK (versions
    /// A/B/C). Off in both presets: it is an explicit opt-in.
    pub allow_weak_wrapping: bool,
}

impl Profile {
    /// ANSI X9.143 as written.
    pub const STRICT: Self = Self {
        lowercase_hex: false,
        non_hex_optional_data: false,
        unobfuscated_key_length: false,
        outside_usage_table: false,
        allow_weak_wrapping: false,
    };

    /// What real HSMs, ISO 20038 and TR-31:2010-era systems emit.
    pub const LENIENT: Self = Self {
        lowercase_hex: true,
        non_hex_optional_data: true,
        unobfuscated_key_length: true,
        outside_usage_table: true,
        allow_weak_wrapping: false,
    };

    /// The preset that two switches name, as the bindings and the CLI offer them: lenient or
    /// strict, and weak wrapping accepted or not.
    pub const fn preset(lenient: bool, allow_weak_wrapping: bool) -> Self {
        let base = if lenient { Self::LENIENT } else { Self::STRICT };
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
        Self::STRICT
    }
}
