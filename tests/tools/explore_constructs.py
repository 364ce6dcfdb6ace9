#!/usr/bin/env python3
"""Which SPDX 2.3 / CycloneDX 1.6 constructs do the official validators accept?

Starts from tests/data/validator-selftest/valid.{spdx,cdx}.json, applies one
mutation per variant and runs the same checks as validate_sbom.py. Prints one
line per variant: PASS or FAIL plus the first messages. Re-run it after bumping
the validator pins (tests/tools/install.sh). Not part of the test suite.

Usage: explore_constructs.py [spdx|cdx]...
"""

import copy
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import validate_sbom as vs  # noqa: E402

DATA = os.path.join(os.path.dirname(HERE), "data", "validator-selftest")


def load(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return json.load(f)


def find(items, key, value):
    return next(x for x in items if x.get(key) == value)


# ---------------------------------------------------------------- SPDX

def spdx_variants():
    def pkg(d, ident="SPDXRef-Package-app"):
        return find(d["packages"], "SPDXID", ident)

    def file_(d):
        return d["files"][0]

    def rel(d, a, t, b):
        d["relationships"].append({"spdxElementId": a, "relationshipType": t, "relatedSpdxElement": b})

    def drop_rel(d, t):
        d["relationships"] = [r for r in d["relationships"] if r["relationshipType"] != t]

    def annot(d, **kw):
        file_(d)["annotations"][0].update(kw)

    v = {}
    def fa_false(d):
        pkg(d)["filesAnalyzed"] = False

    v["base: filesAnalyzed=true, CONTAINS, no packageVerificationCode/hasFiles"] = lambda d: None
    v["filesAnalyzed omitted (defaults true)"] = lambda d: pkg(d).pop("filesAnalyzed")
    v["filesAnalyzed=true + packageVerificationCode"] = lambda d: pkg(d).update(
        packageVerificationCode={"packageVerificationCodeValue": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"})
    v["filesAnalyzed=true + hasFiles (and CONTAINS)"] = lambda d: pkg(d).update(hasFiles=["SPDXRef-File-app"])
    v["filesAnalyzed=true + hasFiles, no CONTAINS"] = lambda d: (drop_rel(d, "CONTAINS"), pkg(d).update(hasFiles=["SPDXRef-File-app"]))
    v["filesAnalyzed=false + CONTAINS"] = lambda d: fa_false(d)
    v["filesAnalyzed=false + file CONTAINED_BY package"] = lambda d: (fa_false(d), drop_rel(d, "CONTAINS"), rel(d, "SPDXRef-File-app", "CONTAINED_BY", "SPDXRef-Package-app"))
    v["filesAnalyzed=false + hasFiles"] = lambda d: (fa_false(d), drop_rel(d, "CONTAINS"), pkg(d).update(hasFiles=["SPDXRef-File-app"]))
    v["filesAnalyzed=false, no CONTAINS (file only via STATIC/DYNAMIC_LINK)"] = lambda d: (fa_false(d), drop_rel(d, "CONTAINS"))
    v["filesAnalyzed=false, file in no relationship at all"] = lambda d: (fa_false(d), setattr_rels(
        d, [r for r in d["relationships"] if "SPDXRef-File-app" not in (r["spdxElementId"], r["relatedSpdxElement"])]))
    v["filesAnalyzed=false, DESCRIBES the file too"] = lambda d: (fa_false(d), drop_rel(d, "CONTAINS"), rel(d, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-File-app"))
    v["filesAnalyzed=false, file GENERATED_FROM package"] = lambda d: (fa_false(d), drop_rel(d, "CONTAINS"), rel(d, "SPDXRef-File-app", "GENERATED_FROM", "SPDXRef-Package-app"))
    v["filesAnalyzed=false + packageVerificationCode"] = lambda d: (fa_false(d), drop_rel(d, "CONTAINS"), pkg(d).update(
        packageVerificationCode={"packageVerificationCodeValue": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"}))
    v["filesAnalyzed=false + licenseInfoFromFiles"] = lambda d: (fa_false(d), drop_rel(d, "CONTAINS"), pkg(d).update(licenseInfoFromFiles=["MIT"]))
    v["filesAnalyzed=true + licenseInfoFromFiles"] = lambda d: pkg(d).update(licenseInfoFromFiles=["MIT"])
    # files: required-ness in 2.3
    v["file without licenseConcluded"] = lambda d: (file_(d).pop("licenseConcluded"))
    v["file without copyrightText"] = lambda d: (file_(d).pop("copyrightText"))
    v["file without both"] = lambda d: (file_(d).pop("licenseConcluded"), file_(d).pop("copyrightText"))
    v["file SHA256 only (no SHA1)"] = lambda d: (file_(d).update(checksums=file_(d)["checksums"][1:]))
    v["file SHA1 only"] = lambda d: (file_(d).update(checksums=file_(d)["checksums"][:1]))
    v["file no checksums"] = lambda d: (file_(d).pop("checksums"))
    v["file checksum uppercase hex"] = lambda d: (file_(d)["checksums"][0].update(
        checksumValue="AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D"))
    v["file checksum wrong length"] = lambda d: (file_(d)["checksums"][0].update(checksumValue="aaf4"))
    v["fileName without ./ (usr/bin/app)"] = lambda d: (file_(d).update(fileName="usr/bin/app"))
    v["fileName absolute (/usr/bin/app)"] = lambda d: (file_(d).update(fileName="/usr/bin/app"))
    v["fileTypes omitted"] = lambda d: (file_(d).pop("fileTypes"))
    v["file licenseInfoInFiles [MIT]"] = lambda d: (file_(d).update(licenseInfoInFiles=["MIT"]))
    v["file licenseConcluded LicenseRef-x undeclared"] = lambda d: (file_(d).update(licenseConcluded="LicenseRef-x"))
    v["file licenseConcluded LicenseRef-x + hasExtractedLicensingInfos"] = lambda d: (
        file_(d).update(licenseConcluded="LicenseRef-x"),
        d.update(hasExtractedLicensingInfos=[{"licenseId": "LicenseRef-x", "extractedText": "custom", "name": "x"}]))
    v["file licenseConcluded 'MIT OR Apache-2.0'"] = lambda d: (file_(d).update(licenseConcluded="MIT OR Apache-2.0"))
    v["file licenseConcluded 'GPL-2.0-or-later WITH Classpath-exception-2.0'"] = lambda d: (
        file_(d).update(licenseConcluded="GPL-2.0-or-later WITH Classpath-exception-2.0"))
    v["file licenseConcluded unknown id 'Foo-1.0'"] = lambda d: (file_(d).update(licenseConcluded="Foo-1.0"))
    v["file licenseConcluded deprecated id 'GPL-2.0'"] = lambda d: (file_(d).update(licenseConcluded="GPL-2.0"))
    # packages
    v["package without licenseConcluded/Declared/copyrightText"] = lambda d: ([pkg(d).pop(k) for k in ("licenseConcluded", "licenseDeclared", "copyrightText")])
    v["package without versionInfo"] = lambda d: (pkg(d).pop("versionInfo"))
    v["package without downloadLocation"] = lambda d: (pkg(d).pop("downloadLocation"))
    v["package supplier 'Organization: Debian'"] = lambda d: (pkg(d).update(supplier="Organization: Debian"))
    v["package supplier 'Debian' (no prefix)"] = lambda d: (pkg(d).update(supplier="Debian"))
    v["package checksums SHA256 only"] = lambda d: (pkg(d).update(checksums=[file_(d)["checksums"][1]]))
    v["purl referenceCategory PACKAGE_MANAGER (underscore)"] = lambda d: (pkg(d, "SPDXRef-Package-libc")["externalRefs"][0].update(referenceCategory="PACKAGE_MANAGER"))
    v["purl malformed locator 'libc6@2.36'"] = lambda d: (pkg(d, "SPDXRef-Package-libc")["externalRefs"][0].update(referenceLocator="libc6@2.36"))
    v["primaryPackagePurpose FILE / OPERATING-SYSTEM"] = lambda d: (pkg(d).update(primaryPackagePurpose="OPERATING-SYSTEM"), pkg(d, "SPDXRef-Package-zlib").update(primaryPackagePurpose="FILE"))
    v["primaryPackagePurpose OPERATING_SYSTEM (underscore)"] = lambda d: (pkg(d).update(primaryPackagePurpose="OPERATING_SYSTEM"))
    v["builtDate/releaseDate 2024-01-02T03:04:05Z"] = lambda d: (pkg(d).update(builtDate="2024-01-02T03:04:05Z", releaseDate="2024-01-02T03:04:05Z"))
    v["two packages, same name+version"] = lambda d: (pkg(d, "SPDXRef-Package-zlib").update(name="libc6", versionInfo="2.36-9+deb12u4"))
    # SPDXIDs
    v["SPDXID with dots (SPDXRef-libc.so.6)"] = lambda d: (rename(d, "SPDXRef-Package-libc", "SPDXRef-libc.so.6"))
    v["SPDXID with underscore"] = lambda d: (rename(d, "SPDXRef-Package-libc", "SPDXRef-libc_so"))
    v["SPDXID with '+'"] = lambda d: (rename(d, "SPDXRef-Package-libc", "SPDXRef-libc+1"))
    v["duplicate SPDXID"] = lambda d: (pkg(d, "SPDXRef-Package-zlib").update(SPDXID="SPDXRef-Package-libc"))
    # relationships
    v["relationship to unknown SPDXID"] = lambda d: (rel(d, "SPDXRef-File-app", "DYNAMIC_LINK", "SPDXRef-nope"))
    v["relationship to NOASSERTION"] = lambda d: (rel(d, "SPDXRef-File-app", "DYNAMIC_LINK", "NOASSERTION"))
    v["relationship to NONE"] = lambda d: (rel(d, "SPDXRef-Package-zlib", "DEPENDS_ON", "NONE"))
    v["relationship to DocumentRef-x:SPDXRef-y (declared)"] = lambda d: (
        rel(d, "SPDXRef-File-app", "DYNAMIC_LINK", "DocumentRef-x:SPDXRef-y"),
        d.update(externalDocumentRefs=[{"externalDocumentId": "DocumentRef-x", "spdxDocument": "https://example.invalid/x",
                                        "checksum": {"algorithm": "SHA1", "checksumValue": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"}}]))
    v["relationship to DocumentRef-x:SPDXRef-y (undeclared)"] = lambda d: (rel(d, "SPDXRef-File-app", "DYNAMIC_LINK", "DocumentRef-x:SPDXRef-y"))
    v["relationship with comment"] = lambda d: (d["relationships"][-1].update(comment="via DT_NEEDED libc.so.6"))
    v["relationshipType lowercase"] = lambda d: (d["relationships"][-1].update(relationshipType="dynamic_link"))
    v["DEPENDENCY_OF / RUNTIME_DEPENDENCY_OF / OTHER"] = lambda d: (rel(d, "SPDXRef-Package-zlib", "DEPENDENCY_OF", "SPDXRef-Package-app"),
                                                                    rel(d, "SPDXRef-Package-libc", "RUNTIME_DEPENDENCY_OF", "SPDXRef-File-app"),
                                                                    rel(d, "SPDXRef-Package-libc", "OTHER", "SPDXRef-Package-zlib"))
    v["no DESCRIBES, documentDescribes instead"] = lambda d: (drop_rel(d, "DESCRIBES"), d.update(documentDescribes=["SPDXRef-Package-app"]))
    v["no DESCRIBES at all"] = lambda d: (drop_rel(d, "DESCRIBES"))
    v["duplicate relationship"] = lambda d: (d["relationships"].append(dict(d["relationships"][-1])))
    # annotations / dates / actors
    for a in ("Tool: assay-0.1.0", "Tool: assay", "Organization: Example Corp", "Organization: Example Corp (ops@example.invalid)",
              "Person: Jane Doe (jane@example.invalid)", "Person: Jane Doe ()", "assay-0.1.0", "Tool:assay-0.1.0"):
        v[f"annotator {a!r}"] = (lambda a: lambda d: (annot(d, annotator=a)))(a)
    for t in ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05", "2024-01-02"):
        v[f"annotationDate {t!r}"] = (lambda t: lambda d: (annot(d, annotationDate=t)))(t)
        v[f"creationInfo.created {t!r}"] = (lambda t: lambda d: (d["creationInfo"].update(created=t)))(t)
    v["annotationType REVIEW"] = lambda d: (annot(d, annotationType="REVIEW"))
    v["annotation without comment"] = lambda d: (file_(d)["annotations"][0].pop("comment"))
    v["annotation on a package"] = lambda d: (pkg(d).update(annotations=copy.deepcopy(file_(d)["annotations"])))
    v["document-level annotations (top-level array)"] = lambda d: (d.update(annotations=copy.deepcopy(file_(d)["annotations"])))
    v["creators 'Tool: assay-0.1.0' + 'Organization: X'"] = lambda d: (d["creationInfo"].update(creators=["Tool: assay-0.1.0", "Organization: X"]))
    v["creationInfo.licenseListVersion 3.25"] = lambda d: (d["creationInfo"].update(licenseListVersion="3.25"))
    v["documentNamespace with '#'"] = lambda d: (d.update(documentNamespace=d["documentNamespace"] + "#frag"))
    v["documentNamespace 'urn:uuid:...'"] = lambda d: (d.update(documentNamespace="urn:uuid:0b7c6d7e-1f0a-4a39-9d55-2f5f0b1f6a11"))
    v["unknown top-level property x-assay"] = lambda d: (d.update({"x-assay": 1}))
    v["spdxVersion SPDX-2.2"] = lambda d: (d.update(spdxVersion="SPDX-2.2"))
    v["missing spdxVersion"] = lambda d: (d.pop("spdxVersion"))
    return v


def setattr_rels(d, rels):
    d["relationships"] = rels


def rename(d, old, new):
    s = json.dumps(d).replace(f'"{old}"', f'"{new}"')
    d.clear()
    d.update(json.loads(s))


def run_spdx():
    base = load("valid.spdx.json")
    validator = vs.spdx_schema_validator()
    with tempfile.TemporaryDirectory() as tmp:
        for name, mutate in spdx_variants().items():
            doc = copy.deepcopy(base)
            mutate(doc)
            path = os.path.join(tmp, "v.spdx.json")
            text = json.dumps(doc, indent=1)
            with open(path, "w") as f:
                f.write(text)
            report("spdx", name, vs.validate_spdx(path, text, validator))


# ------------------------------------------------------------ CycloneDX

def cdx_variants():
    LIBC = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64"

    def comp(d, t):
        return find(d["components"], "type", t)

    def ann(d):
        return d["annotations"][0]

    assay = {"type": "application", "name": "assay", "version": "0.1.0"}
    v = {}
    v["base"] = lambda d: None
    v["annotator.organization {name}"] = lambda d: ann(d).update(annotator={"organization": {"name": "Example Corp"}})
    v["annotator.individual {name,email}"] = lambda d: ann(d).update(annotator={"individual": {"name": "Jane", "email": "j@example.invalid"}})
    v["annotator.service {name}"] = lambda d: ann(d).update(annotator={"service": {"name": "assay-svc"}})
    v["annotator component+organization (two)"] = lambda d: ann(d).update(annotator={"component": assay, "organization": {"name": "X"}})
    v["annotator.component without type"] = lambda d: ann(d).update(annotator={"component": {"name": "assay"}})
    v["annotator missing"] = lambda d: ann(d).pop("annotator")
    v["annotation timestamp missing"] = lambda d: ann(d).pop("timestamp")
    v["annotation text missing"] = lambda d: ann(d).pop("text")
    v["annotation subjects missing"] = lambda d: ann(d).pop("subjects")
    v["annotation subjects empty []"] = lambda d: ann(d).update(subjects=[])
    v["annotation without bom-ref"] = lambda d: ann(d).pop("bom-ref")
    v["annotation subject = metadata.component ref"] = lambda d: ann(d).update(subjects=["app"])
    v["annotation subject unknown ref"] = lambda d: ann(d).update(subjects=["nope"])
    for t in ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05", "2024-01-02"):
        v[f"annotation timestamp {t!r}"] = (lambda t: lambda d: ann(d).update(timestamp=t))(t)
        v[f"metadata.timestamp {t!r}"] = (lambda t: lambda d: d["metadata"].update(timestamp=t))(t)
    v["component without name"] = lambda d: comp(d, "library").pop("name")
    v["component without type"] = lambda d: comp(d, "library").pop("type")
    v["component without bom-ref (and not referenced)"] = lambda d: (comp(d, "file").pop("bom-ref"), d.update(
        dependencies=[x for x in d["dependencies"] if "file:" not in x["ref"]]), d.update(annotations=[]),
        d["dependencies"][0].update(dependsOn=[]))
    v["file component with version"] = lambda d: comp(d, "file").update(version="1.0.0")
    v["hash alg lowercase 'sha-256'"] = lambda d: comp(d, "file")["hashes"][1].update(alg="sha-256")
    v["hash alg 'SHA256' (no dash)"] = lambda d: comp(d, "file")["hashes"][1].update(alg="SHA256")
    v["hash content uppercase hex"] = lambda d: comp(d, "file")["hashes"][0].update(content="AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D")
    v["hash content wrong length"] = lambda d: comp(d, "file")["hashes"][0].update(content="aaf4")
    v["hash SHA-1 length content labelled SHA-256"] = lambda d: comp(d, "file")["hashes"][1].update(content="aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")
    v["purl malformed 'libc6@2.36'"] = lambda d: comp(d, "library").update(purl="libc6@2.36")
    v["ancestor without type"] = lambda d: comp(d, "library")["pedigree"]["ancestors"][0].pop("type")
    v["ancestor with bom-ref, used as dependsOn target"] = lambda d: (
        comp(d, "library")["pedigree"]["ancestors"][0].update({"bom-ref": "glibc"}), d["dependencies"][2].update(dependsOn=["glibc"]))
    v["pedigree.ancestors + descendants + variants + commits + notes"] = lambda d: comp(d, "library")["pedigree"].update(
        descendants=[{"type": "library", "name": "x"}], variants=[{"type": "library", "name": "y"}],
        commits=[{"uid": "abc"}], notes="patched")
    v["occurrences: location + line/offset/symbol/additionalContext"] = lambda d: comp(d, "library")["evidence"]["occurrences"][0].update(
        line=1, offset=0, symbol="memcpy", additionalContext="DT_NEEDED")
    v["occurrence with bom-ref"] = lambda d: comp(d, "library")["evidence"]["occurrences"][0].update({"bom-ref": "occ-1"})
    v["occurrence without location"] = lambda d: comp(d, "library")["evidence"].update(occurrences=[{"line": 1}])
    v["evidence.identity array (1.6 style) field=purl, methods"] = lambda d: comp(d, "library")["evidence"].update(identity=[
        {"field": "purl", "confidence": 0.8, "concludedValue": LIBC,
         "methods": [{"technique": "filename", "confidence": 0.8, "value": "libc.so.6"}]}])
    v["evidence.identity object (1.5 style)"] = lambda d: comp(d, "library")["evidence"].update(identity={"field": "purl", "confidence": 0.8})
    v["evidence.licenses"] = lambda d: comp(d, "library")["evidence"].update(licenses=[{"license": {"id": "LGPL-2.1-or-later"}}])
    v["property without value"] = lambda d: comp(d, "file")["properties"][0].pop("value")
    v["property duplicate name"] = lambda d: comp(d, "file")["properties"].append({"name": "assay:elf:machine", "value": "y"})
    v["licenses [{license:{id:MIT}}]"] = lambda d: comp(d, "library").update(licenses=[{"license": {"id": "MIT"}}])
    v["licenses [{license:{id:'Foo-1.0'}}] (unknown id)"] = lambda d: comp(d, "library").update(licenses=[{"license": {"id": "Foo-1.0"}}])
    v["licenses [{license:{name:'Foo-1.0'}}]"] = lambda d: comp(d, "library").update(licenses=[{"license": {"name": "Foo-1.0"}}])
    v["licenses [{expression:'MIT OR Apache-2.0'}]"] = lambda d: comp(d, "library").update(licenses=[{"expression": "MIT OR Apache-2.0"}])
    v["licenses license + expression mixed"] = lambda d: comp(d, "library").update(licenses=[{"license": {"id": "MIT"}}, {"expression": "MIT OR Apache-2.0"}])
    v["license acknowledgement 'concluded'"] = lambda d: comp(d, "library").update(licenses=[{"license": {"id": "MIT", "acknowledgement": "concluded"}}])
    v["metadata.tools legacy array"] = lambda d: d["metadata"].update(tools=[{"vendor": "x", "name": "assay", "version": "0.1.0"}])
    v["metadata.component with purl"] = lambda d: d["metadata"]["component"].update(purl="pkg:generic/app@1.0.0")
    v["metadata.component type 'container'"] = lambda d: d["metadata"]["component"].update(type="container")
    v["metadata.lifecycles [{phase:post-build}]"] = lambda d: d["metadata"].update(lifecycles=[{"phase": "post-build"}])
    v["dependencies unknown dependsOn ref"] = lambda d: d["dependencies"][0]["dependsOn"].append("nope")
    v["dependencies provides"] = lambda d: d["dependencies"][1].update(provides=[LIBC])
    v["dependencies duplicate ref entry"] = lambda d: d["dependencies"].append({"ref": "app"})
    v["duplicate bom-ref"] = lambda d: comp(d, "file").update({"bom-ref": LIBC})
    v["bom-ref 'urn:cdx:...' dependsOn (BOM-Link)"] = lambda d: d["dependencies"][0]["dependsOn"].append("urn:cdx:0b7c6d7e-1f0a-4a39-9d55-2f5f0b1f6a11/1#x")
    v["nested components under file component"] = lambda d: comp(d, "file").update(components=[{"type": "library", "name": "inner", "bom-ref": "inner"}])
    v["compositions aggregate=incomplete assemblies=[app]"] = lambda d: d.update(compositions=[{"aggregate": "incomplete", "assemblies": ["app"]}])
    v["unknown property x-assay on component"] = lambda d: comp(d, "file").update({"x-assay": 1})
    v["serialNumber not urn:uuid"] = lambda d: d.update(serialNumber="assay-1")
    v["specVersion 1.5 (validated as 1.6)"] = lambda d: d.update(specVersion="1.5")
    return v


def run_cdx():
    base = load("valid.cdx.json")
    validator = vs.cdx_validator("1.6")
    for name, mutate in cdx_variants().items():
        doc = copy.deepcopy(base)
        mutate(doc)
        text = json.dumps(doc, indent=1)
        report("cdx", name, vs.validate_cdx("-", text, validator, "1.6"))


def report(kind, name, messages):
    status = "PASS" if not messages else "FAIL"
    print(f"{kind:4} {status}  {name}")
    for m in messages[:3]:
        print(f"           {m[:220]}")
    if len(messages) > 3:
        print(f"           ... {len(messages) - 3} more")


if __name__ == "__main__":
    vs.ensure_venv()
    which = sys.argv[1:] or ["spdx", "cdx"]
    if "spdx" in which:
        run_spdx()
    if "cdx" in which:
        run_cdx()
