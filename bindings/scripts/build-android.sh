#!/usr/bin/env bash
# Builds what the Android library module (bindings/kotlin/android) packages:
#   * libkeybridge_ffi.so and libkeybridge_jni.so for each ABI, release, stripped, into
#     bindings/kotlin/android/src/main/jniLibs/<abi>/ (cargo ndk: needs the Android NDK and
#     `cargo install cargo-ndk`)
#   * the Android flavour of the generated Kotlin (`android = true`) into
#     target/bindings/kotlin-android, generated from the unstripped host library
# Then: (cd bindings/kotlin/android && gradle assembleRelease).
# Not run by the tests: this machine has no NDK. `cargo check --target aarch64-linux-android` of
# the FFI crate (without the `aws` feature) is part of test-bindings.sh.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
abis=(${KEYBRIDGE_ANDROID_ABIS:-arm64-v8a armeabi-v7a x86_64})
min_api="${KEYBRIDGE_ANDROID_API:-24}"

command -v cargo-ndk >/dev/null || { echo "cargo-ndk missing: cargo install cargo-ndk" >&2; exit 1; }
[[ -n "${ANDROID_NDK_HOME:-}" ]] || { echo "set ANDROID_NDK_HOME to the NDK (r26 or later)" >&2; exit 1; }

targets=()
for abi in "${abis[@]}"; do
    case "$abi" in
        arm64-v8a) rustup target add aarch64-linux-android ;;
        armeabi-v7a) rustup target add armv7-linux-androideabi ;;
        x86_64) rustup target add x86_64-linux-android ;;
        x86) rustup target add i686-linux-android ;;
        *) echo "unknown ABI $abi" >&2; exit 1 ;;
    esac
    targets+=(-t "$abi")
done

# Release libraries for the app, stripped (the generator reads the unstripped host build below).
CARGO_PROFILE_RELEASE_STRIP=symbols cargo ndk "${targets[@]}" --platform "$min_api" \
    -o bindings/kotlin/android/src/main/jniLibs build --release -p keybridge-ffi -p keybridge-jni

bindings/scripts/generate.sh kotlin-android
