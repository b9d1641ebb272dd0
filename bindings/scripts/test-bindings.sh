#!/usr/bin/env bash
# Runs every binding test on this host and exits non-zero on any failure:
#   1. installs the JVM tools if missing (setup-jvm-tools.sh: apt JNA + JUnit 5, npm kotlinc)
#   2. builds the cdylib and the CLI (reader simulator), generates the Kotlin bindings (JVM and
#      Android flavours) and checks that the committed Swift equals a fresh generation
#   3. the FFI crate's Rust unit tests and `cargo check --target aarch64-linux-android -p keybridge-ffi --no-default-features` (no AWS)
#   4. compiles the Kotlin and Java sources and tests (kotlinc, javac) and runs them with JUnit 5
#      on the host JVM, loading the Rust library from target/debug
# The last line is the summary: `N passed, N failed` (JUnit tests plus the script checks).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
scripts="$repo/bindings/scripts"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
out="$target_dir/jvm-tests"
source "$scripts/jvm-env.sh"
checks_passed=0
checks_failed=0

check() { # name command...
    local name="$1"
    shift
    echo "== $name" >&2
    if "$@"; then
        checks_passed=$((checks_passed + 1))
    else
        echo "FAILED: $name" >&2
        checks_failed=$((checks_failed + 1))
    fi
}

fail_early() {
    echo "FAILED: $1" >&2
    echo "$checks_passed passed, $((checks_failed + 1)) failed"
    exit 1
}

"$scripts/setup-jvm-tools.sh" || fail_early "installing the JVM tools"
"$scripts/generate.sh" kotlin-jvm || fail_early "building and generating the Kotlin bindings"
cargo build --quiet -p keybridge-jni -p keybridge-cli || fail_early "building the JNI library and the CLI (reader simulator)"
check "cargo test -p keybridge-ffi (Rust unit tests of the FFI crate)" cargo test --quiet -p keybridge-ffi --lib
check "Android flavour of the Kotlin bindings generates" "$scripts/generate.sh" kotlin-android
check "committed Swift bindings equal a fresh generation" "$scripts/generate.sh" check-swift
android_check() {
    rustup target list --installed | grep -qx aarch64-linux-android ||
        rustup target add aarch64-linux-android >/dev/null || return 1
    # Without `aws`: its TLS stack (ring) needs the NDK's C compiler, which is not here.
    cargo check --quiet -p keybridge-ffi --no-default-features --target aarch64-linux-android
}
check "cargo check --target aarch64-linux-android -p keybridge-ffi --no-default-features" android_check

# --- compile -------------------------------------------------------------------------------
rm -rf "$out" && mkdir -p "$out/classes"

mapfile -t kotlin_sources < <(find "$target_dir/bindings/kotlin-jvm" bindings/kotlin/src -name '*.kt' | sort)
mapfile -t java_sources < <(find bindings/kotlin/src bindings/jni/java/src -name '*.java' 2>/dev/null | sort)
echo "== kotlinc (${#kotlin_sources[@]} files)" >&2
"$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -classpath "$jvm_test_classpath" -d "$out/classes" \
    "${kotlin_sources[@]}" "${java_sources[@]}" 2>"$out/kotlinc.log" || {
    cat "$out/kotlinc.log" >&2
    fail_early "compiling the Kotlin sources"
}
if ((${#java_sources[@]})); then
    echo "== javac (${#java_sources[@]} files)" >&2
    javac -nowarn -d "$out/classes" -classpath "$jvm_test_classpath:$out/classes" "${java_sources[@]}" ||
        fail_early "compiling the Java sources"
fi

# --- run -----------------------------------------------------------------------------------
declared=$(cat "${kotlin_sources[@]}" "${java_sources[@]}" | grep -c '^\s*@Test\b')
run_junit "$out" "$declared" -Djna.library.path="$target_dir/debug" -Djava.library.path="$target_dir/debug" \
    -Dkeybridge.vectors="$repo/../shared/vectors/tr31-published.tsv" -Dkeybridge.cli="$target_dir/debug/keybridge" \
    --scan-class-path "$out/classes"
total_passed=$((junit_passed + checks_passed))
total_failed=$((junit_failed + checks_failed))
echo "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
