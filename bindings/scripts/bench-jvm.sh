#!/usr/bin/env bash
# Per-call overhead from Java and Kotlin, with JMH (bindings/jmh: InspectBenchmark): one key block
# inspect through JNI (keybridge-java's Tr31Header.inspect) and through the uniffi Kotlin bindings
# over JNA, and the parts of the JNA call, against the library keybridge-java ships
# (build-java-jar.sh: shipped profile, features aws,service-client,serial,java,quiet, a superset of
# the generated bindings' aws,service-client,java). Compare with `cargo bench -p keybridge-ffi --bench inspect`
# (the same calls in Rust). Not part of the tests: a benchmark, not an assertion.
# bindings/README.md, "Call overhead from the JVM", has the figures. Extra arguments go to JMH
# (e.g. `-f 3 -wi 5 -i 10`, or a benchmark name pattern).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
source bindings/scripts/jvm-env.sh

bindings/scripts/setup-jvm-tools.sh
bindings/scripts/generate.sh kotlin-jvm
bindings/scripts/build-java-jar.sh --library-only
library="$target_dir/java/native/linux-x86-64"

kb_mvn -q package -DskipTests -Dmaven.javadoc.skip=true -Ddokka.skip=true -Dkeybridge.variant=bench -pl bindings/jmh -am
jmh="$target_dir/maven/bench/keybridge-jmh"
# JMH's forks inherit these JVM options: both paths load the shipped library.
java -Djna.library.path="$library" -Djava.library.path="$library" \
    -cp "$jmh/classes:$(cat "$jmh/classpath.txt")" org.openjdk.jmh.Main "$@"
