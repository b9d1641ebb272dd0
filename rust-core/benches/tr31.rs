//! Wrap and unwrap of 144-character key blocks, versions B and D. Target: version D unwrap under
//! 1 µs on the development machine (see README, "Performance").

use criterion::{Criterion, criterion_group, criterion_main};
use keybridge::tr31::{
    self, Algorithm, Exportability, Header, KeyUsage, ModeOfUse, OptionalBlock, Profile, Version, WrapOptions,
};
use std::hint::black_box;

struct Case {
    name: &'static str,
    kbpk: Vec<u8>,
    key: Vec<u8>,
    header: Header,
}

fn cases() -> Vec<Case> {
    // D: AES-128 P0 key under an AES-256 KBPK, obfuscated: 16 + 96 + 32 = 144 characters.
    let d = Header::new(
        Version::D,
        KeyUsage::P0,
        Algorithm::Aes,
        ModeOfUse::EncryptOnly,
        Exportability::NonExportable,
    );
    // B: 3-key TDES B1 key with KS, LB (and PB) blocks: 16 + 48 + 64 + 16 = 144 characters.
    let mut b = Header::new(
        Version::B,
        KeyUsage::B1,
        Algorithm::Tdes,
        ModeOfUse::DeriveKeys,
        Exportability::NonExportable,
    );
    b.optional_blocks.push(OptionalBlock::new("KS", "00604B120F9292800000"));
    b.optional_blocks.push(OptionalBlock::new("LB", "BENCH TERMINAL01"));
    vec![
        Case {
            name: "D",
            kbpk: vec![0x42; 32],
            key: vec![0x17; 16],
            header: d,
        },
        Case {
            name: "B",
            kbpk: vec![0x42; 16],
            key: vec![0x17; 24],
            header: b,
        },
    ]
}

fn bench(c: &mut Criterion) {
    for case in cases() {
        let block = tr31::wrap(&case.kbpk, &case.header, &case.key, &WrapOptions::default()).unwrap();
        assert_eq!(block.len(), 144, "{block}");
        c.bench_function(&format!("unwrap {} (144 chars)", case.name), |b| {
            b.iter(|| tr31::unwrap(black_box(&case.kbpk), black_box(&block), &Profile::STRICT).unwrap())
        });
        c.bench_function(&format!("wrap {} (144 chars)", case.name), |b| {
            b.iter(|| {
                tr31::wrap(
                    black_box(&case.kbpk),
                    &case.header,
                    black_box(&case.key),
                    &WrapOptions::default(),
                )
                .unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
