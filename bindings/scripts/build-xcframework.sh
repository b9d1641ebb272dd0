#!/usr/bin/env bash
# Builds bindings/swift/KeyBridgeFFI.xcframework (the Rust static library for iOS devices, the iOS
# simulator and macOS, with the committed C header and module map) for the Swift package, and for
# a release zips it and writes its URL and checksum into the root Package.swift:
#
#   build-xcframework.sh                      → the XCFramework (use it with KEYBRIDGE_LOCAL_XCFRAMEWORK=1)
#   build-xcframework.sh --release URL        → also KeyBridgeFFI.xcframework.zip and Package.swift's
#                                               xcframeworkURL = URL, xcframeworkChecksum = its SHA-256;
#                                               upload the zip to URL and commit Package.swift
#
# Features `aws,service-client,quiet` (the generated Swift is generated from a library with the same
# uniffi surface: `aws,service-client,java`, where `java` adds only JNI entry points), without
# `serial`: serialport links IOKit,
# which App Store review rejects. Needs macOS with Xcode. Not run by the tests (no Apple toolchain
# here); test-bindings.sh keeps the committed Swift equal to a fresh generation.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
lib=libkeybridge_ffi.a
out=bindings/swift/KeyBridgeFFI.xcframework
work=target/xcframework
release_url=""
if [[ "${1:-}" == --release ]]; then
    release_url="${2:?usage: $0 [--release URL]}"
fi

for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin; do
    rustup target add "$target"
    cargo build --release -p keybridge-ffi --lib --no-default-features --features aws,service-client,quiet --target "$target"
done

rm -rf "$work" "$out"
mkdir -p "$work/headers" "$work/ios-sim" "$work/macos"
# The same header and module map SwiftPM users compile against (module KeyBridgeFFI).
cp bindings/swift/FFI/KeyBridgeFFI.h bindings/swift/FFI/module.modulemap "$work/headers/"
lipo -create target/aarch64-apple-ios-sim/release/$lib target/x86_64-apple-ios/release/$lib -output "$work/ios-sim/$lib"
lipo -create target/aarch64-apple-darwin/release/$lib target/x86_64-apple-darwin/release/$lib -output "$work/macos/$lib"

xcodebuild -create-xcframework \
    -library target/aarch64-apple-ios/release/$lib -headers "$work/headers" \
    -library "$work/ios-sim/$lib" -headers "$work/headers" \
    -library "$work/macos/$lib" -headers "$work/headers" \
    -output "$out"
echo "built $out" >&2

if [[ -n $release_url ]]; then
    zip="$repo/bindings/swift/KeyBridgeFFI.xcframework.zip"
    rm -f "$zip"
    (cd bindings/swift && zip -qry "$zip" KeyBridgeFFI.xcframework)
    checksum=$(swift package compute-checksum "$zip")
    sed -i '' -e "s|^let xcframeworkURL = .*|let xcframeworkURL = \"$release_url\"|" \
        -e "s|^let xcframeworkChecksum = .*|let xcframeworkChecksum = \"$checksum\"|" Package.swift
    echo "wrote $zip (checksum $checksum) and its URL and checksum into Package.swift: upload the zip to $release_url, commit Package.swift" >&2
fi
