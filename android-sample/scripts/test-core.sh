#!/usr/bin/env bash
# Tests the sample app on the host JVM and exits non-zero on any failure:
#   1. tools (bindings/scripts/setup-jvm-tools.sh: a JDK and Maven; the rest are Maven dependencies)
#   2. the library the app ships, the lean variant (the device build: features service-client,java,
#      no AWS SDK) in target/lean, and its JVM-flavour Kotlin (bindings/scripts/generate.sh
#      kotlin-jvm), and the CLI whose `keybridge simulate`, `keybridge serve` and
#      `keybridge aws-emulator` the tests start as child processes
#   3. Maven (the root pom.xml): android-sample/core (the app's logic, generated bindings + core +
#      the shared key service fixture) under Surefire, loading libkeybridge_ffi from
#      target/lean/debug through JNA; then android-sample/app's Bluetooth SPP, BLE and USB serial
#      transports (and the root-certificate helper, compiled only), compiled against Android 14's
#      framework classes and run under Robolectric (offline): SPP and BLE driven through its
#      Bluetooth shadows into the reader simulator, USB through its UsbManager/UsbDeviceConnection
#      shadows
# The last line is the summary: `N passed, N failed`.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
bindings_scripts="$repo/bindings/scripts"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
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

rm -rf "$target_dir/maven/sample"
kb_mvn verify -pl android-sample/core,android-sample/app || fail_early "building android-sample (mvn verify)"
surefire_counts "$(declared_tests android-sample/core/src/test android-sample/app/src/robolectric)" "$target_dir/maven/sample"
echo "$junit_passed passed, $junit_failed failed"
[[ $junit_failed -eq 0 ]]
