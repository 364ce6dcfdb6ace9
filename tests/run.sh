#!/usr/bin/env bash
# The project's test command:  bash tests/run.sh [extra cargo test args]
#
#  1. installs the Debian packages the tests need (only those missing)
#  2. installs the official SBOM validators into <repo>/.venv (tests/tools/install.sh)
#  3. self-tests the validator harness (tests/tools/selftest.sh)
#  4. cargo test --release --locked "$@"  with ASSAY_VENV=<repo>/.venv
set -euo pipefail

# Debian packages the tests use. Add to this list; nothing else to change.
APT_PACKAGES=(
  binutils   # readelf, nm, objdump: ELF oracles
  llvm       # llvm-objdump, llvm-readobj
  llvm-19    # llvm-objdump-19 (>= 16 prints LC_DYLD_EXPORTS_TRIE), llvm-readobj-19: native oracles
  abigail-tools  # abidiff: oracle for `assay abi diff` (tests/native_oracle.rs)
  chromium   # headless: renders the attribution HTML report (tests/attribution.rs)
  umoci            # builds OCI image layouts for tests/image.rs
  skopeo           # converts them to archives and pushes them to registries
  docker-registry  # loopback registries (plain HTTP, and HTTPS with basic auth)
  apache2-utils    # htpasswd (bcrypt) for the registry's basic auth
  openssl          # test CA and leaf certificate
  gcc              # a tiny C program and shared library for the image fixture
  g++              # C++ cases of the ABI oracle matrix (tests/abi_oracle.rs)
  clang-19 lld-19  # Mach-O (arm64-apple-macos) builds of the ABI matrix; dsymutil-19 comes with llvm-19
  mmdebstrap       # real Debian root filesystems (tests/tools/debian-root.sh)
  musl musl-tools  # musl loader and musl-gcc: musl roots and programs (tests/loader.rs)
  rpm              # rpmbuild and rpm databases for tests/rpm_header.rs
  db5.3-util       # db5.3_load: Berkeley DB rpm Packages files for tests/rpm_databases.rs
  python3-debian   # DEP-5 parser: truth for Debian package licenses (tests/os_licenses.rs)
  openjdk-17-jre-headless  # java: SPDX Java tools' Verify (tests/consumers.rs)
  libsqlite3-dev   # Debian's static SQLite, embedded in a C program (tests/consumers.rs)
  curl             # fetches real .crate files once into target/test-cache (tests/crate_remote.rs)
)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

log() { printf 'run.sh: %s\n' "$*" >&2; }

export DEBIAN_FRONTEND=noninteractive
if [[ "${CI:-}" == "true" ]]; then
  export CARGO_TERM_PROGRESS_WHEN=never PIP_NO_INPUT=1
fi

# --- 1. Debian packages -----------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  SUDO=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
    SUDO=(sudo -n)
  fi
  log "apt-get install ${missing[*]}"
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2
fi

# upx (for `upx -d` oracles) is in bookworm-backports, not bookworm.
if ! command -v upx >/dev/null; then
  SUDO=()
  [[ $(id -u) == 0 ]] || SUDO=(sudo -n)
  if ! apt-cache policy upx-ucl 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' |
      "${SUDO[@]}" tee /etc/apt/sources.list.d/backports.list >/dev/null
    "${SUDO[@]}" apt-get update -q >&2
  fi
  log "apt-get install upx-ucl (bookworm-backports)"
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends -t bookworm-backports upx-ucl </dev/null >&2 ||
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends upx-ucl </dev/null >&2
fi

# --- 2./3. validators ---------------------------------------------------------
bash tests/tools/install.sh
export ASSAY_VENV="$REPO_ROOT/.venv"
bash tests/tools/selftest.sh

# --- 4. cargo test ------------------------------------------------------------
if ! command -v cargo >/dev/null && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
log "cargo test --release --locked $*"
exec cargo test --release --locked "$@"
