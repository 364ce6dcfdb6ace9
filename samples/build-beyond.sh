#!/usr/bin/env bash
# Rebuilds the "beyond Go build info" fixtures under samples/beyond/ from samples/src/.
#
#   bash samples/build-beyond.sh
#
# Idempotent: samples/beyond/ (except README.md) is wiped and rebuilt. Installs what it
# needs: gcc, binutils, zlib1g-dev (static libz.a), upx-ucl from
# bookworm-backports, and cargo-auditable from crates.io.
set -euo pipefail
umask 022

SAMPLES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$SAMPLES/src"
OUT="$SAMPLES/beyond"
# Fixed scratch location, so the paths embedded in DWARF do not depend on the checkout.
WORK="/tmp/assay-beyond-work"
export PATH="$HOME/.cargo/bin:/usr/local/go/bin:$PATH"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'build-beyond.sh: %s\n' "$*" >&2; exit 1; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
    command -v apt-get >/dev/null || die "missing $* and no apt-get to install it"
    # Other apt users may hold the lock for a while: wait for it.
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "$@" >/dev/null
}
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

need=()
for p in gcc libc6-dev binutils zlib1g-dev; do have_pkg "$p" || need+=("$p"); done
((${#need[@]} == 0)) || apt_install "${need[@]}"
if ! command -v upx >/dev/null; then
    if [ ! -f /etc/apt/sources.list.d/backports.list ]; then
        echo 'deb http://deb.debian.org/debian bookworm-backports main' |
            $SUDO tee /etc/apt/sources.list.d/backports.list >/dev/null
    fi
    apt_install -t bookworm-backports upx-ucl || log "upx-ucl not installable: no UPX fixtures"
fi
command -v cargo >/dev/null || die "cargo not found (install Rust with rustup)"
command -v go >/dev/null || die "Go toolchain not found on PATH"
cargo auditable --version >/dev/null 2>&1 || cargo install --locked cargo-auditable

find "$OUT" -mindepth 1 ! -name README.md -delete 2>/dev/null || true
mkdir -p "$OUT"
rm -rf "$WORK" && mkdir -p "$WORK"
cp -r "$SRC/rust-hello" "$SRC/rust-wasm" "$SRC/beyond-c" "$SRC/hello" "$WORK/"

# ---------------------------------------------------------------- Rust
log "Rust: cargo auditable build and plain cargo build"
(
    cd "$WORK/rust-hello"
    cargo generate-lockfile -q
    CARGO_TARGET_DIR="$WORK/target-auditable" cargo auditable build -q --release
    CARGO_TARGET_DIR="$WORK/target-plain" cargo build -q --release
)
# Debug info is what makes the plain build large (std's line tables): the auditable copy
# drops it (the audit data is an allocated section and survives `strip`), the DWARF copy
# keeps it zlib-compressed (SHF_COMPRESSED, which readers decompress).
strip --strip-debug -o "$OUT/rust-hello-auditable" "$WORK/target-auditable/release/rust-hello"
strip -o "$OUT/rust-hello-auditable-stripped" "$WORK/target-auditable/release/rust-hello"
objcopy --compress-debug-sections=zlib "$WORK/target-plain/release/rust-hello" "$OUT/rust-hello-dwarf"
strip -o "$OUT/rust-hello-stripped" "$WORK/target-plain/release/rust-hello"
cp "$WORK/rust-hello/Cargo.lock" "$SRC/rust-hello/Cargo.lock"

log "Rust: cargo auditable build of a wasm32 cdylib"
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
    rustup target add wasm32-unknown-unknown
(
    cd "$WORK/rust-wasm"
    cargo generate-lockfile -q
    CARGO_TARGET_DIR="$WORK/target-wasm" cargo auditable build -q --release \
        --target wasm32-unknown-unknown
)
cp "$WORK/target-wasm/wasm32-unknown-unknown/release/rust_wasm_hello.wasm" "$OUT/rust-wasm-auditable.wasm"
cp "$WORK/rust-wasm/Cargo.lock" "$SRC/rust-wasm/Cargo.lock"

# ---------------------------------------------------------------- C
log "C: DWARF, stripped, package note, static zlib and SQLite"
cd "$WORK/beyond-c"
# -Xlinker, not -Wl: the JSON has commas.
gcc -O2 -g -Wl,--build-id=sha1 \
    -Xlinker '--package-metadata={"type":"deb","os":"debian","name":"hello-c","version":"1.0-1","architecture":"amd64"}' \
    -o "$OUT/c-hello-dwarf" hello.c
strip -o "$OUT/c-hello-stripped" "$OUT/c-hello-dwarf"
gcc -O2 -static -o "$OUT/c-zlib-static" zlib-static.c -lz
strip "$OUT/c-zlib-static"

# ---------------------------------------------------------------- Go wasm
log "Go: wasip1 wasm module"
(
    cd "$WORK/hello"
    export GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off GOTOOLCHAIN=local
    export GOMODCACHE=/tmp/assay-samples-work/gomodcache
    GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" \
        -o "$OUT/hello-wasip1.wasm" .
)

# ---------------------------------------------------------------- UPX
if command -v upx >/dev/null; then
    log "UPX: $(upx --version | head -1)"
    for m in nrv2b nrv2d nrv2e lzma; do
        upx -q --"$m" -o "$OUT/c-zlib-static-upx-$m" "$OUT/c-zlib-static" >/dev/null
    done
    # Go ELF: NRV2D is covered by the C copies; skipping it keeps the total near 12 MB.
    for m in nrv2b nrv2e lzma; do
        upx -q --"$m" -o "$OUT/go-hello-upx-$m" "$SAMPLES/go/hello-linux-amd64-stripped" >/dev/null
    done
    # Mach-O (x86_64): UPX wants --force-macos since macOS 13 rejects packed files.
    upx -q --force-macos --nrv2e -o "$OUT/go-hello-upx-nrv2e-darwin" "$SAMPLES/go/hello-darwin-amd64" >/dev/null
    # PE: one method keeps the total small.
    upx -q --lzma -o "$OUT/go-hello-upx-lzma.exe" "$SAMPLES/go/hello-windows-amd64.exe" >/dev/null
fi

cd "$OUT"
find . -type f ! -name README.md ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
    xargs sha256sum >SHA256SUMS
log "done: $(du -sh "$OUT" | cut -f1) in $OUT"
