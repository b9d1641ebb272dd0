//! Key blocks as a whole: parse, unwrap (MAC first, then the key) and wrap.

use subtle::ConstantTimeEq;

use super::binding::BindingKeys;
use super::error::{Tr31Error, Tr31Warning};
use super::fields::{Algorithm, Version};
use super::header::Header;
use super::layout::{FIXED_LEN, Field};
use super::optional::{self, KnownBlockId, OptionalBlock};
use super::profile::Profile;
use super::rsa;
use super::validate::validate_header;
use crate::kcv;
use crate::secret::{SecretArray, SecretBytes, decode_hex_into, decode_upper_hex_into, push_upper_hex};

/// Largest block the 4-digit length field can describe.
const MAX_BLOCK_LEN: usize = 9999;
/// Most optional blocks the 2-digit count can describe.
const MAX_OPTIONAL_BLOCKS: usize = 99;

/// A parsed, validated key block: the header and the still-encrypted payload.
#[derive(Debug, Clone)]
pub struct KeyBlock {
    header: Header,
    /// The header exactly as it appeared (the MAC covers these bytes).
    header_text: String,
    payload: Vec<u8>,
    mac: Mac,
    profile: Profile,
    warnings: Vec<Tr31Warning>,
}

/// The result of unwrapping: the authenticated header and the clear key.
#[derive(Debug, Clone)]
pub struct Unwrapped {
    pub header: Header,
    pub key: SecretBytes,
    /// The relaxations of X9.143 the profile applied, each with its position (weak wrapping, an
    /// opt-in, is told by [`super::reported_warnings`]).
    pub warnings: Vec<Tr31Warning>,
}

impl Unwrapped {
    /// The key's legacy KCV (3 bytes) for TDES/DES keys and CMAC KCV (5 bytes) for AES keys,
    /// the convention of X9.24-1 and the one AWS reports; `None` for keys without a block cipher.
    pub fn kcv(&self) -> Option<Vec<u8>> {
        let family = self.header.algorithm.cipher_family()?;
        let method = if self.header.algorithm == Algorithm::Aes {
            kcv::KcvMethod::Cmac
        } else {
            kcv::KcvMethod::Legacy
        };
        kcv::kcv(self.key.as_bytes(), family, method).ok()
    }
}

/// A MAC of up to 16 bytes (4 for A/C, 8 for B, 16 for D/E), kept inline.
#[derive(Debug, Clone, Copy)]
struct Mac {
    bytes: [u8; 16],
    len: usize,
}

impl Mac {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Whether this MAC is the first bytes of `computed`, in constant time: compared as one
    /// 128-bit word with both sides zero past the MAC's length (a slice comparison in `subtle`
    /// passes every byte through an optimisation barrier of its own).
    fn matches(&self, computed: &[u8; 16]) -> bool {
        let mut expected = SecretArray([0u8; 16]);
        expected[..self.len].copy_from_slice(&computed[..self.len]);
        u128::from_ne_bytes(*expected)
            .ct_eq(&u128::from_ne_bytes(self.bytes))
            .into()
    }
}

/// A key block split into its parts, borrowing the header text. `unwrap` consumes it so the
/// payload is decrypted in place, without a copy.
struct Parts<'a> {
    header: Header,
    header_text: &'a str,
    payload: Vec<u8>,
    mac: Mac,
    warnings: Vec<Tr31Warning>,
}

impl<'a> Parts<'a> {
    fn parse(text: &'a str, profile: &Profile) -> Result<Self, Tr31Error> {
        let parsed = Header::parse(text, profile)?;
        if parsed.declared_length != text.len() {
            return Err(Tr31Error::LengthMismatch {
                declared: parsed.declared_length,
                actual: text.len(),
            });
        }
        let header = parsed.header;
        let mut warnings = parsed.warnings;
        warnings.extend(validate_header(&header, profile)?);
        let version = header.version;
        let body = &text.as_bytes()[parsed.end..];
        let mac_digits = 2 * version.mac_len();
        let payload_digits = body.len().saturating_sub(mac_digits);
        // E has no block padding: the shortest payload is the length field and one key byte.
        let (minimum, unit, expected) = match version {
            Version::E => (2 * 3, 2, "an even number of hex digits"),
            _ => (
                2 * version.block_size(),
                2 * version.block_size(),
                "whole cipher blocks of hex digits",
            ),
        };
        if payload_digits < minimum {
            return Err(Tr31Error::TooShort {
                length: text.len(),
                minimum: parsed.end + minimum + mac_digits,
            });
        }
        if payload_digits % unit != 0 {
            return Err(Tr31Error::BadLength {
                field: Field::EncryptedKey,
                position: parsed.end,
                length: payload_digits,
                expected,
            });
        }
        let (payload_hex, mac_hex) = body.split_at(payload_digits);
        // Not `vec![0; n]`: that asks the allocator for zeroed memory, which glibc serves from
        // its slow path (`calloc` bypasses the thread cache): 2 % of an unwrap.
        #[allow(clippy::slow_vector_initialization)] // faster here: see above
        let mut payload = Vec::with_capacity(payload_digits / 2);
        payload.resize(payload_digits / 2, 0);
        decode_field(
            payload_hex,
            &mut payload,
            Field::EncryptedKey,
            parsed.end,
            profile,
            &mut warnings,
        )?;
        let mut mac = Mac {
            bytes: [0; 16],
            len: version.mac_len(),
        };
        decode_field(
            mac_hex,
            &mut mac.bytes[..mac.len],
            Field::Mac,
            parsed.end + payload_digits,
            profile,
            &mut warnings,
        )?;
        // Obfuscation pads the key to its algorithm's longest, so a payload too short for that
        // shows the real length before anything is decrypted.
        if let Some(hidden) = header.algorithm.obfuscated_length()
            && payload.len() < 2 + hidden
        {
            let position = parsed.end;
            if !profile.unobfuscated_key_length {
                return Err(Tr31Error::UnobfuscatedKeyLength { position });
            }
            warnings.push(Tr31Warning::UnobfuscatedKeyLength { position });
        }
        Ok(Self {
            header,
            header_text: &text[..parsed.end],
            payload,
            mac,
            warnings,
        })
    }

    /// Authenticates and decrypts; see [`KeyBlock::unwrap`].
    fn unwrap(mut self, kbpk: &[u8], profile: &Profile) -> Result<Unwrapped, Tr31Error> {
        let version = self.header.version;
        check_kbpk(version, kbpk)?;
        let keys = BindingKeys::derive(version, kbpk);
        let header = self.header_text.as_bytes();
        let mac_position = self.header_text.len() + 2 * self.payload.len();
        let mac = self.mac.as_bytes();
        let mut clear = SecretBytes::new(self.payload);
        let computed = match version {
            Version::A | Version::C => {
                let computed = keys.mac(header, clear.as_bytes());
                keys.decrypt(header, mac, clear.as_mut_bytes());
                computed
            }
            Version::B | Version::D | Version::E => {
                keys.decrypt(header, mac, clear.as_mut_bytes());
                keys.mac(header, clear.as_bytes())
            }
        };
        if !self.mac.matches(&computed) {
            return Err(Tr31Error::MacMismatch { position: mac_position });
        }
        let key = extract_key(
            &self.header,
            self.header_text.len(),
            clear.as_bytes(),
            profile,
            &mut self.warnings,
        )?;
        check_check_values(&self.header, &clear.as_bytes()[key.clone()], kbpk)?;
        Ok(Unwrapped {
            header: self.header,
            key: clear.into_range(key),
            warnings: self.warnings,
        })
    }
}

impl KeyBlock {
    /// Parses and validates a key block without a key: syntax, lengths and the X9.143 header
    /// rules of `profile`.
    pub fn parse(text: &str, profile: &Profile) -> Result<Self, Tr31Error> {
        let parts = Parts::parse(text, profile)?;
        Ok(Self {
            header: parts.header,
            header_text: parts.header_text.to_owned(),
            payload: parts.payload,
            mac: parts.mac,
            profile: *profile,
            warnings: parts.warnings,
        })
    }

    /// The relaxations of X9.143 its profile applied, each with its position (empty under the
    /// strict profile). Weak wrapping, an opt-in, is told by [`super::reported_warnings`].
    pub fn warnings(&self) -> &[Tr31Warning] {
        &self.warnings
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Total length of the block in characters.
    pub fn len(&self) -> usize {
        self.header_text.len() + 2 * (self.payload.len() + self.mac.len)
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Authenticates the block under `kbpk` and returns the clear key. No plaintext leaves this
    /// function unless the MAC verified (compared in constant time) and any KC/KP blocks match.
    pub fn unwrap(&self, kbpk: &[u8]) -> Result<Unwrapped, Tr31Error> {
        let parts = Parts {
            header: self.header.clone(),
            header_text: &self.header_text,
            payload: self.payload.clone(),
            mac: self.mac,
            warnings: self.warnings.clone(),
        };
        parts.unwrap(kbpk, &self.profile)
    }
}

/// Reads `key length (2 bytes, bits) ‖ key ‖ padding` from the authenticated clear payload and
/// returns where the key is in it. (Whether the length was obfuscated is settled by the
/// payload's size, when the block is parsed.)
fn extract_key(
    header: &Header,
    position: usize,
    clear: &[u8],
    profile: &Profile,
    warnings: &mut Vec<Tr31Warning>,
) -> Result<std::ops::Range<usize>, Tr31Error> {
    let fail = |reason| Tr31Error::Payload { position, reason };
    let bits = usize::from(u16::from_be_bytes([clear[0], clear[1]]));
    if bits % 8 != 0 {
        return Err(fail("key length is not a whole number of bytes"));
    }
    let length = bits / 8;
    if length == 0 || length > clear.len() - 2 {
        return Err(fail("key length does not fit the payload"));
    }
    let key = 2..2 + length;
    match check_key(header.algorithm, &clear[key.clone()]) {
        Err(Tr31Error::KeyLength {
            algorithm: Algorithm::Tdes,
            length: 8,
        }) if profile.single_length_tdes => warnings.push(Tr31Warning::SingleLengthTdesKey { position }),
        other => other?,
    }
    Ok(key)
}

/// Whether `key` is a key of `algorithm`: one of the symmetric lengths, a DER RSA private key
/// of at least 2048 bits, or any non-empty value for the algorithms without a fixed form.
fn check_key(algorithm: Algorithm, key: &[u8]) -> Result<(), Tr31Error> {
    match algorithm.key_lengths() {
        Some(valid) if !valid.contains(&key.len()) => Err(Tr31Error::KeyLength {
            algorithm,
            length: key.len(),
        }),
        Some(_) => Ok(()),
        None if algorithm == Algorithm::Rsa => {
            rsa::check_private_key(key).map_err(|reason| Tr31Error::AsymmetricKey { algorithm, reason })
        }
        None if key.is_empty() => Err(Tr31Error::KeyLength { algorithm, length: 0 }),
        None => Ok(()),
    }
}

/// Parses, validates and unwraps in one call.
pub fn unwrap(kbpk: &[u8], block: &str, profile: &Profile) -> Result<Unwrapped, Tr31Error> {
    Parts::parse(block, profile)?.unwrap(kbpk, profile)
}

/// Options for [`wrap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapOptions {
    /// Allow version A and AES keys under TDES KBPKs.
    pub allow_weak_wrapping: bool,
    /// Pad the key to the algorithm's longest key so the block does not reveal its length
    /// (X9.143). On by default; off only to reproduce blocks of systems that do not obfuscate.
    pub obfuscate_key_length: bool,
}

impl Default for WrapOptions {
    fn default() -> Self {
        Self {
            allow_weak_wrapping: false,
            obfuscate_key_length: true,
        }
    }
}

/// Wraps `key` under `kbpk` with the attributes of `header`. The length field, the number of
/// optional blocks and a `PB` padding block (replacing any given) are filled in. Padding of the
/// key comes from a per-thread CSPRNG seeded from the operating system (`crypto::random`).
pub fn wrap(kbpk: &[u8], header: &Header, key: &[u8], options: &WrapOptions) -> Result<String, Tr31Error> {
    wrap_with(kbpk, header, key, options, &mut |pad: &mut [u8]| {
        crate::crypto::random::fill(pad).map_err(|_| Tr31Error::Rule {
            field: Field::EncryptedKey,
            position: FIXED_LEN,
            reason: "the operating system's random number generator failed",
        })
    })
}

/// [`wrap`] with caller-chosen key padding, to reproduce published examples. Never use it for
/// real keys: predictable padding weakens the block. Only built with the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
pub fn wrap_with_padding(
    kbpk: &[u8],
    header: &Header,
    key: &[u8],
    options: &WrapOptions,
    padding: &[u8],
) -> Result<String, Tr31Error> {
    wrap_with(kbpk, header, key, options, &mut |pad: &mut [u8]| {
        if pad.len() != padding.len() {
            return Err(Tr31Error::Payload {
                position: FIXED_LEN,
                reason: "test padding has the wrong length for this key block",
            });
        }
        pad.copy_from_slice(padding);
        Ok(())
    })
}

type PaddingSource<'a> = dyn FnMut(&mut [u8]) -> Result<(), Tr31Error> + 'a;

fn wrap_with(
    kbpk: &[u8],
    header: &Header,
    key: &[u8],
    options: &WrapOptions,
    fill_padding: &mut PaddingSource,
) -> Result<String, Tr31Error> {
    let header = with_padding_block(header);
    if header.optional_blocks.len() > MAX_OPTIONAL_BLOCKS {
        return Err(Tr31Error::Rule {
            field: Field::OptionalBlockCount,
            position: Field::OptionalBlockCount.header_offset(),
            reason: "more than 99 optional blocks (counting the PB padding block) do not fit the two-digit count",
        });
    }
    let profile = Profile {
        allow_weak_wrapping: options.allow_weak_wrapping,
        ..Profile::STRICT
    };
    validate_header(&header, &profile)?;
    let version = header.version;
    check_kbpk(version, kbpk)?;
    let algorithm = header.algorithm;
    check_key(algorithm, key)?;
    check_check_values(&header, key, kbpk)?;
    let area = match (options.obfuscate_key_length, algorithm.obfuscated_length()) {
        (true, Some(hidden)) => hidden.max(key.len()),
        _ => key.len(),
    };
    let payload_len = if version == Version::E {
        2 + area
    } else {
        (2 + area).div_ceil(version.block_size()) * version.block_size()
    };
    // Checked before the payload is built: it also bounds the key length for its 16-bit field.
    let total = FIXED_LEN + header.optional_blocks_len() + 2 * (payload_len + version.mac_len());
    if total > MAX_BLOCK_LEN {
        return Err(Tr31Error::BadLength {
            field: Field::BlockLength,
            position: 1,
            length: total,
            expected: "at most 9999 characters",
        });
    }
    // A symmetric key's payload (48 bytes at most) stays on the stack; an RSA key's goes to the
    // heap. Both are wiped on drop.
    let mut on_stack = SecretArray([0u8; 64]);
    let mut on_heap;
    let payload = if payload_len <= on_stack.len() {
        &mut on_stack[..payload_len]
    } else {
        on_heap = SecretBytes::zeroed(payload_len);
        on_heap.as_mut_bytes()
    };
    payload[..2].copy_from_slice(&((key.len() * 8) as u16).to_be_bytes());
    payload[2..2 + key.len()].copy_from_slice(key);
    fill_padding(&mut payload[2 + key.len()..])?;
    Ok(seal(version, kbpk, header.encode(total), payload))
}

/// Encrypts the clear `payload` in place and appends it and the MAC to `header_text`: the last
/// step of every wrap. The KBPK length must already be valid for `version`.
fn seal(version: Version, kbpk: &[u8], header_text: String, payload: &mut [u8]) -> String {
    let header_bytes = header_text.as_bytes();
    let keys = BindingKeys::derive(version, kbpk);
    let mac = match version {
        Version::A | Version::C => {
            keys.encrypt(header_bytes, &[], payload);
            keys.mac(header_bytes, payload)
        }
        Version::B | Version::D | Version::E => {
            let mac = keys.mac(header_bytes, payload);
            keys.encrypt(header_bytes, &mac[..], payload);
            mac
        }
    };
    let mut out = header_text.into_bytes();
    push_upper_hex(&mut out, payload);
    push_upper_hex(&mut out, &mac[..version.mac_len()]);
    String::from_utf8(out).expect("a String followed by ASCII hex digits is UTF-8")
}

/// Seals `key` under `kbpk` behind `header_text` taken as given — the 16-character header and
/// its optional blocks, unvalidated, no padding block added — with only the length field
/// rewritten, and zero key padding. The MAC is correct, so a fuzzer or property test reaches
/// the code after the MAC check with headers `wrap` would never build. `None` when the version
/// letter or the KBPK length makes sealing impossible. Only built with the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
pub fn seal_unchecked(kbpk: &[u8], header_text: &str, key: &[u8]) -> Option<String> {
    let version = Version::from_code(header_text.as_bytes().get(..1)?)?;
    check_kbpk(version, kbpk).ok()?;
    if header_text.len() < FIXED_LEN || !header_text.is_ascii() || key.len() > 4096 {
        return None;
    }
    let payload_len = match version {
        Version::E => 2 + key.len(),
        _ => (2 + key.len()).div_ceil(version.block_size()) * version.block_size(),
    };
    let total = header_text.len() + 2 * (payload_len + version.mac_len());
    if total > MAX_BLOCK_LEN {
        return None;
    }
    let mut payload = SecretBytes::zeroed(payload_len);
    let payload = payload.as_mut_bytes();
    payload[..2].copy_from_slice(&((key.len() * 8) as u16).to_be_bytes());
    payload[2..2 + key.len()].copy_from_slice(key);
    let mut text = header_text.to_owned();
    text.replace_range(1..5, &format!("{total:04}"));
    Some(seal(version, kbpk, text, payload))
}

/// The header with any `PB` removed and a new one added if the optional blocks need aligning
/// to the version's cipher block size.
fn with_padding_block(header: &Header) -> Header {
    let mut header = header.clone();
    header
        .optional_blocks
        .retain(|b| b.known_id() != Some(KnownBlockId::Padding));
    let block_size = header.version.block_size();
    let used = header.optional_blocks_len();
    if header.optional_blocks.is_empty() || used.is_multiple_of(block_size) {
        return header;
    }
    let mut pad = block_size - used % block_size;
    if pad < 4 {
        pad += block_size;
    }
    header
        .optional_blocks
        .push(OptionalBlock::new(KnownBlockId::Padding.code(), &"0".repeat(pad - 4)));
    header
}

fn check_kbpk(version: Version, kbpk: &[u8]) -> Result<(), Tr31Error> {
    if version.kbpk_lengths().contains(&kbpk.len()) {
        return Ok(());
    }
    let expected = match version {
        Version::A | Version::B | Version::C => "a 16- or 24-byte TDES key",
        Version::D | Version::E => "a 16-, 24- or 32-byte AES key",
    };
    Err(Tr31Error::KbpkLength {
        version,
        length: kbpk.len(),
        expected,
    })
}

/// Compares KC (check value of the key) and KP (check value of the KBPK) with computed values:
/// on unwrap, so a block whose check values lie is refused; on wrap, so no block is built that
/// could never be unwrapped.
fn check_check_values(header: &Header, key: &[u8], kbpk: &[u8]) -> Result<(), Tr31Error> {
    let checks = [
        (
            KnownBlockId::KeyCheckValue,
            key,
            header.algorithm.cipher_family(),
            "key",
            "KC",
        ),
        (
            KnownBlockId::KbpkCheckValue,
            kbpk,
            Some(header.version.kbpk_family()),
            "KBPK",
            "KP",
        ),
    ];
    for (id, key, family, what, name) in checks {
        let (Some(block), Some(family)) = (header.optional_block(id), family) else {
            continue;
        };
        let (method, expected) = optional::check_value(block)?;
        let actual =
            kcv::check_block(key, family, method).map_err(|_| Tr31Error::CheckValueMismatch { id: name, what })?;
        if expected.len() > actual.len() || actual[..expected.len()] != expected[..] {
            return Err(Tr31Error::CheckValueMismatch { id: name, what });
        }
    }
    Ok(())
}

/// Decodes a hex field into `out`: upper case, or lower case too where the profile relaxes it
/// (the first lower-case digit's position goes into `warnings`). Errors give the position.
fn decode_field(
    digits: &[u8],
    out: &mut [u8],
    field: Field,
    start: usize,
    profile: &Profile,
    warnings: &mut Vec<Tr31Warning>,
) -> Result<(), Tr31Error> {
    let Some(at) = decode_upper_hex_into(digits, out) else {
        return Ok(());
    };
    let bad = |at: usize| Tr31Error::BadCharacter {
        field,
        position: start + at,
        byte: digits[at],
    };
    if !profile.lowercase_hex || !digits[at].is_ascii_lowercase() {
        return Err(bad(at));
    }
    if let Some(other) = decode_hex_into(digits, out) {
        return Err(bad(other));
    }
    warnings.push(Tr31Warning::LowercaseHex {
        field,
        position: start + at,
    });
    Ok(())
}
