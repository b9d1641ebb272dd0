//! The typed header fields of a key block, each with the full ANSI X9.143 value set.
//!
//! Each enum is declared as a table of (variant, code, meaning) so that the standard's tables read
//! the same here as on paper; `code_enum!` turns a table into the enum, its parser and its printer.

use serde::Serialize;

/// A code of up to 7 characters as one number (its length in the top byte), `None` if longer.
pub(crate) const fn pack_code(code: &[u8]) -> Option<u64> {
    if code.len() > 7 {
        return None;
    }
    let mut packed = (code.len() as u64) << 56;
    let mut i = 0;
    while i < code.len() {
        packed |= (code[i] as u64) << (8 * i);
        i += 1;
    }
    Some(packed)
}

/// Declares a header-field enum from a table of `Variant = "code", "meaning"` rows.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $meaning:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = $meaning] $variant,)+
        }

        impl $name {
            /// Every value, in the standard's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// Parses the field's characters (exact, case-sensitive as the standard requires).
            pub fn from_code(code: &[u8]) -> Option<Self> {
                // Codes as numbers: a chain of comparisons with constants becomes a jump table
                // (comparing slices one after another was most of a header's parse).
                let code = $crate::tr31::fields::pack_code(code)?;
                $(if code == const { $crate::tr31::fields::pack_code($code.as_bytes()).unwrap() } {
                    return Some(Self::$variant);
                })+
                None
            }

            /// The characters that stand for this value in a header.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// What the standard calls this value.
            pub fn meaning(self) -> &'static str {
                match self { $(Self::$variant => $meaning,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
    };
}

code_enum! {
    /// Key block version (header byte 0): the binding method and which KBPKs it takes.
    Version {
        A = "A", "TDES key variant binding (TR-31:2005; deprecated)";
        B = "B", "TDES key derivation binding";
        C = "C", "TDES key variant binding";
        D = "D", "AES key derivation binding, CBC";
        E = "E", "AES key derivation binding, CTR (ISO 20038)";
    }
}

code_enum! {
    /// Key usage (header bytes 5–6), X9.143 table 2.
    KeyUsage {
        B0 = "B0", "Base Derivation Key (BDK)";
        B1 = "B1", "Initial DUKPT key";
        B2 = "B2", "Base key variant key";
        B3 = "B3", "Key derivation key (non-X9.24)";
        C0 = "C0", "Card verification key";
        D0 = "D0", "Symmetric key for data encryption";
        D1 = "D1", "Asymmetric key for data encryption";
        D2 = "D2", "Data encryption key for decimalization table";
        D3 = "D3", "Data encryption key for sensitive data";
        E0 = "E0", "EMV/chip issuer master key: application cryptograms";
        E1 = "E1", "EMV/chip issuer master key: secure messaging for confidentiality";
        E2 = "E2", "EMV/chip issuer master key: secure messaging for integrity";
        E3 = "E3", "EMV/chip issuer master key: data authentication code";
        E4 = "E4", "EMV/chip issuer master key: dynamic numbers";
        E5 = "E5", "EMV/chip issuer master key: card personalization";
        E6 = "E6", "EMV/chip issuer master key: other";
        E7 = "E7", "EMV/chip asymmetric key pair";
        I0 = "I0", "Initialization vector";
        K0 = "K0", "Key encryption or wrapping";
        K1 = "K1", "TR-31 key block protection key";
        K2 = "K2", "TR-34 asymmetric key";
        K3 = "K3", "Asymmetric key for key agreement or wrapping";
        K4 = "K4", "ISO 20038 key block protection key";
        M0 = "M0", "ISO 16609 MAC algorithm 1 (TDES)";
        M1 = "M1", "ISO 9797-1 MAC algorithm 1";
        M2 = "M2", "ISO 9797-1 MAC algorithm 2";
        M3 = "M3", "ISO 9797-1 MAC algorithm 3";
        M4 = "M4", "ISO 9797-1 MAC algorithm 4";
        M5 = "M5", "ISO 9797-1:1999 MAC algorithm 5";
        M6 = "M6", "ISO 9797-1:2011 MAC algorithm 5 (CMAC)";
        M7 = "M7", "HMAC";
        M8 = "M8", "ISO 9797-1:2011 MAC algorithm 6";
        P0 = "P0", "PIN encryption";
        P1 = "P1", "PIN generation";
        S0 = "S0", "Asymmetric key pair for digital signature";
        S1 = "S1", "Asymmetric key pair, CA key";
        S2 = "S2", "Asymmetric key pair, non-X9.24 key";
        V0 = "V0", "PIN verification, KPV, other algorithm";
        V1 = "V1", "PIN verification, IBM 3624";
        V2 = "V2", "PIN verification, VISA PVV";
        V3 = "V3", "PIN verification, X9.132 algorithm 1";
        V4 = "V4", "PIN verification, X9.132 algorithm 2";
        V5 = "V5", "PIN verification, X9.132 algorithm 3";
    }
}

code_enum! {
    /// Algorithm of the wrapped key (header byte 7).
    Algorithm {
        Aes = "A", "AES";
        Des = "D", "DEA (single DES)";
        Ec = "E", "Elliptic curve";
        Hmac = "H", "HMAC";
        Rsa = "R", "RSA";
        Dsa = "S", "DSA";
        Tdes = "T", "Triple DES";
    }
}

code_enum! {
    /// Mode of use of the wrapped key (header byte 8).
    ModeOfUse {
        Both = "B", "Encrypt/wrap and decrypt/unwrap";
        GenerateAndVerify = "C", "Generate and verify (MAC, CVV, PIN verification)";
        DecryptOnly = "D", "Decrypt/unwrap only";
        EncryptOnly = "E", "Encrypt/wrap only";
        GenerateOnly = "G", "Generate only";
        NoRestrictions = "N", "No special restrictions";
        SignOnly = "S", "Signature only";
        SignAndDecrypt = "T", "Sign and decrypt";
        VerifyOnly = "V", "Verify only";
        DeriveKeys = "X", "Key used to derive other keys";
        CreateVariants = "Y", "Key used to create key variants";
    }
}

code_enum! {
    /// Exportability of the wrapped key (header byte 11).
    Exportability {
        Trusted = "E", "Exportable under a KEK in a form meeting X9.24 (a key block)";
        NonExportable = "N", "Not exportable";
        Sensitive = "S", "Sensitive: exportable under an untrusted KEK";
    }
}

code_enum! {
    /// Key context (header byte 14, X9.143; reserved `0` before it).
    KeyContext {
        Any = "0", "Determined by the wrapping key";
        Storage = "1", "Storage context only";
        Exchange = "2", "Key exchange context only";
    }
}

impl Algorithm {
    /// The cipher family used to compute KCVs of keys of this algorithm, if it has one.
    pub fn cipher_family(self) -> Option<crate::crypto::CipherFamily> {
        use crate::crypto::CipherFamily;
        match self {
            Self::Aes => Some(CipherFamily::Aes),
            Self::Tdes => Some(CipherFamily::Tdes),
            Self::Des => Some(CipherFamily::Des),
            _ => None,
        }
    }

    /// Valid clear-key lengths in bytes for the symmetric algorithms; `None` means any length
    /// (HMAC) or not a symmetric key (asymmetric algorithms carry encoded keys).
    pub fn key_lengths(self) -> Option<&'static [usize]> {
        match self {
            Self::Aes => Some(&[16, 24, 32]),
            Self::Tdes => Some(&[16, 24]),
            Self::Des => Some(&[8]),
            _ => None,
        }
    }

    /// The length that key-length obfuscation pads a key of this algorithm to (X9.143: the
    /// algorithm's longest key). `None` where there is no maximum (HMAC, asymmetric).
    pub fn obfuscated_length(self) -> Option<usize> {
        self.key_lengths().and_then(|l| l.last().copied())
    }
}

impl Version {
    /// Cipher block size of the binding: 8 for the TDES versions, 16 for AES.
    pub fn block_size(self) -> usize {
        match self {
            Self::A | Self::B | Self::C => 8,
            Self::D | Self::E => 16,
        }
    }

    /// Length of the MAC in bytes: 4 for variant binding, 8 for B, 16 for D and E.
    pub fn mac_len(self) -> usize {
        match self {
            Self::A | Self::C => 4,
            Self::B => 8,
            Self::D | Self::E => 16,
        }
    }

    /// The KBPK family this version binds with.
    pub fn kbpk_family(self) -> crate::crypto::CipherFamily {
        match self {
            Self::A | Self::B | Self::C => crate::crypto::CipherFamily::Tdes,
            Self::D | Self::E => crate::crypto::CipherFamily::Aes,
        }
    }

    /// KBPK lengths in bytes the version accepts.
    pub fn kbpk_lengths(self) -> &'static [usize] {
        match self {
            Self::A | Self::B | Self::C => &[16, 24],
            Self::D | Self::E => &[16, 24, 32],
        }
    }
}

/// Key version (header bytes 9–10): `00` for none, `cN` for component N of a key, otherwise a
/// two-character version of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyVersion {
    None,
    Component(u8),
    Version([u8; 2]),
}

impl KeyVersion {
    /// Parses the two characters; `None` when they are not alphanumeric or a component number
    /// is not 1–9.
    pub fn from_code(code: &[u8]) -> Option<Self> {
        match code {
            [b'0', b'0'] => Some(Self::None),
            [b'c', n @ b'1'..=b'9'] => Some(Self::Component(n - b'0')),
            [b'c', _] => None,
            [a, b] if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() => Some(Self::Version([*a, *b])),
            _ => None,
        }
    }

    pub fn code(self) -> String {
        self.to_string()
    }
}

impl std::fmt::Display for KeyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        match self {
            Self::None => f.write_str("00"),
            Self::Component(n) => write!(f, "c{n}"),
            // Two characters the parser checked (printable ASCII).
            Self::Version(v) => v.iter().try_for_each(|&b| f.write_char(char::from(b))),
        }
    }
}

impl Serialize for KeyVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_to_its_value() {
        for u in KeyUsage::ALL {
            assert_eq!(KeyUsage::from_code(u.code().as_bytes()), Some(*u));
        }
        for m in ModeOfUse::ALL {
            assert_eq!(ModeOfUse::from_code(m.code().as_bytes()), Some(*m));
        }
        assert_eq!(KeyUsage::ALL.len(), 43);
        assert_eq!(KeyUsage::from_code(b"p0"), None);
        assert_eq!(Algorithm::from_code(b"A"), Some(Algorithm::Aes));
    }

    #[test]
    fn key_versions() {
        assert_eq!(KeyVersion::from_code(b"00"), Some(KeyVersion::None));
        assert_eq!(KeyVersion::from_code(b"c2"), Some(KeyVersion::Component(2)));
        assert_eq!(KeyVersion::from_code(b"c0"), None);
        assert_eq!(KeyVersion::from_code(b"1A"), Some(KeyVersion::Version(*b"1A")));
        assert_eq!(KeyVersion::from_code(b"1 "), None);
    }
}
