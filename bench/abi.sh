#!/usr/bin/env bash
# Benchmarks `assay abi diff` against libabigail's `abidiff` on a real library built twice
# with full debug info: zlib 1.2.13 and zlib 1.3.1 (the sources bundled in the libz-sys
# crates 1.1.8 and 1.1.20, fetched once from crates.io into bench/out/). Both tools diff
# the same pair of shared libraries; prints their verdicts, wall-clock medians and the ratio.
#
#   bash bench/abi.sh            # RUNS=5 by default
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}
OUT=bench/out/abi
mkdir -p "$OUT"
command -v abidiff >/dev/null || apt-get install -y -q abigail-tools >/dev/null
cargo build --release --locked -q
ASSAY=$PWD/target/release/assay

build() { # crate-version zlib-label
  local crate=$1 label=$2 dir=$OUT/libz-sys-$1
  [[ -f $OUT/libz-sys-$crate.crate ]] ||
    curl -sSfL -o "$OUT/libz-sys-$crate.crate" "https://static.crates.io/crates/libz-sys/libz-sys-$crate.crate"
  [[ -d $dir ]] || tar -C "$OUT" -xzf "$OUT/libz-sys-$crate.crate"
  local lib=$OUT/libz-$label.so
  if [[ ! -f $lib ]]; then
    (cd "$dir/src/zlib" && gcc -g -O2 -fPIC -shared -D_LARGEFILE64_SOURCE=1 -DHAVE_HIDDEN \
      -Wl,-soname,libz.so.1 -o "$PWD/../../../libz-$label.so" \
      adler32.c compress.c crc32.c deflate.c gzclose.c gzlib.c gzread.c gzwrite.c \
      infback.c inffast.c inflate.c inftrees.c trees.c uncompr.c zutil.c)
  fi
  echo "$lib"
}
OLD=$(build 1.1.8 1.2.13)
NEW=$(build 1.1.20 1.3.1)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() { # command...
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median
}
echo "pair: $OLD ($(stat -c %s "$OLD") bytes) -> $NEW ($(stat -c %s "$NEW") bytes)"
set +e
abidiff "$OLD" "$NEW" >"$OUT/abidiff.txt"; echo "abidiff exit: $?"
"$ASSAY" abi diff "$OLD" "$NEW" >"$OUT/assay.txt"; echo "assay exit: $?"
set -e
tail -1 "$OUT/assay.txt"
head -2 "$OUT/abidiff.txt"
A=$(time_it "$ASSAY" abi diff "$OLD" "$NEW")
B=$(time_it abidiff "$OLD" "$NEW")
echo "median of $RUNS: assay ${A}s, abidiff ${B}s, abidiff/assay = $(echo "scale=1; $B / $A" | bc)x"
