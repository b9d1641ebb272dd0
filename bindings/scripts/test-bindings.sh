#!/usr/bin/env bash
# Runs every binding test on this host and exits non-zero on any failure:
#   1. installs the JVM tools if missing (setup-jvm-tools.sh: a JDK and Maven from apt; the
#      libraries are Maven dependencies of the root pom.xml)
#   2. builds the one native library (uniffi + JNI, features `aws,service-client,java`: what the
#      full Android AAR and the iOS package ship) and the CLI (reader simulator, key service, AWS
#      emulator), generates the Kotlin bindings (JVM and Android flavours) and checks that the
#      committed Swift equals a fresh generation
#   3. the FFI crate's Rust unit tests, `cargo check --target aarch64-linux-android` of the lean
#      and the full library (check-android.sh: the host's clang compiles ring's C for the check),
#      and the 16 KB alignment of every LOAD segment of the built libraries (readelf)
#   4. the library keybridge-java carries (build-java-jar.sh --library-only: linux-x86_64, shipped
#      profile, stripped) and the device build's library size (measure-device-library.sh: at most
#      3 MiB stripped)
#   5. Maven (`verify`, the root pom.xml): keybridge-java (jar, sources, javadoc, the library
#      inside), the ported Dspread key-loading class compiled against keybridge-java alone
#      (bindings/jni/java/src/ported: the vendor demo's shape must compile), keybridge-kotlin and
#      the host-JVM tests of both layers under Surefire (JUnit 5) against `keybridge simulate`,
#      `keybridge aws-emulator` and `keybridge serve` processes, the jar consumer test
#      (JavaJarTest: the example station against the packaged jar alone), the Dspread drop-in's
#      Handler and main-Looper delivery under Robolectric (offline), and the JMH benchmarks compile
#   6. the lean variant, the device build (features `service-client,java`: the key service client,
#      no AWS SDK), built into target/lean: its own generated Kotlin, loaded on the host JVM,
#      running every test that needs no AWS client in the library (provisioning included)
# The last line is the summary: `N passed, N failed` (Surefire's tests plus the script checks).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
scripts="$repo/bindings/scripts"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
lean_dir="$target_dir/lean"
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
    local libjava
    libjava="$(dirname "$(readlink -f "$(command -v java)")")/../lib/libjava.so"
    [[ -f $libjava ]] || { echo "no libjava.so beside $(command -v java) to test the check with" >&2; return 1; }
    ! "$scripts/check-page-alignment.sh" "$libjava" 2>/dev/null
}
check "the alignment check refuses a 4 KB-aligned library (the JDK's libjava.so)" refuses_4k

# --- the library inside keybridge-java; the device build's size --------------------------------
"$scripts/build-java-jar.sh" --library-only || fail_early "building the library keybridge-java carries"
check "the device build's library (x86_64, shipped profile, stripped) is at most 3 MiB" "$scripts/measure-device-library.sh"

# --- Maven: the shipped feature set ------------------------------------------------------------
# run_maven VARIANT DECLARED MAVEN_ARGS…: runs Maven, then adds the variant's Surefire counts to
# the totals. Returns 2 if the build broke (compiling, packaging), 1 if a test failed.
run_maven() {
    local variant="$1" declared="$2"
    shift 2
    rm -rf "$target_dir/maven/$variant"
    echo "== mvn $* ($variant)" >&2
    kb_mvn "$@" || return 2
    surefire_counts "$declared" "$target_dir/maven/$variant"
    total_junit_passed=$((total_junit_passed + junit_passed))
    total_junit_failed=$((total_junit_failed + junit_failed))
    [[ $junit_failed -eq 0 ]]
}

jvm_tests=(bindings/kotlin/src/test bindings/jni/java/src/test bindings/robolectric/src/test)
run_maven full "$(declared_tests "${jvm_tests[@]}")" verify \
    -pl bindings/jni/java,bindings/jni/java/src/ported,bindings/kotlin,bindings/robolectric,bindings/jmh
[[ $? -eq 2 ]] && fail_early "building the Java and Kotlin artifacts (mvn verify)"
for kind in sources javadoc; do
    check "keybridge-java and keybridge-kotlin have a -$kind jar" \
        test -s "$target_dir/maven/full/keybridge-java/keybridge-java-0.1.0-$kind.jar" -a \
        -s "$target_dir/maven/full/keybridge-kotlin/keybridge-kotlin-0.1.0-$kind.jar"
done
kotlin_consumer() {
    local jars="$target_dir/maven/full/keybridge-kotlin"
    local output
    output=$(java -Djava.library.path="$(mktemp -d)" \
        -cp "$jars/keybridge-kotlin-0.1.0.jar:$(cat "$jars/runtime-classpath.txt")" bindings/kotlin/examples/InspectBlock.java \
        D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34) &&
        [[ $output == "key usage P0" ]] || { echo "$output" >&2; return 1; }
}
check "a program with only keybridge-kotlin and its dependencies on the class path loads the library from keybridge-java" \
    kotlin_consumer
check "keybridge-java carries the linux-x86-64 library" \
    bash -c "jar tf '$target_dir/maven/full/keybridge-java/keybridge-java-0.1.0.jar' | grep -qx 'linux-x86-64/libkeybridge_ffi.so'"

# --- the lean variant (the device build): no AWS client, its own generated bindings ----------
lean() {
    KEYBRIDGE_TARGET_DIR="$lean_dir" KEYBRIDGE_FEATURES=service-client,java "$scripts/generate.sh" kotlin-jvm || return 1
    "$scripts/check-page-alignment.sh" "$lean_dir/debug/libkeybridge_ffi.so" || return 1
    if nm -D --defined-only "$lean_dir/debug/libkeybridge_ffi.so" | grep -qi awskeyexporter; then
        echo "the lean library exports the AWS exporter" >&2
        return 1
    fi
    # Less the AWS exporter's and the TR-34 tests (no AWS client, no tr34 feature) and the jar
    # consumer test (run above).
    local declared
    declared=$(($(declared_tests bindings/kotlin/src/test bindings/jni/java/src/test) -
        $(declared_tests bindings/kotlin/src/test/kotlin/io/keybridge/AwsExporterTest.kt \
            bindings/kotlin/src/test/kotlin/io/keybridge/Tr34KeyLoaderTest.kt \
            bindings/jni/java/src/test/java/io/keybridge/dspread/Tr34DropInTest.java \
            bindings/jni/java/src/test/java/io/keybridge/dspread/Tr34EndToEndTest.java \
            bindings/jni/java/src/test/java/io/keybridge/jni/JavaJarTest.java)))
    run_maven lean "$declared" -Plean test -pl bindings/kotlin -am
}
check "the lean variant (key service client, no AWS client) builds, generates its bindings, loads and passes the tests that need no AWS client" lean

summary
[[ $((total_junit_failed + checks_failed)) -eq 0 ]]
