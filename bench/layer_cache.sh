#!/usr/bin/env bash
# Benchmarks the persistent image caches: the same image scanned without a cache, with a
# cold one, with a warm one (the per-image document answers), with only the per-layer-blob
# entries warm (layers replayed, document assembled again), then a second image that shares
# the first one's layers and adds one (only that layer should be paid for).
#
# Images (built once into bench/out/layer-cache/, with umoci): `base` = the host's dpkg
# database and os-release, then the Go toolchain (GOROOT, ~250 MB: sources, packages,
# binaries); `app` = `base` plus a layer with a copy of the toolchain's bin/ directory. Prints wall, CPU (user+sys) seconds and
# peak RSS per scan, three runs each; SBOM bytes are compared across the runs.
#
#   bash bench/layer_cache.sh
#   RUNS=5 bash bench/layer_cache.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3}
OUT=bench/out/layer-cache
mkdir -p "$OUT"
for tool in umoci /usr/bin/time go; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
cargo build --release --locked -q
ASSAY=$PWD/target/release/assay
GOROOT=$(go env GOROOT)
L=$OUT/layout
if [[ ! -d $L ]]; then
  umoci init --layout "$L"
  umoci new --image "$L:base"
  umoci config --image "$L:base" --architecture amd64 --os linux
  umoci unpack --rootless --image "$L:base" "$OUT/bundle" >/dev/null
  R=$OUT/bundle/rootfs
  mkdir -p "$R/etc" "$R/var/lib/dpkg" "$R/opt/app"
  cp /etc/os-release "$R/etc/"
  cp /var/lib/dpkg/status "$R/var/lib/dpkg/"
  umoci repack --refresh-bundle --image "$L:base" "$OUT/bundle"
  cp -a "$GOROOT" "$R/opt/go"
  umoci repack --refresh-bundle --image "$L:base" "$OUT/bundle"
  umoci tag --image "$L:base" app
  cp -a "$GOROOT/bin" "$R/opt/app/"
  umoci repack --refresh-bundle --image "$L:app" "$OUT/bundle"
  rm -rf "$OUT/bundle"
fi
du -sh "$L/blobs"

# "wall cpu peak_MiB" of one scan; the SBOM goes to $2.
measure() { # out target args...
  local out=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/time" "$ASSAY" scan "$@" -o "cyclonedx-json=$out" -q || (($? == 1))
  tail -1 "$OUT/time" | awk '{ printf "%.2f %.2f %.1f\n", $1, $2 + $3, $4 / 1024 }'
}
export SOURCE_DATE_EPOCH=1700000000
CACHE=$OUT/cache
printf '%-40s %8s %8s %10s\n' scan wall_s cpu_s peak_MiB
for run in $(seq "$RUNS"); do
  rm -rf "$CACHE"
  printf '%-40s %8s %8s %10s\n' "base, --no-cache" $(measure "$OUT/none.json" "oci-dir:$L:base" --no-cache)
  printf '%-40s %8s %8s %10s\n' "base, cold cache" $(measure "$OUT/cold.json" "oci-dir:$L:base" --cache "$CACHE")
  printf '%-40s %8s %8s %10s\n' "base, warm cache" $(measure "$OUT/warm.json" "oci-dir:$L:base" --cache "$CACHE")
  du -sh "$CACHE/image-documents" > "$OUT/documents-size"
  rm -rf "$CACHE/image-documents"
  printf '%-40s %8s %8s %10s\n' "base, warm layers only" $(measure "$OUT/layers.json" "oci-dir:$L:base" --cache "$CACHE")
  printf '%-40s %8s %8s %10s\n' "app, --no-cache" $(measure "$OUT/app-none.json" "oci-dir:$L:app" --no-cache)
  printf '%-40s %8s %8s %10s\n' "app, base layers cached" $(measure "$OUT/app-shared.json" "oci-dir:$L:app" --cache "$CACHE")
  cmp -s "$OUT/none.json" "$OUT/cold.json" && cmp -s "$OUT/cold.json" "$OUT/warm.json" \
    && cmp -s "$OUT/warm.json" "$OUT/layers.json" \
    && cmp -s "$OUT/app-none.json" "$OUT/app-shared.json" \
    || { echo "SBOMs differ between cache states" >&2; exit 1; }
done
du -sh "$CACHE/image-layers"
cat "$OUT/documents-size"
echo "SBOM bytes identical across --no-cache, cold and warm"
