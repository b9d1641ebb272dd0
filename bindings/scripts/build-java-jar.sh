#!/usr/bin/env bash
# Builds keybridge-java.jar for Java integrators, with no build tool but the JDK's javac and jar:
#   * keybridge's Java API: io.keybridge.jni (NativeKeyLoader, NativeKeyService and provisioning)
#     and io.keybridge.dspread (the Dspread-compatible QPOSService), compiled for Java 11
#   * the native library for linux-x86_64 as the class-path resource
#     linux-x86-64/libkeybridge_ffi.so (JNA's layout), which io.keybridge.jni.NativeLibrary copies
#     out and loads at first use when the library is not on java.library.path: the shipped profile
#     (shipped-profile.sh), stripped, features service-client,serial,java (a desktop's: the key
#     service client, and serial ports for a key-injection station's USB readers; not the AWS
#     client, which the Java API lacks) and quiet
# Writes TARGET/java/keybridge-java.jar (TARGET: CARGO_TARGET_DIR or target/) and prints its path.
# The example bindings/jni/java/examples/ProvisionStation.java compiles and runs against it alone
# (JavaJarTest, run by test-bindings.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
out="$target_dir/java"
source "$repo/bindings/scripts/shipped-profile.sh"
[[ "$(uname -sm)" == "Linux x86_64" ]] || { echo "the jar carries the linux-x86_64 library: build it there" >&2; exit 1; }

cargo build --quiet --release -p keybridge-ffi --lib --no-default-features --features service-client,serial,java,quiet \
    --target-dir "$SHIPPED_TARGET_DIR"
rm -rf "$out" && mkdir -p "$out/classes/linux-x86-64"
mapfile -t sources < <(find bindings/jni/java/src/main -name '*.java' | sort)
# The Android classes the API's signatures name are compile-only (setup-jvm-tools.sh fetches them).
source "$repo/bindings/scripts/jvm-env.sh"
[[ -f "$android_all_jar" ]] || "$repo/bindings/scripts/setup-jvm-tools.sh"
javac -nowarn --release 11 -d "$out/classes" -classpath "$android_all_jar" "${sources[@]}" 2> >(grep -v UnsupportedAppUsage >&2)
strip --strip-all -o "$out/classes/linux-x86-64/libkeybridge_ffi.so" "$SHIPPED_TARGET_DIR/release/libkeybridge_ffi.so"
jar --create --file "$out/keybridge-java.jar" -C "$out/classes" .
echo "$out/keybridge-java.jar"
