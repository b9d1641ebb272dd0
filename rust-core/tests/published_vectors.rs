//! Every published example in tests/vectors/tr31-published.tsv (TR-31:2018 Annex A, ISO 20038:2017
//! Annex B, ANSI X9.143:2021 clause 8; sources in the file) unwraps to its listed key, and the
//! version D example of TR-31:2018 wraps back byte for byte with its listed padding.

use keybridge::tr31::{self, KeyBlock, Profile, WrapOptions};

struct Vector {
    name: String,
    kbpk: Vec<u8>,
    key: Vec<u8>,
    block: String,
}

/// The examples, kept in the repository so a plain clone tests them.
const VECTORS: &str = include_str!("vectors/tr31-published.tsv");

fn vectors() -> Vec<Vector> {
    let vectors: Vec<Vector> = VECTORS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Vector {
                name: cols[0].into(),
                kbpk: hex::decode(cols[2]).unwrap(),
                key: hex::decode(cols[3]).unwrap(),
                block: cols[4].into(),
            }
        })
        .collect();
    assert_eq!(vectors.len(), 12, "the file lists twelve published examples");
    vectors
}

/// The TR-31:2018 examples predate X9.143's key length obfuscation and include version A; ISO
/// 20038 pairs a usage and mode X9.143's table does not. (tests/peer_vectors.rs runs each example
/// in the profile a receiver would use.)
const PUBLISHED: Profile = Profile::LENIENT.with_weak_wrapping();

#[test]
fn every_published_example_unwraps_to_its_key() {
    for v in vectors() {
        let unwrapped = tr31::unwrap(&v.kbpk, &v.block, &PUBLISHED).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(unwrapped.key.as_bytes(), &v.key[..], "{}", v.name);
    }
}

/// Under the strict profile the X9.143 examples unwrap; the others fail only for the reasons
/// they are known to break X9.143, which the lenient profile accepts.
#[test]
fn published_examples_fail_strict_only_for_the_documented_reasons() {
    for v in vectors() {
        let strict = tr31::unwrap(&v.kbpk, &v.block, &Profile::STRICT);
        match &strict {
            Ok(_) => assert!(
                v.name.starts_with("x9.143") || v.name == "iso20038-2017-B.3-D",
                "{}",
                v.name
            ),
            Err(tr31::Tr31Error::WeakWrapping { .. }) => assert!(v.block.starts_with('A'), "{}", v.name),
            // TR-31:2018 predates key length obfuscation.
            Err(tr31::Tr31Error::UnobfuscatedKeyLength { .. }) => {
                assert!(v.name.starts_with("tr31-2018"), "{}", v.name)
            }
            // ISO 20038's B0 key with mode V.
            Err(tr31::Tr31Error::ModeNotAllowed { .. }) => assert_eq!(v.name, "iso20038-2017-B.2-E"),
            Err(other) => panic!("{}: {other:?}", v.name),
        }
    }
}

/// Every relaxation the lenient profile applies is told: the unobfuscated key length of the
/// TR-31:2018 examples and of ISO 20038 B.2, and B.2's B0 with mode V; the others need none.
#[test]
fn every_relaxation_of_the_published_examples_is_warned_about() {
    for v in vectors() {
        let unwrapped = tr31::unwrap(&v.kbpk, &v.block, &PUBLISHED).unwrap();
        let warned: Vec<String> = unwrapped.warnings.iter().map(ToString::to_string).collect();
        let outside_table = v.name == "iso20038-2017-B.2-E";
        let unobfuscated = v.name.starts_with("tr31-2018") || outside_table;
        let has = |text: &str| warned.iter().any(|w| w.contains(text) && w.contains("position"));
        assert_eq!(has("not obfuscated"), unobfuscated, "{}: {warned:?}", v.name);
        assert_eq!(
            has("'V' is not allowed with key usage B0"),
            outside_table,
            "{}: {warned:?}",
            v.name
        );
        assert_eq!(
            warned.len(),
            usize::from(unobfuscated) + usize::from(outside_table),
            "{}: {warned:?}",
            v.name
        );
    }
}

#[test]
fn a_wrong_kbpk_fails_the_mac() {
    for v in vectors() {
        let mut kbpk = v.kbpk.clone();
        kbpk[0] ^= 0x10; // not bit 0: DES ignores parity bits
        assert!(
            matches!(
                tr31::unwrap(&kbpk, &v.block, &PUBLISHED),
                Err(tr31::Tr31Error::MacMismatch { .. })
            ),
            "{}",
            v.name
        );
    }
}

#[cfg(feature = "test-hooks")]
#[test]
fn version_d_example_wraps_back_byte_for_byte() {
    let v = vectors().into_iter().find(|v| v.name.ends_with("-D")).unwrap();
    let header = KeyBlock::parse(&v.block, &PUBLISHED).unwrap().header().clone();
    let padding = hex::decode("1C2965473CE206BB855B01533782").unwrap();
    let options = WrapOptions {
        obfuscate_key_length: false,
        ..WrapOptions::default()
    };
    let block = tr31::wrap_with_padding(&v.kbpk, &header, &v.key, &options, &padding).unwrap();
    assert_eq!(block, v.block);
}
