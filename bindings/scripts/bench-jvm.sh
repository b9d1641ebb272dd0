#!/usr/bin/env bash
# Per-call overhead from Kotlin and Java: runs InspectBenchmark (inspect a key block through the
# JNA bindings, and the parts that cost: one JNA call status, one call into Rust), then the same
# inspect from Java through JNI, against the release cdylib. Compare with
# `cargo bench -p keybridge-ffi --bench inspect` (the same calls in Rust). Not part of the tests:
# a benchmark, not an assertion. README, "Performance", explains the figures.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
source bindings/scripts/jvm-env.sh
out="$target_dir/jvm-bench"

bindings/scripts/setup-jvm-tools.sh
bindings/scripts/generate.sh kotlin-jvm
cargo build --quiet --release -p keybridge-ffi --lib --no-default-features --features aws,service-client,java # as generate.sh

rm -rf "$out" && mkdir -p "$out"
"$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -classpath "$jvm_classpath" -d "$out" \
    "$target_dir"/bindings/kotlin-jvm/io/keybridge/*.kt bindings/kotlin/src/bench/kotlin/io/keybridge/*.kt
java -Djna.library.path="$target_dir/release" -classpath "$jvm_classpath:$out" io.keybridge.InspectBenchmarkKt

# The same inspect from Java through JNI, against the same library.
javac -nowarn -d "$out" -classpath "$android_all_jar" $(find bindings/jni/java/src/main -name '*.java') bindings/jni/java/src/bench/java/io/keybridge/jni/*.java
java -Djava.library.path="$target_dir/release" -classpath "$out" io.keybridge.jni.InspectBenchmark
