//! Every way a key block can be wrong, as a typed error naming the field and the character
//! position (0-based offset into the key block). Messages carry header characters, which are
//! public, but never key bytes, payload bytes or MACs.

use super::fields::{Algorithm, KeyUsage, ModeOfUse, Version};
use super::layout::{FIXED_LEN, Field, field_at};

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

    /// [`Remedy::DefaultProfile`] accepts it, with [`Tr31Warning::UnobfuscatedKeyLength`].
    #[error(
        "encrypted key at position {position}: the key length is not obfuscated (X9.143 pads every key to its algorithm's longest)"
    )]
    UnobfuscatedKeyLength { position: usize },

    /// A hex-valued optional block (or an optional block's length) holds something else:
    /// [`Remedy::LenientProfile`] accepts it, with a warning.
    #[error("optional block {id} at position {position}: character 0x{byte:02X} where X9.143 has upper-case hex")]
    NotHex { id: String, position: usize, byte: u8 },

    /// [`Remedy::LenientProfile`] accepts it, with a warning.
    #[error("optional blocks at position 16: an HMAC key (algorithm H) needs an HM block naming its hash")]
    HmacWithoutHashBlock,

    /// An asymmetric key that is not what its algorithm letter says, or too weak to wrap.
    #[error("key of algorithm {algorithm}: {reason}")]
    AsymmetricKey { algorithm: Algorithm, reason: &'static str },

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
    /// Read with [`super::Profile::DEFAULT`] (or the lenient profile) rather than the strict one.
    DefaultProfile,
    /// Read with [`super::Profile::LENIENT`]: what HSMs, ISO 20038 and older systems emit.
    LenientProfile,
}

/// Something a block does that X9.143 does not allow but the profile accepted: the block parses
/// and unwraps, and the caller is told which relaxation was applied, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tr31Warning {
    /// Accepted by the default and lenient profiles.
    #[error(
        "encrypted key at position {position}: the key length is not obfuscated (X9.143 pads every key to its algorithm's longest); accepted as HSMs write it"
    )]
    UnobfuscatedKeyLength { position: usize },
    /// Hex digits a-f where X9.143 writes A-F; `position` is the first one in the field.
    #[error(
        "{field} at position {position}: lower-case hex (X9.143 writes upper case); accepted by the lenient profile"
    )]
    LowercaseHex { field: Field, position: usize },
    /// Text in an optional block X9.143 defines as hex (vendors put names in `KS`).
    #[error("optional block {id} at position {position}: text where X9.143 has hex; accepted by the lenient profile")]
    TextInHexBlock { id: String, position: usize },
    /// The key usage × algorithm × mode of use combination is outside X9.143's table; the inner
    /// error (which names the field and position) is what the other profiles refuse it with.
    #[error(
        "{0} by the X9.143 key usage table (ISO 20038 and older systems allow it); accepted by the lenient profile"
    )]
    OutsideUsageTable(Tr31Error),
    /// An HMAC key without the `HM` block that names its hash.
    #[error(
        "optional blocks at position 16: an HMAC key without an HM block naming its hash (ISO 20038 writes them so); accepted by the lenient profile"
    )]
    HmacWithoutHashBlock,
    /// An 8-byte key with algorithm `T`.
    #[error(
        "encrypted key at position {position}: a single-length (8-byte) key with algorithm T (X9.143 has 16 and 24); accepted by the lenient profile"
    )]
    SingleLengthTdesKey { position: usize },
    /// Version A or an AES key under a TDES KBPK, accepted because the caller opted in.
    #[error("weak wrapping accepted by opt-in: {reason}")]
    WeakWrapping { reason: &'static str },
}

impl Tr31Error {
    /// What would accept the block anyway, where an opt-in exists.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::WeakWrapping { .. } => Some(Remedy::AllowWeakWrapping),
            Self::UnobfuscatedKeyLength { .. } => Some(Remedy::DefaultProfile),
            Self::AlgorithmNotAllowed { .. }
            | Self::ModeNotAllowed { .. }
            | Self::NotHex { .. }
            | Self::HmacWithoutHashBlock
            | Self::KeyLength {
                algorithm: Algorithm::Tdes,
                length: 8,
            } => Some(Remedy::LenientProfile),
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
            Self::NonAscii { position } if *position < FIXED_LEN => field_at(*position),
            Self::NonAscii { .. } => return None,
            Self::AlgorithmNotAllowed { .. } => Field::Algorithm,
            Self::ModeNotAllowed { .. } => Field::ModeOfUse,
            Self::OptionalBlock { .. }
            | Self::OptionalBlocksNotAligned { .. }
            | Self::CheckValueMismatch { .. }
            | Self::CheckValueUnreadable { .. }
            | Self::NotHex { .. }
            | Self::HmacWithoutHashBlock => Field::OptionalBlocks,
            Self::MacMismatch { .. } => Field::Mac,
            Self::Payload { .. }
            | Self::UnobfuscatedKeyLength { .. }
            | Self::KeyLength { .. }
            | Self::AsymmetricKey { .. } => Field::EncryptedKey,
            Self::WeakWrapping { .. } | Self::KbpkLength { .. } => return None,
        })
    }
}
