#!/usr/bin/env bash
# Regenerates the reader simulator's TR-34 identities (OpenSSL 3). Test material only: these
# private keys are public. Run from anywhere: `testkit/src/simulator/krd_pki/make.sh`.
#
#   device-ca    the test device CA (its key is deleted after issuing)
#   krd-NN       reader NN's RSA-2048 key and device certificate, issued by device-ca (NN = 01..32)
#
# Committed rather than generated at start: RSA-2048 key generation in a debug build takes seconds
# per key. The KDH CA readers trust by default is the AWS emulator's (../../emulator/tr34_pki).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
days=36500
cd "$here"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out device-ca.key 2>/dev/null
openssl req -new -x509 -key device-ca.key -subj "/C=US/O=keybridge testkit/CN=keybridge testkit device CA" \
  -days $days -sha256 -set_serial 0x4B54444341 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -out device-ca.pem
for n in $(seq -w 1 32); do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "krd-$n.key" 2>/dev/null
  openssl req -new -key "krd-$n.key" -subj "/C=US/O=keybridge testkit/CN=QPOS simulator $n" -out "krd-$n.csr"
  openssl x509 -req -in "krd-$n.csr" -CA device-ca.pem -CAkey device-ca.key -set_serial "0x4B5244$n" \
    -days $days -sha256 -out "krd-$n.pem" >/dev/null 2>&1
  rm "krd-$n.csr"
done
rm device-ca.key
