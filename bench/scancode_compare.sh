#!/usr/bin/env bash
# assay's license per Go module against ScanCode's (scancode-toolkit from PyPI) on real Go
# programs built here from the module proxy. Outside the test suite: ScanCode takes ~1.5 min
# to install and ~1 min to scan. Results in bench/out/scancode/.
#
#   bash bench/scancode_compare.sh [BIN...]     # default: yq, fzf, gum (held out of the db)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH
OUT=bench/out
VENV=$OUT/scancode-venv
if [[ ! -x $VENV/bin/scancode ]]; then
  python3 -m venv "$VENV"
  # scancode-toolkit 32.5.0's plugin hooks do not register with pluggy >= 1.6
  "$VENV/bin/pip" install -q 'scancode-toolkit==32.5.0' 'pluggy<1.6'
fi
cargo build --release --locked -q
# Go programs, with their modules in a module cache of their own (ScanCode reads it).
export GOMODCACHE=$PWD/$OUT/gomod GOBIN=$PWD/$OUT/bins GOFLAGS=-trimpath CGO_ENABLED=0
if (($# == 0)); then
  for m in github.com/mikefarah/yq/v4@v4.54.3 github.com/junegunn/fzf@v0.67.0 \
    github.com/charmbracelet/gum@v0.17.0; do
    go install "$m"
  done
  set -- "$GOBIN/yq" "$GOBIN/fzf" "$GOBIN/gum"
else
  # modules of given binaries must be in the cache: fetch them
  for b in "$@"; do
    go version -m "$b" | awk '$1=="dep"{print $2"@"$3} $1=="=>"{print $2"@"$3}' |
      xargs -r -n 20 go mod download -x 2>/dev/null || true
  done
fi
python3 bench/scancode_compare.py "$VENV/bin/scancode" "$GOMODCACHE" "$@"
