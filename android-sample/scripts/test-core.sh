#!/usr/bin/env bash
# Tests the sample app's logic (android-sample/core) on the host JVM against the real reader
# simulator, and exits non-zero on any failure:
#   1. tools (bindings/scripts/setup-jvm-tools.sh: JNA + JUnit 5 from apt, kotlinc from npm)
#   2. the uniffi library and its JVM-flavour Kotlin (bindings/scripts/generate.sh kotlin-jvm), and
#      the CLI whose `keybridge simulate --tcp 0` the tests start as a child process
#   3. kotlinc: generated bindings + core + core tests; JUnit 5 runs them, loading
#      libkeybridge_ffi from target/debug through JNA
# The last line is the summary: `N passed, N failed`.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
bindings_scripts="$repo/bindings/scripts"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
out="$target_dir/android-sample-core"
kotlin_home="$repo/.tools/kotlin-2.4.20/node_modules/kotlin-compiler"
java_share=/usr/share/java

fail_early() {
    echo "FAILED: $1" >&2
    echo "0 passed, 1 failed"
    exit 1
}

"$bindings_scripts/setup-jvm-tools.sh" || fail_early "installing the JVM tools"
"$bindings_scripts/generate.sh" kotlin-jvm || fail_early "building and generating the Kotlin bindings"
cargo build --quiet -p keybridge-cli || fail_early "building the CLI (reader simulator)"

rm -rf "$out" && mkdir -p "$out/classes"
junit="$java_share/junit-platform-console-standalone.jar"
classpath="$java_share/jna.jar:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"
classpath+=":$kotlin_home/lib/kotlin-test.jar:$kotlin_home/lib/kotlin-test-junit5.jar:$junit"
mapfile -t sources < <(find "$target_dir/bindings/kotlin-jvm" android-sample/core/src -name '*.kt' | sort)
echo "== kotlinc (${#sources[@]} files)" >&2
"$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -classpath "$classpath" -d "$out/classes" "${sources[@]}" \
    2>"$out/kotlinc.log" || {
    cat "$out/kotlinc.log" >&2
    fail_early "compiling android-sample/core"
}

echo "== JUnit" >&2
java -Djna.library.path="$target_dir/debug" -Dkeybridge.cli="$target_dir/debug/keybridge" \
    -jar "$junit" --disable-banner --disable-ansi-colors --details=tree --class-path "$classpath:$out/classes" \
    --select-package io.keybridge.sample.core --reports-dir "$out/reports" | tee "$out/junit.log"
status=${PIPESTATUS[0]}
count() { sed -n "s/.*\[ *\([0-9]*\) tests $1 *\].*/\1/p" "$out/junit.log" | head -1; }
passed=$(count successful)
failed=$(count failed)
passed=${passed:-0}
failed=${failed:-0}
# JUnit itself failed (no engine, a class that cannot load) or found no tests at all.
[[ $status -ne 0 || $passed -eq 0 ]] && [[ $failed -eq 0 ]] && failed=1
# JUnit silently skips a @Test whose function returns a value (e.g. `= runBlocking { … }`): every
# annotated test must have run.
declared=$(grep -rhoE '^\s*@Test\b' android-sample/core/src/test | wc -l)
if ((passed + failed < declared)); then
    echo "FAILED: $declared tests declared, $((passed + failed)) ran (a @Test not returning Unit?)" >&2
    failed=$((failed + declared - passed - failed))
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
