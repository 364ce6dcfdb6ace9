#!/usr/bin/env bash
# Rebuilds the zip64 module zips that src/license/zip_ranges.rs's unit tests read with byte
# ranges, made by two independent zip writers:
#   info-zip-fz.zip   Info-ZIP `zip -fz` (Debian `zip`): zip64 end record + locator, zip64
#                     extra fields for the sizes it marks 0xFFFFFFFF
#   python-zip64.zip  CPython's zipfile with its zip64 thresholds lowered to 0, so every size,
#                     offset and the entry count go through zip64 records (as in an archive of
#                     more than 4 GiB or 65,535 entries)
# Each holds a Go module root: LICENSE, COPYING.LESSER, a nested sub/LICENSE and main.go.
#
#   bash samples/zip64/build.sh
set -euo pipefail
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v zip >/dev/null || apt-get install -y -q zip
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/example.com/zip64@v1.0.0"
mkdir -p "$ROOT/sub"
printf 'SPDX-License-Identifier: MIT\n' >"$ROOT/LICENSE"
printf 'SPDX-License-Identifier: LGPL-3.0-only\n' >"$ROOT/COPYING.LESSER"
printf 'SPDX-License-Identifier: GPL-2.0-only\n' >"$ROOT/sub/LICENSE"
for i in $(seq 1 3000); do echo "var x$i = $i // padding so the entry is deflated"; done >"$ROOT/main.go"
find "$WORK" -exec touch -h -d '2020-01-01 00:00:00 UTC' {} +
rm -f "$OUT/info-zip-fz.zip" "$OUT/python-zip64.zip"
(cd "$WORK" && TZ=UTC zip -q -X -fz -r "$OUT/info-zip-fz.zip" example.com)
python3 - "$WORK" "$OUT/python-zip64.zip" <<'PY'
import os, sys, zipfile
zipfile.ZIP64_LIMIT = 0            # every size and offset > limit: zip64 extra fields
zipfile.ZIP_FILECOUNT_LIMIT = 0    # the entry count too: zip64 end record and locator
work, out = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for rel in ["main.go", "LICENSE", "COPYING.LESSER", "sub/LICENSE"]:
        info = zipfile.ZipInfo("example.com/zip64@v1.0.0/" + rel, (2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(work, "example.com/zip64@v1.0.0", rel), "rb") as f:
            z.writestr(info, f.read())
PY
ls -l "$OUT"/*.zip
