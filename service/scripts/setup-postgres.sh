#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries (initdb, pg_ctl) are installed, for the key
# service's PostgreSQL tests, which start a cluster of their own. Idempotent: does nothing when
# they are there. Installs Debian's `postgresql` package otherwise (as root, or through sudo).
set -euo pipefail

have_server() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if have_server; then
    echo "PostgreSQL server binaries present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "installing PostgreSQL (apt package postgresql)"
$sudo apt-get update -qq
# Only the binaries are needed: the tests run their own clusters, so stop any the package starts.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r version name _; do
        $sudo pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    done
fi
have_server || { echo "PostgreSQL install did not provide initdb and pg_ctl" >&2; exit 1; }
