//! CycloneDX 1.6 JSON.
//!
//! Mapping: the scan subject is `metadata.component`; each binary is a `file` component with
//! its hashes and build properties; each module is a `library` (the main module an
//! `application`) listed once, with every binary it was found in as
//! `evidence.occurrences`, and a replaced module's original in `pedigree.ancestors`.
//! `dependencies` carries the graph; problems are `annotations` on the element concerned.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{file_properties, ids, image_file_properties, image_properties, image_purl};
use crate::model::{ComponentKind, Document, Property, ROOT_ID};

pub const SPEC_VERSION: &str = "1.6";

pub fn render(doc: &Document) -> String {
    super::to_json(&bom(doc))
}

/// The CycloneDX 1.6 BOM as a JSON tree: rendered as JSON here, downgraded for 1.5 by
/// [`super::cyclonedx15`] and rendered as XML by [`super::cyclonedx_xml`], so every CycloneDX
/// output carries the same content.
pub fn bom(doc: &Document) -> Value {
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
        });
        if let Some(sums) = &f.checksums {
            // SHA-256 only: the scan computes SHA-1 just for the formats that record it.
            c["hashes"] = json!([{"alg": "SHA-256", "content": sums.sha256}]);
        }
        let mut props = file_properties(f);
        props.extend(image_file_properties(doc, f));
        if !props.is_empty() {
            c["properties"] = properties(&props);
        }
        components.push(c);
    }
    for comp in &doc.components {
        let mut c = json!({
            "type": match comp.kind {
                ComponentKind::ContainerImage => "container",
                ComponentKind::OperatingSystem => "operating-system",
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
        if let Some(cpe) = super::cpe_of(comp) {
            c["cpe"] = json!(cpe);
        }
        if comp.purl.is_empty() {
            // Native libraries are known by name only (see ComponentKind::NativeLibrary).
            if let Some(obj) = c.as_object_mut() {
                obj.remove("purl");
            }
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
        // Loaded at run time, linked in, or neither (a compiler, the package a file names).
        if comp.kind == ComponentKind::NativeLibrary {
            props.push(Property::new("assay:linkage", "dynamic"));
        } else if comp.kind.is_linked() {
            props.push(Property::new("assay:linkage", "static"));
        }
        if let Some(lic) = doc.licenses.get(&comp.id) {
            if let Some(l) = licenses_value(lic) {
                c["licenses"] = l;
            }
            props.push(Property::new("assay:license:source", lic.source.as_str()));
            props.push(Property::new(
                "assay:license:confidence",
                format!("{:.2}", lic.confidence),
            ));
            props.push(Property::new("assay:license:method", lic.method.clone()));
            for e in &lic.evidence {
                if let Some(h) = &e.sha256 {
                    props.push(Property::new(
                        "assay:license:evidence",
                        format!("{} sha256:{h}", e.file),
                    ));
                }
            }
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
            json!({
                "subjects": [doc.problem_subject(p)],
                "annotator": {"component": tool},
                "timestamp": doc.created,
                "text": Document::problem_text(p),
            })
        })
        .collect();

    let mut root = json!({
        "type": "application",
        "bom-ref": ROOT_ID,
        "name": doc.subject.name,
        "properties": doc.subject.targets.iter()
            .map(|t| json!({"name": "assay:target", "value": t}))
            .chain(image_properties(doc).iter().map(|p| json!({"name": p.name, "value": p.value})))
            .collect::<Vec<_>>(),
    });
    if let Some(purl) = image_purl(doc) {
        root["type"] = json!("container");
        root["purl"] = json!(purl);
        if let Some(d) = doc.subject.image.as_ref().and_then(|i| i.digest.as_ref()) {
            root["version"] = json!(d);
        }
    }
    let mut bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": doc.created,
            "tools": {"components": [tool]},
            "component": root,
        },
        "components": components,
        "dependencies": dependencies,
    });
    let mut annotations = annotations;
    for f in &doc.loader_findings {
        annotations.push(json!({
            "subjects": [f.file_id],
            "annotator": {"component": tool},
            "timestamp": doc.created,
            "text": f.annotation(),
        }));
    }
    for f in &doc.findings {
        annotations.push(json!({
            "subjects": if f.components.is_empty() { vec![ROOT_ID.to_string()] } else { f.components.clone() },
            "annotator": {"component": tool},
            "timestamp": doc.created,
            "text": format!("assay:finding: {} {}: {} [chain: {}]", f.severity.as_str(), f.rule, f.explanation, f.chain.join(", ")),
        }));
    }
    if !annotations.is_empty() {
        bom["annotations"] = Value::Array(annotations);
    }
    let body = serde_json::to_vec(&bom).unwrap_or_default();
    bom["serialNumber"] = json!(format!("urn:uuid:{}", ids::content_uuid(&body)));
    bom
}

/// CycloneDX 1.6 `licenses`: one id per entry, declared and (when confident) concluded; a
/// compound expression is a single `expression` entry (the schema allows only one).
fn licenses_value(lic: &crate::license::ComponentLicense) -> Option<Value> {
    let expr = lic.expression.as_deref()?;
    let concluded = crate::license::is_concluded(lic, crate::license::classify::MIN_SCORE);
    let single = !expr.contains(' ');
    if !single {
        let ack = if concluded { "concluded" } else { "declared" };
        return Some(json!([{"expression": expr, "acknowledgement": ack}]));
    }
    // `id` must be in the CycloneDX schema's SPDX enum, which lags the SPDX list: use it for
    // the long-established ids of our license table, `name` for the rest.
    let license = |ack: &str| -> Value {
        if let Some(extracted) = lic.extracted.iter().find(|e| e.license_ref == expr) {
            json!({"license": {"name": expr, "acknowledgement": ack, "text": {"content": extracted.text, "contentType": "text/plain"}}})
        } else if crate::license::db::bundled().facts(expr).is_some()
            && !expr.starts_with("LicenseRef-")
        {
            json!({"license": {"id": expr, "acknowledgement": ack}})
        } else {
            json!({"license": {"name": expr, "acknowledgement": ack}})
        }
    };
    let mut out = vec![license("declared")];
    if concluded {
        out.push(license("concluded"));
    }
    Some(Value::Array(out))
}
