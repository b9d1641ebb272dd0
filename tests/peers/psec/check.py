"""psec (PyPI, an independent TR-31 implementation) against the keybridge CLI.

1. psec unwraps every block `keybridge tr31 wrap` writes (versions B and D, every KBPK size, TDES
   and AES keys, an optional block) to the same key and header.
2. keybridge unwraps, in its strict profile, every block psec wraps (versions B, C and D; psec
   obfuscates the key length as X9.143 asks), and a version A block with --allow-weak.
3. A block psec wraps with the real key length is read by keybridge's default profile with a
   warning, and refused by --strict.

Usage: python check.py PATH/TO/keybridge. Prints one line per case and "N passed, 0 failed".
"""

import json
import os
import subprocess
import sys

from psec import tr31

KEYBRIDGE = sys.argv[1]


def keybridge(*args):
    done = subprocess.run([KEYBRIDGE, "tr31", *args], capture_output=True, text=True)
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def check(name, condition, detail=""):
    if not condition:
        raise SystemExit(f"FAILED {name}: {detail}")
    print(f"ok   {name}")
    return 1


passed = 0

# (header template, KBPK length, key length); keybridge fills in the length and any PB.
WRAPPED_BY_KEYBRIDGE = [
    ("B0000P0TE00E0000", 16, 16),
    ("B0000B1TX00N0100KS1800604B120F9292800000", 24, 16),
    ("B0000K0TB00N0000", 24, 24),
    ("D0000P0AE00E0000", 16, 16),
    ("D0000K0AB00N0000", 24, 32),
    ("D0000B1AX00N0000", 32, 24),
    ("D0000D0TB00N0000", 32, 16),
    ("D0000M3TC00N0100KS1800604B120F9292800000", 32, 24),
]

for round_ in range(8):
    for template, kbpk_len, key_len in WRAPPED_BY_KEYBRIDGE:
        kbpk, key = os.urandom(kbpk_len), os.urandom(key_len)
        code, block, err = keybridge("wrap", "--kbpk", kbpk.hex(), "--header", template, "--key", key.hex())
        assert code == 0, err
        header, unwrapped = tr31.unwrap(kbpk, block)
        passed += check(
            f"psec unwraps keybridge's {template[0]} {template[5:9]} (KBPK {kbpk_len}, key {key_len}) #{round_}",
            unwrapped == key and header.key_usage == template[5:7] and header.algorithm == template[7],
            block,
        )

# (header, KBPK length, key length) for psec to wrap.
WRAPPED_BY_PSEC = [
    ("B0000P0TE00E0000", 16, 16),
    ("B0000B0TX00N0000", 24, 24),
    ("C0000K0TB00N0000", 16, 16),
    ("D0000P0AE00E0000", 32, 16),
    ("D0000K0AB00N0000", 16, 32),
    ("D0000B0TX00N0000", 24, 16),
]

for round_ in range(8):
    for template, kbpk_len, key_len in WRAPPED_BY_PSEC:
        kbpk, key = os.urandom(kbpk_len), os.urandom(key_len)
        block = tr31.wrap(kbpk, template, key)
        code, out, err = keybridge("unwrap", "--strict", "--json", "--kbpk", kbpk.hex(), block)
        result = json.loads(out) if code == 0 else {}
        passed += check(
            f"keybridge --strict unwraps psec's {template[0]} {template[5:9]} (KBPK {kbpk_len}, key {key_len}) #{round_}",
            code == 0 and result["key"] == key.hex().upper() and result["warnings"] == [],
            f"{block}: {err}",
        )

kbpk, key = os.urandom(16), os.urandom(16)
version_a = tr31.wrap(kbpk, "A0000P0TE00E0000", key)
code, out, err = keybridge("unwrap", "--json", "--kbpk", kbpk.hex(), version_a)
passed += check("keybridge refuses psec's version A without --allow-weak", code != 0 and "--allow-weak" in err, err)
code, out, err = keybridge("unwrap", "--allow-weak", "--json", "--kbpk", kbpk.hex(), version_a)
passed += check(
    "keybridge unwraps psec's version A with --allow-weak, warning that it is weak",
    code == 0 and json.loads(out)["key"] == key.hex().upper() and "weak wrapping" in json.loads(out)["warnings"][0],
    err,
)

kbpk, key = os.urandom(32), os.urandom(16)
unmasked = tr31.wrap(kbpk, "D0000P0AE00E0000", key, masked_key_len=16)
code, out, err = keybridge("unwrap", "--json", "--kbpk", kbpk.hex(), unmasked)
warnings = json.loads(out)["warnings"] if code == 0 else []
passed += check(
    "keybridge's default profile reads psec's unobfuscated block and warns",
    code == 0 and len(warnings) == 1 and "not obfuscated" in warnings[0],
    f"{out} {err}",
)
code, out, err = keybridge("unwrap", "--strict", "--kbpk", kbpk.hex(), unmasked)
passed += check("keybridge --strict refuses it", code != 0 and "not obfuscated" in err, err)

print(f"{passed} passed, 0 failed")
