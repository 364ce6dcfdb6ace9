#!/usr/bin/env bash
# Builds (once) a real Debian bookworm root filesystem with mmdebstrap and prints its path.
#
#   bash tests/tools/debian-root.sh NAME [PACKAGE...]
#
# The root is cached under ${ASSAY_TEST_CACHE:-<repo>/target/test-cache}/roots/NAME-<hash of the
# package list>, so a second call costs nothing. Variant minbase; PACKAGEs are added with
# --include (from Debian's archive, as dpkg installs them). Needs root (CI and sessions are root).
# The tests use these roots as the truth for images: dpkg's own database, and `chroot ROOT prog`
# as the real loader's answer.
set -euo pipefail
name=${1:?usage: debian-root.sh NAME [PACKAGE...]}
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${ASSAY_TEST_CACHE:-$repo/target/test-cache}
key=$(printf '%s\n' bookworm minbase "$@" | sha256sum | cut -c1-12)
dest="$cache/roots/$name-$key"
if [[ -f "$dest/.complete" ]]; then
  echo "$dest"
  exit 0
fi
mkdir -p "$cache/roots"
# One builder per root: tests running in parallel wait for it rather than replace it under
# each other's feet.
exec 9>"$dest.lock"
flock 9
if [[ -f "$dest/.complete" ]]; then
  echo "$dest"
  exit 0
fi
command -v mmdebstrap >/dev/null || {
  echo "debian-root.sh: mmdebstrap missing (tests/run.sh installs it)" >&2
  exit 1
}
mkdir -p "$cache/roots"
tmp=$(mktemp -d "$cache/roots/.build.XXXXXX")
include=()
if (($#)); then include=(--include="$(IFS=,; echo "$*")"); fi
mirror=${ASSAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if ! mmdebstrap --quiet --variant=minbase "${include[@]}" bookworm "$tmp/root" \
  "deb [trusted=yes] $mirror bookworm main" >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2
  rm -rf "$tmp"
  exit 1
fi
rm -rf "$dest"
mv "$tmp/root" "$dest"
rm -rf "$tmp"
touch "$dest/.complete"
echo "$dest"
