#!/usr/bin/env bash
# Independent TR-31 implementations against keybridge, installed from the package registries:
#   - psec from PyPI (tests/peers/psec/check.py, in a venv under .tools/): versions A-D both ways,
#     through the keybridge CLI;
#   - paysec-keyblock from crates.io (rust-core/tests/tr31_peer_paysec.rs, run by cargo nextest).
# The Go module proxy does not serve moov-io/tr31 (it answers 403 "not available"), so there is
# no Go peer; see the README's "Independent peers".
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
