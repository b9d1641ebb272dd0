#!/usr/bin/env bash
# Installs what the host-JVM builds need, idempotently: a JDK (17+) and Maven, from the
# distribution (apt) when missing. Everything else (JNA, Kotlin, JUnit, Robolectric, JMH) is a
# Maven dependency at the exact version the poms name, fetched from Maven Central into ~/.m2 on
# the first build and read from there afterwards.
# Prints nothing but progress; exits non-zero when an install fails.
set -euo pipefail

need_apt=()
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need_apt+=(maven)
if ((${#need_apt[@]})); then
    echo "setup: apt-get install ${need_apt[*]}" >&2
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
