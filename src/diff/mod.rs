//! `assay diff`: what changed between two SBOMs (SPDX 2.3 JSON or CycloneDX JSON, from assay
//! or another tool) or two scans.
//!
//! Both sides are first reduced to an [`Inventory`] — components keyed by purl without its
//! version (else by name), with versions and licenses, plus the findings the document
//! carries — and then compared. The documents are untrusted input: every field is optional
//! and of any type until checked, and nothing here panics on what they contain.
//!
//! Layer: checks. May use the license enricher, the model and [`crate::json`]; rendering
//! lives in the report writers, above.

pub mod policy;

use std::collections::{BTreeMap, BTreeSet};

use crate::json::{array_of, str_of};
use serde::Serialize;
use serde_json::Value;

/// One side of a diff, reduced to what is compared.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// Where it came from, as the user named it.
    pub source: String,
    /// `SPDX-2.3`, `CycloneDX 1.6`, … (a scan is described by the SBOM it is rendered as).
    pub format: String,
    pub components: Vec<Item>,
    /// Findings the document carries (assay problems, annotations marked as reviews,
    /// CycloneDX vulnerabilities), as one line each.
    pub findings: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Item {
    /// The comparison key: purl without version, qualifiers and subpath; else the name.
    pub key: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// License ids or expressions, sorted; `NOASSERTION`/`NONE` are not licenses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
}

/// Reads an SBOM from its text: SPDX 2.x JSON or CycloneDX JSON, told apart by content.
pub fn load_sbom(source: &str, text: &str) -> Result<Inventory, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("{source}: not valid JSON: {e}"))?;
    if value.get("spdxVersion").is_some() {
        Ok(from_spdx(source, &value))
    } else if value.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        Ok(from_cyclonedx(source, &value))
    } else {
        Err(format!(
            "{source}: neither an SPDX JSON document (spdxVersion) nor a CycloneDX JSON BOM \
             (bomFormat); tag-value and XML are not read"
        ))
    }
}

/// A license value that says something (SPDX uses `NOASSERTION`/`NONE` for "unknown").
fn license(value: Option<&str>) -> Option<String> {
    let v = value?.trim();
    (!v.is_empty() && v != "NOASSERTION" && v != "NONE").then(|| v.to_string())
}

/// The purl without `@version`, `?qualifiers` and `#subpath`: the same package at any version.
pub fn purl_key(purl: &str) -> String {
    let end = purl.find(['?', '#']).unwrap_or(purl.len());
    let base = &purl[..end];
    // The version separator is the last `@` after the type (namespaces percent-encode `@`).
    match base.rfind('@') {
        Some(at) if base[..at].contains('/') => base[..at].to_string(),
        _ => base.to_string(),
    }
}

/// Versions as tools spell them differently: Go's `(devel)` means "no version" (assay omits
/// it), and the Go standard library is `go1.22.1` in some tools and `1.22.1` in others.
fn normalize_version<'a>(key: &str, version: Option<&'a str>) -> Option<&'a str> {
    let v = version
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "(devel)")?;
    if key == "pkg:golang/stdlib" {
        return Some(v.strip_prefix("go").unwrap_or(v));
    }
    Some(v)
}

fn item(name: &str, version: Option<&str>, purl: Option<&str>, licenses: Vec<String>) -> Item {
    let mut licenses = licenses;
    licenses.sort();
    licenses.dedup();
    let key = purl.map(purl_key).unwrap_or_else(|| name.to_string());
    Item {
        version: normalize_version(&key, version).map(str::to_string),
        key,
        name: name.to_string(),
        purl: purl.map(str::to_string),
        licenses,
    }
}

/// SPDX 2.x JSON: packages (not files). The described package without a purl is the
/// document's subject (a directory, an image), not a component.
pub fn from_spdx(source: &str, doc: &Value) -> Inventory {
    let mut described: BTreeSet<&str> = array_of(doc, "documentDescribes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for r in array_of(doc, "relationships") {
        if str_of(r, "relationshipType") == Some("DESCRIBES")
            && str_of(r, "spdxElementId") == Some("SPDXRef-DOCUMENT")
        {
            described.extend(str_of(r, "relatedSpdxElement"));
        }
    }
    let mut components = Vec::new();
    let mut findings = BTreeSet::new();
    let mut notes = |owner: &str, list: &[Value]| {
        for a in list {
            let comment = str_of(a, "comment").unwrap_or_default();
            // assay's own problems name their file already, and read the same from CycloneDX.
            if is_finding(comment) {
                findings.insert(comment.to_string());
            } else if str_of(a, "annotationType") == Some("REVIEW") {
                findings.insert(format!("{owner}: {comment}"));
            }
        }
    };
    notes("document", array_of(doc, "annotations"));
    for p in array_of(doc, "packages") {
        let name = str_of(p, "name").unwrap_or("(unnamed)");
        notes(name, array_of(p, "annotations"));
        let purl = array_of(p, "externalRefs")
            .iter()
            .find(|r| str_of(r, "referenceType") == Some("purl"))
            .and_then(|r| str_of(r, "referenceLocator"));
        if purl.is_none() && str_of(p, "SPDXID").is_some_and(|id| described.contains(id)) {
            continue;
        }
        let licenses = ["licenseConcluded", "licenseDeclared"]
            .iter()
            .filter_map(|k| license(str_of(p, k)))
            .collect();
        components.push(item(name, str_of(p, "versionInfo"), purl, licenses));
    }
    for f in array_of(doc, "files") {
        notes(
            str_of(f, "fileName").unwrap_or("(file)"),
            array_of(f, "annotations"),
        );
    }
    components.sort();
    Inventory {
        source: source.to_string(),
        format: str_of(doc, "spdxVersion").unwrap_or("SPDX").to_string(),
        components,
        findings,
    }
}

/// assay writes its problems as `assay:error: …` / `assay:warning: …` and its license
/// findings as `assay:finding: …`, with the same text in every format.
fn is_finding(text: &str) -> bool {
    ["assay:error:", "assay:warning:", "assay:finding:"]
        .iter()
        .any(|p| text.starts_with(p))
}

/// CycloneDX JSON (any 1.x): components, nested ones too, except `file` components (the
/// binaries themselves) and `metadata.component` (the subject).
pub fn from_cyclonedx(source: &str, bom: &Value) -> Inventory {
    let mut components = Vec::new();
    let mut stack: Vec<&Value> = array_of(bom, "components").iter().collect();
    while let Some(c) = stack.pop() {
        stack.extend(array_of(c, "components"));
        if str_of(c, "type") == Some("file") {
            continue;
        }
        let licenses = array_of(c, "licenses")
            .iter()
            .filter_map(|choice| {
                let l = choice.get("license");
                license(
                    str_of(choice, "expression")
                        .or_else(|| l.and_then(|l| str_of(l, "id")))
                        .or_else(|| l.and_then(|l| str_of(l, "name"))),
                )
            })
            .collect();
        components.push(item(
            str_of(c, "name").unwrap_or("(unnamed)"),
            str_of(c, "version"),
            str_of(c, "purl"),
            licenses,
        ));
    }
    components.sort();
    let mut findings = BTreeSet::new();
    for a in array_of(bom, "annotations") {
        if let Some(text) = str_of(a, "text") {
            findings.insert(text.to_string());
        }
    }
    for v in array_of(bom, "vulnerabilities") {
        let id = str_of(v, "id").unwrap_or("(no id)");
        let affects: Vec<&str> = array_of(v, "affects")
            .iter()
            .filter_map(|a| str_of(a, "ref"))
            .collect();
        findings.insert(format!("vulnerability {id} affects {}", affects.join(", ")));
    }
    Inventory {
        source: source.to_string(),
        format: format!(
            "CycloneDX {}",
            str_of(bom, "specVersion").unwrap_or("(no specVersion)")
        ),
        components,
        findings,
    }
}

/// What changed from `old` to `new`. Every list is sorted by component key.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    pub added: Vec<Item>,
    pub removed: Vec<Item>,
    /// Present on both sides, at different versions.
    pub changed: Vec<VersionChange>,
    /// Present on both sides with licenses recorded on both, and they differ. A side that
    /// records no license for the component says nothing, so it is not a change.
    pub license_changes: Vec<LicenseChange>,
    pub new_findings: Vec<String>,
    pub resolved_findings: Vec<String>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub source: String,
    pub format: String,
    pub components: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionChange {
    pub key: String,
    pub name: String,
    /// Versions on each side (several when binaries disagree).
    pub old: Vec<String>,
    pub new: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LicenseChange {
    pub key: String,
    pub name: String,
    pub old: Vec<String>,
    pub new: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub license_changes: usize,
    pub new_findings: usize,
    pub resolved_findings: usize,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        let s = &self.summary;
        s.added + s.removed + s.changed + s.license_changes + s.new_findings + s.resolved_findings
            == 0
    }
}

pub fn compare(old: &Inventory, new: &Inventory) -> Diff {
    fn by_key(inv: &Inventory) -> BTreeMap<&str, Vec<&Item>> {
        let mut map: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
        for c in &inv.components {
            map.entry(c.key.as_str()).or_default().push(c);
        }
        map
    }
    let versions = |items: &[&Item]| -> Vec<String> {
        let set: BTreeSet<String> = items
            .iter()
            .map(|i| i.version.clone().unwrap_or_default())
            .collect();
        set.into_iter().collect()
    };
    let licenses = |items: &[&Item]| -> Vec<String> {
        let set: BTreeSet<&String> = items.iter().flat_map(|i| &i.licenses).collect();
        set.into_iter().cloned().collect()
    };
    let (old_map, new_map) = (by_key(old), by_key(new));
    let keys: BTreeSet<&str> = old_map.keys().chain(new_map.keys()).copied().collect();

    let mut diff = Diff {
        old: side(old),
        new: side(new),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        license_changes: Vec::new(),
        new_findings: new.findings.difference(&old.findings).cloned().collect(),
        resolved_findings: old.findings.difference(&new.findings).cloned().collect(),
        summary: Summary::default(),
    };
    for key in keys {
        match (old_map.get(key), new_map.get(key)) {
            (None, Some(n)) => diff.added.extend(n.iter().map(|i| (*i).clone())),
            (Some(o), None) => diff.removed.extend(o.iter().map(|i| (*i).clone())),
            (Some(o), Some(n)) => {
                let name = n[0].name.clone();
                let (ov, nv) = (versions(o), versions(n));
                if ov != nv {
                    diff.changed.push(VersionChange {
                        key: key.to_string(),
                        name: name.clone(),
                        old: ov,
                        new: nv,
                    });
                }
                let (ol, nl) = (licenses(o), licenses(n));
                if !ol.is_empty() && !nl.is_empty() && ol != nl {
                    diff.license_changes.push(LicenseChange {
                        key: key.to_string(),
                        name,
                        old: ol,
                        new: nl,
                    });
                }
            }
            (None, None) => {}
        }
    }
    diff.added.dedup();
    diff.removed.dedup();
    diff.summary = Summary {
        added: diff.added.len(),
        removed: diff.removed.len(),
        changed: diff.changed.len(),
        license_changes: diff.license_changes.len(),
        new_findings: diff.new_findings.len(),
        resolved_findings: diff.resolved_findings.len(),
    };
    diff
}

fn side(inv: &Inventory) -> Side {
    Side {
        source: inv.source.clone(),
        format: inv.format.clone(),
        components: inv.components.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn purl_keys_drop_version_qualifiers_and_subpath() {
        assert_eq!(
            purl_key("pkg:golang/github.com/google/uuid@v1.6.0"),
            "pkg:golang/github.com/google/uuid"
        );
        assert_eq!(
            purl_key("pkg:deb/debian/curl@7.0?arch=amd64"),
            "pkg:deb/debian/curl"
        );
        assert_eq!(purl_key("pkg:npm/%40scope/x@1#lib"), "pkg:npm/%40scope/x");
        assert_eq!(
            purl_key("pkg:golang/example.com/x"),
            "pkg:golang/example.com/x"
        );
        assert_eq!(purl_key("garbage@"), "garbage@");
    }

    #[test]
    fn hostile_documents_are_read_without_panicking() {
        for text in [
            r#"{"spdxVersion": 3, "packages": {"a": 1}, "relationships": [1, null]}"#,
            r#"{"spdxVersion": "SPDX-2.3", "packages": [null, 1, {"name": 2, "externalRefs": [7]}]}"#,
            r#"{"bomFormat": "CycloneDX", "components": [1, {"components": "x"}], "vulnerabilities": [{}]}"#,
            r#"{"bomFormat": "CycloneDX", "components": [{"licenses": [null, {"license": 5}]}]}"#,
        ] {
            load_sbom("t", text).expect("loads");
        }
        assert!(load_sbom("t", "[]").is_err());
        assert!(load_sbom("t", "{").is_err());
    }

    #[test]
    fn compares_by_key_versions_and_licenses() {
        let old = from_cyclonedx(
            "old",
            &json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
                {"type": "library", "name": "a", "version": "1", "purl": "pkg:golang/a@1",
                 "licenses": [{"license": {"id": "MIT"}}]},
                {"type": "library", "name": "gone", "version": "1"},
                {"type": "file", "name": "./bin"},
            ]}),
        );
        let new = from_spdx(
            "new",
            &json!({"spdxVersion": "SPDX-2.3", "documentDescribes": ["SPDXRef-root"], "packages": [
                {"SPDXID": "SPDXRef-root", "name": "dir"},
                {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "2", "licenseDeclared": "Apache-2.0",
                 "licenseConcluded": "NOASSERTION",
                 "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:golang/a@2"}]},
                {"SPDXID": "SPDXRef-b", "name": "b", "versionInfo": "1",
                 "annotations": [{"annotationType": "OTHER", "comment": "assay:error: x: bad"}]},
            ]}),
        );
        let d = compare(&old, &new);
        assert_eq!(
            d.added.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(
            d.removed
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>(),
            ["gone"]
        );
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            (d.changed[0].old.clone(), d.changed[0].new.clone()),
            (vec!["1".into()], vec!["2".into()])
        );
        assert_eq!(d.license_changes[0].old, ["MIT"]);
        assert_eq!(d.license_changes[0].new, ["Apache-2.0"]);
        assert_eq!(d.new_findings, ["assay:error: x: bad"]);
        assert!(compare(&new, &new).is_empty());
    }
}
