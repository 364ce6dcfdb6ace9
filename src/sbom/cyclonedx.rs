//! CycloneDX 1.6 JSON.
//!
//! Mapping: the scan subject is `metadata.component`; each binary is a `file` component with
//! its hashes and build properties; each module is a `library` (the main module an
//! `application`) listed once, with every binary it was found in as
//! `evidence.occurrences`, and a replaced module's original in `pedigree.ancestors`.
//! `dependencies` carries the graph; problems are `annotations` on the element concerned.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{file_properties, ids};
use crate::model::{ComponentKind, Document, Property, Severity, ROOT_ID};

pub const SPEC_VERSION: &str = "1.6";

pub fn render(doc: &Document) -> String {
    let properties = |props: &[Property]| -> Value {
        props
            .iter()
            .map(|p| json!({"name": p.name, "value": p.value}))
            .collect()
    };
    let mut components: Vec<Value> = Vec::new();
    for f in &doc.files {
        let mut c = json!({
            "type": "file",
            "bom-ref": f.id,
            "name": f.name,
            "hashes": [
                {"alg": "SHA-1", "content": f.sha1},
                {"alg": "SHA-256", "content": f.sha256},
            ],
        });
        let props = file_properties(f);
        if !props.is_empty() {
            c["properties"] = properties(&props);
        }
        components.push(c);
    }
    for comp in &doc.components {
        let mut c = json!({
            "type": match comp.kind {
                k if k.is_application() => "application",
                ComponentKind::Compiler => "application",
                _ => "library",
            },
            "bom-ref": comp.id,
            "name": comp.name,
            "evidence": {
                "occurrences": comp.occurrences.iter().map(|o| json!({"location": o})).collect::<Vec<_>>(),
            },
        });
        if !comp.purl.is_empty() {
            c["purl"] = json!(comp.purl);
        }
        if let Some(v) = &comp.version {
            c["version"] = json!(v);
        }
        if !comp.ancestors.is_empty() {
            c["pedigree"] = json!({
                "ancestors": comp.ancestors.iter().map(|a| json!({
                    "type": "library",
                    "name": a.name,
                    "version": a.version,
                    "purl": a.purl,
                })).collect::<Vec<_>>(),
                "notes": "Go module replaced by a go.mod replace directive; the component is what was linked.",
            });
        }
        let mut props = comp.properties.clone();
        if comp.kind.is_linked() {
            props.push(Property::new("assay:linkage", "static"));
        }
        if !props.is_empty() {
            c["properties"] = properties(&props);
        }
        components.push(c);
    }

    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    graph.entry(ROOT_ID).or_default();
    for f in &doc.files {
        graph.entry(&f.id).or_default();
    }
    for c in &doc.components {
        graph.entry(&c.id).or_default();
    }
    for r in &doc.relationships {
        // CONTAINS and STATIC_LINK both mean "needs" here; CycloneDX has one edge kind.
        graph.entry(&r.from).or_default().insert(&r.to);
    }
    let dependencies: Vec<Value> = graph
        .into_iter()
        .map(|(from, to)| json!({"ref": from, "dependsOn": to.into_iter().collect::<Vec<_>>()}))
        .collect();

    let tool = json!({"type": "application", "name": doc.tool.name, "version": doc.tool.version});
    let annotations: Vec<Value> = doc
        .problems
        .iter()
        .map(|p| {
            let subject = doc
                .files
                .iter()
                .find(|f| f.name == p.path)
                .map(|f| f.id.as_str())
                .unwrap_or(ROOT_ID);
            let level = if p.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            json!({
                "subjects": [subject],
                "annotator": {"component": tool},
                "timestamp": doc.created,
                "text": format!("assay:{level}: {}: {}", p.path, p.message),
            })
        })
        .collect();

    let mut bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": doc.created,
            "tools": {"components": [tool]},
            "component": {
                "type": "application",
                "bom-ref": ROOT_ID,
                "name": doc.subject.name,
                "properties": doc.subject.targets.iter()
                    .map(|t| json!({"name": "assay:target", "value": t}))
                    .collect::<Vec<_>>(),
            },
        },
        "components": components,
        "dependencies": dependencies,
    });
    if !annotations.is_empty() {
        bom["annotations"] = Value::Array(annotations);
    }
    let body = serde_json::to_vec(&bom).unwrap_or_default();
    bom["serialNumber"] = json!(format!("urn:uuid:{}", ids::content_uuid(&body)));
    super::to_json(&bom)
}
