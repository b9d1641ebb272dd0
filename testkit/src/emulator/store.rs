//! The emulator's keys and aliases. Key material lives only in [`SecretBytes`]; what the API
//! returns about a key is built from the other fields.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use keybridge::SecretBytes;
use keybridge::export::names::{KcvAlgorithm, KeyAlgorithm, ModesOfUse, key_usage_from_aws, key_usage_to_aws};
use keybridge::tr31::{KeyUsage, compat};
use serde_json::{Value, json};

use super::service_error::ServiceError;

/// Account id in the ARNs the emulator makes (the documentation example account).
pub const ACCOUNT: &str = "111122223333";

/// Where a key came from (`KeyOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Generated,
    External,
}

/// One key.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub arn: String,
    pub usage: KeyUsage,
    pub algorithm: KeyAlgorithm,
    pub modes: ModesOfUse,
    pub exportable: bool,
    pub enabled: bool,
    pub origin: Origin,
    pub created: f64,
    pub delete_pending: Option<f64>,
    pub material: SecretBytes,
    pub kcv: String,
}

impl StoredKey {
    /// A key with `material`, after checking its attributes the way CreateKey does.
    pub fn new(
        arn: String,
        usage: KeyUsage,
        algorithm: KeyAlgorithm,
        modes: ModesOfUse,
        material: SecretBytes,
        origin: Origin,
    ) -> Result<Self, ServiceError> {
        let mode = modes
            .tr31()
            .ok_or_else(|| ServiceError::validation("KeyModesOfUse must enable at least one mode"))?;
        compat::check(usage, algorithm.tr31(), mode).map_err(|which| {
            ServiceError::validation(format!(
                "KeyModesOfUse/KeyAlgorithm {which:?} is not allowed for {}",
                key_usage_to_aws(usage).unwrap_or("this key usage")
            ))
        })?;
        if material.len() != algorithm.key_len() {
            return Err(ServiceError::validation(format!(
                "key material of {} bytes does not fit {algorithm}",
                material.len()
            )));
        }
        let kcv = algorithm
            .kcv_algorithm()
            .service_kcv(material.as_bytes(), algorithm.family())
            .map_err(|_| ServiceError::validation("key material does not fit its algorithm"))?;
        Ok(Self {
            arn,
            usage,
            algorithm,
            modes,
            exportable: true,
            enabled: true,
            origin,
            created: now(),
            delete_pending: None,
            material,
            kcv: hex::encode_upper(kcv),
        })
    }

    pub fn kcv_algorithm(&self) -> KcvAlgorithm {
        self.algorithm.kcv_algorithm()
    }

    pub fn state(&self) -> &'static str {
        if self.delete_pending.is_some() {
            "DELETE_PENDING"
        } else {
            "CREATE_COMPLETE"
        }
    }

    fn attributes(&self) -> Value {
        json!({
            "KeyUsage": key_usage_to_aws(self.usage),
            "KeyClass": "SYMMETRIC_KEY",
            "KeyAlgorithm": self.algorithm.aws_name(),
            "KeyModesOfUse": self.modes,
        })
    }

    /// The `Key` structure.
    pub fn to_json(&self) -> Value {
        let mut key = json!({
            "KeyArn": self.arn,
            "KeyAttributes": self.attributes(),
            "KeyCheckValue": self.kcv,
            "KeyCheckValueAlgorithm": self.kcv_algorithm().aws_name(),
            "Enabled": self.enabled,
            "Exportable": self.exportable,
            "KeyState": self.state(),
            "KeyOrigin": match self.origin {
                Origin::Generated => "AWS_PAYMENT_CRYPTOGRAPHY",
                Origin::External => "EXTERNAL",
            },
            "CreateTimestamp": self.created,
            "UsageStartTimestamp": self.created,
        });
        if let Some(at) = self.delete_pending {
            key["DeletePendingTimestamp"] = json!(at);
        }
        key
    }

    /// The `KeySummary` structure of ListKeys.
    pub fn summary(&self) -> Value {
        json!({
            "KeyArn": self.arn,
            "KeyState": self.state(),
            "KeyAttributes": self.attributes(),
            "KeyCheckValue": self.kcv,
            "Exportable": self.exportable,
            "Enabled": self.enabled,
        })
    }

    /// Fails unless the key can be used for cryptography.
    pub fn usable(&self) -> Result<&Self, ServiceError> {
        if self.delete_pending.is_some() {
            return Err(ServiceError::validation(format!(
                "Key {} is pending deletion",
                self.arn
            )));
        }
        if !self.enabled {
            return Err(ServiceError::validation(format!("Key {} is disabled", self.arn)));
        }
        Ok(self)
    }
}

/// Seconds since the epoch, as awsJson timestamps are written.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Keys by ARN and aliases by name.
#[derive(Debug, Default)]
pub struct Store {
    pub region: String,
    pub keys: BTreeMap<String, StoredKey>,
    /// alias name → key ARN (`None`: alias without a key).
    pub aliases: BTreeMap<String, Option<String>>,
    /// Imported root certificates and TR-34 export tokens.
    pub tr34: super::tr34::Tr34State,
}

impl Store {
    pub fn new(region: &str) -> Self {
        Self {
            region: region.to_owned(),
            ..Self::default()
        }
    }

    /// A fresh ARN: 16 random lower-case alphanumerics, like the service's key ids.
    pub fn new_arn(&self) -> Result<String, ServiceError> {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).map_err(|_| ServiceError::new("InternalServerException", "RNG failed"))?;
        let id: String = raw
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        Ok(format!(
            "arn:aws:payment-cryptography:{}:{ACCOUNT}:key/{id}",
            self.region
        ))
    }

    /// Resolves a key ARN or `alias/…` to the key's ARN.
    pub fn resolve(&self, identifier: &str) -> Result<String, ServiceError> {
        let arn = if identifier.starts_with("alias/") {
            self.aliases.get(identifier).cloned().flatten().ok_or_else(|| {
                ServiceError::not_found(format!("Alias {identifier} not found or not associated with a key"))
            })?
        } else {
            identifier.to_owned()
        };
        if self.keys.contains_key(&arn) || self.tr34.certificates.contains_key(&arn) {
            Ok(arn)
        } else {
            Err(ServiceError::not_found(format!("Key {identifier} not found")))
        }
    }

    /// A symmetric key; an imported root certificate is not one.
    pub fn key(&self, identifier: &str) -> Result<&StoredKey, ServiceError> {
        let arn = self.resolve(identifier)?;
        self.keys
            .get(&arn)
            .ok_or_else(|| ServiceError::validation(format!("Key {arn} is a public key certificate")))
    }

    /// Adds a key and returns its ARN.
    pub fn insert(&mut self, key: StoredKey) -> String {
        let arn = key.arn.clone();
        self.keys.insert(arn.clone(), key);
        arn
    }

    pub fn alias_json(&self, name: &str) -> Value {
        let mut alias = json!({ "AliasName": name });
        if let Some(Some(arn)) = self.aliases.get(name) {
            alias["KeyArn"] = json!(arn);
        }
        alias
    }
}

/// A key loaded at start-up, standing in for the KEK component ceremony:
/// `alias/NAME=USAGE:ALGORITHM:HEX`, e.g. `alias/kek=K0:AES_256:<64 hex digits>`.
#[derive(Clone)]
pub struct PreloadedKey {
    pub alias: String,
    pub usage: KeyUsage,
    pub algorithm: KeyAlgorithm,
    pub material: SecretBytes,
}

impl std::fmt::Debug for PreloadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PreloadedKey({}={}:{}:[REDACTED])",
            self.alias, self.usage, self.algorithm
        )
    }
}

impl std::str::FromStr for PreloadedKey {
    type Err = String;

    /// Parses the flag syntax. Errors name the field and its character position in the spec and
    /// never echo any part of it: a misplaced separator can put key material in any field.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const SYNTAX: &str = "expected alias/NAME=USAGE:ALGORITHM:HEX";
        let (alias, spec) = text.split_once('=').ok_or(SYNTAX)?;
        let name = alias.strip_prefix("alias/").unwrap_or_default();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b)) {
            return Err(format!("the alias at character 0 is not alias/NAME ({SYNTAX})"));
        }
        let mut fields = spec.splitn(3, ':');
        let mut position = alias.len() + 1;
        let mut field = |name: &str| -> Result<(&str, usize), String> {
            let value = fields
                .next()
                .ok_or_else(|| format!("the {name} field is missing ({SYNTAX})"))?;
            let at = position;
            position += value.len() + 1;
            Ok((value, at))
        };
        let (usage_text, at) = field("USAGE")?;
        let usage = KeyUsage::from_code(usage_text.as_bytes())
            .or_else(|| key_usage_from_aws(usage_text))
            .ok_or_else(|| format!("USAGE at character {at} is not a key usage (e.g. K0, P0)"))?;
        let (algorithm_text, at) = field("ALGORITHM")?;
        let algorithm = KeyAlgorithm::from_aws(algorithm_text).ok_or_else(|| {
            format!("ALGORITHM at character {at} is not one of TDES_2KEY, TDES_3KEY, AES_128, AES_192, AES_256")
        })?;
        let (hex, at) = field("HEX")?;
        let material = SecretBytes::from_hex(hex).map_err(|e| format!("HEX (from character {at}): {e}"))?;
        if material.len() != algorithm.key_len() {
            return Err(format!(
                "HEX at character {at} is {} bytes; {algorithm} takes {}",
                material.len(),
                algorithm.key_len()
            ));
        }
        Ok(Self {
            alias: alias.to_owned(),
            usage,
            algorithm,
            material,
        })
    }
}

/// The modes of use the service gives a key of `usage` created without explicit modes.
pub fn default_modes(usage: KeyUsage) -> ModesOfUse {
    let rule = compat::rule(usage);
    ModesOfUse::from_tr31(rule.modes[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preloaded_keys_parse_and_never_echo_material() {
        let key: PreloadedKey = format!("alias/kek=K0:AES_256:{}", "AB".repeat(32)).parse().unwrap();
        assert_eq!((key.usage, key.algorithm), (KeyUsage::K0, KeyAlgorithm::Aes256));
        assert!(!format!("{key:?}").contains("ABAB"));
        let short = format!("alias/kek=K0:AES_256:{}", "AB".repeat(16))
            .parse::<PreloadedKey>()
            .unwrap_err();
        assert!(short.contains("16 bytes") && !short.contains("ABAB"), "{short}");
        assert!(
            "kek=K0:AES_256:00"
                .parse::<PreloadedKey>()
                .unwrap_err()
                .contains("alias")
        );
        let secret = "00112233445566778899AABBCCDDEEFF";
        // Misplaced or missing fields put the key material where a name belongs: never echoed.
        for spec in [
            format!("alias/k=Z9:AES_256:{secret}"),
            format!("alias/k=K0:{secret}"),
            format!("alias/k={secret}"),
            format!("alias/k=K0:AES_128:{secret}ZZ"),
            format!("{secret}=K0:AES_128:{secret}"),
            format!("alias/k:K0:AES_128:{secret}"),
        ] {
            let err = spec.parse::<PreloadedKey>().unwrap_err();
            assert!(!err.contains("0011") && !err.contains("Z9"), "{err}");
            assert!(
                err.contains("character") || err.contains("missing") || err.contains("expected"),
                "{err}"
            );
        }
        let err = format!("alias/k=K0:AES_256:{secret}")
            .parse::<PreloadedKey>()
            .unwrap_err();
        assert_eq!(err, "HEX at character 19 is 16 bytes; AES_256 takes 32");
    }

    #[test]
    fn stored_keys_carry_service_kcvs_and_refuse_bad_modes() {
        let tdes = SecretBytes::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let modes = default_modes(KeyUsage::K0);
        let key = StoredKey::new(
            "arn:x".into(),
            KeyUsage::K0,
            KeyAlgorithm::Tdes2Key,
            modes,
            tdes,
            Origin::External,
        )
        .unwrap();
        assert_eq!(key.kcv, "08D7B4");
        assert_eq!(key.to_json()["KeyCheckValueAlgorithm"], "ANSI_X9_24");
        let sign = ModesOfUse {
            sign: true,
            ..Default::default()
        };
        let err = StoredKey::new(
            "arn:y".into(),
            KeyUsage::P0,
            KeyAlgorithm::Aes128,
            sign,
            SecretBytes::from_slice(&[1; 16]),
            Origin::Generated,
        )
        .unwrap_err();
        assert_eq!(err.code, "ValidationException");
    }
}
