//! Wrap and unwrap of 144-character key blocks, versions B and D, and the same version D block
//! through the fastest Rust peer, `paysec-keyblock` 0.2.1 (with its RustCrypto provider), so every
//! run prints the two side by side. Targets on the development machine (see README,
//! "Performance"): version D unwrap ≤ 0.6 µs, wrap ≤ 1.0 µs.
//!
//! The peer's wrap takes its padding from the caller; keybridge's draws it from a CSPRNG inside
//! the call, so the wrap figures include that and the peer's do not.

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

fn unwrap(case: &Case, block: &str) -> tr31::Unwrapped {
    tr31::unwrap(black_box(&case.kbpk), black_box(block), &Profile::STRICT).unwrap()
}

fn wrap(case: &Case) -> String {
    tr31::wrap(
        black_box(&case.kbpk),
        &case.header,
        black_box(&case.key),
        &WrapOptions::default(),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    for case in cases() {
        let block = tr31::wrap(&case.kbpk, &case.header, &case.key, &WrapOptions::default()).unwrap();
        assert_eq!(block.len(), 144, "{block}");
        c.bench_function(&format!("unwrap {} (144 chars)", case.name), |b| {
            b.iter(|| unwrap(&case, &block))
        });
        c.bench_function(&format!("wrap {} (144 chars)", case.name), |b| b.iter(|| wrap(&case)));
    }
}

/// The version D case through `paysec-keyblock`: the same KBPK, key and header, the same 144
/// characters.
fn peer(c: &mut Criterion) {
    use paysec_crypto::AesKeySize;
    use paysec_crypto_rustcrypto::RustCryptoProvider;
    use paysec_keyblock::{KeyBlockHeader, tr31_unwrap, tr31_wrap};

    let case = cases().into_iter().find(|c| c.name == "D").expect("the D case");
    let block = tr31::wrap(&case.kbpk, &case.header, &case.key, &WrapOptions::default()).unwrap();
    let provider = RustCryptoProvider::new();
    let (_, key) = tr31_unwrap(&provider, case.kbpk.as_slice(), AesKeySize::Bits256, &block).unwrap();
    assert_eq!(
        key.expose_secret(),
        case.key.as_slice(),
        "the peer reads keybridge's block"
    );
    let peer_unwrap = || {
        tr31_unwrap(
            &provider,
            black_box(case.kbpk.as_slice()),
            AesKeySize::Bits256,
            black_box(&block),
        )
        .unwrap()
    };
    c.bench_function("peer paysec-keyblock 0.2.1: unwrap D (144 chars)", |b| {
        b.iter(peer_unwrap)
    });
    let seed = [0x5Cu8; 32];
    // The peer takes its header by value and it is not Clone: it is built outside the timing.
    let header = || KeyBlockHeader::new_with_values("D", "P0", "A", "E", "00", "N").unwrap();
    let peer_wrap = |header| {
        tr31_wrap(
            &provider,
            black_box(case.kbpk.as_slice()),
            AesKeySize::Bits256,
            header,
            black_box(&case.key),
            32,
            &seed,
        )
        .unwrap()
    };
    c.bench_function("peer paysec-keyblock 0.2.1: wrap D (144 chars)", |b| {
        b.iter_batched(header, peer_wrap, criterion::BatchSize::SmallInput)
    });
    // Only when benchmarking: `cargo test --benches` runs each function once, as a test.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    print_ratio("unwrap D (144 chars)", || unwrap(&case, &block), peer_unwrap, |_| {});
    // The peer's headers are built before each batch, outside its timing, as in its bench above.
    let headers = std::cell::RefCell::new(Vec::new());
    let next_header = || headers.borrow_mut().pop().expect("a header per call");
    print_ratio(
        "wrap D (144 chars)",
        || wrap(&case),
        || peer_wrap(next_header()),
        |calls| headers.borrow_mut().extend(std::iter::repeat_with(header).take(calls)),
    );
}

/// Prints the peer's time over keybridge's for one operation, as the median of interleaved
/// batches (`prepare` runs untimed before each of the peer's). On a shared machine the two
/// criterion runs above see different loads (their ratio swung from 3.3× to 5.3× between runs of
/// the same build), while back-to-back batches see the same one.
fn print_ratio<A, B>(
    what: &str,
    mut ours: impl FnMut() -> A,
    mut peer: impl FnMut() -> B,
    mut prepare: impl FnMut(usize),
) {
    const BATCHES: usize = 301;
    const PER_BATCH: usize = 2000;
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..PER_BATCH {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let ours = time(&mut || drop(black_box(ours())));
            prepare(PER_BATCH);
            time(&mut || drop(black_box(peer()))) / ours
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "{what}: paysec-keyblock takes {:.2}× keybridge's time (median of {BATCHES} interleaved batches of \
         {PER_BATCH}; quartiles {:.2}–{:.2})",
        ratios[BATCHES / 2],
        ratios[BATCHES / 4],
        ratios[3 * BATCHES / 4]
    );
}

criterion_group!(benches, bench, peer);
criterion_main!(benches);
