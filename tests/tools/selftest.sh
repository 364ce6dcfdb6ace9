#!/usr/bin/env bash
# Proves the SBOM validator harness accepts good documents and rejects bad
# ones: tests/data/validator-selftest/valid.* must pass (exit 0), and every
# invalid-* must be reported invalid (exit 1, one INVALID line per file).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
DATA="$REPO_ROOT/tests/data/validator-selftest"
VALIDATE=("${ASSAY_VENV:-$REPO_ROOT/.venv}/bin/python" "$SCRIPT_DIR/validate_sbom.py")
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT

fail=0
expect() { # expect RC FORMAT FILE...
  local want=$1 fmt=$2; shift 2
  local rc=0
  "${VALIDATE[@]}" "$fmt" "$@" >"$OUT" 2>&1 || rc=$?
  local invalid
  invalid=$(grep -c ': INVALID (' "$OUT" || true)
  local want_invalid=0
  [[ $want == 1 ]] && want_invalid=$#
  if [[ $rc != "$want" || $invalid != "$want_invalid" ]]; then
    echo "selftest: FAILED: $fmt on $* -> exit $rc (want $want), $invalid invalid (want $want_invalid)" >&2
    sed 's/^/  /' "$OUT" >&2
    fail=1
  fi
}

expect 0 spdx-json "$DATA/valid.spdx.json"
expect 0 cyclonedx-json "$DATA/valid.cdx.json"
expect 0 spdx-tag-value "$DATA/valid.spdx"
expect 0 cyclonedx-json@1.5 "$DATA/valid-1.5.cdx.json"
expect 0 cyclonedx-xml "$DATA/valid.cdx.xml" "$DATA/valid-same-as-json.cdx.xml"
expect 0 spdx3-json "$DATA/valid.spdx3.json"
expect 0 sarif "$DATA/valid.sarif.json"
expect 1 spdx-json "$DATA"/invalid-spdx-*.json
expect 1 cyclonedx-json "$DATA"/invalid-cdx-*.json
expect 1 spdx-tag-value "$DATA"/invalid-spdx-tv-*.spdx
expect 1 cyclonedx-json@1.5 "$DATA"/invalid-cdx15-*.json
expect 1 cyclonedx-xml "$DATA"/invalid-cdx-xml-*.xml
expect 1 spdx3-json "$DATA"/invalid-spdx3-*.json
expect 1 sarif "$DATA"/invalid-sarif-*.json
expect 2 spdx-json "$DATA/does-not-exist.json"

# The equivalence checks: the same document in both forms agrees, and one that differs is
# reported (SPDX: relationships to another element; CycloneDX: another document).
equivalent() { # equivalent RC MODE JSON OTHER
  local want=$1 mode=$2 rc=0
  "${VALIDATE[@]}" "$mode" "$3" "$4" >"$OUT" 2>&1 || rc=$?
  if [[ $rc != "$want" ]]; then
    echo "selftest: FAILED: $mode $3 $4 -> exit $rc (want $want)" >&2
    sed 's/^/  /' "$OUT" >&2
    fail=1
  fi
}
equivalent 0 spdx-equivalent "$DATA/valid.spdx.json" "$DATA/valid.spdx"
equivalent 1 spdx-equivalent "$DATA/valid.spdx.json" "$DATA/invalid-spdx-tv-unknown-ref.spdx"
equivalent 0 cyclonedx-equivalent "$DATA/valid.cdx.json" "$DATA/valid-same-as-json.cdx.xml"
equivalent 1 cyclonedx-equivalent "$DATA/valid.cdx.json" "$DATA/valid.cdx.xml"

if [[ $fail != 0 ]]; then
  exit 1
fi
echo "selftest: validator harness OK (valid documents accepted, $(ls "$DATA"/invalid-* | wc -l) invalid documents rejected)" >&2
