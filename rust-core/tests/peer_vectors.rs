//! The published test suites of other TR-31 implementations — openemv/tr31, psec, moov-io/tr31 —
//! and BP-Tools outputs, kept as data in tests/vectors/peers/ (each file names its repository and
//! commit). Every vector runs in the profile a receiver would use:
//!
//! * `default`: [`Profile::DEFAULT`]; `weak`: the same with weak wrapping accepted (a receiver of
//!   version A blocks must opt in); `lenient` and `weak-lenient`: [`Profile::LENIENT`], for the
//!   blocks that break X9.143 in another way than the key length (lower-case hex, ISO 20038 pairs,
//!   text in `KS`, HMAC keys without `HM`, single-length TDES keys).
//! * Positives unwrap to the published key; negatives are refused for the listed reason.
//! * `--strict` refuses exactly the positives whose key length is not obfuscated, and the default
//!   profile warns about exactly those.

use keybridge::tr31::{self, Profile, Remedy, Tr31Error, Tr31Warning};

const SUITES: [(&str, &str); 4] = [
    ("openemv-tr31", include_str!("vectors/peers/openemv-tr31.tsv")),
    ("psec", include_str!("vectors/peers/psec.tsv")),
    ("moov-io-tr31", include_str!("vectors/peers/moov-io-tr31.tsv")),
    ("bp-tools", include_str!("vectors/peers/bp-tools.tsv")),
];

struct Vector {
    name: String,
    profile: &'static str,
    outcome: Outcome,
    kbpk: Vec<u8>,
    block: String,
}

enum Outcome {
    Key(Vec<u8>),
    Refused(String),
}

fn vectors() -> Vec<Vector> {
    let mut all = Vec::new();
    for (suite, text) in SUITES {
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 6, "{suite}: {line}");
            let profile = match cols[1] {
                "default" => "default",
                "weak" => "weak",
                "lenient" => "lenient",
                "weak-lenient" => "weak-lenient",
                other => panic!("{suite}: unknown profile {other}"),
            };
            let outcome = match cols[2].strip_prefix("refuse:") {
                Some(kind) => Outcome::Refused(kind.to_owned()),
                None => Outcome::Key(hex::decode(cols[4]).unwrap()),
            };
            all.push(Vector {
                name: format!("{suite} {}", cols[0]),
                profile,
                outcome,
                kbpk: hex::decode(cols[3]).unwrap(),
                block: cols[5].to_owned(),
            });
        }
    }
    all
}

fn profile(name: &str) -> Profile {
    let base = if is_lenient(name) {
        Profile::LENIENT
    } else {
        Profile::DEFAULT
    };
    with_weak_opt_in(name, base)
}

fn is_lenient(name: &str) -> bool {
    name.ends_with("lenient")
}

/// `base` with weak wrapping accepted where the vector's profile opts in.
fn with_weak_opt_in(name: &str, base: Profile) -> Profile {
    Profile {
        allow_weak_wrapping: name.starts_with("weak"),
        ..base
    }
}

/// The reason an error gives, as the vector files name it.
fn kind(error: &Tr31Error) -> &'static str {
    match error {
        Tr31Error::TooShort { .. } => "too_short",
        Tr31Error::NonAscii { .. } => "non_ascii",
        Tr31Error::BadCharacter { .. } => "bad_character",
        Tr31Error::UnknownValue { .. } => "unknown_value",
        Tr31Error::LengthMismatch { .. } => "length_mismatch",
        Tr31Error::AlgorithmNotAllowed { .. } | Tr31Error::ModeNotAllowed { .. } => "usage_table",
        Tr31Error::Rule { .. } => "rule",
        Tr31Error::OptionalBlock { .. } | Tr31Error::OptionalBlocksNotAligned { .. } => "optional_block",
        Tr31Error::NotHex { .. } => "not_hex",
        Tr31Error::HmacWithoutHashBlock => "hmac_without_hash_block",
        Tr31Error::BadLength { .. } => "bad_length",
        Tr31Error::WeakWrapping { .. } => "weak_wrapping",
        Tr31Error::KbpkLength { .. } => "kbpk_length",
        Tr31Error::MacMismatch { .. } => "mac_mismatch",
        Tr31Error::Payload { .. } => "payload",
        Tr31Error::UnobfuscatedKeyLength { .. } => "unobfuscated_key_length",
        Tr31Error::KeyLength { .. } | Tr31Error::AsymmetricKey { .. } => "key",
        Tr31Error::CheckValueMismatch { .. } | Tr31Error::CheckValueUnreadable { .. } => "check_value",
    }
}

/// Runs `check` on every vector and fails once, listing every vector that broke it.
fn each(check: impl Fn(&Vector) -> Result<(), String>) {
    let failures: Vec<String> = vectors()
        .iter()
        .filter_map(|v| check(v).err().map(|e| format!("{}: {e}", v.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_files_hold_every_suite() {
    let all = vectors();
    let count = |f: &dyn Fn(&Vector) -> bool| all.iter().filter(|v| f(v)).count();
    let positives = count(&|v| matches!(v.outcome, Outcome::Key(_)));
    let receiver = count(&|v| matches!(v.outcome, Outcome::Key(_)) && !is_lenient(v.profile));
    // The counts the README gives.
    assert_eq!((positives, receiver, all.len() - positives), (79, 69, 73));
}

#[test]
fn every_positive_unwraps_to_the_published_key_in_its_profile() {
    each(|v| {
        let Outcome::Key(key) = &v.outcome else { return Ok(()) };
        let unwrapped = tr31::unwrap(&v.kbpk, &v.block, &profile(v.profile)).map_err(|e| e.to_string())?;
        if unwrapped.key.as_bytes() != key.as_slice() {
            return Err("unwrapped another key".into());
        }
        Ok(())
    });
}

/// The default profile tolerates only unobfuscated key lengths: it warns about exactly the
/// blocks `--strict` refuses, and `--strict` refuses nothing else the default takes.
#[test]
fn strict_refuses_exactly_the_unobfuscated_blocks_the_default_warns_about() {
    let mut unobfuscated = 0;
    for v in vectors() {
        let Outcome::Key(_) = v.outcome else { continue };
        if is_lenient(v.profile) {
            continue;
        }
        let warned = tr31::unwrap(&v.kbpk, &v.block, &profile(v.profile)).unwrap().warnings;
        let strict = tr31::unwrap(&v.kbpk, &v.block, &with_weak_opt_in(v.profile, Profile::STRICT));
        match (&warned[..], strict) {
            ([], Ok(_)) => {}
            (
                [Tr31Warning::UnobfuscatedKeyLength { position }],
                Err(Tr31Error::UnobfuscatedKeyLength { position: p }),
            ) => {
                assert_eq!(*position, p, "{}", v.name);
                unobfuscated += 1;
            }
            (warned, strict) => panic!("{}: default warned {warned:?}, strict gave {strict:?}", v.name),
        }
    }
    assert_eq!(unobfuscated, 23, "unobfuscated blocks (the README gives the count)");
}

/// What the lenient rows need is refused by the default profile with the lenient remedy, and
/// every relaxation lenient applies is told with its position.
#[test]
fn lenient_blocks_are_refused_by_default_and_warned_about_by_lenient() {
    each(|v| {
        if !is_lenient(v.profile) || matches!(v.outcome, Outcome::Refused(_)) {
            return Ok(());
        }
        match tr31::unwrap(&v.kbpk, &v.block, &with_weak_opt_in(v.profile, Profile::DEFAULT)) {
            Err(e) if e.remedy() == Some(Remedy::LenientProfile) => {}
            other => return Err(format!("default gave {other:?}")),
        }
        let warnings = tr31::unwrap(&v.kbpk, &v.block, &profile(v.profile)).unwrap().warnings;
        if warnings.is_empty() || !warnings.iter().all(|w| w.to_string().contains("position")) {
            return Err(format!("lenient warned {warnings:?}"));
        }
        Ok(())
    });
}

#[test]
fn every_negative_is_refused_for_its_reason() {
    each(|v| {
        let Outcome::Refused(expected) = &v.outcome else {
            return Ok(());
        };
        match tr31::unwrap(&v.kbpk, &v.block, &profile(v.profile)) {
            Err(e) if kind(&e) == expected => {}
            other => return Err(format!("expected {expected}, got {other:?}")),
        }
        // No profile turns a negative into a key.
        match tr31::unwrap(&v.kbpk, &v.block, &Profile::LENIENT.with_weak_wrapping()) {
            Err(_) => Ok(()),
            Ok(_) => Err("the lenient profile unwrapped it".into()),
        }
    });
}

/// Version A is weak wrapping: the default profile refuses it, naming the opt-in.
#[test]
fn version_a_needs_the_weak_wrapping_opt_in() {
    each(|v| {
        if !v.profile.starts_with("weak") || matches!(v.outcome, Outcome::Refused(_)) {
            return Ok(());
        }
        let without_opt_in = if is_lenient(v.profile) {
            Profile::LENIENT
        } else {
            Profile::DEFAULT
        };
        match tr31::unwrap(&v.kbpk, &v.block, &without_opt_in) {
            Err(e @ Tr31Error::WeakWrapping { .. }) if e.remedy() == Some(Remedy::AllowWeakWrapping) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
}
