#!/usr/bin/env bash
# Builds a small macOS app tree (real Mach-O files, no Apple SDK) for the dyld resolution
# tests (tests/macho_dyld.rs):
#
#   bash samples/macho-app/build.sh OUTDIR
#
# OUTDIR/App.app/Contents/
#   MacOS/app          arm64 program: LC_RPATH @executable_path/../Frameworks, then
#                      @loader_path/../lib; loads @rpath/libfoo.dylib,
#                      @rpath/Bar.framework/Versions/A/Bar, @executable_path/../lib/libexe.dylib,
#                      /usr/lib/libSystem.B.dylib, weak @rpath/libweak.dylib (missing)
#   MacOS/broken       arm64 program: loads @rpath/libgone.dylib (found nowhere)
#   MacOS/fatapp       fat (arm64 + x86_64) program: loads @rpath/libpick.dylib, rpaths
#                      @executable_path/../Frameworks then @executable_path/../lib
#   lib/libfoo.dylib   @rpath/libfoo.dylib, no LC_RPATH of its own: loads @rpath/libbaz.dylib
#                      (found through the program's rpaths) and @loader_path/libsib.dylib
#   lib/libbaz.dylib, lib/libsib.dylib, lib/libexe.dylib
#   lib/libpick.dylib  x86_64 only
#   Frameworks/libpick.dylib                    arm64 only (so each slice of fatapp picks its own)
#   Frameworks/Bar.framework/Versions/A/Bar     install name @rpath/Bar.framework/Versions/A/Bar,
#                      no LC_RPATH: re-exports @rpath/libbaz.dylib (found through the rpaths
#                      of the program that loads it); `Versions/Current` and `Bar` are the usual
#                      symlinks
#   Plugins/plug.bundle  MH_BUNDLE loaded by nobody: @executable_path/../lib/libexe.dylib
#                      (unknown without a program) and @rpath/libfoo.dylib (no rpath of its own)
# Needs clang-19 and lld-19 (Debian). A run takes about a second.
set -euo pipefail
OUT="${1:?usage: build.sh OUTDIR}"
CC=(clang-19 -O1 -nostdlib -fuse-ld=lld)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/libSystem.tbd" <<'TBD'
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1319
exports:
  - targets:     [ x86_64-macos, arm64-macos ]
    symbols:     [ dyld_stub_binder ]
...
TBD
# A stub for a library the program links but that is not shipped (weak or gone).
stub() { # NAME INSTALL_NAME
  cat >"$TMP/$1.tbd" <<TBD
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '$2'
exports:
  - targets:     [ x86_64-macos, arm64-macos ]
    symbols:     [ _$1 ]
...
TBD
}
stub weak @rpath/libweak.dylib
stub gone @rpath/libgone.dylib
# The program links Bar through a stub: lld would otherwise look for Bar's @rpath re-export.
stub bar @rpath/Bar.framework/Versions/A/Bar
src() { printf '%s\n' "$2" >"$TMP/$1.c"; echo "$TMP/$1.c"; }

C="$OUT/App.app/Contents"
rm -rf "$OUT/App.app"
mkdir -p "$C/MacOS" "$C/lib" "$C/Frameworks/Bar.framework/Versions/A" "$C/Plugins"
A=(-target arm64-apple-macos11)
X=(-target x86_64-apple-macos10.15)

dylib() { # TARGETFLAGS... -- OUT INSTALL_NAME SOURCE [LINK ARGS...]
  local t=(); while [[ $1 != -- ]]; do t+=("$1"); shift; done; shift
  local out=$1 name=$2 source=$3; shift 3
  "${CC[@]}" "${t[@]}" -shared -Wl,-install_name,"$name" -o "$out" "$source" "$@" "$TMP/libSystem.tbd"
}
dylib "${A[@]}" -- "$C/lib/libbaz.dylib" @rpath/libbaz.dylib "$(src baz 'int baz(void){return 1;}')"
dylib "${A[@]}" -- "$C/lib/libsib.dylib" @loader_path/libsib.dylib "$(src sib 'int sib(void){return 2;}')"
dylib "${A[@]}" -- "$C/lib/libexe.dylib" @executable_path/../lib/libexe.dylib "$(src exe 'int exe(void){return 3;}')"
dylib "${A[@]}" -- "$C/lib/libfoo.dylib" @rpath/libfoo.dylib \
  "$(src foo 'int baz(void); int sib(void); int foo(void){return baz()+sib();}')" \
  "$C/lib/libbaz.dylib" "$C/lib/libsib.dylib"
dylib "${A[@]}" -- "$C/Frameworks/Bar.framework/Versions/A/Bar" @rpath/Bar.framework/Versions/A/Bar \
  "$(src bar 'int bar(void){return 4;}')" \
  -Wl,-reexport_library,"$C/lib/libbaz.dylib"
ln -s A "$C/Frameworks/Bar.framework/Versions/Current"
ln -s Versions/Current/Bar "$C/Frameworks/Bar.framework/Bar"
dylib "${A[@]}" -- "$C/Frameworks/libpick.dylib" @rpath/libpick.dylib "$(src pick 'int pick(void){return 5;}')"
dylib "${X[@]}" -- "$C/lib/libpick.dylib" @rpath/libpick.dylib "$TMP/pick.c"

"${CC[@]}" "${A[@]}" -e _main -o "$C/MacOS/app" \
  "$(src app 'int foo(void); int bar(void); int exe(void); int main(void){return foo()+bar()+exe();}')" \
  -Wl,-rpath,@executable_path/../Frameworks -Wl,-rpath,@loader_path/../lib \
  "$C/lib/libfoo.dylib" "$TMP/bar.tbd" "$C/lib/libexe.dylib" \
  -Wl,-weak_library,"$TMP/weak.tbd" "$TMP/libSystem.tbd"
"${CC[@]}" "${A[@]}" -e _main -o "$C/MacOS/broken" \
  "$(src broken 'int gone(void); int main(void){return gone();}')" \
  -Wl,-rpath,@executable_path/../lib "$TMP/gone.tbd" "$TMP/libSystem.tbd"
src fatapp 'int pick(void); int main(void){return pick();}' >/dev/null
for arch in arm64 x86_64; do
  case $arch in
    arm64) flags=("${A[@]}") pick="$C/Frameworks/libpick.dylib" ;;
    x86_64) flags=("${X[@]}") pick="$C/lib/libpick.dylib" ;;
  esac
  "${CC[@]}" "${flags[@]}" -e _main -o "$TMP/fatapp-$arch" "$TMP/fatapp.c" \
    -Wl,-rpath,@executable_path/../Frameworks -Wl,-rpath,@executable_path/../lib \
    "$pick" "$TMP/libSystem.tbd"
done
llvm-lipo-19 -create -output "$C/MacOS/fatapp" "$TMP/fatapp-arm64" "$TMP/fatapp-x86_64"
"${CC[@]}" "${A[@]}" -bundle -o "$C/Plugins/plug.bundle" \
  "$(src plug 'int foo(void); int exe(void); int plug(void){return foo()+exe();}')" \
  "$C/lib/libfoo.dylib" "$C/lib/libexe.dylib" "$TMP/libSystem.tbd"
