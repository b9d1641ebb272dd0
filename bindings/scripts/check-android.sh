#!/usr/bin/env bash
# `cargo check --target aarch64-linux-android` of the library an Android app ships: the lean
# variant, the device build (features service-client,java; KEYBRIDGE_FEATURES to check another).
#
# rustls's crypto provider `ring` compiles C and assembly in its build script, which runs under
# `cargo check` too, so a C compiler for the target is needed. The NDK's clang is the real one
# (bindings/scripts/build-android.sh); without an NDK, as here, the host's clang does for a check:
# ring's sources need only the headers a compiler brings (`-ffreestanding -nostdlibinc`, and
# RING_CORE_NOSTDLIBINC for its assertions), so no Android sysroot is involved. Nothing is
# linked: a check, not a build. Installs clang from the distribution (apt) when it is missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
features="${KEYBRIDGE_FEATURES:-service-client,java}"
target=aarch64-linux-android

if ! command -v clang >/dev/null; then
    echo "setup: apt-get install clang" >&2
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq clang >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target" >/dev/null

llvm_bin="$(dirname "$(readlink -f "$(command -v clang)")")"
CC_aarch64_linux_android=clang \
    AR_aarch64_linux_android="$llvm_bin/llvm-ar" \
    CFLAGS_aarch64_linux_android="--target=${target}24 -ffreestanding -nostdlibinc -DRING_CORE_NOSTDLIBINC" \
    cargo check --quiet -p keybridge-ffi --lib --no-default-features --features "$features" --target "$target"
echo "cargo check --target $target (features: $features): ok" >&2
