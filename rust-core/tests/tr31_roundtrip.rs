//! Wrap/unwrap round trips over every version × valid usage/algorithm/mode combination, single
//! character tampering, and the failing case of each parse and unwrap rule.

use keybridge::tr31::{
    self, Algorithm, Exportability, Field, Header, KeyBlock, KeyUsage, ModeOfUse, OptionalBlock, Profile, Tr31Error,
    Tr31Warning, Version, WrapOptions, compat,
};

const VERSIONS: [Version; 5] = [Version::A, Version::B, Version::C, Version::D, Version::E];
const ANY: Profile = Profile::STRICT.with_weak_wrapping();
const WEAK_OK: WrapOptions = WrapOptions {
    allow_weak_wrapping: true,
    obfuscate_key_length: true,
};

/// A deterministic, distinct byte pattern (the tests need no randomness to be meaningful).
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn kbpk_for(version: Version, pick: usize) -> Vec<u8> {
    let lengths = version.kbpk_lengths();
    bytes(lengths[pick % lengths.len()], 0x5A)
}

/// Keys to try for an algorithm: one of every symmetric length, a DER RSA private key, or two
/// lengths for the algorithms without a fixed form.
fn keys(algorithm: Algorithm, seed: u8) -> Vec<Vec<u8>> {
    match algorithm.key_lengths() {
        Some(lengths) => lengths.iter().map(|&n| bytes(n, seed)).collect(),
        None if algorithm == Algorithm::Rsa => vec![rsa_key()],
        None => vec![bytes(20, seed), bytes(64, seed)],
    }
}

/// The X9.143:2021 8.5 example's RSA private key: 2048 bits, PKCS #1 DER.
fn rsa_key() -> Vec<u8> {
    include_str!("vectors/tr31-published.tsv")
        .lines()
        .find(|l| l.starts_with("x9.143-2021-8.5"))
        .map(|l| hex::decode(l.split('\t').nth(3).unwrap()).unwrap())
        .unwrap()
}

fn header_for(version: Version, usage: KeyUsage, algorithm: Algorithm, mode: ModeOfUse) -> Header {
    let mut header = Header::new(version, usage, algorithm, mode, Exportability::NonExportable);
    if algorithm == Algorithm::Hmac {
        header.optional_blocks.push(OptionalBlock::new("HM", "21"));
    }
    header
}

#[test]
fn every_valid_combination_round_trips() {
    let mut cases = 0;
    for (v, version) in VERSIONS.into_iter().enumerate() {
        for rule in compat::TABLE {
            for &algorithm in rule.algorithms {
                for (m, &mode) in rule.modes.iter().enumerate() {
                    for (k, key) in keys(algorithm, m as u8).into_iter().enumerate() {
                        let kbpk = kbpk_for(version, v + m + k);
                        let header = header_for(version, rule.usage, algorithm, mode);
                        let block = tr31::wrap(&kbpk, &header, &key, &WEAK_OK)
                            .unwrap_or_else(|e| panic!("{version} {} {algorithm} {mode}: {e}", rule.usage));
                        let unwrapped = tr31::unwrap(&kbpk, &block, &ANY).unwrap_or_else(|e| panic!("{block}: {e}"));
                        assert_eq!(unwrapped.key.as_bytes(), &key[..], "{block}");
                        assert_eq!(unwrapped.header.key_usage, rule.usage);
                        cases += 1;
                    }
                }
            }
        }
    }
    assert!(cases > 1000, "only {cases} combinations were tried");
}

#[test]
fn every_kbpk_length_round_trips_every_key_length() {
    for version in VERSIONS {
        for &kbpk_len in version.kbpk_lengths() {
            for (algorithm, key_len) in [
                (Algorithm::Tdes, 16),
                (Algorithm::Tdes, 24),
                (Algorithm::Aes, 16),
                (Algorithm::Aes, 24),
                (Algorithm::Aes, 32),
            ] {
                let kbpk = bytes(kbpk_len, 1);
                let key = bytes(key_len, 2);
                let header = header_for(version, KeyUsage::D0, algorithm, ModeOfUse::Both);
                for obfuscate in [true, false] {
                    let options = WrapOptions {
                        obfuscate_key_length: obfuscate,
                        ..WEAK_OK
                    };
                    let block = tr31::wrap(&kbpk, &header, &key, &options).unwrap();
                    let profile = if obfuscate {
                        ANY
                    } else {
                        Profile::LENIENT.with_weak_wrapping()
                    };
                    assert_eq!(
                        tr31::unwrap(&kbpk, &block, &profile).unwrap().key.as_bytes(),
                        &key[..],
                        "{block}"
                    );
                }
            }
        }
    }
}

#[test]
fn obfuscation_hides_the_key_length() {
    let kbpk = bytes(32, 3);
    let header = header_for(Version::D, KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly);
    let lengths: Vec<usize> = [16, 24, 32]
        .iter()
        .map(|&n| {
            tr31::wrap(&kbpk, &header, &bytes(n, 0), &WrapOptions::default())
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(lengths, vec![144, 144, 144]);
    // Random padding: the same key wraps differently each time.
    let a = tr31::wrap(&kbpk, &header, &bytes(16, 0), &WrapOptions::default()).unwrap();
    let b = tr31::wrap(&kbpk, &header, &bytes(16, 0), &WrapOptions::default()).unwrap();
    assert_ne!(a, b);
}

#[test]
fn optional_blocks_are_padded_and_round_trip() {
    let kbpk = bytes(16, 9);
    for version in [Version::B, Version::D] {
        let mut header = header_for(version, KeyUsage::B1, Algorithm::Tdes, ModeOfUse::DeriveKeys);
        header
            .optional_blocks
            .push(OptionalBlock::new("KS", "00604B120F9292800000"));
        header.optional_blocks.push(OptionalBlock::new("LB", "terminal 42"));
        header
            .optional_blocks
            .push(OptionalBlock::new("PB", "stale padding is replaced"));
        let kbpk = if version == Version::D {
            bytes(32, 9)
        } else {
            kbpk.clone()
        };
        let block = tr31::wrap(&kbpk, &header, &bytes(16, 4), &WrapOptions::default()).unwrap();
        let parsed = tr31::unwrap(&kbpk, &block, &Profile::STRICT).unwrap().header;
        let ids: Vec<&str> = parsed.optional_blocks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["KS", "LB", "PB"], "{block}");
        assert_eq!(parsed.optional_blocks[1].data, "terminal 42");
        assert_eq!(parsed.optional_blocks_len() % version.block_size(), 0);
    }
}

#[test]
fn long_optional_blocks_use_the_extended_length_form() {
    let kbpk = bytes(16, 9);
    let mut header = header_for(Version::D, KeyUsage::D0, Algorithm::Aes, ModeOfUse::Both);
    header
        .optional_blocks
        .push(OptionalBlock::new("CT", &format!("00{}", "AB".repeat(200))));
    let block = tr31::wrap(&kbpk, &header, &bytes(16, 4), &WrapOptions::default()).unwrap();
    assert_eq!(&block[16..22], "CT0004", "{block}");
    assert_eq!(
        tr31::unwrap(&kbpk, &block, &Profile::STRICT)
            .unwrap()
            .header
            .optional_blocks[0]
            .data
            .len(),
        402
    );
}

#[test]
fn any_single_character_change_is_detected() {
    for version in VERSIONS {
        let kbpk = kbpk_for(version, 0);
        let mut header = header_for(version, KeyUsage::P0, Algorithm::Tdes, ModeOfUse::EncryptOnly);
        header.optional_blocks.push(OptionalBlock::new("LB", "ATM"));
        let block = tr31::wrap(&kbpk, &header, &bytes(16, 7), &WEAK_OK).unwrap();
        assert!(tr31::unwrap(&kbpk, &block, &ANY).is_ok());
        for at in 0..block.len() {
            let original = block.as_bytes()[at];
            for replacement in [b'0', b'1', b'A', b'F', b'Z', b'z'] {
                if replacement == original {
                    continue;
                }
                let mut tampered = block.clone().into_bytes();
                tampered[at] = replacement;
                let tampered = String::from_utf8(tampered).unwrap();
                assert!(
                    tr31::unwrap(&kbpk, &tampered, &ANY).is_err(),
                    "change at {at} to {} went unnoticed",
                    replacement as char
                );
            }
        }
    }
}

fn sample_d() -> (Vec<u8>, String) {
    let kbpk = bytes(32, 11);
    let header = header_for(Version::D, KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly);
    (
        kbpk.clone(),
        tr31::wrap(&kbpk, &header, &bytes(16, 1), &WrapOptions::default()).unwrap(),
    )
}

#[test]
fn parse_rules_fail_with_typed_errors() {
    let (_, block) = sample_d();
    let parse = |text: &str| KeyBlock::parse(text, &Profile::STRICT).err();
    assert_eq!(
        parse(&block[..block.len() - 2]),
        Some(Tr31Error::LengthMismatch {
            declared: 144,
            actual: 142
        })
    );
    assert!(matches!(parse(&block[..10]), Some(Tr31Error::TooShort { .. })));
    let lower = format!("{}{}", &block[..20], block[20..].to_ascii_lowercase());
    assert!(matches!(parse(&lower), Some(Tr31Error::BadCharacter { position, .. }) if position >= 20));
    assert!(KeyBlock::parse(&lower, &Profile::LENIENT).is_ok());
    let not_hex = format!("{}G{}", &block[..40], &block[41..]);
    assert!(matches!(
        parse(&not_hex),
        Some(Tr31Error::BadCharacter { position: 40, .. })
    ));
    // A payload that is not whole cipher blocks: 144 → 136 characters, length field adjusted.
    let short = format!("D0136{}", &block[5..136]);
    assert!(
        matches!(parse(&short), Some(Tr31Error::BadLength { .. })),
        "{:?}",
        parse(&short)
    );
}

#[test]
fn unwrap_rules_fail_with_typed_errors() {
    let (kbpk, block) = sample_d();
    let strict = |k: &[u8], text: &str| tr31::unwrap(k, text, &Profile::STRICT).err();
    assert!(matches!(
        strict(&kbpk[..20], &block),
        Some(Tr31Error::KbpkLength {
            version: Version::D,
            length: 20,
            ..
        })
    ));
    assert!(matches!(
        strict(&bytes(32, 12), &block),
        Some(Tr31Error::MacMismatch { position: 112 })
    ));
    // TDES KBPK length for B.
    let b_header = header_for(Version::B, KeyUsage::P0, Algorithm::Tdes, ModeOfUse::EncryptOnly);
    assert!(matches!(
        tr31::wrap(&bytes(32, 0), &b_header, &bytes(16, 0), &WrapOptions::default()),
        Err(Tr31Error::KbpkLength { .. })
    ));
    // Key lengths the algorithm does not have.
    assert!(matches!(
        tr31::wrap(
            &kbpk,
            &header_for(Version::D, KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly),
            &bytes(20, 0),
            &WrapOptions::default()
        ),
        Err(Tr31Error::KeyLength { length: 20, .. })
    ));
    // Weak wrapping needs the opt-in both ways.
    let weak = header_for(Version::B, KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly);
    assert!(matches!(
        tr31::wrap(&bytes(16, 0), &weak, &bytes(16, 0), &WrapOptions::default()),
        Err(Tr31Error::WeakWrapping { .. })
    ));
    let weak_block = tr31::wrap(&bytes(16, 0), &weak, &bytes(16, 0), &WEAK_OK).unwrap();
    assert!(matches!(
        strict(&bytes(16, 0), &weak_block),
        Some(Tr31Error::WeakWrapping { .. })
    ));
    // Unobfuscated blocks: the default profile takes them with a warning, the strict one refuses.
    let plain = WrapOptions {
        obfuscate_key_length: false,
        ..WrapOptions::default()
    };
    let header = header_for(Version::D, KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly);
    let unobfuscated = tr31::wrap(&kbpk, &header, &bytes(16, 1), &plain).unwrap();
    assert!(matches!(
        strict(&kbpk, &unobfuscated),
        Some(Tr31Error::UnobfuscatedKeyLength { position: 16 })
    ));
    assert_eq!(
        tr31::unwrap(&kbpk, &unobfuscated, &Profile::DEFAULT).unwrap().warnings,
        [Tr31Warning::UnobfuscatedKeyLength { position: 16 }]
    );
    assert_eq!(
        KeyBlock::parse(&unobfuscated, &Profile::STRICT)
            .err()
            .and_then(|e| e.remedy()),
        Some(keybridge::tr31::Remedy::DefaultProfile)
    );
}

/// The lenient profile tells every relaxation it applies, at the first character that needed it;
/// the default profile refuses the same block naming the position and the remedy.
#[test]
fn every_relaxation_is_a_warning_with_its_position() {
    let (kbpk, block) = sample_d();
    let lower = format!("{}{}", &block[..20], block[20..].to_ascii_lowercase());
    let first = 20 + block[20..].find(|c: char| c.is_ascii_uppercase()).unwrap();
    let mac_at = 144 - 32;
    let unwrapped = tr31::unwrap(&kbpk, &lower, &Profile::LENIENT).unwrap();
    assert_eq!(
        unwrapped.warnings[0],
        Tr31Warning::LowercaseHex {
            field: Field::EncryptedKey,
            position: first
        }
    );
    match unwrapped.warnings.get(1) {
        None => {}
        Some(Tr31Warning::LowercaseHex {
            field: Field::Mac,
            position,
        }) => assert!(*position >= mac_at),
        other => panic!("{other:?}"),
    }
    let refused = tr31::unwrap(&kbpk, &lower, &Profile::DEFAULT).unwrap_err();
    assert_eq!(refused.remedy(), Some(keybridge::tr31::Remedy::LenientProfile));
    assert!(refused.to_string().contains(&format!("position {first}")), "{refused}");

    // Lower case and text in a hex-valued optional block, and a lower-case block length.
    let tdes_kbpk = bytes(16, 5);
    let lower_ks = seal_with(&tdes_kbpk, "B0000B1TX00N0200KS1400604B120F92abcdPB04");
    assert_eq!(
        tr31::unwrap(&tdes_kbpk, &lower_ks, &Profile::LENIENT).unwrap().warnings,
        [Tr31Warning::LowercaseHex {
            field: Field::OptionalBlocks,
            position: 32
        }]
    );
    assert!(matches!(
        tr31::unwrap(&tdes_kbpk, &lower_ks, &Profile::DEFAULT),
        Err(Tr31Error::NotHex {
            position: 32,
            byte: b'a',
            ..
        })
    ));
    let vendor = seal_with(&tdes_kbpk, "B0000B1TX00N0200KS14VENDOR-KSN 00001PB04");
    assert_eq!(
        tr31::unwrap(&tdes_kbpk, &vendor, &Profile::LENIENT).unwrap().warnings,
        [Tr31Warning::TextInHexBlock {
            id: "KS".into(),
            position: 20
        }]
    );
    let lower_length = seal_with(&tdes_kbpk, "B0000B1TX00N0200KS1e00604B120F9292800000ABCDEFPB0A000000");
    assert_eq!(
        tr31::unwrap(&tdes_kbpk, &lower_length, &Profile::LENIENT)
            .unwrap()
            .warnings,
        [Tr31Warning::LowercaseHex {
            field: Field::OptionalBlocks,
            position: 19
        }]
    );
    assert!(matches!(
        KeyBlock::parse(&lower_length, &Profile::STRICT),
        Err(Tr31Error::NotHex {
            position: 19,
            byte: b'e',
            ..
        })
    ));
    let hmac = seal_with(&bytes(32, 7), "D0000M7HG00N0000");
    assert_eq!(
        tr31::unwrap(&bytes(32, 7), &hmac, &Profile::DEFAULT).unwrap_err(),
        Tr31Error::HmacWithoutHashBlock
    );
    assert_eq!(
        tr31::unwrap(&bytes(32, 7), &hmac, &Profile::LENIENT).unwrap().warnings,
        [Tr31Warning::HmacWithoutHashBlock]
    );
}

/// A block sealed behind `header` as given, with a 24-byte key of 0x33 bytes (long enough that no
/// TDES key length shows).
fn seal_with(kbpk: &[u8], header: &str) -> String {
    tr31::seal_unchecked(kbpk, header, &[0x33; 24]).unwrap()
}

/// An RSA private key (the X9.143:2021 8.5 example's, 2048 bits, PKCS #1 DER) wraps in a block with
/// algorithm R and unwraps back under the strict profile; what is not such a key is refused.
#[test]
fn rsa_private_keys_wrap_and_unwrap() {
    let rsa = rsa_key();
    assert_eq!(rsa.len(), 1192);
    let kbpk = bytes(16, 40);
    for (usage, mode) in [
        (KeyUsage::S0, ModeOfUse::SignOnly),
        (KeyUsage::D1, ModeOfUse::DecryptOnly),
        (KeyUsage::K2, ModeOfUse::Both),
    ] {
        let header = header_for(Version::D, usage, Algorithm::Rsa, mode);
        let block = tr31::wrap(&kbpk, &header, &rsa, &WrapOptions::default()).unwrap();
        let unwrapped = tr31::unwrap(&kbpk, &block, &Profile::STRICT).unwrap();
        assert_eq!(unwrapped.key.as_bytes(), &rsa[..]);
        assert_eq!(unwrapped.kcv(), None);
    }
    let header = header_for(Version::D, KeyUsage::S0, Algorithm::Rsa, ModeOfUse::SignOnly);
    for not_a_key in [&rsa[..rsa.len() - 1], &rsa[..0], b"not DER at all"] {
        assert!(matches!(
            tr31::wrap(&kbpk, &header, not_a_key, &WrapOptions::default()),
            Err(Tr31Error::AsymmetricKey {
                algorithm: Algorithm::Rsa,
                ..
            } | Tr31Error::KeyLength { .. })
        ));
    }
    // Sealed anyway, a block whose "RSA key" is not one is refused on unwrap.
    let forged = tr31::seal_unchecked(&kbpk, "D0000S0RS00N0000", b"not DER at all").unwrap();
    assert!(matches!(
        tr31::unwrap(&kbpk, &forged, &Profile::STRICT),
        Err(Tr31Error::AsymmetricKey { .. })
    ));
}

#[test]
fn check_value_blocks_are_verified() {
    let kbpk = bytes(16, 21);
    let key = bytes(16, 22);
    let key_kcv = keybridge::kcv::kcv(
        &key,
        keybridge::crypto::CipherFamily::Tdes,
        keybridge::kcv::KcvMethod::Legacy,
    )
    .unwrap();
    let kbpk_kcv = keybridge::kcv::kcv(
        &kbpk,
        keybridge::crypto::CipherFamily::Tdes,
        keybridge::kcv::KcvMethod::Legacy,
    )
    .unwrap();
    let header_with = |kc: &[u8], kp: &[u8]| {
        let mut header = header_for(Version::B, KeyUsage::P0, Algorithm::Tdes, ModeOfUse::EncryptOnly);
        header
            .optional_blocks
            .push(OptionalBlock::new("KC", &format!("00{}", hex::encode_upper(kc))));
        header
            .optional_blocks
            .push(OptionalBlock::new("KP", &format!("00{}", hex::encode_upper(kp))));
        header
    };
    let good = tr31::wrap(&kbpk, &header_with(&key_kcv, &kbpk_kcv), &key, &WrapOptions::default()).unwrap();
    assert!(tr31::unwrap(&kbpk, &good, &Profile::STRICT).is_ok());
    for (kc, kp, mismatch) in [
        (
            &[0u8; 3][..],
            &kbpk_kcv[..],
            Tr31Error::CheckValueMismatch { id: "KC", what: "key" },
        ),
        (
            &key_kcv[..],
            &[0u8; 3][..],
            Tr31Error::CheckValueMismatch { id: "KP", what: "KBPK" },
        ),
    ] {
        // wrap builds no block that could never be unwrapped ...
        let refused = tr31::wrap(&kbpk, &header_with(kc, kp), &key, &WrapOptions::default());
        assert_eq!(refused.err(), Some(mismatch.clone()));
        // ... and a block sealed with lying check values anyway is refused on unwrap.
        let text = format!(
            "B0000P0TE00N0200KC0C00{}KP0C00{}",
            hex::encode_upper(kc),
            hex::encode_upper(kp)
        );
        let sealed = tr31::seal_unchecked(&kbpk, &text, &key).unwrap();
        assert_eq!(tr31::unwrap(&kbpk, &sealed, &Profile::LENIENT).err(), Some(mismatch));
    }
}

/// The block count has two digits: 99 optional blocks plus the padding block would be written as
/// "100", a block its own parser rejects.
#[test]
fn more_than_99_optional_blocks_are_refused_at_wrap() {
    let kbpk = bytes(32, 3);
    let key = bytes(16, 4);
    let mut header = header_for(Version::D, KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly);
    // Proprietary (numeric) IDs, each once.
    header.optional_blocks = (0..98).map(|i| OptionalBlock::new(&format!("{i:02}"), "AB")).collect();
    // 98 blocks of 6 characters need a padding block: 99 in all, which fits.
    let block = tr31::wrap(&kbpk, &header, &key, &WrapOptions::default()).unwrap();
    assert_eq!(&block[12..14], "99");
    assert!(tr31::unwrap(&kbpk, &block, &Profile::STRICT).is_ok());
    header.optional_blocks.push(OptionalBlock::new("98", "AB"));
    let err = tr31::wrap(&kbpk, &header, &key, &WrapOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Tr31Error::Rule {
                field: tr31::Field::OptionalBlockCount,
                position: 12,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn errors_never_contain_key_material() {
    let (kbpk, block) = sample_d();
    let wrong = bytes(32, 12);
    let errors = [
        tr31::unwrap(&wrong, &block, &Profile::STRICT).unwrap_err(),
        tr31::unwrap(&kbpk[..20], &block, &Profile::STRICT).unwrap_err(),
    ];
    let secrets = [
        hex::encode_upper(&kbpk),
        hex::encode_upper(&wrong),
        hex::encode_upper(bytes(16, 1)),
        block[112..].to_string(),
    ];
    for error in errors {
        let text = format!("{error} {error:?}");
        for secret in &secrets {
            assert!(!text.contains(&secret[..8]), "{text}");
        }
    }
    let unwrapped = tr31::unwrap(&kbpk, &block, &Profile::STRICT).unwrap();
    assert!(!format!("{unwrapped:?}").contains(&hex::encode_upper(bytes(16, 1))[..8]));
}
