#!/usr/bin/env bash
# Benchmarks the license stage of `assay licenses` on a directory of real Go binaries
# (default: the Go toolchain's own binaries plus samples/go), in four settings:
#   clean    no Go module cache, no cargo registry, no network (`--licenses offline`,
#            HOME and GOMODCACHE pointed at empty directories)
#   cache    the machine's own GOMODCACHE (filled by `go mod download` of the modules)
#   remote0  `--licenses remote` with an empty ASSAY_CACHE_DIR (every module fetched)
#   remote1  `--licenses remote` again with that cache warm (nothing fetched)
# Prints wall-clock seconds per setting and the share of components with a license.
#
#   bash bench/licenses.sh [DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=${1:-}
OUT=bench/out/licenses
mkdir -p "$OUT"
cargo build --release --locked -q
ASSAY=$PWD/target/release/assay
if [[ -z $DIR ]]; then
  DIR=$OUT/bins
  mkdir -p "$DIR"
  GOROOT=$(go env GOROOT)
  cp -n "$GOROOT"/bin/* "$DIR/" 2>/dev/null || true
  [[ -d samples/go ]] && cp -rn samples/go/. "$DIR/" 2>/dev/null || true
fi
EMPTY=$(mktemp -d)
REMOTE_CACHE=$(mktemp -d)
trap 'rm -rf "$EMPTY" "$REMOTE_CACHE"' EXIT

# run NAME ENV... -- ARGS...: wall seconds and licensed share of one `assay licenses -o json`
run() {
  local name=$1
  shift
  local env=()
  while [[ $1 != -- ]]; do
    env+=("$1")
    shift
  done
  shift
  local s e
  s=$(date +%s.%N)
  env "${env[@]}" "$ASSAY" licenses "$DIR" -o json "$@" >"$OUT/$name.json" 2>"$OUT/$name.err" || true
  e=$(date +%s.%N)
  python3 - "$OUT/$name.json" "$name" "$(echo "$e - $s" | bc)" <<'EOF'
import json, sys
path, name, secs = sys.argv[1:]
try:
    d = json.load(open(path))
except Exception as e:
    print(f"{name:8} {float(secs):7.2f} s  (no JSON: {e})"); sys.exit()
lic = d.get("licenses", d)
rows = list(lic.values()) if isinstance(lic, dict) else lic
found = sum(1 for r in rows if isinstance(r, dict) and r.get("expression"))
print(f"{name:8} {float(secs):7.2f} s  {found}/{len(rows)} components with a license")
EOF
}

run clean HOME="$EMPTY" GOMODCACHE="$EMPTY/mod" GOPROXY=off -- --licenses offline
run cache -- --licenses offline
run remote0 HOME="$EMPTY" GOMODCACHE="$EMPTY/mod" ASSAY_CACHE_DIR="$REMOTE_CACHE" -- --licenses remote
run remote1 HOME="$EMPTY" GOMODCACHE="$EMPTY/mod" ASSAY_CACHE_DIR="$REMOTE_CACHE" -- --licenses remote
