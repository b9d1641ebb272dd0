//! One error enum per domain. They are "flat" on the foreign side: each variant becomes a
//! subclass of a sealed Kotlin exception (a Swift `Error` case) whose message is the `Display`
//! text of the core error, which names the field and the character position and never contains
//! key material.

use keybridge::tr31::Tr31Error;

/// Why a key block could not be parsed, unwrapped or wrapped.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum KeyBlockError {
    /// The text is not a well-formed key block (syntax, length, unknown field value, optional
    /// block encoding).
    #[error("{0}")]
    Malformed(Tr31Error),
    /// Well-formed, but the header breaks an X9.143 rule (usage × algorithm × mode of use).
    #[error("{0}")]
    RuleViolation(Tr31Error),
    /// Version A or an AES key under a TDES KBPK, refused without an explicit opt-in.
    #[error("{0}")]
    WeakWrapping(Tr31Error),
    /// The KBPK has the wrong length for the block's version.
    #[error("{0}")]
    BadKbpk(Tr31Error),
    /// The MAC did not verify: wrong KBPK or an altered block.
    #[error("{0}")]
    MacMismatch(Tr31Error),
    /// The authenticated payload does not hold a valid key (length, padding).
    #[error("{0}")]
    BadKey(Tr31Error),
    /// A KC or KP optional block does not match the key or the KBPK.
    #[error("{0}")]
    CheckValueMismatch(Tr31Error),
    /// An argument of the call itself is wrong (e.g. a key of the wrong length for a KCV).
    #[error("{reason}")]
    InvalidArgument { reason: String },
}

impl From<Tr31Error> for KeyBlockError {
    fn from(e: Tr31Error) -> Self {
        match e {
            Tr31Error::TooShort { .. }
            | Tr31Error::BadCharacter { .. }
            | Tr31Error::UnknownValue { .. }
            | Tr31Error::LengthMismatch { .. }
            | Tr31Error::OptionalBlock { .. }
            | Tr31Error::OptionalBlocksNotAligned { .. }
            | Tr31Error::BadLength { .. } => Self::Malformed(e),
            Tr31Error::AlgorithmNotAllowed { .. } | Tr31Error::ModeNotAllowed { .. } | Tr31Error::Rule { .. } => {
                Self::RuleViolation(e)
            }
            Tr31Error::WeakWrapping { .. } => Self::WeakWrapping(e),
            Tr31Error::KbpkLength { .. } => Self::BadKbpk(e),
            Tr31Error::MacMismatch { .. } => Self::MacMismatch(e),
            Tr31Error::Payload { .. } | Tr31Error::KeyLength { .. } => Self::BadKey(e),
            Tr31Error::CheckValueMismatch { .. } => Self::CheckValueMismatch(e),
        }
    }
}
