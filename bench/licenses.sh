#!/usr/bin/env bash
# Benchmarks the license stage of `assay licenses` on a directory of real binaries (default:
# the Go toolchain's own binaries plus samples/go), in four settings:
#   clean    no Go module cache, no cargo registry, no network (`--licenses offline`,
#            HOME, GOMODCACHE and CARGO_HOME pointed at empty directories)
#   cache    filled caches: BENCH_GOMODCACHE (default: the machine's GOMODCACHE) and
#            BENCH_CARGO_HOME (default: ~/.cargo), e.g. those `go install` and
#            `cargo auditable install` filled while building the binaries
#   remote0  `--licenses remote` with an empty ASSAY_CACHE_DIR (module zips and .crate
#            files fetched from GOPROXY and the crate registry)
#   remote1  `--licenses remote` again with that cache warm (nothing fetched)
# Prints wall and CPU (user+sys) seconds per setting, and per kind (Go modules, crates) how
# many components got a license. On a shared machine wall time is noisy: compare CPU.
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
GOMODCACHE_FILLED=${BENCH_GOMODCACHE:-$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")}
CARGO_HOME_FILLED=${BENCH_CARGO_HOME:-$HOME/.cargo}

# run NAME ENV... -- ARGS...: wall and CPU seconds, and licensed share of one
# `assay licenses -o json`
run() {
  local name=$1
  shift
  local env=()
  while [[ $1 != -- ]]; do
    env+=("$1")
    shift
  done
  shift
  /usr/bin/time -f "%e %U %S" -o "$OUT/$name.time" \
    env "${env[@]}" "$ASSAY" licenses "$DIR" -o json "$@" >"$OUT/$name.json" 2>"$OUT/$name.err" || true
  python3 - "$OUT/$name.json" "$name" "$(tail -n 1 "$OUT/$name.time")" <<'PY'
import json, sys
path, name, times = sys.argv[1:]
wall, user, sys_ = (float(x) for x in times.split())
try:
    d = json.load(open(path))
except Exception as e:
    print(f"{name:8} {wall:7.2f} s wall  (no JSON: {e})"); sys.exit()
kinds = {"go-module": "Go modules", "rust-crate": "crates"}
counts = {}
for c in d["components"]:
    k = kinds.get(c["kind"])
    if k:
        n = counts.setdefault(k, [0, 0])
        n[1] += 1
        n[0] += bool((c.get("license") or {}).get("expression"))
problems = len(d.get("problems", []))
per_kind = ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(counts.items()))
print(f"{name:8} {wall:7.2f} s wall {user + sys_:7.2f} s CPU  licensed: {per_kind}; {problems} warnings")
PY
}

run clean HOME="$EMPTY" GOMODCACHE="$EMPTY/mod" CARGO_HOME="$EMPTY/cargo" GOPROXY=off -- --licenses offline
run cache HOME="$EMPTY" GOMODCACHE="$GOMODCACHE_FILLED" CARGO_HOME="$CARGO_HOME_FILLED" -- --licenses offline
run remote0 HOME="$EMPTY" GOMODCACHE="$EMPTY/mod" CARGO_HOME="$EMPTY/cargo" ASSAY_CACHE_DIR="$REMOTE_CACHE" -- --licenses remote
run remote1 HOME="$EMPTY" GOMODCACHE="$EMPTY/mod" CARGO_HOME="$EMPTY/cargo" ASSAY_CACHE_DIR="$REMOTE_CACHE" -- --licenses remote

# Accuracy of each setting against the exact version's own files, where the filled caches
# have them: crates' Cargo.toml `license` read here with tomllib (a `license-file` by
# `assay license-db classify`), Go modules' root license files classified by
# `assay license-db classify` (assay's classifier: bench/scancode_compare.sh checks it
# against ScanCode).
python3 - "$OUT" "$ASSAY" "$GOMODCACHE_FILLED" "$CARGO_HOME_FILLED" <<'PY'
import glob, json, os, re, subprocess, sys, tomllib
out, assay, gomodcache, cargo_home = sys.argv[1:]
def canon(e):
    # the same terms however written: `MIT/Apache-2.0` (an OR) equals `Apache-2.0 OR MIT`
    toks = [t for t in re.split(r"[\s()/]+", e or "") if t]
    return (frozenset(t for t in toks if t not in ("AND", "OR", "WITH")),
            frozenset(t for t in toks if t in ("AND", "WITH")))
def load(name):
    try:
        d = json.load(open(f"{out}/{name}.json"))
    except Exception:
        return {}
    return {(c["kind"], c["name"], c["version"]): c.get("license") or {} for c in d["components"]}
def esc(p):
    return "".join("!" + c.lower() if c.isupper() else c for c in p)
def classify(d):
    r = subprocess.run([assay, "license-db", "classify", d], capture_output=True, text=True)
    line = r.stdout.strip().splitlines()
    return json.loads(line[0]).get("expression") if line else None
truth = {}
for key in load("clean"):
    kind, name, version = key
    if kind == "go-module":
        d = os.path.join(gomodcache, f"{esc(name)}@{esc(version)}")
        if os.path.isdir(d):
            truth[key] = classify(d)
    elif kind in ("rust-crate", "rust-root-crate"):
        for d in glob.glob(os.path.join(cargo_home, "registry/src/*", f"{name}-{version}")):
            pkg = tomllib.load(open(os.path.join(d, "Cargo.toml"), "rb")).get("package", {})
            truth[key] = pkg["license"] if isinstance(pkg.get("license"), str) else classify(d)
            break
truth = {k: v for k, v in truth.items() if v}
print(f"\naccuracy against the exact version's own files ({len(truth)} components have them here):")
for name in ("clean", "cache", "remote0", "remote1"):
    got = load(name)
    for kind, label in (("go-module", "Go modules"), ("rust-crate", "crates")):
        keys = [k for k in truth if k[0] == kind]
        answered = [k for k in keys if (got.get(k) or {}).get("expression")]
        right = [k for k in answered if canon(got[k]["expression"]) == canon(truth[k])]
        if keys:
            print(f"  {name:8} {label:10} coverage {len(answered)}/{len(keys)} ({len(answered) / len(keys):.3f}), "
                  f"accuracy {len(right)}/{len(answered)} ({len(right) / max(len(answered), 1):.3f})")
        for k in answered:
            if k not in right and name in ("clean", "cache", "remote0"):
                print(f"      differs: {k[1]}@{k[2]}: {got[k]['expression']} (files: {truth[k]})")
PY
