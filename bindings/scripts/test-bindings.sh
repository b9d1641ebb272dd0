#!/usr/bin/env bash
# Runs every binding test on this host and exits non-zero on any failure:
#   1. installs the JVM tools if missing (setup-jvm-tools.sh: apt JNA + JUnit 5, npm kotlinc)
#   2. builds the one native library (uniffi + JNI, features `aws,service-client,java`: what the
#      full Android AAR and the iOS package ship) and the CLI (reader simulator, key service, AWS
#      emulator), generates the Kotlin bindings (JVM and Android flavours) and checks that the
#      committed Swift equals a fresh generation
#   3. the FFI crate's Rust unit tests, `cargo check --target aarch64-linux-android` of the lean
#      and the full library (check-android.sh: the host's clang compiles ring's C for the check),
#      and the 16 KB alignment of every LOAD segment of the built libraries (readelf)
#   4. builds keybridge-java.jar (build-java-jar.sh: javac + jar, the linux-x86_64 library inside)
#      and compiles against it alone (+ android-all, compile-only) the ported Dspread classes
#      (bindings/jni/java/src/ported): the key-loading class, a listener overriding all 181 callbacks
#      of the vendor's listener and a demo-shaped class: the vendor's shapes must compile; measures the device
#      build's library (measure-device-library.sh: at most 3 MiB stripped)
#   5. compiles the Kotlin and Java sources and tests (kotlinc, javac; android-all on the compile
#      class path only) and runs them with JUnit 5 on the host JVM against `keybridge simulate`, `keybridge aws-emulator` and `keybridge serve`
#      processes
#   6. the lean variant, the device build (features `service-client,java`: the key service client,
#      no AWS SDK), built into target/lean: its own generated Kotlin, loaded on the host JVM,
#      running every test that needs no AWS client in the library (provisioning included)
# The last line is the summary: `N passed, N failed` (JUnit tests plus the script checks).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
scripts="$repo/bindings/scripts"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
lean_dir="$target_dir/lean"
out="$target_dir/jvm-tests"
source "$scripts/jvm-env.sh"
checks_passed=0
checks_failed=0
total_junit_passed=0
total_junit_failed=0

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

summary() {
    echo "$((total_junit_passed + checks_passed)) passed, $((total_junit_failed + checks_failed)) failed"
}

fail_early() {
    echo "FAILED: $1" >&2
    checks_failed=$((checks_failed + 1))
    summary
    exit 1
}

"$scripts/setup-jvm-tools.sh" || fail_early "installing the JVM tools"
"$scripts/generate.sh" kotlin-jvm || fail_early "building and generating the Kotlin bindings"
cargo build --quiet -p keybridge-cli || fail_early "building the CLI (reader simulator)"
check "cargo test -p keybridge-ffi (Rust unit tests of the FFI crate)" cargo test --quiet -p keybridge-ffi --lib
check "cargo test -p keybridge-jni (Rust unit tests of the JNI crate)" cargo test --quiet -p keybridge-jni --lib
check "Android flavour of the Kotlin bindings generates" "$scripts/generate.sh" kotlin-android
check "committed Swift bindings equal a fresh generation" "$scripts/generate.sh" check-swift
check "cargo check --target aarch64-linux-android -p keybridge-ffi (lean: the device build)" "$scripts/check-android.sh"
check "cargo check --target aarch64-linux-android -p keybridge-ffi (full: with the AWS client)" \
    env KEYBRIDGE_FEATURES=aws,service-client,java "$scripts/check-android.sh"
check "every LOAD segment of the built library is 16 KB-aligned" \
    "$scripts/check-page-alignment.sh" "$target_dir/debug/libkeybridge_ffi.so"
refuses_4k() {
    local jnidispatch
    jnidispatch=$(find /usr/lib -name 'libjnidispatch*.so' 2>/dev/null | head -1)
    [[ -n $jnidispatch ]] || { echo "no JNA libjnidispatch here to test the check with" >&2; return 1; }
    ! "$scripts/check-page-alignment.sh" "$jnidispatch" 2>/dev/null
}
check "the alignment check refuses a 4 KB-aligned library (the system JNA's libjnidispatch)" refuses_4k

# --- keybridge-java.jar, and the ported Dspread class against it alone; the device build's size
java_jar="$target_dir/java/keybridge-java.jar"
"$scripts/build-java-jar.sh" >/dev/null || fail_early "building keybridge-java.jar"
rm -rf "$out" && mkdir -p "$out/classes"
ported() {
    mkdir -p "$out/ported" &&
        javac -nowarn -d "$out/ported" -classpath "$java_jar:$android_all_jar" $(find bindings/jni/java/src/ported -name '*.java')
}
check "the ported Dspread classes (key loading, a listener with the vendor's 181 callbacks, a demo-shaped class) compile against keybridge-java.jar alone (+ android-all)" ported
check "the device build's library (x86_64, shipped profile, stripped) is at most 3 MiB" "$scripts/measure-device-library.sh"

# --- compile and run: the shipped feature set ------------------------------------------------
# compile_and_run OUT GENERATED_DIR LIBRARY_DIR KOTLIN_SOURCE_DIRS... -- JAVA_SOURCE_DIRS... [-- EXCLUDED_FILE_NAMES...]
# Compiles the generated bindings with the sources, runs every test found with JUnit against the
# library in LIBRARY_DIR and adds the counts to the totals. Returns 2 if compiling failed, 1 if a
# test failed.
compile_and_run() {
    local run_out="$1" generated="$2" library="$3"
    shift 3
    local kotlin_dirs=() java_dirs=() excluded=() part=kotlin arg
    for arg in "$@"; do
        if [[ $arg == -- ]]; then
            [[ $part == kotlin ]] && part=java || part=excluded
        elif [[ $part == kotlin ]]; then kotlin_dirs+=("$arg")
        elif [[ $part == java ]]; then java_dirs+=("$arg")
        else excluded+=(-not -name "$arg"); fi
    done
    mkdir -p "$run_out/classes"
    local kotlin_sources java_sources
    mapfile -t kotlin_sources < <(find "$generated" "${kotlin_dirs[@]}" -name '*.kt' "${excluded[@]}" | sort)
    mapfile -t java_sources < <(find "${java_dirs[@]}" -name '*.java' "${excluded[@]}" | sort)
    echo "== kotlinc (${#kotlin_sources[@]} files)" >&2
    "$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -classpath "$jvm_test_classpath:$android_all_jar" -d "$run_out/classes" \
        "${kotlin_sources[@]}" "${java_sources[@]}" 2>"$run_out/kotlinc.log" || {
        cat "$run_out/kotlinc.log" >&2
        return 2
    }
    echo "== javac (${#java_sources[@]} files)" >&2
    javac -nowarn -d "$run_out/classes" -classpath "$jvm_test_classpath:$android_all_jar:$run_out/classes" "${java_sources[@]}" \
        2> >(grep -v UnsupportedAppUsage >&2) || return 2
    local declared
    declared=$(cat "${kotlin_sources[@]}" "${java_sources[@]}" | grep -c '^\s*@Test\b')
    run_junit "$run_out" "$declared" -Djna.library.path="$library" -Djava.library.path="$library" \
        -Dkeybridge.vectors="$repo/rust-core/tests/vectors/tr31-published.tsv" -Dkeybridge.cli="$target_dir/debug/keybridge" \
        -Dkeybridge.javaJar="$java_jar" -Dkeybridge.javaExamples="$repo/bindings/jni/java/examples" \
        -Dkeybridge.dspreadApi="$repo/bindings/jni/java/src/test/resources/dspread-sdk-8.5.4-api.txt" \
        --scan-class-path "$run_out/classes"
    total_junit_passed=$((total_junit_passed + junit_passed))
    total_junit_failed=$((total_junit_failed + junit_failed))
    [[ $junit_failed -eq 0 ]]
}

compile_and_run "$out" "$target_dir/bindings/kotlin-jvm" "$target_dir/debug" \
    bindings/kotlin/src/main bindings/kotlin/src/aws bindings/kotlin/src/testing bindings/kotlin/src/test -- bindings/jni/java/src
[[ $? -eq 2 ]] && fail_early "compiling the Kotlin and Java sources"

# --- the lean variant (the device build): no AWS client, its own generated bindings ----------
lean() {
    KEYBRIDGE_TARGET_DIR="$lean_dir" KEYBRIDGE_FEATURES=service-client,java "$scripts/generate.sh" kotlin-jvm || return 1
    "$scripts/check-page-alignment.sh" "$lean_dir/debug/libkeybridge_ffi.so" || return 1
    if nm -D --defined-only "$lean_dir/debug/libkeybridge_ffi.so" | grep -qi awskeyexporter; then
        echo "the lean library exports the AWS exporter" >&2
        return 1
    fi
    compile_and_run "$out/lean" "$lean_dir/bindings/kotlin-jvm" "$lean_dir/debug" \
        bindings/kotlin/src/main bindings/kotlin/src/testing bindings/kotlin/src/test -- bindings/jni/java/src -- AwsExporterTest.kt \
        JavaJarTest.java Tr34DropInTest.java Tr34EndToEndTest.java Tr34KeyLoaderTest.kt
}
check "the lean variant (key service client, no AWS client) builds, generates its bindings, loads and passes the tests that need no AWS client" lean

summary
[[ $((total_junit_failed + checks_failed)) -eq 0 ]]
