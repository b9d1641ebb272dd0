//! Key block binding: the encryption key (KBEK) and authentication key (KBAK) derived from the
//! KBPK, and how each version encrypts the payload and computes the MAC.
//!
//! * A, C — variant binding: KBEK = KBPK ⊕ 45…, KBAK = KBPK ⊕ 4D…; TDES-CBC with the first 8
//!   header bytes as IV; MAC = CBC-MAC over header ‖ ciphertext, leftmost 4 bytes.
//! * B, D, E — derivation binding: KBEK/KBAK = CMAC_KBPK(counter ‖ usage ‖ 00 ‖ algorithm ‖
//!   length); MAC = CMAC_KBAK(header ‖ clear payload); the MAC is the CBC IV (B, D) or the
//!   initial CTR block (E).

use super::fields::Version;
use crate::crypto::{BlockCipher, CipherFamily, CmacSubkeys};
use crate::secret::SecretArray;

/// The pair of keys one KBPK yields for one version, as key bytes. Each is keyed into a cipher
/// only where it is used, once per block, and its schedule stays in that stack frame: a hardware
/// AES schedule is 240 bytes, and building the ciphers here and moving them out (through a
/// `Result`, this struct and its return) cost eight copies of one per unwrap, about an eighth of
/// its time.
pub(crate) struct BindingKeys {
    version: Version,
    kbek: DerivedKey,
    kbak: DerivedKey,
}

/// Derivation-data "key usage" values (TR-31 / X9.143 key derivation binding).
const USAGE_ENCRYPTION_CBC: u16 = 0x0000;
const USAGE_MAC: u16 = 0x0001;
const USAGE_ENCRYPTION_CTR: u16 = 0x0002;

/// Derivation-data "algorithm" value for a KBPK, by family and length.
fn derivation_algorithm(family: CipherFamily, length: usize) -> u16 {
    match (family, length) {
        (CipherFamily::Tdes, 16) => 0x0000,
        (CipherFamily::Tdes, _) => 0x0001,
        (_, 16) => 0x0002,
        (_, 24) => 0x0003,
        _ => 0x0004,
    }
}

impl BindingKeys {
    /// Derives KBEK and KBAK. The KBPK length must already be valid for the version.
    #[inline(always)]
    pub(crate) fn derive(version: Version, kbpk: &[u8]) -> Self {
        let family = version.kbpk_family();
        let (kbek, kbak) = match version {
            Version::A | Version::C => (variant(kbpk, 0x45), variant(kbpk, 0x4D)),
            Version::B | Version::D | Version::E => {
                let algorithm = derivation_algorithm(family, kbpk.len());
                let enc_usage = if version == Version::E {
                    USAGE_ENCRYPTION_CTR
                } else {
                    USAGE_ENCRYPTION_CBC
                };
                BlockCipher::with(family, kbpk, |kbpk_cipher| {
                    let subkeys = kbpk_cipher.cmac_subkeys();
                    derive_pair(kbpk_cipher, &subkeys, [enc_usage, USAGE_MAC], algorithm, kbpk.len())
                })
                .expect("KBPK length checked by the caller")
            }
        };
        Self { version, kbek, kbak }
    }

    /// Runs `f` with `key` keyed for this version's cipher family.
    #[inline(always)]
    fn keyed<R>(&self, key: &DerivedKey, f: impl FnOnce(&BlockCipher) -> R) -> R {
        BlockCipher::with(self.version.kbpk_family(), key, f).expect("derived key has the KBPK's length")
    }

    /// The MAC of a block. For A/C `payload` is the ciphertext, otherwise the clear payload.
    pub(crate) fn mac(&self, header: &[u8], payload: &[u8]) -> SecretArray<[u8; 16]> {
        SecretArray(self.keyed(&self.kbak, |kbak| match self.version {
            Version::A | Version::C => kbak.cbc_mac(&[header, payload]),
            // The KBAK is used for this one CMAC: its subkeys come with the first block.
            Version::B | Version::D | Version::E => kbak.cmac_once(&[header, payload]),
        }))
    }

    /// Encrypts the payload in place. `mac` is the block's MAC (the IV or counter for B/D/E).
    pub(crate) fn encrypt(&self, header: &[u8], mac: &[u8], payload: &mut [u8]) {
        self.keyed(&self.kbek, |kbek| match self.version {
            Version::A | Version::C => kbek.cbc_encrypt(&header[..8], payload),
            Version::B | Version::D => kbek.cbc_encrypt(mac, payload),
            Version::E => kbek.ctr_apply(mac, payload),
        })
    }

    /// Decrypts the payload in place (the inverse of [`Self::encrypt`]).
    pub(crate) fn decrypt(&self, header: &[u8], mac: &[u8], payload: &mut [u8]) {
        self.keyed(&self.kbek, |kbek| match self.version {
            Version::A | Version::C => kbek.cbc_decrypt(&header[..8], payload),
            Version::B | Version::D => kbek.cbc_decrypt(mac, payload),
            Version::E => kbek.ctr_apply(mac, payload),
        })
    }
}

/// A derived key of up to 32 bytes, on the stack and wiped on drop.
struct DerivedKey {
    bytes: SecretArray<[u8; 32]>,
    len: usize,
}

impl std::ops::Deref for DerivedKey {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn variant(kbpk: &[u8], mask: u8) -> DerivedKey {
    let mut bytes = SecretArray([0u8; 32]);
    for (out, b) in bytes.iter_mut().zip(kbpk) {
        *out = b ^ mask;
    }
    DerivedKey { bytes, len: kbpk.len() }
}

/// The two derived keys, for `usages` [encryption, MAC]: for each, the CMAC outputs for counters
/// 1, 2, … concatenated and cut to `length`. Every CMAC here is of one 8-byte block, and none
/// depends on another, so all of them (two to six) go through the cipher as one batch.
fn derive_pair(
    kbpk: &BlockCipher,
    subkeys: &CmacSubkeys,
    usages: [u16; 2],
    algorithm: u16,
    length: usize,
) -> (DerivedKey, DerivedKey) {
    let bs = kbpk.block_size();
    let per_key = length.div_ceil(bs);
    let [a0, a1] = algorithm.to_be_bytes();
    let [l0, l1] = ((length * 8) as u16).to_be_bytes();
    let mut blocks = SecretArray([[0u8; 16]; 2 * MAX_DERIVATION_BLOCKS]);
    let blocks = &mut blocks[..2 * per_key];
    for (key_blocks, usage) in blocks.chunks_mut(per_key).zip(usages) {
        let [u0, u1] = usage.to_be_bytes();
        for (counter, block) in (1u8..).zip(key_blocks.iter_mut()) {
            block[..DERIVATION_DATA_LEN].copy_from_slice(&[counter, u0, u1, 0x00, a0, a1, l0, l1]);
        }
    }
    kbpk.cmac_short_messages(subkeys, blocks, DERIVATION_DATA_LEN);
    let key = |outputs: &[[u8; 16]]| {
        let mut bytes = SecretArray([0u8; 32]);
        if bs == 16 {
            // Whole AES blocks (an AES-192 key uses half of its second): fixed-size moves.
            for (chunk, output) in bytes.as_chunks_mut::<16>().0.iter_mut().zip(outputs) {
                *chunk = *output;
            }
        } else {
            for (chunk, output) in bytes[..length].chunks_mut(bs).zip(outputs) {
                chunk.copy_from_slice(&output[..chunk.len()]);
            }
        }
        DerivedKey { bytes, len: length }
    };
    let (enc, mac) = blocks.split_at(per_key);
    (key(enc), key(mac))
}

/// Derivation data: counter ‖ usage (2) ‖ separator ‖ algorithm (2) ‖ length in bits (2).
const DERIVATION_DATA_LEN: usize = 8;
/// CMAC outputs per derived key at most: a 3-key TDES key from 8-byte blocks.
const MAX_DERIVATION_BLOCKS: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(version: Version, kbpk: &str) -> (String, String) {
        let kbpk = hex::decode(kbpk).unwrap();
        let family = version.kbpk_family();
        let cipher = BlockCipher::new(family, &kbpk).unwrap();
        let sk = cipher.cmac_subkeys();
        let alg = derivation_algorithm(family, kbpk.len());
        let (enc, mac) = derive_pair(&cipher, &sk, [USAGE_ENCRYPTION_CBC, USAGE_MAC], alg, kbpk.len());
        (hex::encode_upper(&*enc), hex::encode_upper(&*mac))
    }

    #[test]
    fn derived_keys_match_the_published_examples() {
        // TR-31:2018 A.7.4 and A.7.2.2 (the derived keys the standard prints).
        assert_eq!(
            derived(
                Version::D,
                "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6"
            ),
            (
                "396C9382A6E2E66A088774E1D6E46541F5EAD67D7204F8DD0D7AE8FDA334D3AC".into(),
                "4EF24317696213840451890756757E573E0673483888F9B7F9B7517827F95022".into()
            )
        );
        assert_eq!(
            derived(Version::B, "DD7515F2BFC17F85CE48F3CA25CB21F6"),
            (
                "698832F8778A7CFCBC79559DAB07B88A".into(),
                "DD6CEEC1782D8453671BF8358AF9DB47".into()
            )
        );
    }
}
