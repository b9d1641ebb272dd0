# Sourced (not run) by the host-JVM scripts: where the JVM tools are, the class paths, and how a
# JUnit run is read. Expects $repo (the repository root) to be set.

kotlin_version="2.4.20"
kotlin_prefix="$repo/.tools/kotlin-$kotlin_version"
kotlin_home="$kotlin_prefix/node_modules/kotlin-compiler"
java_share=/usr/share/java
junit_jar="$java_share/junit-platform-console-standalone.jar"
# What the generated bindings need at run time, and what the tests need on top.
jvm_classpath="$java_share/jna.jar:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"
jvm_test_classpath="$jvm_classpath:$kotlin_home/lib/kotlin-test.jar:$kotlin_home/lib/kotlin-test-junit5.jar:$junit_jar"
# Compile-only: the Android classes the Dspread-compatible API names in its signatures (Handler,
# UsbDevice, BluetoothDevice), from Robolectric's android-all on Maven Central. Never on a run
# class path: the plain-JVM tests show that keybridge's classes load and run without Android.
android_all_version="14-robolectric-10818077"
android_all_jar="$HOME/.m2/repository/org/robolectric/android-all/$android_all_version/android-all-$android_all_version.jar"

# run_junit OUT_DIR DECLARED_TESTS [-Dname=value…] [JUnit console options…]
# Runs the JUnit console (the -D options go to the JVM) with the test class path plus
# OUT_DIR/classes and sets junit_passed and junit_failed. Counts a failure when JUnit itself fails, and when it found fewer tests than the
# sources declare: JUnit silently skips a test method that does not return void (a Kotlin
# `= runBlocking { … }` whose last expression has a value).
run_junit() {
    local out="$1" declared="$2" arg
    shift 2
    local jvm_args=() junit_args=()
    for arg in "$@"; do
        if [[ $arg == -D* ]]; then jvm_args+=("$arg"); else junit_args+=("$arg"); fi
    done
    echo "== JUnit" >&2
    java "${jvm_args[@]}" -jar "$junit_jar" --disable-banner --disable-ansi-colors --details=tree \
        --class-path "$jvm_test_classpath:$out/classes" --reports-dir "$out/reports" "${junit_args[@]}" |
        tee "$out/junit.log"
    local status=${PIPESTATUS[0]}
    count() { sed -n "s/.*\[ *\([0-9]*\) tests $1 *\].*/\1/p" "$out/junit.log" | head -1; }
    local found
    junit_passed=$(count successful)
    junit_failed=$(count failed)
    found=$(count found)
    junit_passed=${junit_passed:-0}
    junit_failed=${junit_failed:-0}
    if [[ $status -ne 0 && $junit_failed -eq 0 ]]; then
        junit_failed=1 # JUnit itself failed (no engine, a class that cannot load)
    fi
    if ((${found:-0} < declared)); then
        echo "FAILED: $declared @Test methods declared but JUnit found ${found:-0} (a test that does not return void?)" >&2
        junit_failed=$((junit_failed + declared - ${found:-0}))
    fi
}
