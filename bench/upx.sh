#!/usr/bin/env bash
# Benchmarks `assay scan` on UPX-packed programs against `upx -d` (the oracle, which also
# writes the unpacked file) and Syft, with peak RSS. Two packed files are scanned together,
# as in the issue's table: their unpacked sizes must not add up in memory.
#
#   bash bench/upx.sh                  # packs the Go toolchain's `compile` and `go` (LZMA)
#   UPX_FILES="a.upx b.upx" bash bench/upx.sh
# Large programs (spilled to a mapped temporary file beyond 64 MiB), as measured in
# docs/performance.md: `upx -q --lzma -o bench/out/upx/syft.upx "$(go env GOPATH)/bin/syft"`
# (syft as bench/tools.sh builds it, 126 MB) and `assay` itself (`upx -q --lzma -1`).
# Wall seconds, CPU seconds (user + system: the figure to read on a loaded machine) and peak
# RSS; GOMODCACHE=/nonexistent for a clean machine (no module licenses to classify).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
mkdir -p "$OUT/upx"
# shellcheck source=bench/tools.sh
source bench/tools.sh
command -v upx >/dev/null || { echo "needs upx (apt-get install upx-ucl)" >&2; exit 1; }
cargo build --release --locked -q
ASSAY=$PWD/target/release/assay

if [[ -z ${UPX_FILES:-} ]]; then
  GOROOT=$(go env GOROOT)
  for f in "$GOROOT"/pkg/tool/*/compile "$GOROOT/bin/go"; do
    b=$OUT/upx/$(basename "$f").upx
    [[ -f $b ]] || upx -q --lzma -o "$b" "$f" >/dev/null
  done
  UPX_FILES="$OUT/upx/compile.upx $OUT/upx/go.upx"
fi
read -r -a files <<<"$UPX_FILES"
cat "${files[@]}" >/dev/null
DIR=$OUT/upx/pair
rm -rf "$DIR" && mkdir -p "$DIR" && cp "${files[@]}" "$DIR/"

unpack_all() { local t; t=$(mktemp); for f in "$@"; do upx -q -d -f -o "$t" "$f" >/dev/null; done; rm -f "$t"; }
echo "UPX pair: $(du -ch "${files[@]}" | tail -1 | cut -f1) packed; RUNS=${RUNS:-3}, medians, page cache warm, load $(cut -d' ' -f1-3 /proc/loadavg)"
read -r u_s u_k u_c < <(median_measure3 bash -c "$(declare -f unpack_all); unpack_all ${files[*]}")
row3 "upx -d (each file, writes it out)" "$u_s" "$u_k" "$u_c"
read -r a_s a_k a_c < <(median_measure3 "$ASSAY" scan -q --no-cache "$DIR" -o "cyclonedx-json=$OUT/upx.cdx.json")
row3 "assay scan -o cyclonedx-json" "$a_s" "$a_k" "$a_c" "$u_s" "$u_c" "upx -d"
find_syft
if [[ -n ${SYFT:-} ]]; then
  read -r s_s s_k s_c < <(median_measure3 "$SYFT" scan -q "dir:$DIR" -o "cyclonedx-json=$OUT/upx.syft.cdx.json")
  row3 "syft scan dir: -o cyclonedx-json" "$s_s" "$s_k" "$s_c"
  printf '  assay/syft: time %.2fx, CPU %.2fx, peak %.2fx\n' "$(echo "$a_s/$s_s" | bc -l)" "$(echo "$a_c/$s_c" | bc -l)" "$(echo "$a_k/$s_k" | bc -l)"
fi
