#!/usr/bin/env bash
# Independent implementations against keybridge, installed from the package registries:
#   - TR-31: psec from PyPI (tests/peers/psec/check.py, in a venv under .tools/): versions A-D both
#     ways, through the keybridge CLI; paysec-keyblock from crates.io
#     (rust-core/tests/tr31_peer_paysec.rs, run by cargo nextest). The Go module proxy does not
#     serve moov-io/tr31 (it answers 403 "not available"), so there is no Go peer.
#   - TR-34: BouncyCastle 1.87 from Maven Central (tests/peers/bouncycastle, a standalone Maven
#     project with JUnit 5): verifies and opens tokens `keybridge tr34 build` writes, both shapes,
#     refuses them tampered; builds tokens `keybridge tr34 unwrap` must open, and broken ones it
#     must refuse naming the check.
# See the README ("TR-31 key blocks", "TR-34: a reader's own KEK").
set -euo pipefail
cd "$(dirname "$0")/../.."

PSEC_VERSION=1.3.0
venv=.tools/peers-venv
if ! "$venv/bin/python" -c "import psec" 2>/dev/null; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet "psec==$PSEC_VERSION"
fi

cargo build --quiet -p keybridge-cli
"$venv/bin/python" tests/peers/psec/check.py target/debug/keybridge

if ! command -v mvn >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq maven
fi
bc=tests/peers/bouncycastle
rm -rf "$bc/target/surefire-reports"
mvn -q -B -f "$bc/pom.xml" test -Dkeybridge.bin="$PWD/target/debug/keybridge"
# mvn -q prints nothing on success: one line with surefire's counts.
awk -F'"' '/<testsuite /{for (i = 1; i < NF; i++) if ($i ~ /(^| )tests=$/) n += $(i + 1)} END {print "BouncyCastle TR-34 peer: " n " tests passed"}' \
    "$bc"/target/surefire-reports/TEST-*.xml
