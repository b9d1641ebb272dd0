//! Every way a key block can be wrong, as a typed error naming the field and the character
//! position (0-based offset into the key block). Messages carry header characters, which are
//! public, but never key bytes, payload bytes or MACs.

use std::fmt;

use super::fields::{Algorithm, KeyUsage, ModeOfUse, Version};

/// The part of a key block an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Version,
    BlockLength,
    KeyUsage,
    Algorithm,
    ModeOfUse,
    KeyVersion,
    Exportability,
    OptionalBlockCount,
    KeyContext,
    Reserved,
    OptionalBlocks,
    EncryptedKey,
    Mac,
}

impl Field {
    /// Where the field starts in the 16-character header (payload fields have no fixed place).
    pub const fn header_offset(self) -> usize {
        match self {
            Self::Version => 0,
            Self::BlockLength => 1,
            Self::KeyUsage => 5,
            Self::Algorithm => 7,
            Self::ModeOfUse => 8,
            Self::KeyVersion => 9,
            Self::Exportability => 11,
            Self::OptionalBlockCount => 12,
            Self::KeyContext => 14,
            Self::Reserved => 15,
            Self::OptionalBlocks => 16,
            Self::EncryptedKey | Self::Mac => 16,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Version => "version",
            Self::BlockLength => "block length",
            Self::KeyUsage => "key usage",
            Self::Algorithm => "algorithm",
            Self::ModeOfUse => "mode of use",
            Self::KeyVersion => "key version",
            Self::Exportability => "exportability",
            Self::OptionalBlockCount => "number of optional blocks",
            Self::KeyContext => "key context",
            Self::Reserved => "reserved",
            Self::OptionalBlocks => "optional blocks",
            Self::EncryptedKey => "encrypted key",
            Self::Mac => "MAC",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key block error. `position` is always the 0-based character offset where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tr31Error {
    #[error("key block is {length} characters; at least {minimum} are needed")]
    TooShort { length: usize, minimum: usize },

    #[error("non-ASCII character at position {position}: a key block is ASCII only")]
    NonAscii { position: usize },

    #[error("{field} at position {position}: character 0x{byte:02X} is not allowed there")]
    BadCharacter { field: Field, position: usize, byte: u8 },

    #[error("{field} at position {position}: '{value}' is not a known value")]
    UnknownValue {
        field: Field,
        position: usize,
        value: String,
    },

    #[error("block length at position 1 says {declared} but the key block is {actual} characters")]
    LengthMismatch { declared: usize, actual: usize },

    #[error("algorithm at position 7: '{algorithm}' is not allowed with key usage {usage}")]
    AlgorithmNotAllowed { usage: KeyUsage, algorithm: Algorithm },

    #[error("mode of use at position 8: '{mode}' is not allowed with key usage {usage}")]
    ModeNotAllowed { usage: KeyUsage, mode: ModeOfUse },

    #[error("{field} at position {position}: {reason}")]
    Rule {
        field: Field,
        position: usize,
        reason: &'static str,
    },

    #[error("optional block {id} at position {position}: {reason}")]
    OptionalBlock {
        id: String,
        position: usize,
        reason: String,
    },

    #[error(
        "optional blocks at position 16 are {length} characters, not a multiple of the version {version} block size {block_size}"
    )]
    OptionalBlocksNotAligned {
        version: Version,
        length: usize,
        block_size: usize,
    },

    #[error("{field} at position {position}: {length} characters where {expected}")]
    BadLength {
        field: Field,
        position: usize,
        length: usize,
        expected: &'static str,
    },

    /// [`Remedy::AllowWeakWrapping`] accepts it.
    #[error("weak wrapping refused: {reason}")]
    WeakWrapping { reason: &'static str },

    #[error("KBPK of {length} bytes cannot protect a version {version} key block (needs {expected})")]
    KbpkLength {
        version: Version,
        length: usize,
        expected: &'static str,
    },

    #[error("MAC at position {position} does not verify: wrong KBPK, or the key block was altered")]
    MacMismatch { position: usize },

    #[error("encrypted key at position {position}: {reason}")]
    Payload { position: usize, reason: &'static str },

    /// [`Remedy::LenientProfile`] accepts it.
    #[error(
        "encrypted key at position {position}: the key length is not obfuscated (X9.143 pads every key to its algorithm's longest)"
    )]
    UnobfuscatedKeyLength { position: usize },

    #[error("key of {length} bytes is not a valid {algorithm} key length")]
    KeyLength { algorithm: Algorithm, length: usize },

    #[error("optional block {id}: the check value does not match the {what}")]
    CheckValueMismatch { id: &'static str, what: &'static str },

    #[error("optional block {id}: the check value is not 00 or 01 followed by hex digits, so it cannot be checked")]
    CheckValueUnreadable { id: String },
}

/// How a caller can accept a block that was refused: the error says what is wrong, the remedy
/// what would accept it anyway. Each front end names it in its own terms (the library: a profile
/// or option; the CLI: a flag), so error texts name neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Opt in to weak wrapping: [`super::Profile::with_weak_wrapping`],
    /// `WrapOptions::allow_weak_wrapping`, `LoadPolicy::allow_weak_wrapping`.
    AllowWeakWrapping,
    /// Read with [`super::Profile::LENIENT`]: what HSMs, ISO 20038 and older systems emit.
    LenientProfile,
}

/// Something a block does that X9.143 does not allow but the profile accepted: the block parses
/// and unwraps, and the caller is told which rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tr31Warning {
    /// The key usage × algorithm × mode of use combination is outside X9.143's table; the inner
    /// error is what the strict profile would have refused it with.
    #[error(
        "{0} by the X9.143 key usage table (ISO 20038 and older systems allow it; accepted by the lenient profile)"
    )]
    OutsideUsageTable(Tr31Error),
}

impl Tr31Error {
    /// What would accept the block anyway, where an opt-in exists.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::WeakWrapping { .. } => Some(Remedy::AllowWeakWrapping),
            Self::UnobfuscatedKeyLength { .. } | Self::AlgorithmNotAllowed { .. } | Self::ModeNotAllowed { .. } => {
                Some(Remedy::LenientProfile)
            }
            Self::BadCharacter { field, byte, .. }
                if byte.is_ascii_lowercase()
                    && byte.is_ascii_hexdigit()
                    && matches!(field, Field::EncryptedKey | Field::Mac) =>
            {
                Some(Remedy::LenientProfile)
            }
            _ => None,
        }
    }

    /// The field the error is about, where there is one.
    pub fn field(&self) -> Option<Field> {
        Some(match self {
            Self::BadCharacter { field, .. }
            | Self::UnknownValue { field, .. }
            | Self::Rule { field, .. }
            | Self::BadLength { field, .. } => *field,
            Self::LengthMismatch { .. } | Self::TooShort { .. } => Field::BlockLength,
            Self::NonAscii { position } if *position < super::header::FIXED_LEN => super::header::field_at(*position),
            Self::NonAscii { .. } => return None,
            Self::AlgorithmNotAllowed { .. } => Field::Algorithm,
            Self::ModeNotAllowed { .. } => Field::ModeOfUse,
            Self::OptionalBlock { .. }
            | Self::OptionalBlocksNotAligned { .. }
            | Self::CheckValueMismatch { .. }
            | Self::CheckValueUnreadable { .. } => Field::OptionalBlocks,
            Self::MacMismatch { .. } => Field::Mac,
            Self::Payload { .. } | Self::UnobfuscatedKeyLength { .. } | Self::KeyLength { .. } => Field::EncryptedKey,
            Self::WeakWrapping { .. } | Self::KbpkLength { .. } => return None,
        })
    }
}
