#!/usr/bin/env python3
"""Validate SBOM files with the official validators.

Usage: validate_sbom.py FORMAT FILE...

FORMAT:
  spdx-json            SPDX 2.3 JSON: spdx-tools semantic validation
                       (parse + validate_full_spdx_document, version SPDX-2.3)
                       AND the SPDX 2.3 JSON schema (from lib4sbom, extracted
                       by install.sh to <venv>/schemas/spdx-schema-2.3.json).
  cyclonedx-json       CycloneDX 1.6 JSON: cyclonedx-python-lib's
                       JsonStrictValidator, plus checks the schema cannot
                       express: specVersion equals the requested version,
                       bom-refs are unique, and dependencies / annotation
                       subjects / compositions refer to declared bom-refs.
  cyclonedx-json@1.X   CycloneDX 1.X JSON (1.2 .. 1.7).

Prints every validation message; exit status 0 when every file is valid,
1 when any file is invalid, 2 on usage errors (bad FORMAT, missing file,
validators not installed).

The validators live in the venv made by tests/tools/install.sh: $ASSAY_VENV,
else <repo>/.venv. When started with another interpreter, the script
re-executes itself with that venv's python.
"""

import json
import os
import sys
import traceback

USAGE = "usage: validate_sbom.py {spdx-json|cyclonedx-json[@1.X]} FILE..."
SPDX_VERSION = "SPDX-2.3"
DEFAULT_CDX_VERSION = "1.6"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))


def venv_dir():
    return os.path.abspath(os.environ.get("ASSAY_VENV") or os.path.join(REPO_ROOT, ".venv"))


def ensure_venv():
    """Re-exec under the validators' venv unless already running there."""
    venv = venv_dir()
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    py = os.path.join(venv, "bin", "python")
    if not os.access(py, os.X_OK):
        usage_error(f"no venv at {venv}: run tests/tools/install.sh first")
    if os.environ.get("_ASSAY_VALIDATE_REEXEC"):
        usage_error(f"re-exec into {venv} did not take effect (sys.prefix={sys.prefix})")
    os.environ["_ASSAY_VALIDATE_REEXEC"] = "1"
    os.execv(py, [py, os.path.abspath(sys.argv[0])] + sys.argv[1:])


def usage_error(msg):
    print(f"validate_sbom: {msg}", file=sys.stderr)
    print(USAGE, file=sys.stderr)
    sys.exit(2)


def defer_rfc3987_syntax():
    """Import rfc3987_syntax only when an "iri"/"iri-reference" value is checked.

    jsonschema's format checker imports it eagerly, and that module compiles
    a Lark grammar at import time: ~2.5 s per process, more than everything
    else together. A stand-in module forwards to the real one on first use,
    so the checks are unchanged; documents without such values skip the cost.
    """
    import importlib
    import importlib.util
    import types

    name = "rfc3987_syntax"
    if name in sys.modules or importlib.util.find_spec(name) is None:
        return
    real = None

    def is_valid_syntax(rule, value):
        nonlocal real
        if real is None:
            del sys.modules[name]
            real = importlib.import_module(name).is_valid_syntax
        return real(rule, value)

    stub = types.ModuleType(name)
    stub.is_valid_syntax = is_valid_syntax
    sys.modules[name] = stub


def json_path(error):
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


# --------------------------------------------------------------------- SPDX

def spdx_schema_validator():
    import jsonschema

    path = os.path.join(venv_dir(), "schemas", "spdx-schema-2.3.json")
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except OSError as e:
        usage_error(f"cannot read SPDX schema {path}: {e} (run tests/tools/install.sh)")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_spdx(path, text, schema_validator):
    """Returns a list of messages (empty when valid)."""
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.json import json_parser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    messages = []

    # 1. JSON schema.
    try:
        data = json.loads(text)
    except ValueError as e:
        return [f"[json] not valid JSON: {e}"]
    for err in sorted(schema_validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        messages.append(f"[schema] {json_path(err)}: {err.message}")

    # 2. spdx-tools semantics. json_parser is what parse_anything.parse_file
    #    uses for *.json; called directly so that the file name does not matter.
    try:
        document = json_parser.parse_from_file(path)
    except SPDXParsingError as e:
        for m in e.get_messages():
            messages.append(f"[spdx-tools parse] {m}")
        return messages
    except Exception as e:  # the parser crashing is a failure too
        messages.append(f"[spdx-tools parse] parser raised {type(e).__name__}: {e}")
        messages.extend("    " + l for l in traceback.format_exc().rstrip().splitlines()[-3:])
        return messages
    for m in validate_full_spdx_document(document, SPDX_VERSION):
        ctx = m.context
        where = ctx.spdx_id or ctx.parent_id or ""
        kind = ctx.element_type.name if ctx.element_type else ""
        prefix = f"{kind} {where}".strip()
        messages.append(f"[spdx-tools] {prefix + ': ' if prefix else ''}{m.validation_message}")
    return messages


# ---------------------------------------------------------------- CycloneDX

def cdx_validator(version):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    try:
        sv = SchemaVersion.from_version(version)
    except Exception:
        usage_error(f"unknown CycloneDX version {version!r}")
    if sv.to_version() in ("1.0", "1.1"):
        usage_error(f"CycloneDX {version} has no JSON format")
    return JsonStrictValidator(sv)


def cdx_ref_messages(data):
    """Referential integrity, which the JSON schema cannot express: every
    bom-ref is unique, and dependencies / annotation subjects / compositions
    point at a bom-ref declared in this BOM (BOM-Links "urn:cdx:..." exempt)."""
    if not isinstance(data, dict):
        return []
    messages, declared = [], {}

    def walk(node, path):
        if isinstance(node, dict):
            ref = node.get("bom-ref")
            if isinstance(ref, str):
                if ref in declared:
                    messages.append(f"[refs] {path}: duplicate bom-ref {ref!r} (first at {declared[ref]})")
                else:
                    declared[ref] = path
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(data, "$")

    def check(ref, path):
        if isinstance(ref, str) and not ref.startswith("urn:cdx:") and ref not in declared:
            messages.append(f"[refs] {path}: {ref!r} is not a bom-ref of this BOM")

    def as_list(v):
        return v if isinstance(v, list) else []

    for i, dep in enumerate(as_list(data.get("dependencies"))):
        if isinstance(dep, dict):
            check(dep.get("ref"), f"$.dependencies[{i}].ref")
            for key in ("dependsOn", "provides"):
                for j, r in enumerate(as_list(dep.get(key))):
                    check(r, f"$.dependencies[{i}].{key}[{j}]")
    for i, ann in enumerate(as_list(data.get("annotations"))):
        if isinstance(ann, dict):
            for j, r in enumerate(as_list(ann.get("subjects"))):
                check(r, f"$.annotations[{i}].subjects[{j}]")
    for i, comp in enumerate(as_list(data.get("compositions"))):
        if isinstance(comp, dict):
            for key in ("assemblies", "dependencies", "vulnerabilities"):
                for j, r in enumerate(as_list(comp.get(key))):
                    check(r, f"$.compositions[{i}].{key}[{j}]")
    return messages


def validate_cdx(path, text, validator, version):
    try:
        data = json.loads(text)
    except ValueError as e:
        return [f"[json] not valid JSON: {e}"]
    messages = []
    # The 1.x schemas do not pin specVersion; a 1.5 BOM must not pass as 1.6.
    if isinstance(data, dict) and data.get("specVersion") != version:
        messages.append(f"[harness] $.specVersion: {data.get('specVersion')!r}, expected {version!r}")
    errors = validator.validate_str(text, all_errors=True)
    if errors is not None:
        for err in sorted((e.data for e in errors), key=lambda e: [str(p) for p in e.absolute_path]):
            messages.append(f"[schema] {json_path(err)}: {err.message}")
    messages.extend(cdx_ref_messages(data))
    return messages


# --------------------------------------------------------------------- main

def main(argv):
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if len(argv) < 2:
        usage_error("need FORMAT and at least one FILE")
    fmt, files = argv[0], argv[1:]
    if fmt == "spdx-json":
        kind, version = "spdx", SPDX_VERSION
    elif fmt == "cyclonedx-json" or fmt.startswith("cyclonedx-json@"):
        kind = "cdx"
        version = fmt.partition("@")[2] or DEFAULT_CDX_VERSION
    else:
        usage_error(f"unknown FORMAT {fmt!r}")
    for f in files:
        if not os.path.isfile(f):
            usage_error(f"no such file: {f}")

    ensure_venv()
    defer_rfc3987_syntax()

    if kind == "spdx":
        validator = spdx_schema_validator()
        check = lambda p, t: validate_spdx(p, t, validator)
    else:
        validator = cdx_validator(version)
        check = lambda p, t: validate_cdx(p, t, validator, version)

    label = "spdx-json@2.3" if kind == "spdx" else f"cyclonedx-json@{version}"
    bad = 0
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as e:
            messages = [f"[io] cannot read as UTF-8: {e}"]
        else:
            messages = check(f, text)
        if messages:
            bad += 1
            print(f"{f}: INVALID ({label}, {len(messages)} message(s))")
            for m in messages:
                print(f"  {m}")
        else:
            print(f"{f}: valid ({label})")
    sys.stdout.flush()
    print(f"validate_sbom: {len(files) - bad} valid, {bad} invalid", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
else:
    defer_rfc3987_syntax()
