# Sourced (not run) by the scripts that build the libraries apps and integrators ship
# (build-android.sh, build-java-jar.sh, measure-device-library.sh): the release profile optimized
# for size, which a phone app and a jar care about more than the last percent of speed (key
# loading waits on the reader and the network; the block ciphers use the CPU's AES instructions
# and ring's assembly either way): fat LTO, one codegen unit, opt-level "s" (with fat LTO 16 KB
# smaller than "z" for the device build, and faster). Those scripts also build with the `quiet`
# feature (bindings/ffi/Cargo.toml: the dependencies' log records compiled out). Set through cargo's
# environment so the workspace's own release profile (benchmarks) stays as it is. These builds go
# to their own target directory, SHIPPED_TARGET_DIR, so that the two profiles never rebuild each
# other's artifacts. Expects $repo.
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s
SHIPPED_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}/shipped"
