#!/usr/bin/env bash
# Installs the official SBOM validators into <repo>/.venv (idempotent).
#
#   spdx-tools (pyspdxtools)           SPDX 2.x semantic validation
#   cyclonedx-python-lib[validation]   CycloneDX JSON/XML schema validation
#   check-jsonschema (+ jsonschema)    JSON schema validation of SPDX 2.3
#   spdx-python-model                  SPDX 3.0.1 JSON-LD type checks (offline)
#   ntia-conformance-checker (sbomcheck) NTIA minimum elements / CISA FSCT3 minimum
#   delocate                           macOS wheel dylib resolver (delocate-listdeps):
#                                      oracle for Mach-O dyld resolution (tests/macho_dyld.rs)
#   org.spdx:tools-java (Maven Central, jar-with-dependencies, sha1-checked, not run here)
#                                      SPDX Java tools' Verify -> .venv/tools/tools-java.jar
#   lib4sbom (wheel only, not installed): source of the SPDX 2.3 JSON schema
#                                      -> .venv/schemas/spdx-schema-2.3.json
#   @microsoft/jest-sarif (npm pack, not installed): source of the SARIF 2.1.0
#                                      JSON schema (sha256-pinned)
#                                      -> .venv/schemas/sarif-schema-2.1.0.json
#
# A stamp file (.venv/.assay-validators.stamp) records the pinned set; when it
# matches and the outputs exist, the script exits immediately.
# Network: PyPI (through pip) and the npm registry (through npm pack).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.venv"
SCHEMA_DIR="$VENV/schemas"
SPDX_SCHEMA="$SCHEMA_DIR/spdx-schema-2.3.json"
SARIF_SCHEMA="$SCHEMA_DIR/sarif-schema-2.1.0.json"
STAMP="$VENV/.assay-validators.stamp"

PYTHON="${PYTHON:-python3}"

PIP_PACKAGES=(
  "spdx-tools==0.8.5"
  "cyclonedx-python-lib[validation]==11.12.0"
  "check-jsonschema==0.39.0"
  "spdx-python-model==0.0.6"
  "ntia-conformance-checker==6.0.0"
  "delocate==0.13.0"
)
TOOLS_JAVA_URL="https://repo1.maven.org/maven2/org/spdx/tools-java/2.0.1/tools-java-2.0.1-jar-with-dependencies.jar"
TOOLS_JAVA_SHA1="9c50b4e7c3aca13c01334948d2d34df780f276e2"
TOOLS_JAVA="$VENV/tools/tools-java.jar"
SCHEMA_WHEEL="lib4sbom==0.10.4"
SCHEMA_MEMBER="lib4sbom/schemas/spdx/2.3-schema.json"
SARIF_PACKAGE="@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_MEMBER="package/lib/schemas/sarif-2.1.0-rtm.5.json"
SARIF_SHA256="2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"

log() { printf 'install.sh: %s\n' "$*" >&2; }

# Everything that should trigger a re-install when it changes.
# Bump STAMP_FORMAT when this script's outputs change in shape.
STAMP_FORMAT=3
WANT_STAMP="format=$STAMP_FORMAT
${PIP_PACKAGES[*]}
$TOOLS_JAVA_URL:$TOOLS_JAVA_SHA1
$SCHEMA_WHEEL:$SCHEMA_MEMBER
$SARIF_PACKAGE:$SARIF_MEMBER:$SARIF_SHA256"

if [[ -f "$STAMP" && -x "$VENV/bin/python" && -s "$SPDX_SCHEMA" && -s "$SARIF_SCHEMA" && -s "$TOOLS_JAVA" ]] \
   && [[ "$(cat "$STAMP")" == "$WANT_STAMP" ]]; then
  log "validators up to date in $VENV"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv $VENV ($("$PYTHON" --version 2>&1))"
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$STAMP"

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
log "pip install ${PIP_PACKAGES[*]}"
"$VENV/bin/python" -m pip install --quiet "${PIP_PACKAGES[@]}" >&2

log "fetching $SCHEMA_WHEEL (wheel only) for the SPDX 2.3 JSON schema"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$VENV/bin/python" -m pip download --quiet --no-deps --only-binary=:all: \
  --dest "$TMP" "$SCHEMA_WHEEL" >&2
mkdir -p "$SCHEMA_DIR"
"$VENV/bin/python" - "$TMP" "$SCHEMA_MEMBER" "$SPDX_SCHEMA" <<'PY'
import glob, json, os, sys, zipfile
tmp, member, dest = sys.argv[1:]
wheels = glob.glob(os.path.join(tmp, "*.whl"))
if len(wheels) != 1:
    sys.exit(f"expected one wheel in {tmp}, found {wheels}")
data = zipfile.ZipFile(wheels[0]).read(member)
schema = json.loads(data)
if schema.get("title") != "SPDX 2.3":
    sys.exit(f"{member}: unexpected schema title {schema.get('title')!r}")
with open(dest + ".tmp", "wb") as f:
    f.write(data)
os.replace(dest + ".tmp", dest)
PY
log "wrote $SPDX_SCHEMA"

log "fetching $SARIF_PACKAGE (npm pack, not installed) for the SARIF 2.1.0 JSON schema"
command -v npm >/dev/null || { log "npm is needed to fetch the SARIF schema (install Node.js)"; exit 1; }
(cd "$TMP" && npm pack --silent "$SARIF_PACKAGE" >/dev/null)
tar -xzf "$TMP"/*.tgz -C "$TMP" "$SARIF_MEMBER"
got="$(sha256sum "$TMP/$SARIF_MEMBER" | cut -d' ' -f1)"
if [[ "$got" != "$SARIF_SHA256" ]]; then
  log "SARIF schema checksum mismatch: got $got, want $SARIF_SHA256"
  exit 1
fi
cp "$TMP/$SARIF_MEMBER" "$SARIF_SCHEMA.tmp" && mv "$SARIF_SCHEMA.tmp" "$SARIF_SCHEMA"
log "wrote $SARIF_SCHEMA"

# SPDX Java tools (Maven Central): fetched once, checked against the sha1 Maven publishes.
if [[ ! -s "$TOOLS_JAVA" ]] || [[ "$(sha1sum "$TOOLS_JAVA" | cut -d' ' -f1)" != "$TOOLS_JAVA_SHA1" ]]; then
  log "fetching $TOOLS_JAVA_URL"
  mkdir -p "$(dirname "$TOOLS_JAVA")"
  curl -sSfL -o "$TOOLS_JAVA.tmp" "$TOOLS_JAVA_URL"
  got="$(sha1sum "$TOOLS_JAVA.tmp" | cut -d' ' -f1)"
  if [[ "$got" != "$TOOLS_JAVA_SHA1" ]]; then
    log "tools-java checksum mismatch: got $got, want $TOOLS_JAVA_SHA1"
    exit 1
  fi
  mv "$TOOLS_JAVA.tmp" "$TOOLS_JAVA"
fi
log "have $TOOLS_JAVA"

# Smoke-check that everything imports before declaring success.
"$VENV/bin/python" -c '
import spdx_tools.spdx.parser.parse_anything, spdx_tools.spdx.validation.document_validator
import cyclonedx.validation.json, cyclonedx.validation.xml, jsonschema, check_jsonschema
import spdx_python_model, ntia_conformance_checker, delocate
'

printf '%s' "$WANT_STAMP" > "$STAMP"
log "validators installed in $VENV"
