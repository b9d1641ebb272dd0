#!/usr/bin/env bash
# Generates the foreign-language bindings of bindings/ffi from a debug cdylib built with the same
# features as the library they will ship with: uniffi bindings call every exported function of
# the library they were generated from, so bindings from a fuller build fail to load against a
# leaner library (`undefined symbol …awskeyexporter_new`).
#
#   generate.sh kotlin-jvm      → LIB_DIR/bindings/kotlin-jvm/io/keybridge/*.kt     (host JVM, tests)
#   generate.sh kotlin-android  → LIB_DIR/bindings/kotlin-android/io/keybridge/*.kt (the AAR)
#   generate.sh swift           → rewrites the committed bindings/swift sources, header, modulemap
#   generate.sh check-swift     → fails if the committed Swift differs from a fresh generation
#   generate.sh                 → all of the above except `swift`
#
# KEYBRIDGE_FEATURES picks the feature set (default `aws,service-client,java`: the full Android
# AAR's, the iOS package's — `java` adds JNI entry points, not uniffi ones — and the host tests');
# the lean variant, the device build (the key service client, no AWS SDK), is
# `service-client,java`, built into its own target directory KEYBRIDGE_TARGET_DIR (LIB_DIR above;
# default: the main one), so that it never replaces the library the other tests load.
# Serial ports are desktop-only and in no mobile feature set.
#
# The library must be unstripped: uniffi reads its interface from metadata symbols in the binary.
# Generated Kotlin is a build product (not committed); generated Swift is committed because SwiftPM
# consumers build from the repository without a Rust toolchain. `--no-format` keeps the output
# independent of whether ktlint/swift-format happen to be installed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
main_target_dir="${CARGO_TARGET_DIR:-$repo/target}"
target_dir="${KEYBRIDGE_TARGET_DIR:-$main_target_dir}"
features="${KEYBRIDGE_FEATURES:-aws,service-client,java}"
lib="$target_dir/debug/libkeybridge_ffi.so"
[[ "$(uname -s)" == Darwin ]] && lib="$target_dir/debug/libkeybridge_ffi.dylib"
# One generator for every feature set, built in the main target directory.
bindgen="$main_target_dir/debug/uniffi-bindgen"

build() {
    # The generator first, then the library: with the `cli` feature cargo rebuilds the library
    # too, and the cdylib the tests load must be the one with the shipped feature set.
    cargo build --quiet -p keybridge-ffi --features cli --bin uniffi-bindgen
    cargo build --quiet -p keybridge-ffi --lib --no-default-features --features "$features" --target-dir "$target_dir"
}

generate() { # language config out-dir
    rm -rf "$3"
    "$bindgen" generate "$lib" --language "$1" --config "$2" --out-dir "$3" --no-format >/dev/null
}

kotlin() { # flavour config
    generate kotlin "$2" "$target_dir/bindings/kotlin-$1"
    echo "generated $target_dir/bindings/kotlin-$1 (features: $features)" >&2
}

# Writes the SwiftPM layout under $1: Sources/KeyBridge/KeyBridge.swift and the C module
# (header + module.modulemap, the name Clang looks for) under FFI/ for the XCFramework.
swift_into() {
    local raw
    raw="$(mktemp -d)"
    generate swift uniffi.toml "$raw"
    mkdir -p "$1/Sources/KeyBridge" "$1/FFI"
    cp "$raw/KeyBridge.swift" "$1/Sources/KeyBridge/KeyBridge.swift"
    cp "$raw/KeyBridgeFFI.h" "$1/FFI/KeyBridgeFFI.h"
    cp "$raw/KeyBridgeFFI.modulemap" "$1/FFI/module.modulemap"
    rm -rf "$raw"
}

check_swift() {
    local fresh
    fresh="$(mktemp -d)"
    swift_into "$fresh"
    local status=0
    for f in Sources/KeyBridge/KeyBridge.swift FFI/KeyBridgeFFI.h FFI/module.modulemap; do
        if ! diff -q "$fresh/$f" "bindings/swift/$f" >/dev/null 2>&1; then
            echo "bindings/swift/$f is stale: run bindings/scripts/generate.sh swift and commit" >&2
            status=1
        fi
    done
    rm -rf "$fresh"
    [[ $status -eq 0 ]] && echo "bindings/swift matches a fresh generation" >&2
    return $status
}

build
case "${1:-all}" in
    kotlin-jvm) kotlin jvm uniffi.toml ;;
    kotlin-android) kotlin android bindings/kotlin/uniffi-android.toml ;;
    swift) swift_into bindings/swift && echo "regenerated bindings/swift" >&2 ;;
    check-swift) check_swift ;;
    all)
        kotlin jvm uniffi.toml
        kotlin android bindings/kotlin/uniffi-android.toml
        check_swift
        ;;
    *)
        echo "usage: $0 [kotlin-jvm|kotlin-android|swift|check-swift|all]" >&2
        exit 2
        ;;
esac
