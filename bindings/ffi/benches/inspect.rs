//! The Rust side of the per-call overhead measurement: inspecting a key block through the same
//! `Tr31KeyBlock` methods the bindings export, called directly (no FFI). Compare with
//! `bindings/scripts/bench-jvm.sh`, which makes the same calls from Kotlin through JNA.

use criterion::{Criterion, criterion_group, criterion_main};
use keybridge_ffi::{Tr31KeyBlock, Tr31Profile};

/// ANSI X9 TR-31:2018 A.7.4 (version D, AES KBPK), as in rust-core/tests/vectors/tr31-published.tsv.
const BLOCK: &str =
    "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";

fn inspect(c: &mut Criterion) {
    let lenient = Tr31Profile {
        lenient: true,
        ..Tr31Profile::default()
    };
    c.bench_function("inspect: parse_with + header (Rust, no FFI)", |b| {
        b.iter(|| {
            let block = Tr31KeyBlock::parse_with(std::hint::black_box(BLOCK.to_owned()), lenient).unwrap();
            std::hint::black_box(block.header())
        })
    });
}

criterion_group!(benches, inspect);
criterion_main!(benches);
