//! An independent implementation from crates.io, `paysec-keyblock` 0.2.1 (version D, TR-31:2018),
//! reads the blocks keybridge wraps and writes blocks keybridge must read, for every AES KBPK size
//! and key length. (moov-io/tr31, the Go peer issue 23 names, is not served by the Go module
//! proxy; psec from PyPI covers versions A–D in tests/peers/psec.)

use keybridge::tr31::{self, Algorithm, Exportability, Header, KeyUsage, ModeOfUse, Profile, Version, WrapOptions};
use paysec_crypto::AesKeySize;
use paysec_crypto_rustcrypto::RustCryptoProvider;
use paysec_keyblock::{KeyBlockHeader, tr31_unwrap, tr31_wrap};

const KBPKS: [(usize, AesKeySize); 3] = [
    (16, AesKeySize::Bits128),
    (24, AesKeySize::Bits192),
    (32, AesKeySize::Bits256),
];

/// Distinct, reproducible bytes (a run of this test sees the same cases every time).
fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_mul(31).wrapping_add((i as u8).wrapping_mul(7)) ^ 0x5A)
        .collect()
}

#[test]
fn paysec_unwraps_what_keybridge_wraps() {
    let provider = RustCryptoProvider::new();
    for (seed, (kbpk_len, size)) in (1u8..).zip(KBPKS) {
        let kbpk = bytes(seed, kbpk_len);
        for (usage, algorithm, mode, key_len) in [
            (KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly, 16),
            (KeyUsage::K0, Algorithm::Aes, ModeOfUse::Both, 32),
            (KeyUsage::B1, Algorithm::Aes, ModeOfUse::DeriveKeys, 24),
            (KeyUsage::D0, Algorithm::Tdes, ModeOfUse::DecryptOnly, 16),
        ] {
            let key = bytes(seed ^ key_len as u8, key_len);
            let header = Header::new(Version::D, usage, algorithm, mode, Exportability::NonExportable);
            let block = tr31::wrap(&kbpk, &header, &key, &WrapOptions::default()).unwrap();
            let (their_header, their_key) = tr31_unwrap(&provider, kbpk.as_slice(), size, &block)
                .unwrap_or_else(|e| panic!("paysec refused {block}: {e:?}"));
            assert_eq!(their_key.expose_secret(), key.as_slice(), "{block}");
            assert_eq!(their_header.key_usage(), usage.code(), "{block}");
        }
    }
}

#[test]
fn keybridge_unwraps_what_paysec_wraps_in_the_strict_profile() {
    let provider = RustCryptoProvider::new();
    for (seed, (kbpk_len, size)) in (7u8..).zip(KBPKS) {
        let kbpk = bytes(seed, kbpk_len);
        for (usage, algorithm, mode, key_len) in [("P0", "A", "E", 16), ("K0", "A", "B", 32), ("B0", "T", "X", 16)] {
            let key = bytes(seed.wrapping_add(key_len as u8), key_len);
            let header = KeyBlockHeader::new_with_values("D", usage, algorithm, mode, "00", "N").unwrap();
            // Obfuscated to the algorithm's longest key, as X9.143 asks; the padding is the peer's.
            let longest = if algorithm == "A" { 32 } else { 24 };
            let block = tr31_wrap(
                &provider,
                kbpk.as_slice(),
                size,
                header,
                &key,
                longest,
                &bytes(seed, 64),
            )
            .unwrap();
            let unwrapped = tr31::unwrap(&kbpk, &block, &Profile::STRICT).unwrap_or_else(|e| panic!("{block}: {e}"));
            assert_eq!(unwrapped.key.as_bytes(), key.as_slice(), "{block}");
            assert_eq!(unwrapped.header.key_usage.code(), usage);
            assert!(unwrapped.warnings.is_empty(), "{block}: {:?}", unwrapped.warnings);
        }
    }
}

/// The peer can also write the real key length; the default profile reads that with a warning,
/// the strict one refuses it.
#[test]
fn an_unobfuscated_block_from_the_peer_is_read_with_a_warning() {
    let provider = RustCryptoProvider::new();
    let kbpk = bytes(3, 32);
    let key = bytes(4, 16);
    let header = KeyBlockHeader::new_with_values("D", "P0", "A", "E", "00", "N").unwrap();
    let block = tr31_wrap(
        &provider,
        kbpk.as_slice(),
        AesKeySize::Bits256,
        header,
        &key,
        16,
        &bytes(5, 64),
    )
    .unwrap();
    let unwrapped = tr31::unwrap(&kbpk, &block, &Profile::DEFAULT).unwrap();
    assert_eq!(unwrapped.key.as_bytes(), key.as_slice());
    assert_eq!(
        unwrapped.warnings,
        [tr31::Tr31Warning::UnobfuscatedKeyLength { position: 16 }]
    );
    assert_eq!(
        tr31::unwrap(&kbpk, &block, &Profile::STRICT).unwrap_err(),
        tr31::Tr31Error::UnobfuscatedKeyLength { position: 16 }
    );
}
