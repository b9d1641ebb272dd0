#!/usr/bin/env bash
# Fails unless every LOAD segment of every given ELF shared library is aligned to at least 16 KB
# (0x4000). Android 15+ devices may run with 16 KB memory pages and Google Play requires native
# libraries that load there; a library linked for 4 KB pages (the NDK default before r28) does not.
# keybridge's libraries get `-z max-page-size=16384` from bindings/ffi/build.rs on every ELF target,
# so the host build shows the same alignment as the Android one.
#
#   check-page-alignment.sh LIB.so...     (READELF overrides the readelf to use, e.g. llvm-readelf)
set -euo pipefail

readelf="${READELF:-readelf}"
status=0
for lib in "$@"; do
    aligns=$("$readelf" -lW "$lib" | awk '$1 == "LOAD" { print $NF }')
    if [[ -z $aligns ]]; then
        echo "$lib: no LOAD segments (not an ELF shared library?)" >&2
        status=1
        continue
    fi
    for align in $aligns; do
        if ((align < 0x4000)); then
            echo "$lib: a LOAD segment is aligned to $align, less than 16 KB (0x4000)" >&2
            status=1
            continue 2
        fi
    done
    echo "$lib: every LOAD segment 16 KB-aligned" >&2
done
exit $status
