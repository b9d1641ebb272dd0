#!/usr/bin/env bash
# Builds bindings/swift/KeyBridgeFFI.xcframework (the Rust static library for iOS devices, the iOS
# simulator and macOS, with the committed C header and module map) for the Swift package.
# Needs macOS with Xcode. Not run by the tests (no Apple toolchain here).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
lib=libkeybridge_ffi.a
out=bindings/swift/KeyBridgeFFI.xcframework
work=target/xcframework

for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin; do
    rustup target add "$target"
    cargo build --release -p keybridge-ffi --lib --target "$target"
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
