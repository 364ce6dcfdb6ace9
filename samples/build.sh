#!/usr/bin/env bash
# Rebuilds every fixture under samples/ from the sources in samples/src/.
#
#   bash samples/build.sh
#
# Deterministic and idempotent: samples/go, samples/corrupt and samples/nongo are
# wiped and rebuilt, and samples/SHA256SUMS is rewritten. Two runs with the same
# Go toolchain (go1.26.8), gcc and llvm-lipo produce byte-identical files.
# Third-party Go modules come from the Go module proxy (checked against the
# committed go.sum files).
set -euo pipefail
umask 022

SAMPLES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$SAMPLES/src"
OUT_GO="$SAMPLES/go"
OUT_CORRUPT="$SAMPLES/corrupt"
OUT_NONGO="$SAMPLES/nongo"
EXPECTED_GO="go1.26.8"

# Fixed scratch location: the one fixture built without -trimpath
# (hello-linux-amd64-ldflags) embeds these paths, so they must not depend on
# where the repository is checked out or on $HOME.
WORK="/tmp/assay-samples-work"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null || die "missing $* and no apt-get to install it"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ "$APT_UPDATED" -eq 0 ]; then
        $sudo apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v go >/dev/null || die "Go toolchain not found on PATH (expected $EXPECTED_GO, e.g. /usr/local/go/bin)"
command -v gcc >/dev/null || apt_install gcc libc6-dev
command -v git >/dev/null || apt_install git
command -v python3 >/dev/null || apt_install python3
command -v readelf >/dev/null || apt_install binutils

find_lipo() {
    local c
    for c in llvm-lipo $(compgen -c llvm-lipo- 2>/dev/null | sort -t- -k3 -n -r | uniq); do
        if command -v "$c" >/dev/null; then echo "$c"; return 0; fi
    done
    return 1
}
LIPO="$(find_lipo || true)"
if [ -z "$LIPO" ]; then
    apt_install llvm
    LIPO="$(find_lipo)" || die "llvm-lipo not found after installing llvm"
fi

# ---------------------------------------------------------------- environment
export GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false"
export GOMODCACHE="$WORK/gomodcache"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
export GO111MODULE=on
export GOEXPERIMENT=
export GOFIPS140=off
export CC=gcc CXX=g++
export CGO_CFLAGS="-O2 -g" CGO_CPPFLAGS="" CGO_CXXFLAGS="-O2 -g" CGO_LDFLAGS="-O2 -g"
unset GOOS GOARCH GOAMD64 GOARM GOARM64 GO386 GOPPC64 GOMIPS GOMIPS64 GORISCV64 GOWASM \
      GOPATH GOBIN GOWORK CGO_ENABLED GO_EXTLINK_ENABLED GCCGO || true
export GOWORK=off
# git: ignore user/system configuration so the throwaway repository is reproducible.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export TZ=UTC LC_ALL=C

GOVERSION="$(go env GOVERSION)"
if [ "$GOVERSION" != "$EXPECTED_GO" ]; then
    printf 'build.sh: WARNING: building with %s, fixtures were made with %s; outputs will differ\n' \
        "$GOVERSION" "$EXPECTED_GO" >&2
fi
log "toolchain $GOVERSION, lipo $LIPO, gcc $(gcc -dumpfullversion)"

# ---------------------------------------------------------------- scratch
mkdir -p "$WORK"
rm -rf "$WORK/src"
mkdir -p "$WORK/src"
cp -R "$SRC/hello" "$WORK/src/hello"
cp -R "$SRC/plugin" "$WORK/src/plugin"
cp -R "$SRC/cshared" "$WORK/src/cshared"

rm -rf "$OUT_GO" "$OUT_CORRUPT" "$OUT_NONGO"
mkdir -p "$OUT_GO" "$OUT_CORRUPT" "$OUT_NONGO"

# Download modules once (verifies go.sum); later builds run offline from the cache.
(cd "$WORK/src/hello" && go mod download)
(cd "$WORK/src/plugin" && go mod download)

# build_hello OUTPUT [env assignments...] -- [go build flags...]
build_hello() {
    local out="$1"; shift
    local envs=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    log "go/$out"
    (cd "$WORK/src/hello" && env "${envs[@]}" go build "$@" -o "$OUT_GO/$out" .)
}

# ---------------------------------------------------------------- Go fixtures
build_hello hello-linux-amd64 GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0 -- -trimpath
build_hello hello-linux-arm64 GOOS=linux GOARCH=arm64 GOARM64=v8.0 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-s -w"
build_hello hello-linux-amd64-stripped GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-s -w"
# No -trimpath, so -ldflags is recorded; CGO_ENABLED=1 so the CGO_* flags are recorded too
# (the program uses no cgo, so it is still linked internally and statically).
build_hello hello-linux-amd64-ldflags GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=1 -- \
    -ldflags="-X main.version=1.4.2"
# -trimpath drops -ldflags from the build info: the -X value survives only in the variable
# itself, read through .symtab (assay's `symbol` version-recovery method).
build_hello hello-linux-amd64-trimpath-x GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-X main.version=2.7.0"
build_hello hello-linux-386 GOOS=linux GOARCH=386 GO386=sse2 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-s -w"
build_hello hello-linux-ppc64 GOOS=linux GOARCH=ppc64 GOPPC64=power8 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-s -w"
build_hello hello-darwin-arm64 GOOS=darwin GOARCH=arm64 GOARM64=v8.0 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-s -w"
build_hello hello-darwin-amd64 GOOS=darwin GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-s -w"
log "go/hello-darwin-universal"
"$LIPO" -create "$OUT_GO/hello-darwin-amd64" "$OUT_GO/hello-darwin-arm64" \
    -output "$OUT_GO/hello-darwin-universal"
build_hello hello-windows-amd64.exe GOOS=windows GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0 -- \
    -trimpath -ldflags="-s -w"

# VCS stamping: a throwaway git repository with a fixed commit (no tag).
log "go/hello-linux-amd64-vcs"
VCS="$WORK/src/vcs/hello"
mkdir -p "$VCS"
cp -R "$SRC/hello/." "$VCS/"
(
    cd "$VCS"
    git init -q -b main .
    git add -A
    GIT_AUTHOR_NAME="assay samples" GIT_AUTHOR_EMAIL="samples@example.invalid" \
    GIT_COMMITTER_NAME="assay samples" GIT_COMMITTER_EMAIL="samples@example.invalid" \
    GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z" \
        git -c commit.gpgsign=false commit -q -m "assay sample"
    [ -z "$(git tag)" ] || die "vcs sample repository must have no tag"
    GOFLAGS="-mod=readonly -buildvcs=true" GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0 \
        go build -trimpath -ldflags="-s -w" -o "$OUT_GO/hello-linux-amd64-vcs" .
)

log "go/libhello-c-shared.so"
(cd "$WORK/src/cshared" && GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=1 \
    go build -buildmode=c-shared -trimpath -o "$OUT_GO/libhello-c-shared.so" .)
rm -f "$OUT_GO/libhello-c-shared.h"

# c-archive: an `ar` archive whose go.o member carries the build info (go version -m cannot
# read archives; assay reads every object member).
log "go/libhello-c-archive.a"
(cd "$WORK/src/cshared" && GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=1 \
    go build -buildmode=c-archive -trimpath -ldflags="-s -w" -o "$OUT_GO/libhello-c-archive.a" .)
rm -f "$OUT_GO/libhello-c-archive.h"

log "go/plugin-v1.so"
(cd "$WORK/src/plugin" && GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=1 \
    go build -buildmode=plugin -trimpath -o "$OUT_GO/plugin-v1.so" .)

log "go/hello-linux-amd64-nosections"
# From the stripped build: under -trimpath the build info is the same, and symbols are not
# the point here.
cp "$OUT_GO/hello-linux-amd64-stripped" "$OUT_GO/hello-linux-amd64-nosections"
python3 - "$OUT_GO/hello-linux-amd64-nosections" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
assert b[:4] == b"\x7fELF" and b[4] == 2 and b[5] == 1, "expected ELF64 little-endian"
struct.pack_into("<Q", b, 0x28, 0)   # e_shoff
struct.pack_into("<H", b, 0x3C, 0)   # e_shnum
struct.pack_into("<H", b, 0x3E, 0)   # e_shstrndx
open(p, "wb").write(b)
PY

log "go/hello-gopath"
GP="$WORK/src/gopath"
mkdir -p "$GP"
cp -R "$SRC/gopath/src" "$GP/src"
(cd "$GP/src/example.com/gopathhello" && GO111MODULE=off GOPATH="$GP" GOFLAGS="-buildvcs=false" \
    GOOS=linux GOARCH=amd64 GOAMD64=v1 CGO_ENABLED=0 \
    go build -trimpath -ldflags="-s -w" -o "$OUT_GO/hello-gopath" .)

# ---------------------------------------------------------------- non-Go
log "nongo/hello-c"
(cd "$SRC/nongo" && gcc -O2 -o "$OUT_NONGO/hello-c" hello.c)

# ---------------------------------------------------------------- corrupt inputs
log "corrupt/*"
python3 - "$OUT_GO" "$OUT_CORRUPT" <<'PY'
import os, struct, sys

go_dir, out = sys.argv[1], sys.argv[2]
MAGIC = b"\xff Go buildinf:"

def read(name):
    with open(os.path.join(go_dir, name), "rb") as f:
        return f.read()

def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

def uvarint(b, i):
    x = s = 0
    while True:
        c = b[i]; i += 1
        x |= (c & 0x7F) << s; s += 7
        if c < 0x80:
            return x, i

def elf64_sections(b):
    shoff, = struct.unpack_from("<Q", b, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize) for i in range(shnum)]
    stro = hdrs[shstrndx][4]
    def name(off):
        return b[stro + off:b.index(b"\0", stro + off)].decode()
    return {name(h[0]): h for h in hdrs}

# 1. The first 4096 bytes of a real ELF: headers present, everything else missing.
amd64 = read("hello-linux-amd64")
write("elf-truncated-4k", amd64[:4096])

# A minimal, valid ELF64 (x86-64, ET_EXEC) holding only the real .go.buildinfo
# section of hello-linux-amd64, one PT_LOAD (RW) mapping it at its original
# address, and a section header table placed BEFORE the data so truncating the
# data keeps the headers readable. `go version -m` reads it.
sec = elf64_sections(amd64)[".go.buildinfo"]
bi_addr, bi_off, bi_size = sec[3], sec[4], sec[5]
buildinfo = amd64[bi_off:bi_off + bi_size]
assert buildinfo.startswith(MAGIC) and buildinfo[14] == 8 and buildinfo[15] == 2

def mini_elf(data):
    shstr = b"\0.go.buildinfo\0.shstrtab\0"
    ehsize, phoff, shoff = 64, 64, 128
    shstr_off = shoff + 3 * 64
    data_off = (shstr_off + len(shstr) + 15) & ~15
    eh = bytearray(64)
    eh[0:16] = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    struct.pack_into("<HHIQQQIHHHHHH", eh, 16,
                     2, 62, 1, 0, phoff, shoff, 0, ehsize, 56, 1, 64, 3, 2)
    ph = struct.pack("<IIQQQQQQ", 1, 6, data_off, bi_addr, bi_addr, len(data), len(data), 16)
    sh = struct.pack("<IIQQQQIIQQ", *([0] * 10))
    sh += struct.pack("<IIQQQQIIQQ", 1, 1, 3, bi_addr, data_off, len(data), 0, 0, 16, 0)
    sh += struct.pack("<IIQQQQIIQQ", 15, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    img = bytearray(eh + ph)
    img += b"\0" * (shoff - len(img)) + sh + shstr
    img += b"\0" * (data_off - len(img)) + data
    return bytes(img), data_off

# 2. Control: the minimal ELF, valid.
ok, data_off = mini_elf(buildinfo)
write("elf-buildinfo-only-valid", ok)

# 3. Truncated in the middle of .go.buildinfo (inside the modinfo string).
write("elf-buildinfo-truncated", ok[:data_off + bi_size // 2])

# 4. Bogus pointer-size byte (3) in an otherwise intact inline-format header.
#    Go >= 1.18 ignores the pointer size for the inline format, so
#    `go version -m` still reads this one.
bad = bytearray(buildinfo); bad[14] = 3
write("elf-buildinfo-bad-ptrsize", mini_elf(bytes(bad))[0])

# 5. Bogus pointer-size byte with the pre-1.18 pointer format (flags 0):
#    Go rejects it ("not a Go executable").
bad = bytearray(buildinfo); bad[14] = 3; bad[15] = 0
write("elf-buildinfo-bad-ptrsize-oldfmt", mini_elf(bytes(bad))[0])

# 6. Modinfo length varint replaced by 0xffffffffffffffff (10-byte uvarint).
vlen, i = uvarint(buildinfo, 32)
mod_varint_at = i + vlen
mlen, j = uvarint(buildinfo, mod_varint_at)
huge = b"\xff" * 9 + b"\x01"
bad = buildinfo[:mod_varint_at] + huge + buildinfo[j:]
write("elf-buildinfo-huge-varint", mini_elf(bad)[0])

# 7. Fat Mach-O header claiming 1000 slices, all with offsets far past EOF.
uni = read("hello-darwin-universal")
magic, nfat = struct.unpack_from(">II", uni, 0)
assert magic == 0xCAFEBABE and nfat == 2
arches = [struct.unpack_from(">iiIII", uni, 8 + 20 * k) for k in range(nfat)]
fat = bytearray(struct.pack(">II", 0xCAFEBABE, 1000))
for k in range(1000):
    cpu, sub, _off, _size, align = arches[k % nfat]
    fat += struct.pack(">iiIII", cpu, sub, 0xF0000000 + k * 0x10000, 0x200000, align)
write("macho-fat-1000-slices", bytes(fat))

# 8. PE whose section table is cut in the middle of its third entry.
exe = read("hello-windows-amd64.exe")
pe = struct.unpack_from("<I", exe, 0x3C)[0]
assert exe[pe:pe + 4] == b"PE\0\0"
nsect, = struct.unpack_from("<H", exe, pe + 6)
optsize, = struct.unpack_from("<H", exe, pe + 20)
sect_table = pe + 24 + optsize
assert nsect >= 3
write("pe-truncated-section-table.exe", exe[:sect_table + 2 * 40 + 20])

# 9. Only the 14-byte build info magic.
write("buildinfo-magic-only", MAGIC)

# 10. Zero-length file with an .exe name.
write("empty.exe", b"")
PY

# ---------------------------------------------------------------- checks
log "checking"
for f in "$OUT_GO"/*; do
    case "$f" in *.a) continue ;; esac  # go version -m does not read archives
    go version -m "$f" >/dev/null || die "go version -m cannot read $f"
done
if go version -m "$OUT_GO/hello-linux-amd64-trimpath-x" | grep -q -- '-ldflags'; then
    die "hello-linux-amd64-trimpath-x unexpectedly records -ldflags"
fi
go version -m "$OUT_GO/hello-linux-amd64-vcs" | grep -q $'\tbuild\tvcs.revision=' \
    || die "hello-linux-amd64-vcs has no vcs.revision"
go version -m "$OUT_GO/hello-linux-amd64-ldflags" | grep -q $'\tbuild\t-ldflags=' \
    || die "hello-linux-amd64-ldflags has no -ldflags setting"
if go version -m "$OUT_GO/hello-gopath" | grep -q $'\tmod\t'; then
    die "hello-gopath has a mod line"
fi
readelf -SW "$OUT_GO/hello-linux-amd64-nosections" 2>&1 | grep -q 'There are no sections' \
    || die "hello-linux-amd64-nosections still has section headers"
go version -m "$OUT_CORRUPT/elf-buildinfo-only-valid" >/dev/null \
    || die "corrupt/elf-buildinfo-only-valid is not readable by go version -m"

(cd "$SAMPLES" && find go corrupt nongo -type f | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
log "done: $(cd "$SAMPLES" && du -sh --exclude=src . | cut -f1) in samples/ (see SHA256SUMS)"
