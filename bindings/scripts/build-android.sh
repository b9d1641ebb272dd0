#!/usr/bin/env bash
# Builds what the Android library module (bindings/kotlin/android) packages, for one variant:
#   * libkeybridge_ffi.so for each ABI — one Rust core with the uniffi and the JNI entry points —
#     release, stripped, into bindings/kotlin/android/jniLibs/<variant>/<abi>/ (cargo ndk)
#   * the Android flavour of the generated Kotlin (`android = true`), generated from an unstripped
#     host library built with the same features
# Variants (KEYBRIDGE_VARIANT): `full` (features aws,service-client,java; the default) and `lean`
# (service-client,java: the device build, no AWS SDK; for apps that get their keys from the key
# service), both with `quiet` (no log records of the dependencies). Serial ports are in neither.
# Then: (cd bindings/kotlin/android && gradle assembleRelease -Pkeybridge.variant=<variant>).
#
# Needs the Android NDK r27 or later (ANDROID_NDK_HOME) and `cargo install cargo-ndk`. The
# libraries are linked with `-z max-page-size=16384` (bindings/ffi/build.rs, for every ELF
# target): 16 KB-aligned, as Android 15+ devices with 16 KB pages and Google Play require; this
# script checks that with the NDK's llvm-readelf. Not run by the tests: this machine has no NDK
# (test-bindings.sh checks the host build's alignment and `cargo check`s the Android target).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
abis=(${KEYBRIDGE_ANDROID_ABIS:-arm64-v8a armeabi-v7a x86_64})
min_api="${KEYBRIDGE_ANDROID_API:-24}"
variant="${KEYBRIDGE_VARIANT:-full}"
case "$variant" in
    full) features=aws,service-client,java,quiet ;;
    lean) features=service-client,java,quiet ;;
    *) echo "KEYBRIDGE_VARIANT is full or lean, not $variant" >&2; exit 1 ;;
esac

command -v cargo-ndk >/dev/null || { echo "cargo-ndk missing: cargo install cargo-ndk" >&2; exit 1; }
[[ -n "${ANDROID_NDK_HOME:-}" ]] || { echo "set ANDROID_NDK_HOME to the NDK (r27 or later)" >&2; exit 1; }
ndk_major=$(sed -n 's/^Pkg.Revision *= *\([0-9]*\).*/\1/p' "$ANDROID_NDK_HOME/source.properties")
if ((${ndk_major:-0} < 27)); then
    echo "NDK r${ndk_major:-?} at $ANDROID_NDK_HOME: r27 or later is needed for 16 KB page support" >&2
    exit 1
fi

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

out="bindings/kotlin/android/jniLibs/$variant"
rm -rf "$out"
# Release libraries for the app with the shipped profile (size-optimized), stripped; the generator
# reads the unstripped host build below.
source bindings/scripts/shipped-profile.sh
CARGO_PROFILE_RELEASE_STRIP=symbols cargo ndk "${targets[@]}" --platform "$min_api" -o "$out" \
    build --release -p keybridge-ffi --lib --no-default-features --features "$features"

readelf=$(find "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" -name llvm-readelf -type f | head -1)
READELF="$readelf" bindings/scripts/check-page-alignment.sh "$out"/*/libkeybridge_ffi.so

generated_in="$repo/target"
[[ $variant == lean ]] && generated_in="$repo/target/lean"
KEYBRIDGE_FEATURES="$features" KEYBRIDGE_TARGET_DIR="$generated_in" bindings/scripts/generate.sh kotlin-android
echo "built the $variant variant: $out, $generated_in/bindings/kotlin-android" >&2
