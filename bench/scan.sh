#!/usr/bin/env bash
# Benchmarks `assay scan` against the tools a user would otherwise pick, on page-cached
# directories of Go binaries:
#   - `go version -m DIR`            (Go build info only; no hashing, no SBOM)
#   - the floor: reading and SHA-256-hashing every file on all cores (`openssl dgst`)
# Two jobs are timed: the inventory (the table, which needs no checksums) against
# `go version -m`, and the SBOMs (which hash every byte) against the hashing floor.
# Prints wall-clock medians, the ratios, and assay's peak RSS (/usr/bin/time -v).
#
#   bash bench/scan.sh            # samples/go and a ~300 MB corpus of Go toolchain binaries
#   RUNS=5 bash bench/scan.sh     # more repetitions
#   CORPUS=/some/dir bash bench/scan.sh   # another corpus (e.g. real binaries nobody here built)
# Then, on the corpus: `-o cyclonedx-json` alone (SHA-256 only) against the floor, Syft and
# Trivy (bench/tools.sh finds or builds them), each with its peak RSS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}
OUT=bench/out
mkdir -p "$OUT"

for tool in /usr/bin/time bc openssl; do
  command -v "$tool" >/dev/null || apt-get install -y -q "$(basename "$tool")" >/dev/null
done
cargo build --release --locked -q
ASSAY=$PWD/target/release/assay
GO=$(command -v go)
GOROOT=$("$GO" env GOROOT)

# A larger corpus: the Go toolchain's own binaries, copied four times (distinct files).
CORPUS=${CORPUS:-$OUT/corpus}
if [[ ! -d $CORPUS ]]; then
  for i in 1 2 3 4; do
    mkdir -p "$CORPUS/$i"
    cp "$GOROOT"/pkg/tool/*/* "$GOROOT"/bin/* "$CORPUS/$i/"
  done
fi

# median wall seconds of RUNS runs of a command (after one warm-up run for the page cache)
median() {
  "$@" >/dev/null 2>&1 || true
  local times=()
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

hash_floor() { find "$1" -type f -print0 | xargs -0 -P"$(nproc)" -n 4 openssl dgst -sha256 >/dev/null; }

peak_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}'; }

report() {
  local name=$1 dir=$2
  local size files t_table t_sbom t_go t_floor rss_table rss_sbom
  size=$(du -sb "$dir" | cut -f1)
  files=$(find "$dir" -type f | wc -l)
  local sbom=("$ASSAY" scan -q "$dir" -o spdx-json="$OUT/bench.spdx.json" -o cyclonedx-json="$OUT/bench.cdx.json")
  t_table=$(median "$ASSAY" scan -q "$dir")
  t_sbom=$(median "${sbom[@]}")
  t_go=$(median "$GO" version -m "$dir")
  t_floor=$(median hash_floor "$dir")
  rss_table=$(peak_kib "$ASSAY" scan -q "$dir")
  rss_sbom=$(peak_kib "${sbom[@]}")
  printf '%-8s %3d files %6.1f MB\n' "$name" "$files" "$(echo "$size/1048576" | bc -l)"
  printf '  inventory: assay scan (table)       %7.3fs  vs go version -m %7.3fs  ratio %5.2fx  peak RSS %5.1f MiB\n' \
    "$t_table" "$t_go" "$(echo "$t_table/$t_go" | bc -l)" "$(echo "$rss_table/1024" | bc -l)"
  printf '  SBOMs:     assay scan (SPDX + CDX)  %7.3fs  vs sha256 floor  %7.3fs  ratio %5.2fx  peak RSS %5.1f MiB\n' \
    "$t_sbom" "$t_floor" "$(echo "$t_sbom/$t_floor" | bc -l)" "$(echo "$rss_sbom/1024" | bc -l)"
}

echo "assay $("$ASSAY" --version | cut -d' ' -f2), $("$GO" version), $(nproc) cores, median of $RUNS runs, page cache warm"
report samples samples/go
report corpus "$CORPUS"

# The issue's table: CycloneDX alone against the floor and the peer tools.
# shellcheck source=bench/tools.sh
source bench/tools.sh
echo "corpus, -o cyclonedx-json (median of $RUNS; ratios against the floor; load $(cut -d' ' -f1-3 /proc/loadavg))"
read -r f_s _ f_c < <(median_measure3 bash -c "$(declare -f hash_floor); hash_floor $CORPUS")
row3 "floor: openssl dgst -sha256, $(nproc) procs" "$f_s" 0 "$f_c"
read -r a_s a_k a_c < <(median_measure3 "$ASSAY" scan -q --no-cache "$CORPUS" -o "cyclonedx-json=$OUT/corpus.cdx.json")
row3 "assay scan (no cache)" "$a_s" "$a_k" "$a_c" "$f_s" "$f_c" floor
find_syft
if [[ -n ${SYFT:-} ]]; then
  read -r s_s s_k s_c < <(median_measure3 "$SYFT" scan -q "dir:$CORPUS" -o "cyclonedx-json=$OUT/corpus.syft.cdx.json")
  row3 "syft scan dir: ($SYFT_VERSION)" "$s_s" "$s_k" "$s_c" "$f_s" "$f_c" floor
  printf '  assay/syft: time %.2fx, CPU %.2fx, peak %.2fx\n' "$(echo "$a_s/$s_s" | bc -l)" "$(echo "$a_c/$s_c" | bc -l)" "$(echo "$a_k/$s_k" | bc -l)"
fi
find_trivy
if [[ -n ${TRIVY:-} ]]; then
  export TRIVY_CACHE_DIR=$OUT/trivy-cache
  read -r t_s t_k t_c < <(median_measure3 "$TRIVY" rootfs --skip-db-update --offline-scan --quiet --format cyclonedx --output "$OUT/corpus.trivy.cdx.json" "$CORPUS")
  row3 "trivy rootfs" "$t_s" "$t_k" "$t_c" "$f_s" "$f_c" floor
  printf '  assay/trivy: time %.2fx, CPU %.2fx, peak %.2fx\n' "$(echo "$a_s/$t_s" | bc -l)" "$(echo "$a_c/$t_c" | bc -l)" "$(echo "$a_k/$t_k" | bc -l)"
fi
