//! Where each part of a key block sits: the fixed header's fields at their character offsets,
//! then the optional blocks, the encrypted key and the MAC. Errors, warnings and the parser all
//! name positions through this one table.

use std::fmt;

/// Length of the fixed part of the header.
pub const FIXED_LEN: usize = 16;

/// A part of a key block, as errors and warnings name it.
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

/// The fixed-header field that contains character `at` (the version for anything before it).
pub(crate) fn field_at(at: usize) -> Field {
    const ORDER: [Field; 10] = [
        Field::Reserved,
        Field::KeyContext,
        Field::OptionalBlockCount,
        Field::Exportability,
        Field::KeyVersion,
        Field::ModeOfUse,
        Field::Algorithm,
        Field::KeyUsage,
        Field::BlockLength,
        Field::Version,
    ];
    ORDER
        .into_iter()
        .find(|f| f.header_offset() <= at)
        .unwrap_or(Field::Version)
}
