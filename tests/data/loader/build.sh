#!/usr/bin/env bash
# Builds the loader test programs and libraries into OUT (tests/loader.rs).
#   bash tests/data/loader/build.sh OUT
# Link-time stubs live in OUT/stub and never enter a root: each program is linked against a
# stub that has what the root will lack (a library, a version node, a symbol).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build.sh OUT}
rm -rf "$out"; mkdir -p "$out/stub" "$out/bin" "$out/lib"
cc() { gcc -O1 -fno-stack-protector "$@"; }
shlib() { # NAME SONAME FN [extra]
  local name=$1 soname=$2 fn=$3; shift 3
  cc -shared -fPIC -DLIB_FN="$fn" -Wl,-soname,"$soname" -o "$name" "$here/lib.c" "$@"
}
prog() { # OUT FN LIB [extra]
  local o=$1 fn=$2 lib=$3; shift 3
  cc -DNEEDED_FN="$fn" -o "$o" "$here/needs.c" "$lib" "$@"
}
cc -o "$out/bin/ok" "$here/hello.c"
# library-not-found: libyaml-0.so.2 exists only as a link-time stub.
shlib "$out/stub/libyaml-0.so.2" libyaml-0.so.2 yaml_get_version_string
prog "$out/bin/needs-yaml" yaml_get_version_string "$out/stub/libyaml-0.so.2"
# symbol-version-missing: strlcpy@GLIBC_2.38 from a stub libc.so.6 with that version node.
# The stub stands in for all of libc at link time (what the program calls, by version).
cat > "$out/stub/libc-stub.c" <<'C'
#include <stddef.h>
size_t strlcpy(char *d, const char *s, size_t n) { (void)d; (void)s; return n; }
int puts(const char *s) { (void)s; return 0; }
int __libc_start_main(void) { return 0; }
C
cc -shared -fPIC -nostdlib -Wl,-soname,libc.so.6 -Wl,--version-script="$here/glibc238.map" \
  -o "$out/stub/libc.so.6" "$out/stub/libc-stub.c"
cc -nodefaultlibs -o "$out/bin/needs-glibc238" "$here/strlcpy.c" "$out/stub/libc.so.6"
# $ORIGIN RUNPATH that loads: bin/origin finds ../lib/libown.so.
shlib "$out/lib/libown.so" libown.so own_fn
prog "$out/bin/origin" own_fn "$out/lib/libown.so" -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'
# A library placed off the loader path (the test puts it in /opt/hidden).
shlib "$out/lib/libhidden.so" libhidden.so hidden_fn
prog "$out/bin/off-path" hidden_fn "$out/lib/libhidden.so"
# A library in an ld.so.conf directory (/usr/local/lib) without ldconfig run.
shlib "$out/lib/libstale.so.1" libstale.so.1 stale_fn
prog "$out/bin/stale-cache" stale_fn "$out/lib/libstale.so.1"
# undefined-symbol: linked against a stub defining undef_fn; the root's libundef.so.1 lacks it.
shlib "$out/stub/libundef.so.1" libundef.so.1 undef_fn
shlib "$out/lib/libundef.so.1" libundef.so.1 other_fn
prog "$out/bin/undef-lazy" undef_fn "$out/stub/libundef.so.1" -Wl,-z,lazy
prog "$out/bin/undef-now" undef_fn "$out/stub/libundef.so.1" -Wl,-z,now
# musl: a program for musl's loader.
musl-gcc -o "$out/bin/musl-hello" "$here/hello.c"
# symbol-version-missing through libm: a stub libm.so.6 defines the GLIBC_2.38 node.
cat > "$out/stub/libm.map" <<'M'
GLIBC_2.38 { global: assay_libm_fn; local: *; };
M
shlib "$out/stub/libm.so.6" libm.so.6 assay_libm_fn -Wl,--version-script="$out/stub/libm.map"
prog "$out/bin/needs-libm238" assay_libm_fn "$out/stub/libm.so.6"
# Image config Env: libenv.so lives only in /opt/envlib, reached through LD_LIBRARY_PATH;
# libpre.so, preloaded, defines undef_fn (which the root's libundef.so.1 lacks).
shlib "$out/lib/libenv.so" libenv.so env_fn
prog "$out/bin/env-lib" env_fn "$out/lib/libenv.so"
shlib "$out/lib/libpre.so" libpre.so undef_fn
# Dynamic string tokens: RUNPATH /opt/tok/$LIB and /opt/plat/$PLATFORM.
shlib "$out/lib/libtok.so" libtok.so tok_fn
shlib "$out/lib/libplat.so" libplat.so plat_fn
prog "$out/bin/tokens" tok_fn "$out/lib/libtok.so" -Wl,--no-as-needed "$out/lib/libplat.so" \
  -Wl,--enable-new-dtags -Wl,-rpath,'/opt/tok/$LIB:/opt/plat/$PLATFORM'
# glibc-hwcaps: libhw.so.1 in /opt/hw and in its x86-64-v3 subdirectory; libhwonly.so.1
# only in the x86-64-v2 subdirectory (a baseline CPU does not find it).
shlib "$out/lib/libhw.so.1" libhw.so.1 hw_fn
prog "$out/bin/hwcaps" hw_fn "$out/lib/libhw.so.1" -Wl,--enable-new-dtags -Wl,-rpath,/opt/hw
shlib "$out/lib/libhwonly.so.1" libhwonly.so.1 hwonly_fn
prog "$out/bin/hwcaps-only" hwonly_fn "$out/lib/libhwonly.so.1" -Wl,--enable-new-dtags -Wl,-rpath,/opt/hw
# The oracle's helper (never in a root that is scanned): sets VAR=VALUE arguments and execs
# the program, so the loader environment reaches the program only.
mkdir -p "$out/tools"
gcc -static -O1 -o "$out/tools/envexec" "$here/envexec.c"
# Search order: RUNPATH /opt/rp holds libord.so with ord_fn; /opt/envlib holds a libord.so
# without it. LD_LIBRARY_PATH comes before RUNPATH: with it, ord_fn is undefined.
shlib "$out/lib/libord.so" libord.so ord_fn
shlib "$out/lib/libord-bad.so" libord.so other_fn
prog "$out/bin/env-order" ord_fn "$out/lib/libord.so" -Wl,--enable-new-dtags -Wl,-rpath,/opt/rp
# The same order under musl (LD_LIBRARY_PATH first, then RUNPATH): musl-order needs mx_fn
# from libmx.so; /opt/rp has it, /opt/envlib has a libmx.so without it.
musl-gcc -shared -fPIC -DLIB_FN=mx_fn -Wl,-soname,libmx.so -o "$out/lib/libmx.so" "$here/lib.c"
musl-gcc -shared -fPIC -DLIB_FN=other_fn -Wl,-soname,libmx.so -o "$out/lib/libmx-bad.so" "$here/lib.c"
musl-gcc -DNEEDED_FN=mx_fn -o "$out/bin/musl-order" "$here/needs.c" "$out/lib/libmx.so" \
  -Wl,--enable-new-dtags -Wl,-rpath,/opt/rp
