//! CycloneDX 1.6 JSON.
//!
//! Mapping: the scan subject is `metadata.component`; each binary is a `file` component with
//! its hashes and build properties; each module is a `library` (the main module an
//! `application`) listed once, with every binary it was found in as
//! `evidence.occurrences`, and a replaced module's original in `pedigree.ancestors`.
//! `dependencies` carries the graph; problems are `annotations` on the element concerned.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{baseline, file_properties, ids, image_file_properties, image_properties, image_purl};
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
        // No purl for native libraries known by name only (see ComponentKind::NativeLibrary).
        if !comp.purl.is_empty() {
            c["purl"] = json!(comp.purl);
        }
        let mut props = comp.properties.clone();
        // Unknown version: absent (CycloneDX has no "unknown" value).
        if let Some(v) = baseline::component_version(comp) {
            c["version"] = json!(v.value);
            if let Some(m) = v.method {
                props.push(Property::new("assay:version-method", m));
            }
        }
        if let Some(s) = baseline::supplier(doc, comp) {
            c["supplier"] = organization(&s);
            props.push(Property::new("assay:supplier-method", s.method));
        }
        if let Some(cpe) = baseline::cpe(comp) {
            c["cpe"] = json!(cpe);
        }
        if let Some(url) = baseline::vcs_url(comp) {
            c["externalReferences"] = json!([{"type": "vcs", "url": url}]);
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
    // The root also depends on every component directly: consumers that drop `file`
    // components (syft convert) keep the package graph (docs/formats.md).
    for c in doc
        .components
        .iter()
        .filter(|c| c.kind != ComponentKind::Compiler)
    {
        graph.entry(ROOT_ID).or_default().insert(&c.id);
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
    }
    let mut root_props: Vec<Property> = Vec::new();
    if let Some(v) = baseline::root_version(doc) {
        root["version"] = json!(v.value);
        root_props.push(Property::new("assay:version-method", v.method));
    }
    let root_supplier = baseline::root_supplier(doc);
    if let Some(s) = &root_supplier {
        root["supplier"] = organization(s);
        root_props.push(Property::new("assay:supplier-method", s.method));
    }
    if let Some(list) = root["properties"].as_array_mut() {
        list.extend(
            root_props
                .iter()
                .map(|p| json!({"name": p.name, "value": p.value})),
        );
    }
    let mut bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": doc.created,
            // The SBOM describes built artifacts, read after the build.
            "lifecycles": [{"phase": "post-build"}],
            "tools": {"components": [tool]},
            "authors": authors(doc),
            "component": root,
            // The SBOM's own data license, as SPDX documents carry it.
            "licenses": [{"license": {"id": "CC0-1.0"}}],
        },
        "components": components,
        "dependencies": dependencies,
    });
    if let Some(o) = &doc.sbom.organization {
        bom["metadata"]["manufacturer"] = json!({"name": o});
    }
    if let Some(s) = &root_supplier {
        bom["metadata"]["supplier"] = organization(s);
    }
    bom["compositions"] = compositions(doc);
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

/// `organizationalEntity` for a supplier.
fn organization(s: &baseline::Supplier) -> Value {
    match &s.email {
        Some(e) => json!({"name": s.name, "contact": [{"email": e}]}),
        None => json!({"name": s.name}),
    }
}

/// SBOM authors: the people the user named, else the tool (NTIA: the author may be the
/// tool that generated the data) when no organization is named either.
fn authors(doc: &Document) -> Value {
    let people: Vec<Value> = doc
        .sbom
        .authors
        .iter()
        .map(|a| match baseline::split_contact(a) {
            (name, Some(email)) => json!({"name": name, "email": email}),
            (name, None) => json!({"name": name}),
        })
        .collect();
    if people.is_empty() && doc.sbom.organization.is_none() {
        return json!([{"name": doc.tool.name}]);
    }
    Value::Array(people)
}

/// Declared completeness: a Go main module's dependency list comes from the build info,
/// which lists every module linked (complete); a Rust root crate's from cargo-auditable's
/// record (complete); crates found by their panic paths are an incomplete list; of the
/// subject as a whole assay cannot say (unknown).
fn compositions(doc: &Document) -> Value {
    let mut complete: Vec<&str> = Vec::new();
    let mut incomplete: BTreeSet<String> = BTreeSet::new();
    for c in &doc.components {
        match c.kind {
            ComponentKind::GoMainModule => complete.push(&c.id),
            ComponentKind::RustRootCrate => complete.push(&c.id),
            ComponentKind::RustCrate
                if c.properties
                    .iter()
                    .any(|p| p.name == "assay:method" && p.value.contains("panic-location")) =>
            {
                incomplete.extend(
                    c.occurrences
                        .iter()
                        .map(|o| crate::model::FileNode::id_for(o)),
                );
            }
            _ => {}
        }
    }
    let files: BTreeSet<&str> = doc.files.iter().map(|f| f.id.as_str()).collect();
    let incomplete: Vec<&String> = incomplete
        .iter()
        .filter(|f| files.contains(f.as_str()))
        .collect();
    let mut out = vec![json!({"aggregate": "unknown", "assemblies": [ROOT_ID]})];
    if !complete.is_empty() {
        out.push(json!({"aggregate": "complete", "dependencies": complete}));
    }
    if !incomplete.is_empty() {
        out.push(json!({"aggregate": "incomplete", "assemblies": incomplete}));
    }
    Value::Array(out)
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
