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
  spdx-tag-value       SPDX 2.3 tag-value: spdx-tools' tag-value parser and
                       validate_full_spdx_document (what pyspdxtools runs).
  cyclonedx-xml[@1.X]  CycloneDX XML (default 1.6): cyclonedx-python-lib's
                       XSD validator, plus the root namespace must be the
                       requested version's.
  spdx3-json           SPDX 3.0.1 JSON-LD, offline: spdx-python-model's
                       JSONLDDeserializer (types, enums, unknown properties),
                       link() (every reference resolves), and re-serializing
                       (required properties and cardinalities); plus the
                       official 3.0.1 @context and one SpdxDocument.
  sarif                SARIF 2.1.0: the OASIS JSON schema (2.1.0-rtm.5, from
                       npm @microsoft/jest-sarif, extracted by install.sh to
                       <venv>/schemas/sarif-schema-2.1.0.json), plus
                       version "2.1.0" and every result's ruleIndex/ruleId
                       naming a rule of its run.
  cyclonedx-equivalent Two files, CycloneDX JSON then XML (same version): both
                       load with cyclonedx-python-lib to the same facts —
                       metadata, every component (type, name, version, purl,
                       hashes, licenses, properties, occurrences, pedigree),
                       the dependency graph — and carry the same annotations.
  spdx-equivalent      Two files, SPDX 2.3 JSON then tag-value: both parse
                       with spdx-tools to the same document (relationships
                       compared as a set, since tag-value expresses package
                       containment by position).

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

USAGE = ("usage: validate_sbom.py {spdx-json|spdx-tag-value|cyclonedx-json[@1.X]|"
         "cyclonedx-xml[@1.X]|spdx3-json|sarif} FILE...\n"
         "       validate_sbom.py spdx-equivalent DOC.spdx.json DOC.spdx\n"
         "       validate_sbom.py cyclonedx-equivalent DOC.cdx.json DOC.cdx.xml")
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


def spdx_tools_messages(document):
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    messages = []
    for m in validate_full_spdx_document(document, SPDX_VERSION):
        ctx = m.context
        where = ctx.spdx_id or ctx.parent_id or ""
        kind = ctx.element_type.name if ctx.element_type else ""
        prefix = f"{kind} {where}".strip()
        messages.append(f"[spdx-tools] {prefix + ': ' if prefix else ''}{m.validation_message}")
    return messages


def parse_spdx(path, parser):
    """(document, messages): spdx-tools' parser for one serialization."""
    from spdx_tools.spdx.parser.error import SPDXParsingError

    try:
        return parser.parse_from_file(path), []
    except SPDXParsingError as e:
        return None, [f"[spdx-tools parse] {m}" for m in e.get_messages()]
    except Exception as e:  # the parser crashing is a failure too
        lines = traceback.format_exc().rstrip().splitlines()[-3:]
        return None, [f"[spdx-tools parse] parser raised {type(e).__name__}: {e}"] + ["    " + l for l in lines]


def validate_spdx_tag_value(path, text):
    from spdx_tools.spdx.parser.tagvalue import tagvalue_parser

    document, messages = parse_spdx(path, tagvalue_parser)
    if document is None:
        return messages
    return spdx_tools_messages(document)


def spdx_equivalence_messages(json_path_, tv_path):
    from spdx_tools.spdx.parser.json import json_parser
    from spdx_tools.spdx.parser.tagvalue import tagvalue_parser

    a, messages = parse_spdx(json_path_, json_parser)
    b, more = parse_spdx(tv_path, tagvalue_parser)
    messages += more
    if a is None or b is None:
        return messages
    for field in ("creation_info", "packages", "files", "snippets", "annotations", "extracted_licensing_info"):
        if getattr(a, field) != getattr(b, field):
            messages.append(f"[equivalence] {field} differ")
    ra, rb = set(map(repr, a.relationships)), set(map(repr, b.relationships))
    for r in sorted(ra - rb):
        messages.append(f"[equivalence] relationship only in JSON: {r}")
    for r in sorted(rb - ra):
        messages.append(f"[equivalence] relationship only in tag-value: {r}")
    return messages


def validate_spdx(path, text, schema_validator):
    """Returns a list of messages (empty when valid)."""
    from spdx_tools.spdx.parser.json import json_parser

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
    document, parse_messages = parse_spdx(path, json_parser)
    if document is None:
        return messages + parse_messages
    messages.extend(spdx_tools_messages(document))
    return messages


SPDX3_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


def validate_spdx3(path, text):
    import io
    from spdx_python_model import v3_0_1 as spdx3

    try:
        data = json.loads(text)
    except ValueError as e:
        return [f"[json] not valid JSON: {e}"]
    messages = []
    if not isinstance(data, dict) or data.get("@context") != SPDX3_CONTEXT:
        messages.append(f"[harness] @context is not {SPDX3_CONTEXT!r}")
    objset = spdx3.SHACLObjectSet()
    try:
        spdx3.JSONLDDeserializer().deserialize_data(data, objset)
    except Exception as e:  # the model raises KeyError/TypeError/ValueError on bad input
        return messages + [f"[spdx-python-model read] {type(e).__name__}: {e}"]
    missing = objset.link()
    for ref in sorted(missing):
        messages.append(f"[spdx-python-model link] reference to an element not in the document: {ref}")
    documents = [o for o in objset.objects if isinstance(o, spdx3.SpdxDocument)]
    if len(documents) != 1:
        messages.append(f"[harness] {len(documents)} SpdxDocument elements, expected 1")
    try:  # the required-property and cardinality checks run when writing
        spdx3.JSONLDSerializer().write(objset, io.BytesIO())
    except Exception as e:
        messages.append(f"[spdx-python-model write] {type(e).__name__}: {e}")
    return messages


# -------------------------------------------------------------------- SARIF

def sarif_schema_validator():
    import jsonschema

    path = os.path.join(venv_dir(), "schemas", "sarif-schema-2.1.0.json")
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except OSError as e:
        usage_error(f"cannot read SARIF schema {path}: {e} (run tests/tools/install.sh)")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_sarif(path, text, schema_validator):
    try:
        data = json.loads(text)
    except ValueError as e:
        return [f"[json] not valid JSON: {e}"]
    messages = []
    for err in sorted(schema_validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        messages.append(f"[schema] {json_path(err)}: {err.message}")
    if not isinstance(data, dict):
        return messages
    if data.get("version") != "2.1.0":
        messages.append(f"[harness] $.version: {data.get('version')!r}, expected '2.1.0'")
    runs = data.get("runs") if isinstance(data.get("runs"), list) else []
    for i, run in enumerate(runs):
        driver = ((run or {}).get("tool") or {}).get("driver") or {}
        rules = driver.get("rules") if isinstance(driver.get("rules"), list) else []
        ids = [r.get("id") for r in rules if isinstance(r, dict)]
        results = run.get("results") if isinstance(run.get("results"), list) else []
        for j, res in enumerate(results):
            if not isinstance(res, dict):
                continue
            idx, rid = res.get("ruleIndex"), res.get("ruleId")
            where = f"$.runs[{i}].results[{j}]"
            if isinstance(idx, int) and not (0 <= idx < len(ids)):
                messages.append(f"[harness] {where}.ruleIndex {idx} names no rule")
            elif isinstance(idx, int) and rid is not None and ids[idx] != rid:
                messages.append(f"[harness] {where}: ruleId {rid!r} but ruleIndex {idx} is {ids[idx]!r}")
            elif rid is not None and ids and rid not in ids:
                messages.append(f"[harness] {where}.ruleId {rid!r} is not a rule of the run")
    return messages


# ---------------------------------------------------------------- CycloneDX

def cdx_xml_validator(version):
    from cyclonedx.output import OutputFormat
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation import make_schemabased_validator

    try:
        sv = SchemaVersion.from_version(version)
    except Exception:
        usage_error(f"unknown CycloneDX version {version!r}")
    return make_schemabased_validator(OutputFormat.XML, sv)


def validate_cdx_xml(path, text, validator, version):
    import xml.etree.ElementTree as ET

    messages = []
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as e:
        return [f"[xml] not well-formed: {e}"]
    want = f"{{http://cyclonedx.org/schema/bom/{version}}}bom"
    if root.tag != want:
        messages.append(f"[harness] root element {root.tag!r}, expected {want!r}")
    errors = validator.validate_str(text, all_errors=True)
    if errors is not None:
        for err in errors:
            e = err.data
            messages.append(f"[xsd] line {e.line}: {e.message}")
    return messages


def cdx_facts(bom):
    """What a BOM says, as comparable values (the library's own equality compares some
    objects by identity, and keeps sets of occurrences in no stable order)."""
    def text(v):
        return "" if v is None else str(v)

    def component(c):
        ev = c.evidence
        ped = c.pedigree
        return (
            text(c.bom_ref.value), text(c.type), c.name, text(c.version), text(c.purl),
            tuple(sorted((text(h.alg), h.content) for h in c.hashes)),
            tuple(sorted(text(getattr(l, "expression", None) or getattr(l, "id", None) or getattr(l, "name", None))
                         for l in c.licenses)),
            tuple(sorted((p.name, text(p.value)) for p in c.properties)),
            tuple(sorted(o.location for o in ev.occurrences)) if ev else (),
            tuple(sorted((a.name, text(a.version), text(a.purl)) for a in ped.ancestors)) if ped else (),
            text(ped.notes) if ped else "",
        )

    def walk(components):
        for c in components:
            yield component(c)
            yield from walk(c.components)

    meta = bom.metadata
    return {
        "serial": text(bom.serial_number),
        "metadata.component": component(meta.component) if meta.component else None,
        "metadata.timestamp": text(meta.timestamp),
        "tools": sorted((t.name, text(t.version)) for t in meta.tools.components),
        "components": sorted(walk(bom.components)),
        "dependencies": sorted(
            (text(d.ref.value), tuple(sorted(text(x.ref.value) for x in d.dependencies)))
            for d in bom.dependencies
        ),
    }


def cdx_equivalence_messages(json_file, xml_file):
    import xml.etree.ElementTree as ET
    from cyclonedx.model.bom import Bom

    try:
        with open(json_file, encoding="utf-8") as f:
            data = json.load(f)
        a = Bom.from_json(data)
        root = ET.parse(xml_file).getroot()
        b = Bom.from_xml(root)
    except Exception as e:
        return [f"[cyclonedx-python-lib load] {type(e).__name__}: {e}"]
    messages = []
    fa, fb = cdx_facts(a), cdx_facts(b)
    for key in fa:
        if fa[key] != fb[key]:
            only_a = [x for x in fa[key] if x not in fb[key]] if isinstance(fa[key], list) else fa[key]
            only_b = [x for x in fb[key] if x not in fa[key]] if isinstance(fb[key], list) else fb[key]
            messages.append(f"[equivalence] {key} differ: JSON has {str(only_a)[:300]}, XML has {str(only_b)[:300]}")
    # Annotations are not in the library's model: compare them from the raw documents.
    ns = root.tag.partition("}")[0] + "}"
    xml_notes = sorted(
        (tuple(sorted(s.get("ref") for s in n.iter(ns + "subject"))), n.findtext(ns + "text"))
        for n in root.iter(ns + "annotation")
    )
    json_notes = sorted(
        (tuple(sorted(n.get("subjects", []))), n.get("text"))
        for n in data.get("annotations", []) if isinstance(n, dict)
    )
    if xml_notes != json_notes:
        messages.append(f"[equivalence] annotations differ ({len(json_notes)} in JSON, {len(xml_notes)} in XML)")
    return messages


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
    base, _, version = fmt.partition("@")
    if base == "cyclonedx-equivalent":
        version = version or DEFAULT_CDX_VERSION
    elif base in ("spdx-json", "spdx-tag-value", "spdx-equivalent") and not version:
        version = SPDX_VERSION
    elif base in ("cyclonedx-json", "cyclonedx-xml"):
        version = version or DEFAULT_CDX_VERSION
    elif base == "spdx3-json" and version in ("", "3.0.1"):
        version = "3.0.1"
    elif base == "sarif" and version in ("", "2.1.0"):
        version = "2.1.0"
    else:
        usage_error(f"unknown FORMAT {fmt!r}")
    for f in files:
        if not os.path.isfile(f):
            usage_error(f"no such file: {f}")
    if base in ("spdx-equivalent", "cyclonedx-equivalent") and len(files) != 2:
        usage_error(f"{base} takes two files: the JSON document, then the other form")

    ensure_venv()
    defer_rfc3987_syntax()

    if base == "spdx-json":
        validator = spdx_schema_validator()
        check = lambda p, t: validate_spdx(p, t, validator)
    elif base == "spdx-tag-value":
        check = validate_spdx_tag_value
    elif base == "spdx3-json":
        check = validate_spdx3
    elif base == "sarif":
        validator = sarif_schema_validator()
        check = lambda p, t: validate_sarif(p, t, validator)
    elif base in ("spdx-equivalent", "cyclonedx-equivalent"):
        compare = spdx_equivalence_messages if base == "spdx-equivalent" else cdx_equivalence_messages
        messages = compare(*files)
        status = "DIFFERENT" if messages else "equivalent"
        print(f"{files[0]} and {files[1]}: {status}")
        for m in messages:
            print(f"  {m}")
        return 1 if messages else 0
    elif base == "cyclonedx-xml":
        validator = cdx_xml_validator(version)
        check = lambda p, t: validate_cdx_xml(p, t, validator, version)
    else:
        validator = cdx_validator(version)
        check = lambda p, t: validate_cdx(p, t, validator, version)

    label = f"{base}@{version.removeprefix('SPDX-')}"
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
