#!/usr/bin/env bash
# Builds the native-linkage fixtures under samples/native/ from samples/native/src/.
# Idempotent: installs the Debian packages it needs (only those missing), rebuilds every
# fixture into a temporary directory and moves the results into place.
#
#   bash samples/build-native.sh
#
# Fixtures and how they are made: samples/native/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/native/src"
OUT="$HERE/native"
LLVM=19   # llvm-objdump >= 16 prints LC_DYLD_EXPORTS_TRIE; ld64.lld-19 does -fixup_chains

PACKAGES=(gcc binutils "clang-$LLVM" "lld-$LLVM" "llvm-$LLVM" gcc-mingw-w64-x86-64-win32 abigail-tools)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=(); [[ $(id -u) == 0 ]] || SUDO=(sudo -n)
  echo "build-native.sh: apt-get install ${missing[*]}" >&2
  "${SUDO[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
command -v go >/dev/null || { echo "build-native.sh: go is required for the plugin fixtures" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP"/{elf,macho,pe,go}

# --- ELF: gcc with a version script and DWARF (abidiff reads it) -------------------------
for v in 1 2; do
  gcc -g -O1 -fPIC -shared -fdebug-prefix-map="$SRC"=. \
    -Wl,--version-script="$SRC/libdemo-v$v/demo.map" -Wl,-soname,libdemo.so.1 \
    -Wl,-rpath,'$ORIGIN/../lib' -Wl,--build-id=none \
    -o "$TMP/elf/libdemo-v$v.so" "$SRC/libdemo-v$v/demo.c"
done

# --- Mach-O: clang + lld against hand-written .tbd stubs; arm64 with chained fixups and
# LC_DYLD_EXPORTS_TRIE, x86_64 with classic LC_DYLD_INFO; a fat file of both. libextra is
# a weak dylib (LC_LOAD_WEAK_DYLIB); lld 19 mis-orders ordinals with -reexport_library.
for v in 1 2; do
  for target in arm64-apple-macos11 x86_64-apple-macos10.15; do
    arch=${target%%-*}
    extra=()
    [[ $arch == arm64 ]] && extra=(-Wl,-fixup_chains)
    "clang-$LLVM" -target "$target" -O1 -nostdlib -shared -fuse-ld=lld "${extra[@]}" \
      -Wl,-install_name,@rpath/libdemo.1.dylib -Wl,-current_version,"$v.0" \
      -Wl,-compatibility_version,1.0 -Wl,-rpath,@loader_path/../lib \
      -Wl,-weak_library,"$SRC/macho/libextra.tbd" \
      -o "$TMP/macho/libdemo-v$v-$arch.dylib" "$SRC/libdemo-v$v/demo.c" "$SRC/macho/libSystem.tbd"
  done
  "llvm-lipo-$LLVM" -create -output "$TMP/macho/libdemo-v$v.dylib" \
    "$TMP/macho/libdemo-v$v-arm64.dylib" "$TMP/macho/libdemo-v$v-x86_64.dylib"
  rm "$TMP/macho/libdemo-v$v-arm64.dylib" "$TMP/macho/libdemo-v$v-x86_64.dylib"
done

# --- PE: mingw DLLs (ordinals, a NONAME export, a forwarder from demo.def), and an .exe
# that imports demo.dll normally and helper.dll through the delay-load table ------------
x86_64-w64-mingw32-gcc -O1 -shared -s -o "$TMP/pe/demo.dll" "$SRC/libdemo-v1/demo.c" \
  "$SRC/pe/hidden.c" "$SRC/pe/demo.def" -Wl,--out-implib,"$TMP/libdemo.dll.a" \
  -Wl,--no-insert-timestamp
x86_64-w64-mingw32-gcc -O1 -shared -s -o "$TMP/pe/helper.dll" "$SRC/pe/helper.c" \
  -Wl,--no-insert-timestamp
# GNU dlltool leaves the delay-load table empty; llvm-dlltool's import library works.
"llvm-dlltool-$LLVM" -m i386:x86-64 -d "$SRC/pe/helper.def" -l "$TMP/libhelper-delay.a" -D helper.dll
"clang-$LLVM" --target=x86_64-w64-mingw32 -fuse-ld=lld -O1 -s -o "$TMP/pe/app.exe" \
  "$SRC/pe/app.c" "$TMP/libdemo.dll.a" "$TMP/libhelper-delay.a" \
  -Wl,-delayload=helper.dll -ldelayimp -Wl,--no-insert-timestamp

# --- Go plugins: -ldflags=-w drops DWARF but keeps .symtab, which locates the plugin
# table for Go type strings ----------------------------------------------------------
for v in 1 2; do
  (cd "$SRC/goplugin-v$v" && CGO_ENABLED=1 GOFLAGS=-mod=mod go build -buildmode=plugin \
    -trimpath -ldflags=-w -o "$TMP/go/greeter-v$v.so" .)
done

for d in elf macho pe go; do
  mkdir -p "$OUT/$d"
  cp "$TMP/$d"/* "$OUT/$d/"
done
echo "build-native.sh: fixtures in $OUT" >&2
ls -l "$OUT"/{elf,macho,pe,go} >&2
