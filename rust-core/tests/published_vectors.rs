//! The TR-31:2018 Annex A examples in ../shared/vectors/tr31-published.tsv unwrap to the listed
//! keys, and the version D example wraps back byte for byte with its listed padding.

use keybridge::tr31::{self, KeyBlock, Profile, WrapOptions};

struct Vector {
    name: String,
    kbpk: Vec<u8>,
    key: Vec<u8>,
    block: String,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/tr31-published.tsv");
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e} (CI clones ../shared beside the repo)"));
    let vectors: Vec<Vector> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Vector {
                name: cols[0].into(),
                kbpk: hex::decode(cols[1]).unwrap(),
                key: hex::decode(cols[2]).unwrap(),
                block: cols[3].into(),
            }
        })
        .collect();
    assert_eq!(vectors.len(), 5, "the file lists five published examples");
    vectors
}

/// The Annex A examples predate X9.143's key length obfuscation and include version A.
const PUBLISHED: Profile = Profile::LENIENT.with_weak_wrapping();

#[test]
fn every_published_example_unwraps_to_its_key() {
    for v in vectors() {
        let unwrapped = tr31::unwrap(&v.kbpk, &v.block, &PUBLISHED).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(unwrapped.key.as_bytes(), &v.key[..], "{}", v.name);
    }
}

#[test]
fn published_examples_fail_strict_only_for_the_documented_reasons() {
    for v in vectors() {
        match tr31::unwrap(&v.kbpk, &v.block, &Profile::STRICT) {
            Err(tr31::Tr31Error::WeakWrapping { .. }) => assert!(v.block.starts_with('A')),
            Err(tr31::Tr31Error::Payload { .. }) => {} // not obfuscated
            other => panic!("{}: {other:?}", v.name),
        }
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
