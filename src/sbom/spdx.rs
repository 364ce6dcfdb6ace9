//! SPDX 2.3 JSON.
//!
//! Mapping: the scan subject is a package that the document DESCRIBES and that CONTAINS
//! every binary (SPDX files, with SHA-1 and SHA-256); each component is a package. The file
//! DEPENDS_ON and STATIC_LINKs its main module and the Go standard library; the main module
//! DEPENDS_ON its modules. Build settings, slice platforms, replacements and problems are
//! annotations on the element they describe.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{
    baseline, file_properties, ids, image_file_properties, image_properties, image_purl, relpath,
};
use crate::model::{ComponentKind, Document, FileNode, RelationshipKind, ROOT_ID};

pub const ROOT_SPDX_ID: &str = "SPDXRef-Subject";

pub fn render(doc: &Document) -> String {
    super::to_json(&document(doc))
}

/// The SPDX 2.3 document as a JSON tree: rendered as JSON here, and as tag-value by
/// [`super::spdx_tag`], so the two formats always carry the same content.
pub fn document(doc: &Document) -> Value {
    let tool = format!("Tool: {}-{}", doc.tool.name, doc.tool.version);
    let annotation = |comment: String| {
        json!({
            "annotationDate": doc.created,
            "annotationType": "OTHER",
            "annotator": tool,
            "comment": comment,
        })
    };

    let mut spdx_ids: BTreeMap<&str, String> = BTreeMap::new();
    spdx_ids.insert(ROOT_ID, ROOT_SPDX_ID.to_string());
    for f in &doc.files {
        spdx_ids.insert(&f.id, ids::spdx_id("File", &f.name, &f.id));
    }
    for c in &doc.components {
        let readable = match &c.version {
            Some(v) => format!("{}-{v}", c.name),
            None => c.name.clone(),
        };
        spdx_ids.insert(&c.id, ids::spdx_id("Package", &readable, &c.id));
    }

    // Problems attach to the file they concern, else to the subject.
    let mut problem_notes: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for p in &doc.problems {
        problem_notes
            .entry(doc.problem_subject(p))
            .or_default()
            .push(annotation(Document::problem_text(p)));
    }
    // Predicted load failures attach to the program.
    for f in &doc.loader_findings {
        problem_notes
            .entry(f.file_id.as_str())
            .or_default()
            .push(annotation(f.annotation()));
    }

    // The subject CONTAINS the binaries, which SPDX allows only for an analysed package:
    // so it is one, with the verification code computed from the files' SHA-1s.
    let mut root = json!({
        "SPDXID": ROOT_SPDX_ID,
        "name": baseline::root_name(doc),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": !doc.files.is_empty(),
        "primaryPackagePurpose": "OTHER",
        "comment": format!("Scan subject: {}", doc.subject.targets.join(", ")),
    });
    if !doc.files.is_empty() {
        root["packageVerificationCode"] = json!({
            "packageVerificationCodeValue": verification_code(
                doc.files.iter().filter_map(|f| f.checksums.as_ref()?.sha1.as_deref()),
            ),
        });
        root["hasFiles"] = doc
            .files
            .iter()
            .map(|f| json!(spdx_ids[f.id.as_str()]))
            .collect();
    }
    let mut root_notes: Vec<Value> = image_properties(doc)
        .into_iter()
        .map(|p| annotation(format!("{}={}", p.name, p.value)))
        .collect();
    // Version and supplier: derived with the method stated, else NOASSERTION (unknown).
    if let Some(v) = baseline::root_version(doc) {
        root["versionInfo"] = json!(v.value);
        root_notes.push(annotation(format!("assay:version-method={}", v.method)));
    }
    root["supplier"] = json!("NOASSERTION");
    if let Some(s) = baseline::root_supplier(doc) {
        root["supplier"] = json!(s.spdx());
        root_notes.push(annotation(format!("assay:supplier-method={}", s.method)));
    }
    root_notes.extend(problem_notes.remove(ROOT_ID).unwrap_or_default());
    if !root_notes.is_empty() {
        root["annotations"] = Value::Array(root_notes);
    }
    if let Some(purl) = image_purl(doc) {
        root["primaryPackagePurpose"] = json!("CONTAINER");
        root["externalRefs"] = json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": purl,
        }]);
    }
    // SPDX lets only an analysed package CONTAIN files: a component that does (an OS
    // package owning binaries, one platform of an image) gets hasFiles and a verification
    // code over those files.
    let file_sha1: BTreeMap<&str, &str> = doc
        .files
        .iter()
        .filter_map(|f| {
            f.checksums
                .as_ref()
                .and_then(|c| Some((f.id.as_str(), c.sha1.as_deref()?)))
        })
        .collect();
    let mut owned_files: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in &doc.relationships {
        if r.kind == RelationshipKind::Contains
            && r.from != ROOT_ID
            && file_sha1.contains_key(r.to.as_str())
        {
            owned_files
                .entry(r.from.as_str())
                .or_default()
                .push(r.to.as_str());
        }
    }
    let mut license_refs: BTreeMap<String, String> = BTreeMap::new();
    let mut packages = vec![root];
    for c in &doc.components {
        let mut pkg = json!({
            "SPDXID": spdx_ids[c.id.as_str()],
            "name": c.name,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": match c.kind {
                ComponentKind::ContainerImage => "CONTAINER",
                ComponentKind::OperatingSystem => "OPERATING_SYSTEM",
                k if k.is_application() => "APPLICATION",
                ComponentKind::Compiler => "OTHER",
                _ => "LIBRARY",
            },
        });
        let mut refs = Vec::new();
        if !c.purl.is_empty() {
            refs.push(json!({
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": c.purl,
            }));
        }
        if let Some(cpe) = baseline::cpe(c) {
            refs.push(json!({
                "referenceCategory": "SECURITY",
                "referenceType": if cpe.starts_with("cpe:2.3:") { "cpe23Type" } else { "cpe22Type" },
                "referenceLocator": cpe,
            }));
        }
        if !refs.is_empty() {
            pkg["externalRefs"] = Value::Array(refs);
        }
        // SPDX has no NOASSERTION for a version: unknown stays absent.
        let mut baseline_notes = Vec::new();
        if let Some(v) = baseline::component_version(c) {
            pkg["versionInfo"] = json!(v.value);
            if let Some(m) = v.method {
                baseline_notes.push(annotation(format!("assay:version-method={m}")));
            }
        }
        pkg["supplier"] = json!("NOASSERTION");
        if let Some(s) = baseline::supplier(doc, c) {
            pkg["supplier"] = json!(s.spdx());
            baseline_notes.push(annotation(format!("assay:supplier-method={}", s.method)));
        }
        if let Some(url) = baseline::vcs_url(c) {
            pkg["downloadLocation"] = json!(format!("git+{url}"));
            baseline_notes.push(annotation(
                "assay:download-location-method=go-module-path".to_string(),
            ));
        }
        if let Some(files) = owned_files.get(c.id.as_str()) {
            pkg["filesAnalyzed"] = json!(true);
            pkg["packageVerificationCode"] = json!({
                "packageVerificationCodeValue": verification_code(files.iter().map(|f| file_sha1[f])),
            });
            pkg["hasFiles"] = files.iter().map(|f| json!(spdx_ids[f])).collect();
        }
        let lic_notes = license_fields(doc, c, &mut pkg, &mut license_refs);
        let mut notes: Vec<Value> = c
            .ancestors
            .iter()
            .map(|a| {
                annotation(format!(
                    "assay:pedigree: replaces {} {} ({})",
                    a.name, a.version, a.purl
                ))
            })
            .collect();
        notes.extend(
            c.properties
                .iter()
                .map(|p| annotation(format!("{}={}", p.name, p.value))),
        );
        notes.extend(lic_notes.into_iter().map(&annotation));
        notes.extend(baseline_notes);
        if !notes.is_empty() {
            pkg["annotations"] = Value::Array(notes);
        }
        packages.push(pkg);
    }

    let files: Vec<Value> = doc
        .files
        .iter()
        .map(|f| {
            let mut notes: Vec<Value> = file_properties(f)
                .into_iter()
                .chain(image_file_properties(doc, f))
                .map(|p| annotation(format!("{}={}", p.name, p.value)))
                .collect();
            notes.extend(problem_notes.remove(f.id.as_str()).unwrap_or_default());
            // SPDX names files relative to the scan root; the path as scanned stays readable.
            let file_name = relpath::spdx_file_name(&f.name, &doc.subject.targets);
            if file_name != f.name {
                notes.push(annotation(format!("assay:path={}", f.name)));
            }
            let mut file = json!({
                "SPDXID": spdx_ids[f.id.as_str()],
                "fileName": file_name,
                "fileTypes": ["BINARY"],
            });
            if let Some(sums) = &f.checksums {
                let mut list = Vec::new();
                if let Some(sha1) = &sums.sha1 {
                    list.push(json!({"algorithm": "SHA1", "checksumValue": sha1}));
                }
                list.push(json!({"algorithm": "SHA256", "checksumValue": sums.sha256}));
                file["checksums"] = Value::Array(list);
            }
            if !notes.is_empty() {
                file["annotations"] = Value::Array(notes);
            }
            file
        })
        .collect();

    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": ROOT_SPDX_ID,
    })];
    let mut edges: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for r in &doc.relationships {
        let (Some(from), Some(to)) = (spdx_ids.get(r.from.as_str()), spdx_ids.get(r.to.as_str()))
        else {
            continue; // every relationship end is an element above; skip defensively
        };
        let kind = match r.kind {
            RelationshipKind::Contains => "CONTAINS",
            RelationshipKind::DependsOn => "DEPENDS_ON",
            RelationshipKind::StaticLink => "STATIC_LINK",
            RelationshipKind::DynamicLink => "DYNAMIC_LINK",
        };
        if edges.insert((from, kind, to)) {
            relationships.push(relationship(from, kind, to));
        }
    }
    // Package-to-package traversal from the root: consumers that follow only package
    // relationships (not root → file → module) reach every component.
    for (from, kind, to) in root_edges(doc) {
        let (Some(from), Some(to)) = (spdx_ids.get(from), spdx_ids.get(to)) else {
            continue;
        };
        if edges.insert((from, kind, to)) {
            relationships.push(relationship(from, kind, to));
        }
    }

    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("assay scan of {}", doc.subject.name),
        "documentNamespace": "",
        "creationInfo": {
            "created": doc.created,
            "creators": creators(doc, &tool),
        },
        "packages": packages,
        "files": files,
        "relationships": relationships,
    });
    if !license_refs.is_empty() {
        // SPDX license ids are case-insensitive: one extracted text per id.
        let mut seen = std::collections::BTreeSet::new();
        document["hasExtractedLicensingInfos"] = license_refs
            .iter()
            .filter(|(id, _)| seen.insert(id.to_ascii_lowercase()))
            .map(|(id, text)| json!({"licenseId": id, "extractedText": text, "name": id}))
            .collect();
    }
    // The namespace must be unique per document: derive it from the content so that the
    // same input gives the same bytes.
    let body = serde_json::to_vec(&document).unwrap_or_default();
    document["documentNamespace"] = json!(format!(
        "https://spdx.org/spdxdocs/assay/{}",
        ids::content_uuid(&body)
    ));
    document
}

/// SPDX creators: the tool, then the organization and people the user named.
fn creators(doc: &Document, tool: &str) -> Vec<String> {
    let mut out = vec![tool.to_string()];
    if let Some(o) = &doc.sbom.organization {
        out.push(format!("Organization: {o}"));
    }
    for a in &doc.sbom.authors {
        out.push(match baseline::split_contact(a) {
            (name, Some(email)) => format!("Person: {name} ({email})"),
            (name, None) => format!("Person: {name}"),
        });
    }
    out
}

fn relationship(from: &str, kind: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": kind,
        "relatedSpdxElement": to,
    })
}

/// The edges SPDX adds to assay's graph (internal ids): the root CONTAINS every component
/// in the subject and DEPENDS_ON the libraries it loads from outside it; a compiler is the
/// BUILD_TOOL_OF each file it built.
fn root_edges(doc: &Document) -> Vec<(&str, &'static str, &str)> {
    let files: BTreeSet<&str> = doc.files.iter().map(|f| f.id.as_str()).collect();
    let mut out = Vec::new();
    for c in &doc.components {
        match c.kind {
            ComponentKind::Compiler => {
                for o in &c.occurrences {
                    let file_id = FileNode::id_for(o);
                    if let Some(f) = files.get(file_id.as_str()) {
                        out.push((c.id.as_str(), "BUILD_TOOL_OF", *f));
                    }
                }
            }
            ComponentKind::NativeLibrary => out.push((ROOT_ID, "DEPENDS_ON", c.id.as_str())),
            _ => out.push((ROOT_ID, "CONTAINS", c.id.as_str())),
        }
    }
    out
}

/// SPDX 2.3 §7.9: SHA-1 over the sorted, concatenated lower-case SHA-1s of the files.
fn verification_code<'a>(sha1s: impl Iterator<Item = &'a str>) -> String {
    use sha1::Digest;
    let mut all: Vec<&str> = sha1s.collect();
    all.sort_unstable();
    crate::hash::hex(&sha1::Sha1::digest(all.concat().as_bytes()))
}

/// SPDX `licenseDeclared` / `licenseConcluded` for a component, collecting `LicenseRef-`
/// texts; returns annotation texts (license provenance and findings).
fn license_fields(
    doc: &Document,
    c: &crate::model::Component,
    pkg: &mut Value,
    license_refs: &mut BTreeMap<String, String>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let Some(lic) = doc.licenses.get(&c.id) else {
        return notes;
    };
    let declared = lic
        .expression
        .clone()
        .unwrap_or_else(|| "NOASSERTION".into());
    let concluded = if crate::license::is_concluded(lic, crate::license::classify::MIN_SCORE) {
        declared.clone()
    } else {
        "NOASSERTION".into()
    };
    for e in &lic.extracted {
        license_refs.insert(e.license_ref.clone(), e.text.clone());
    }
    // Every LicenseRef used needs extracted text; refs from the license-db have none.
    for word in declared.split(|ch: char| ch.is_whitespace() || ch == '(' || ch == ')') {
        if word.starts_with("LicenseRef-") && !license_refs.contains_key(word) {
            license_refs.insert(
                word.to_string(),
                format!("{word}: a license assay's license-db names but the SPDX list does not."),
            );
        }
    }
    pkg["licenseDeclared"] = json!(declared);
    pkg["licenseConcluded"] = json!(concluded);
    pkg["copyrightText"] = json!("NOASSERTION");
    let evidence: Vec<String> = lic
        .evidence
        .iter()
        .map(|e| match &e.sha256 {
            Some(h) => format!("{} sha256:{h}", e.file),
            None => e.file.clone(),
        })
        .collect();
    notes.push(format!(
        "assay:license: source={} confidence={:.2} method={}{}{}",
        lic.source.as_str(),
        lic.confidence,
        lic.method,
        lic.location
            .as_ref()
            .map(|l| format!(" location={l}"))
            .unwrap_or_default(),
        if evidence.is_empty() {
            String::new()
        } else {
            format!(" evidence={}", evidence.join("; "))
        },
    ));
    for f in doc
        .findings
        .iter()
        .filter(|f| f.components.first() == Some(&c.id))
    {
        notes.push(format!(
            "assay:finding: {} {}: {} [chain: {}]",
            f.severity.as_str(),
            f.rule,
            f.explanation,
            f.chain.join(", ")
        ));
    }
    notes
}
