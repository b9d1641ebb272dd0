#!/usr/bin/env bash
# Builds keybridge-java and keybridge-kotlin, the jars JVM integrators add (io.keybridge:keybridge-java,
# io.keybridge:keybridge-kotlin; poms bindings/jni/java, bindings/kotlin), with their -sources and
# -javadoc jars:
#   * keybridge's Java API: io.keybridge.jni (NativeKeyLoader, NativeKeyService and provisioning)
#     and io.keybridge.dspread (the Dspread-compatible QPOSService), compiled for Java 11
#   * the native library for linux-x86_64 as the class-path resource
#     linux-x86-64/libkeybridge_ffi.so (JNA's layout), which io.keybridge.jni.NativeLibrary copies
#     out and loads at first use when the library is not on java.library.path: the shipped profile
#     (shipped-profile.sh), stripped, features aws,service-client,serial,java (a desktop's: the key
#     service client, serial ports for a key-injection station's USB readers, and the AWS exporter,
#     which keybridge-kotlin's bindings (generated from the aws,service-client,java build) call, so
#     that both jars run on this one library) and quiet. Cargo builds it into TARGET/java/native/,
#     where the pom takes it from.
# Writes TARGET/maven/full/keybridge-{java,kotlin}/keybridge-{java,kotlin}-VERSION{,-sources,-javadoc}.jar
# (TARGET: CARGO_TARGET_DIR or target/) and prints the two jars' paths. `--library-only` builds the
# library and stops (test-bindings.sh, whose Maven build packages the jars). The example
# bindings/jni/java/examples/ProvisionStation.java compiles and runs against keybridge-java alone
# (JavaJarTest), and bindings/kotlin/examples/InspectBlock.java runs against keybridge-kotlin and
# its dependencies alone (both run by test-bindings.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
source "$repo/bindings/scripts/shipped-profile.sh"
source "$repo/bindings/scripts/jvm-env.sh"
[[ "$(uname -sm)" == "Linux x86_64" ]] || { echo "the jar carries the linux-x86_64 library: build it there" >&2; exit 1; }

cargo build --quiet --release -p keybridge-ffi --lib --no-default-features --features aws,service-client,serial,java,quiet \
    --target-dir "$SHIPPED_TARGET_DIR"
native="$target_dir/java/native/linux-x86-64"
mkdir -p "$native"
strip --strip-all -o "$native/libkeybridge_ffi.so" "$SHIPPED_TARGET_DIR/release/libkeybridge_ffi.so"
[[ ${1:-} == --library-only ]] && exit 0

"$repo/bindings/scripts/setup-jvm-tools.sh"
"$repo/bindings/scripts/generate.sh" kotlin-jvm
kb_mvn -q package -DskipTests -pl bindings/jni/java,bindings/kotlin >&2
version=$(sed -n 's|^    <version>\(.*\)</version>|\1|p' "$repo/pom.xml" | head -1)
echo "$target_dir/maven/full/keybridge-java/keybridge-java-$version.jar"
echo "$target_dir/maven/full/keybridge-kotlin/keybridge-kotlin-$version.jar"
