#!/usr/bin/env bash
# The size of the library mobile apps ship, the device build (features service-client,java: the
# key service client, JNI and uniffi, no AWS SDK, no serial ports; plus quiet, as every shipped
# build), built for x86_64 with the shipped profile (shipped-profile.sh: release, LTO, opt-level s)
# and stripped (`strip
# --strip-all`, as CARGO_PROFILE_RELEASE_STRIP=symbols does for the Android libraries). Prints the
# size; fails above KEYBRIDGE_MAX_DEVICE_BYTES (default 3 MiB: 3 145 728 bytes). The Android ABIs'
# libraries (build-android.sh, same profile) are of the same order; this is the one built here.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
source "$repo/bindings/scripts/shipped-profile.sh"
max="${KEYBRIDGE_MAX_DEVICE_BYTES:-3145728}"
built="$SHIPPED_TARGET_DIR/release/libkeybridge_ffi.so"
out="$SHIPPED_TARGET_DIR/device-size"

cargo build --quiet --release -p keybridge-ffi --lib --no-default-features --features service-client,java,quiet \
    --target-dir "$SHIPPED_TARGET_DIR"
mkdir -p "$out"
strip --strip-all -o "$out/libkeybridge_ffi.so" "$built"
bytes=$(stat -c %s "$out/libkeybridge_ffi.so")
unstripped=$(stat -c %s "$built")
echo "device build (service-client,java), x86_64 release: $bytes bytes stripped ($((bytes / 1024)) KiB), $unstripped unstripped; limit $max" >&2
((bytes <= max))
