//! The AWS Payment Cryptography vocabulary and how it maps onto TR-31 header fields.
//!
//! The service names key usages, algorithms, modes of use and KCV methods with its own strings
//! (`TR31_P0_PIN_ENCRYPTION_KEY`, `AES_128`, `{"Encrypt": true}`, `CMAC`). Both the exporter
//! (which reads the SDK's enums as strings) and the emulator in `keybridge-testkit` (which speaks
//! the JSON) use these tables, so the two can never disagree about a name. Nothing here depends
//! on the AWS SDK: it is compiled with or without the `aws` feature.

use serde::{Deserialize, Serialize};

use crate::crypto::CipherFamily;
use crate::kcv::{self, KcvMethod};
use crate::tr31::{Algorithm, Exportability, KeyUsage, ModeOfUse};

/// AWS `KeyUsage` names of the symmetric usages, with their TR-31 key usage.
pub const KEY_USAGES: &[(KeyUsage, &str)] = &[
    (KeyUsage::B0, "TR31_B0_BASE_DERIVATION_KEY"),
    (KeyUsage::C0, "TR31_C0_CARD_VERIFICATION_KEY"),
    (KeyUsage::D0, "TR31_D0_SYMMETRIC_DATA_ENCRYPTION_KEY"),
    (KeyUsage::E0, "TR31_E0_EMV_MKEY_APP_CRYPTOGRAMS"),
    (KeyUsage::E1, "TR31_E1_EMV_MKEY_CONFIDENTIALITY"),
    (KeyUsage::E2, "TR31_E2_EMV_MKEY_INTEGRITY"),
    (KeyUsage::E4, "TR31_E4_EMV_MKEY_DYNAMIC_NUMBERS"),
    (KeyUsage::E5, "TR31_E5_EMV_MKEY_CARD_PERSONALIZATION"),
    (KeyUsage::E6, "TR31_E6_EMV_MKEY_OTHER"),
    (KeyUsage::K0, "TR31_K0_KEY_ENCRYPTION_KEY"),
    (KeyUsage::K1, "TR31_K1_KEY_BLOCK_PROTECTION_KEY"),
    (KeyUsage::M1, "TR31_M1_ISO_9797_1_MAC_KEY"),
    (KeyUsage::M3, "TR31_M3_ISO_9797_3_MAC_KEY"),
    (KeyUsage::M6, "TR31_M6_ISO_9797_5_CMAC_KEY"),
    (KeyUsage::P0, "TR31_P0_PIN_ENCRYPTION_KEY"),
    (KeyUsage::P1, "TR31_P1_PIN_GENERATION_KEY"),
    (KeyUsage::V1, "TR31_V1_IBM3624_PIN_VERIFICATION_KEY"),
    (KeyUsage::V2, "TR31_V2_VISA_PIN_VERIFICATION_KEY"),
];

/// The TR-31 key usage for an AWS `KeyUsage` name.
pub fn key_usage_from_aws(name: &str) -> Option<KeyUsage> {
    KEY_USAGES.iter().find(|(_, n)| *n == name).map(|(u, _)| *u)
}

/// The AWS `KeyUsage` name of a TR-31 key usage, where the service has one.
pub fn key_usage_to_aws(usage: KeyUsage) -> Option<&'static str> {
    KEY_USAGES.iter().find(|(u, _)| *u == usage).map(|(_, n)| *n)
}

/// A symmetric key algorithm as AWS names it: the TR-31 algorithm plus the key length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    Tdes2Key,
    Tdes3Key,
    Aes128,
    Aes192,
    Aes256,
}

/// (algorithm, AWS name, TR-31 algorithm, key length in bytes).
const KEY_ALGORITHMS: &[(KeyAlgorithm, &str, Algorithm, usize)] = &[
    (KeyAlgorithm::Tdes2Key, "TDES_2KEY", Algorithm::Tdes, 16),
    (KeyAlgorithm::Tdes3Key, "TDES_3KEY", Algorithm::Tdes, 24),
    (KeyAlgorithm::Aes128, "AES_128", Algorithm::Aes, 16),
    (KeyAlgorithm::Aes192, "AES_192", Algorithm::Aes, 24),
    (KeyAlgorithm::Aes256, "AES_256", Algorithm::Aes, 32),
];

impl KeyAlgorithm {
    fn row(self) -> &'static (KeyAlgorithm, &'static str, Algorithm, usize) {
        KEY_ALGORITHMS
            .iter()
            .find(|row| row.0 == self)
            .expect("every key algorithm has a row")
    }

    /// Parses an AWS `KeyAlgorithm` name (`AES_128`, `TDES_2KEY`, …).
    pub fn from_aws(name: &str) -> Option<Self> {
        KEY_ALGORITHMS.iter().find(|row| row.1 == name).map(|row| row.0)
    }

    /// The algorithm of a clear key of `length` bytes in `algorithm`'s family.
    pub fn from_tr31(algorithm: Algorithm, length: usize) -> Option<Self> {
        KEY_ALGORITHMS
            .iter()
            .find(|row| row.2 == algorithm && row.3 == length)
            .map(|row| row.0)
    }

    pub fn aws_name(self) -> &'static str {
        self.row().1
    }

    /// The TR-31 algorithm letter.
    pub fn tr31(self) -> Algorithm {
        self.row().2
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        self.row().3
    }

    pub fn family(self) -> CipherFamily {
        match self.tr31() {
            Algorithm::Aes => CipherFamily::Aes,
            _ => CipherFamily::Tdes,
        }
    }

    /// Cipher block size in bytes (8 TDES, 16 AES): the longest KCV a block cipher can give.
    pub fn family_block_size(self) -> usize {
        match self.family() {
            CipherFamily::Aes => 16,
            _ => 8,
        }
    }

    /// The key block version AWS emits when this algorithm is the KEK: D under AES, B under TDES.
    pub fn wrapping_version(self) -> crate::tr31::Version {
        match self.family() {
            CipherFamily::Aes => crate::tr31::Version::D,
            _ => crate::tr31::Version::B,
        }
    }

    /// The KCV method AWS reports for keys of this algorithm.
    pub fn kcv_algorithm(self) -> KcvAlgorithm {
        match self.family() {
            CipherFamily::Aes => KcvAlgorithm::Cmac,
            _ => KcvAlgorithm::AnsiX924,
        }
    }
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.aws_name())
    }
}

/// How AWS computed a key check value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum KcvAlgorithm {
    /// `ANSI_X9_24`: encrypt a block of zeros (TDES keys).
    #[serde(rename = "ANSI_X9_24")]
    AnsiX924,
    /// `CMAC`: CMAC of a block of zeros (AES keys).
    #[serde(rename = "CMAC")]
    Cmac,
}

impl KcvAlgorithm {
    /// Bytes of KCV the service reports (for both methods).
    pub const SERVICE_LEN: usize = 3;

    pub fn from_aws(name: &str) -> Option<Self> {
        match name {
            "ANSI_X9_24" => Some(Self::AnsiX924),
            "CMAC" => Some(Self::Cmac),
            _ => None,
        }
    }

    pub fn aws_name(self) -> &'static str {
        match self {
            Self::AnsiX924 => "ANSI_X9_24",
            Self::Cmac => "CMAC",
        }
    }

    pub fn method(self) -> KcvMethod {
        match self {
            Self::AnsiX924 => KcvMethod::Legacy,
            Self::Cmac => KcvMethod::Cmac,
        }
    }

    /// The KCV as the service reports it: the leftmost 3 bytes.
    pub fn service_kcv(self, key: &[u8], family: CipherFamily) -> Result<Vec<u8>, crate::crypto::BadKeyLength> {
        let mut value = kcv::kcv(key, family, self.method())?;
        value.truncate(Self::SERVICE_LEN);
        Ok(value)
    }
}

impl std::fmt::Display for KcvAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.aws_name())
    }
}

/// AWS `KeyExportability` names.
pub const EXPORTABILITIES: &[(Exportability, &str)] = &[
    (Exportability::Trusted, "EXPORTABLE"),
    (Exportability::NonExportable, "NON_EXPORTABLE"),
    (Exportability::Sensitive, "SENSITIVE"),
];

pub fn exportability_from_aws(name: &str) -> Option<Exportability> {
    EXPORTABILITIES.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
}

pub fn exportability_to_aws(exportability: Exportability) -> &'static str {
    EXPORTABILITIES
        .iter()
        .find(|(e, _)| *e == exportability)
        .map(|(_, n)| *n)
        .expect("every exportability has an AWS name")
}

/// AWS `KeyModesOfUse`: one flag per operation. Serialises as the service's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ModesOfUse {
    pub encrypt: bool,
    pub decrypt: bool,
    pub wrap: bool,
    pub unwrap: bool,
    pub generate: bool,
    pub sign: bool,
    pub verify: bool,
    pub derive_key: bool,
    pub no_restrictions: bool,
}

/// Flag names in the order of the struct, for parsing and printing lists like `encrypt,decrypt`.
const MODE_NAMES: &[&str] = &[
    "encrypt",
    "decrypt",
    "wrap",
    "unwrap",
    "generate",
    "sign",
    "verify",
    "derive-key",
    "no-restrictions",
];

impl ModesOfUse {
    fn flags(&self) -> [bool; 9] {
        [
            self.encrypt,
            self.decrypt,
            self.wrap,
            self.unwrap,
            self.generate,
            self.sign,
            self.verify,
            self.derive_key,
            self.no_restrictions,
        ]
    }

    fn from_flags(f: [bool; 9]) -> Self {
        Self {
            encrypt: f[0],
            decrypt: f[1],
            wrap: f[2],
            unwrap: f[3],
            generate: f[4],
            sign: f[5],
            verify: f[6],
            derive_key: f[7],
            no_restrictions: f[8],
        }
    }

    /// Parses a comma-separated list of flag names (`encrypt,decrypt`, `derive-key`, …).
    pub fn parse_list(text: &str) -> Result<Self, String> {
        let mut flags = [false; 9];
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let index = MODE_NAMES
                .iter()
                .position(|m| m.eq_ignore_ascii_case(name) || m.replace('-', "_").eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!(
                        "unknown mode of use `{name}` (expected one of {})",
                        MODE_NAMES.join(", ")
                    )
                })?;
            flags[index] = true;
        }
        if flags == [false; 9] {
            return Err("no mode of use given".into());
        }
        Ok(Self::from_flags(flags))
    }

    /// The flags that are set, as a comma-separated list.
    pub fn to_list(&self) -> String {
        let names: Vec<&str> = MODE_NAMES
            .iter()
            .zip(self.flags())
            .filter(|(_, set)| *set)
            .map(|(n, _)| *n)
            .collect();
        names.join(",")
    }

    /// Whether every operation these modes allow is also allowed by `key` (a key with
    /// `NoRestrictions` allows everything). Export headers may only narrow a key, never widen it.
    pub fn is_within(&self, key: &ModesOfUse) -> bool {
        if key.no_restrictions {
            return true;
        }
        self.flags()
            .iter()
            .zip(key.flags())
            .all(|(wanted, allowed)| !wanted || allowed)
    }

    /// The TR-31 mode-of-use letter these flags stand for.
    pub fn tr31(&self) -> Option<ModeOfUse> {
        let encrypt = self.encrypt || self.wrap;
        let decrypt = self.decrypt || self.unwrap;
        Some(match self {
            m if m.no_restrictions => ModeOfUse::NoRestrictions,
            m if m.derive_key => ModeOfUse::DeriveKeys,
            _ if encrypt && decrypt => ModeOfUse::Both,
            _ if encrypt => ModeOfUse::EncryptOnly,
            _ if decrypt => ModeOfUse::DecryptOnly,
            m if m.generate && m.verify => ModeOfUse::GenerateAndVerify,
            m if m.generate => ModeOfUse::GenerateOnly,
            m if m.verify => ModeOfUse::VerifyOnly,
            m if m.sign => ModeOfUse::SignOnly,
            _ => return None,
        })
    }

    /// The flags AWS sets for a key imported with a TR-31 mode-of-use letter.
    pub fn from_tr31(mode: ModeOfUse) -> Self {
        let mut m = Self::default();
        match mode {
            ModeOfUse::Both => (m.encrypt, m.decrypt, m.wrap, m.unwrap) = (true, true, true, true),
            ModeOfUse::EncryptOnly => (m.encrypt, m.wrap) = (true, true),
            ModeOfUse::DecryptOnly => (m.decrypt, m.unwrap) = (true, true),
            ModeOfUse::GenerateAndVerify => (m.generate, m.verify) = (true, true),
            ModeOfUse::GenerateOnly => m.generate = true,
            ModeOfUse::VerifyOnly => m.verify = true,
            ModeOfUse::SignOnly => m.sign = true,
            ModeOfUse::SignAndDecrypt => (m.sign, m.decrypt) = (true, true),
            ModeOfUse::DeriveKeys | ModeOfUse::CreateVariants => m.derive_key = true,
            ModeOfUse::NoRestrictions => m.no_restrictions = true,
        }
        m
    }
}

impl std::fmt::Display for ModesOfUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_list())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_names_round_trip() {
        for (usage, name) in KEY_USAGES {
            assert_eq!(key_usage_from_aws(name), Some(*usage));
            assert_eq!(key_usage_to_aws(*usage), Some(*name));
        }
        assert_eq!(key_usage_from_aws("TR31_Z9_NOTHING"), None);
    }

    #[test]
    fn algorithms_map_to_versions_and_kcvs() {
        assert_eq!(KeyAlgorithm::from_aws("AES_256"), Some(KeyAlgorithm::Aes256));
        assert_eq!(KeyAlgorithm::Aes128.wrapping_version(), crate::tr31::Version::D);
        assert_eq!(KeyAlgorithm::Tdes3Key.wrapping_version(), crate::tr31::Version::B);
        assert_eq!(KeyAlgorithm::Tdes2Key.kcv_algorithm(), KcvAlgorithm::AnsiX924);
        assert_eq!(
            KeyAlgorithm::from_tr31(Algorithm::Tdes, 24),
            Some(KeyAlgorithm::Tdes3Key)
        );
        assert_eq!(KeyAlgorithm::from_tr31(Algorithm::Aes, 20), None);
    }

    #[test]
    fn service_kcv_is_three_bytes_of_the_x9_24_value() {
        // X9.24-1 legacy KCV of the TDES test key 0123456789ABCDEFFEDCBA9876543210 is 08D7B4.
        let key = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let value = KcvAlgorithm::AnsiX924.service_kcv(&key, CipherFamily::Tdes).unwrap();
        assert_eq!(hex::encode_upper(value), "08D7B4");
    }

    #[test]
    fn modes_parse_print_and_map_to_letters() {
        let m = ModesOfUse::parse_list("encrypt,decrypt,wrap,unwrap").unwrap();
        assert_eq!(m.tr31(), Some(ModeOfUse::Both));
        assert_eq!(m.to_list(), "encrypt,decrypt,wrap,unwrap");
        assert_eq!(
            ModesOfUse::parse_list("derive_key").unwrap().tr31(),
            Some(ModeOfUse::DeriveKeys)
        );
        assert!(ModesOfUse::parse_list("encrypt,fly").unwrap_err().contains("fly"));
        assert_eq!(ModesOfUse::default().tr31(), None);
        for mode in [
            ModeOfUse::Both,
            ModeOfUse::EncryptOnly,
            ModeOfUse::GenerateAndVerify,
            ModeOfUse::DeriveKeys,
        ] {
            assert_eq!(ModesOfUse::from_tr31(mode).tr31(), Some(mode));
        }
    }

    #[test]
    fn narrowing_is_within_and_widening_is_not() {
        let key = ModesOfUse::parse_list("encrypt,decrypt,wrap,unwrap").unwrap();
        assert!(ModesOfUse::parse_list("encrypt").unwrap().is_within(&key));
        assert!(!ModesOfUse::parse_list("encrypt,generate").unwrap().is_within(&key));
        assert!(!ModesOfUse::parse_list("no-restrictions").unwrap().is_within(&key));
        let open = ModesOfUse::parse_list("no-restrictions").unwrap();
        assert!(ModesOfUse::parse_list("sign,verify").unwrap().is_within(&open));
    }

    #[test]
    fn modes_serialise_as_the_service_json() {
        let json = serde_json::to_string(&ModesOfUse::parse_list("encrypt,derive-key").unwrap()).unwrap();
        assert!(
            json.contains("\"Encrypt\":true") && json.contains("\"DeriveKey\":true"),
            "{json}"
        );
        let back: ModesOfUse = serde_json::from_str(r#"{"Decrypt":true}"#).unwrap();
        assert!(back.decrypt && !back.encrypt);
    }
}
