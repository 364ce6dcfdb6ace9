#!/usr/bin/env bash
# Installs the official SBOM validators into <repo>/.venv (idempotent).
#
#   spdx-tools (pyspdxtools)           SPDX 2.x semantic validation
#   cyclonedx-python-lib[validation]   CycloneDX JSON/XML schema validation
#   check-jsonschema (+ jsonschema)    JSON schema validation of SPDX 2.3
#   spdx-python-model                  SPDX 3.0.1 JSON-LD type checks (offline)
#   lib4sbom (wheel only, not installed): source of the SPDX 2.3 JSON schema
#                                      -> .venv/schemas/spdx-schema-2.3.json
#
# A stamp file (.venv/.assay-validators.stamp) records the pinned set; when it
# matches and the outputs exist, the script exits immediately.
# Network: PyPI only (through pip).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.venv"
SCHEMA_DIR="$VENV/schemas"
SPDX_SCHEMA="$SCHEMA_DIR/spdx-schema-2.3.json"
STAMP="$VENV/.assay-validators.stamp"

PYTHON="${PYTHON:-python3}"

PIP_PACKAGES=(
  "spdx-tools==0.8.5"
  "cyclonedx-python-lib[validation]==11.12.0"
  "check-jsonschema==0.39.0"
  "spdx-python-model==0.0.6"
)
SCHEMA_WHEEL="lib4sbom==0.10.4"
SCHEMA_MEMBER="lib4sbom/schemas/spdx/2.3-schema.json"

log() { printf 'install.sh: %s\n' "$*" >&2; }

# Everything that should trigger a re-install when it changes.
# Bump STAMP_FORMAT when this script's outputs change in shape.
STAMP_FORMAT=1
WANT_STAMP="format=$STAMP_FORMAT
${PIP_PACKAGES[*]}
$SCHEMA_WHEEL:$SCHEMA_MEMBER"

if [[ -f "$STAMP" && -x "$VENV/bin/python" && -s "$SPDX_SCHEMA" ]] \
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

# Smoke-check that everything imports before declaring success.
"$VENV/bin/python" -c '
import spdx_tools.spdx.parser.parse_anything, spdx_tools.spdx.validation.document_validator
import cyclonedx.validation.json, cyclonedx.validation.xml, jsonschema, check_jsonschema
import spdx_python_model
'

printf '%s' "$WANT_STAMP" > "$STAMP"
log "validators installed in $VENV"
