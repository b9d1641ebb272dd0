//! `Tr31KeyBlock` (parse, inspect, unwrap, wrap), `Tr31Key` (an unwrapped key that stays in Rust
//! memory) and KCVs, over `keybridge::tr31` and `keybridge::kcv`.

use std::sync::Arc;

use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::kcv;
use keybridge::tr31::{
    self, Header, KeyBlock, OptionalBlock, Profile, Strictness, Tr31Warning, Unwrapped, WrapOptions,
};

use crate::error::KeyBlockError;

/// How strictly a key block is read. The default is ANSI X9.143 plus key lengths that are not
/// obfuscated, as HSMs write them; every relaxation applied is in the block's `warnings()`.
#[derive(Debug, Clone, Copy, Default, uniffi::Record)]
pub struct Tr31Profile {
    /// Also accept what ISO 20038 and older systems emit: lower-case hex, text in hex-valued
    /// optional blocks, usage/mode pairs outside the X9.143 table, HMAC keys without `HM`.
    #[uniffi(default = false)]
    pub lenient: bool,
    /// Accept version A and AES keys under TDES KBPKs (weak wrapping).
    #[uniffi(default = false)]
    pub allow_weak_wrapping: bool,
    /// ANSI X9.143 as written: also refuse key lengths that are not obfuscated. Not together
    /// with `lenient`.
    #[uniffi(default = false)]
    pub strict: bool,
}

impl Tr31Profile {
    fn core(self) -> Result<Profile, KeyBlockError> {
        let strictness = match (self.strict, self.lenient) {
            (true, true) => {
                return Err(KeyBlockError::InvalidArgument {
                    reason: "a profile cannot be both strict and lenient".into(),
                });
            }
            (true, false) => Strictness::Strict,
            (false, true) => Strictness::Lenient,
            (false, false) => Strictness::Default,
        };
        Ok(Profile::preset(strictness, self.allow_weak_wrapping))
    }
}

/// What to tell the caller about a block: weak wrapping, then each relaxation with its position.
fn warning_texts(header: &Header, warnings: &[Tr31Warning]) -> Vec<String> {
    tr31::reported_warnings(header, warnings)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Options for [`Tr31KeyBlock::wrap`]; the defaults are the safe ones.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct Tr31WrapOptions {
    #[uniffi(default = false)]
    pub allow_weak_wrapping: bool,
    /// Pad the key to the algorithm's longest key so the block does not reveal its length.
    #[uniffi(default = true)]
    pub obfuscate_key_length: bool,
}

/// The header of a key block, as the codes the standard writes (`"P0"`, `"T"`, …) plus what
/// they mean, for display.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Tr31Header {
    pub version: String,
    pub key_usage: String,
    pub key_usage_meaning: String,
    pub algorithm: String,
    pub algorithm_meaning: String,
    pub mode_of_use: String,
    pub key_version: String,
    pub exportability: String,
    pub key_context: String,
    pub optional_blocks: Vec<Tr31OptionalBlock>,
}

/// One optional block, verbatim, with the standard's name for known IDs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Tr31OptionalBlock {
    pub id: String,
    pub data: String,
    /// `None` for proprietary (numeric) and unknown IDs.
    pub meaning: Option<String>,
}

impl From<&Header> for Tr31Header {
    fn from(h: &Header) -> Self {
        Self {
            version: h.version.code().into(),
            key_usage: h.key_usage.code().into(),
            key_usage_meaning: h.key_usage.meaning().into(),
            algorithm: h.algorithm.code().into(),
            algorithm_meaning: h.algorithm.meaning().into(),
            mode_of_use: h.mode_of_use.code().into(),
            key_version: h.key_version.code(),
            exportability: h.exportability.code().into(),
            key_context: h.key_context.code().into(),
            optional_blocks: h.optional_blocks.iter().map(Tr31OptionalBlock::from).collect(),
        }
    }
}

impl From<&OptionalBlock> for Tr31OptionalBlock {
    fn from(b: &OptionalBlock) -> Self {
        Self {
            id: b.id.clone(),
            data: b.data.clone(),
            meaning: b.known_id().map(|id| id.meaning().into()),
        }
    }
}

/// A parsed and validated TR-31 key block. Holds no clear key: the payload stays encrypted
/// until [`Tr31KeyBlock::unwrap`] authenticates it.
#[derive(Debug, uniffi::Object)]
pub struct Tr31KeyBlock {
    block: KeyBlock,
    text: String,
}

#[uniffi::export]
impl Tr31KeyBlock {
    /// Parses under the default profile. Surrounding whitespace is ignored.
    #[uniffi::constructor]
    pub fn parse(text: String) -> Result<Arc<Self>, KeyBlockError> {
        Self::parse_with(text, Tr31Profile::default())
    }

    /// Parses under the given profile.
    #[uniffi::constructor]
    pub fn parse_with(text: String, profile: Tr31Profile) -> Result<Arc<Self>, KeyBlockError> {
        Self::parse_core(text.trim(), &profile.core()?).map(Arc::new)
    }

    /// Wraps `key` under `kbpk` with the attributes of `header`: the 16 fixed header characters
    /// (write the length as `0000`) followed by any optional blocks.
    #[uniffi::constructor]
    pub fn wrap(
        kbpk: Vec<u8>,
        header: String,
        key: Vec<u8>,
        options: Tr31WrapOptions,
    ) -> Result<Arc<Self>, KeyBlockError> {
        let (kbpk, key) = (SecretBytes::new(kbpk), SecretBytes::new(key));
        let template = Header::from_template(header.trim())?;
        let core_options = WrapOptions {
            allow_weak_wrapping: options.allow_weak_wrapping,
            obfuscate_key_length: options.obfuscate_key_length,
        };
        let text = tr31::wrap(kbpk.as_bytes(), &template, key.as_bytes(), &core_options)?;
        // Read back under the profile that accepts exactly what these options produce.
        let profile = Profile {
            unobfuscated_key_length: !options.obfuscate_key_length,
            allow_weak_wrapping: options.allow_weak_wrapping,
            ..Profile::STRICT
        };
        Self::parse_core(&text, &profile).map(Arc::new)
    }

    /// The key block text (public: the key inside is encrypted).
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// Length in characters.
    pub fn length(&self) -> i32 {
        i32::try_from(self.block.len()).unwrap_or(i32::MAX)
    }

    pub fn header(&self) -> Tr31Header {
        self.block.header().into()
    }

    /// What the block does that strict X9.143 does not allow and the profile accepted (each
    /// naming the relaxation and the character position), and weak wrapping accepted by opt-in.
    pub fn warnings(&self) -> Vec<String> {
        warning_texts(self.block.header(), self.block.warnings())
    }

    /// Authenticates the block under `kbpk` and decrypts the key. Nothing is returned unless the
    /// MAC verified and any KC/KP check values match.
    pub fn unwrap(&self, kbpk: Vec<u8>) -> Result<Arc<Tr31Key>, KeyBlockError> {
        let kbpk = SecretBytes::new(kbpk);
        let unwrapped = self.block.unwrap(kbpk.as_bytes())?;
        Ok(Arc::new(Tr31Key { unwrapped }))
    }
}

impl Tr31KeyBlock {
    fn parse_core(text: &str, profile: &Profile) -> Result<Self, KeyBlockError> {
        Ok(Self {
            block: KeyBlock::parse(text, profile)?,
            text: text.to_owned(),
        })
    }
}

/// An unwrapped key. The clear key stays in zeroizing Rust memory; only [`Tr31Key::expose_key`]
/// copies it out.
#[derive(Debug, uniffi::Object)]
pub struct Tr31Key {
    unwrapped: Unwrapped,
}

#[uniffi::export]
impl Tr31Key {
    /// The authenticated header.
    pub fn header(&self) -> Tr31Header {
        (&self.unwrapped.header).into()
    }

    /// The block's warnings, as [`Tr31KeyBlock::warnings`].
    pub fn warnings(&self) -> Vec<String> {
        warning_texts(&self.unwrapped.header, &self.unwrapped.warnings)
    }

    /// Key length in bytes.
    pub fn key_length(&self) -> i32 {
        i32::try_from(self.unwrapped.key.len()).unwrap_or(i32::MAX)
    }

    /// Legacy KCV (3 bytes) for TDES/DES keys, CMAC KCV (5 bytes) for AES keys; `None` for keys
    /// without a block cipher.
    pub fn kcv(&self) -> Option<Vec<u8>> {
        self.unwrapped.kcv()
    }

    /// [`Tr31Key::kcv`] as upper-case hex.
    pub fn kcv_hex(&self) -> Option<String> {
        self.unwrapped.kcv().map(hex::encode_upper)
    }

    /// A copy of the clear key. The copy lives in the caller's heap, where Rust cannot zeroize
    /// it: call this only where the clear key is really needed, and clear the array after use.
    pub fn expose_key(&self) -> Vec<u8> {
        self.unwrapped.key.as_bytes().to_vec()
    }
}

/// The block cipher a KCV is computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KcvAlgorithm {
    Des,
    Tdes,
    Aes,
}

/// How a KCV is computed: encrypt zeros (X9.24-1 legacy, 3 bytes) or CMAC of zeros (5 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KcvMethod {
    Legacy,
    Cmac,
}

/// The KCV of a clear key at its conventional length for `method`.
#[uniffi::export]
pub fn key_check_value(key: Vec<u8>, algorithm: KcvAlgorithm, method: KcvMethod) -> Result<Vec<u8>, KeyBlockError> {
    let key = SecretBytes::new(key);
    let family = match algorithm {
        KcvAlgorithm::Des => CipherFamily::Des,
        KcvAlgorithm::Tdes => CipherFamily::Tdes,
        KcvAlgorithm::Aes => CipherFamily::Aes,
    };
    let method = match method {
        KcvMethod::Legacy => kcv::KcvMethod::Legacy,
        KcvMethod::Cmac => kcv::KcvMethod::Cmac,
    };
    kcv::kcv(key.as_bytes(), family, method).map_err(|e| KeyBlockError::InvalidArgument {
        reason: format!("a {:?} key cannot be {} bytes long", e.family, e.length),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TR-31:2018 A.7.4: its key length is not obfuscated.
    const A74: &str = "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
    const A74_KBPK: &str = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";

    #[test]
    fn the_default_profile_takes_an_unobfuscated_key_length_and_says_so() {
        let block = Tr31KeyBlock::parse(A74.into()).unwrap();
        let warnings = block.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("not obfuscated") && warnings[0].contains("position 16"));
        let key = block.unwrap(hex::decode(A74_KBPK).unwrap()).unwrap();
        assert_eq!(key.warnings(), warnings);
        assert_eq!(key.kcv_hex().as_deref(), Some("08793E25AB"));
    }

    #[test]
    fn the_strict_profile_refuses_it_and_cannot_be_lenient_too() {
        let strict = Tr31Profile {
            strict: true,
            ..Tr31Profile::default()
        };
        assert!(matches!(
            Tr31KeyBlock::parse_with(A74.into(), strict),
            Err(KeyBlockError::BadKey(_))
        ));
        let both = Tr31Profile {
            strict: true,
            lenient: true,
            ..Tr31Profile::default()
        };
        assert!(matches!(
            Tr31KeyBlock::parse_with(A74.into(), both),
            Err(KeyBlockError::InvalidArgument { .. })
        ));
    }

    #[test]
    fn weak_wrapping_accepted_by_opt_in_is_a_warning() {
        // TR-31:2018 A.7.2.1, version A.
        let a = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701";
        let profile = Tr31Profile {
            allow_weak_wrapping: true,
            ..Tr31Profile::default()
        };
        let warnings = Tr31KeyBlock::parse_with(a.into(), profile).unwrap().warnings();
        assert!(
            warnings[0].starts_with("weak wrapping accepted by opt-in"),
            "{warnings:?}"
        );
    }
}
