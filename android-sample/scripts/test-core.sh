#!/usr/bin/env bash
# Tests the sample app's logic (android-sample/core) on the host JVM against the real reader
# simulator and the real key service, and exits non-zero on any failure:
#   1. tools (bindings/scripts/setup-jvm-tools.sh: JNA + JUnit 5 from apt, kotlinc from npm)
#   2. the library the app ships, the lean variant (the device build: features service-client,java,
#      no AWS SDK) in target/lean, and its JVM-flavour Kotlin (bindings/scripts/generate.sh
#      kotlin-jvm), and the CLI whose `keybridge simulate`, `keybridge serve` and
#      `keybridge aws-emulator` the tests start as child processes
#   3. kotlinc: generated bindings + core + core tests + the shared key service fixture
#      (bindings/kotlin/src/testing); JUnit 5 runs them, loading libkeybridge_ffi from
#      target/lean/debug through JNA
# The last line is the summary: `N passed, N failed`.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
bindings_scripts="$repo/bindings/scripts"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
out="$target_dir/android-sample-core"
lean_dir="$target_dir/lean"
source "$bindings_scripts/jvm-env.sh"

fail_early() {
    echo "FAILED: $1" >&2
    echo "0 passed, 1 failed"
    exit 1
}

"$bindings_scripts/setup-jvm-tools.sh" || fail_early "installing the JVM tools"
KEYBRIDGE_TARGET_DIR="$lean_dir" KEYBRIDGE_FEATURES=service-client,java "$bindings_scripts/generate.sh" kotlin-jvm ||
    fail_early "building and generating the Kotlin bindings of the device build"
cargo build --quiet -p keybridge-cli || fail_early "building the CLI (reader simulator)"

rm -rf "$out" && mkdir -p "$out/classes"
mapfile -t sources < <(find "$lean_dir/bindings/kotlin-jvm" android-sample/core/src bindings/kotlin/src/testing -name '*.kt' | sort)
echo "== kotlinc (${#sources[@]} files)" >&2
"$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -classpath "$jvm_test_classpath" -d "$out/classes" "${sources[@]}" \
    2>"$out/kotlinc.log" || {
    cat "$out/kotlinc.log" >&2
    fail_early "compiling android-sample/core"
}

declared=$(grep -rhoE '^\s*@Test\b' android-sample/core/src/test | wc -l)
run_junit "$out" "$declared" -Djna.library.path="$lean_dir/debug" -Dkeybridge.cli="$target_dir/debug/keybridge" \
    --select-package io.keybridge.sample.core
echo "$junit_passed passed, $junit_failed failed"
[[ $junit_failed -eq 0 ]]
