#!/usr/bin/env bash
# Installs what the host-JVM binding tests need, idempotently: JNA and JUnit 5 from the
# distribution (apt), the Kotlin compiler from the npm registry into the git-ignored `.tools/` of the repository,
# Robolectric's android-all (compile-only Android classes) from Maven Central into ~/.m2 with Maven.
# Prints nothing but progress; exits non-zero when an install fails.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$repo/bindings/scripts/jvm-env.sh"

need_apt=()
[[ -f "$java_share/jna.jar" ]] || need_apt+=(libjna-java)
[[ -f "$junit_jar" ]] || need_apt+=(junit5)
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)
[[ -f "$android_all_jar" ]] || command -v mvn >/dev/null || need_apt+=(maven)
if ((${#need_apt[@]})); then
    echo "setup: apt-get install ${need_apt[*]}" >&2
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [[ ! -x "$kotlin_home/bin/kotlinc" ]]; then
    echo "setup: npm install kotlin-compiler@$kotlin_version into $kotlin_prefix" >&2
    mkdir -p "$kotlin_prefix"
    npm install --silent --no-audit --no-fund --prefix "$kotlin_prefix" "kotlin-compiler@$kotlin_version" >/dev/null
fi

if [[ ! -f "$android_all_jar" ]]; then
    echo "setup: mvn dependency:get org.robolectric:android-all:$android_all_version" >&2
    mvn -q dependency:get -Dartifact="org.robolectric:android-all:$android_all_version" >/dev/null
fi
