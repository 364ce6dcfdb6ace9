//! The Rust cataloger: cargo-auditable data when present (every crate, its source, kind and
//! real dependency edges), else crates inferred from cargo source paths in DWARF and in
//! panic-location strings; the toolchain from `.comment`, the DWARF producer or std paths.
//!
//! Every component carries `assay:method` (how it was found) and `assay:confidence`.

pub mod audit;
pub mod infer;

use std::collections::BTreeMap;

use crate::catalog::{Cataloger, Findings, Image};
use crate::model::{Component, ComponentKind, Property, RelationshipKind, Severity};
use crate::purl;
use audit::AuditData;
use infer::{CrateSource, PathCrate};

pub struct RustCataloger;

/// What the toolchain left behind, in any image (auditable or not).
#[derive(Default)]
struct Toolchain {
    version: Option<String>,
    version_method: &'static str,
    commit: Option<String>,
}

impl Cataloger for RustCataloger {
    fn name(&self) -> &'static str {
        "rust"
    }

    fn catalog(&self, image: &Image<'_, '_>, out: &mut Findings) {
        // A Go binary (its build info was found) holds no Rust panic paths worth a scan of
        // all its read-only data; an auditable section would still be read below.
        let rodata = if out.go.is_some() {
            Vec::new()
        } else {
            crate::binary::data::readonly_data(image.object)
        };
        let toolchain = toolchain(image, &rodata);
        let mut found_crates = false;
        if let Some(bytes) = audit::section_bytes(image.object) {
            match audit::decode(bytes) {
                Ok(data) => {
                    add_audited(image, &data, "cargo-auditable", out);
                    found_crates = true;
                }
                Err(e) => out.problem(image, Severity::Error, e),
            }
        }
        if !found_crates {
            found_crates = add_inferred(image, &rodata, out);
        }
        if found_crates || toolchain.version.is_some() || toolchain.commit.is_some() {
            add_stdlib(image, &toolchain, out);
        }
    }
}

fn toolchain(image: &Image<'_, '_>, rodata: &[&[u8]]) -> Toolchain {
    let mut t = Toolchain::default();
    if let Some(v) = crate::binary::data::comment_lines(image.object)
        .iter()
        .find_map(|l| infer::rustc_version(l))
    {
        t.version = Some(v);
        t.version_method = "comment";
    }
    t.commit = rodata.iter().find_map(|d| infer::rustc_commit(d));
    t
}

/// Adds the crates of cargo-auditable data (from an object section or a wasm custom section).
pub fn add_audited(image: &Image<'_, '_>, data: &AuditData, method: &str, out: &mut Findings) {
    add_audited_to(image.file_id, image.file_name, data, method, out)
}

/// Same as [`add_audited`], for callers without an object image (wasm).
pub fn add_audited_to(
    file_id: &str,
    file_name: &str,
    data: &AuditData,
    method: &str,
    out: &mut Findings,
) {
    let ids: Vec<String> = data
        .packages
        .iter()
        .map(|p| crate_id(&p.name, &p.version, &p.source, p.root, file_name))
        .collect();
    for (p, id) in data.packages.iter().zip(&ids) {
        let mut properties = vec![
            Property::new("assay:method", method),
            Property::new("assay:confidence", "high"),
            Property::new("assay:rust:source", &p.source),
            Property::new("assay:rust:kind", &p.kind),
        ];
        if p.root {
            properties.push(Property::new("assay:rust:root", "true"));
        }
        out.components.push(Component {
            id: id.clone(),
            kind: if p.root {
                ComponentKind::RustRootCrate
            } else {
                ComponentKind::RustCrate
            },
            name: p.name.clone(),
            version: Some(p.version.clone()),
            purl: purl::cargo(&p.name, Some(&p.version)),
            ancestors: Vec::new(),
            properties,
            occurrences: vec![file_name.to_string()],
        });
        if p.root {
            out.relate(file_id, RelationshipKind::DependsOn, id);
            out.relate(file_id, RelationshipKind::StaticLink, id);
        }
        for &d in &p.dependencies {
            // Indices were checked by `audit::decode`.
            if let Some(to) = ids.get(d) {
                out.relate(id, RelationshipKind::DependsOn, to);
            }
        }
    }
    // No root recorded (should not happen): hang every crate from the file.
    if !data.packages.iter().any(|p| p.root) {
        for id in &ids {
            out.relate(file_id, RelationshipKind::DependsOn, id);
        }
    }
}

/// crates.io crates are the same everywhere; local and git crates (and the root) belong
/// to their binary, like a Go `(devel)` main module.
fn crate_id(name: &str, version: &str, source: &str, root: bool, file_name: &str) -> String {
    let purl = purl::cargo(name, Some(version));
    if source == "crates.io" && !root {
        purl
    } else {
        format!("{purl}#{file_name}")
    }
}

/// Crates named by cargo source paths in DWARF and read-only data. Returns whether any
/// were found.
fn add_inferred(image: &Image<'_, '_>, rodata: &[&[u8]], out: &mut Findings) -> bool {
    // crate → methods that saw it
    let mut seen: BTreeMap<PathCrate, Vec<&'static str>> = BTreeMap::new();
    if let Some(summary) = image.dwarf() {
        if let Some(why) = &summary.incomplete {
            out.problem(image, Severity::Warning, why.clone());
        }
        let mut found = Vec::new();
        for p in &summary.paths {
            infer::crates_in(p.as_bytes(), &mut found);
        }
        for c in found {
            seen.entry(c).or_default().push("dwarf-path");
        }
    }
    let mut found = Vec::new();
    for d in rodata {
        infer::crates_in(d, &mut found);
    }
    for c in found {
        let methods = seen.entry(c).or_default();
        if !methods.contains(&"panic-location") {
            methods.push("panic-location");
        }
    }
    for (c, methods) in &seen {
        let (source, mut properties) = match &c.source {
            CrateSource::Registry { index } if c.source.is_crates_io() => (
                "crates.io",
                vec![Property::new("assay:rust:registry", index)],
            ),
            CrateSource::Registry { index } => (
                "registry",
                vec![Property::new("assay:rust:registry", index)],
            ),
            CrateSource::Git { rev, .. } => {
                ("git", vec![Property::new("assay:rust:git-revision", rev)])
            }
        };
        // A source path proves the crate was compiled in; the git repository name is
        // only a guess at the crate name.
        let confidence = match &c.source {
            CrateSource::Git { .. } => "low",
            CrateSource::Registry { .. } => "medium",
        };
        properties.push(Property::new("assay:method", methods.join(",")));
        properties.push(Property::new("assay:confidence", confidence));
        properties.push(Property::new("assay:rust:source", source));
        let version = c.version.clone();
        let purl = purl::cargo(&c.name, version.as_deref());
        let id = match (&version, source) {
            (Some(_), "crates.io") => purl.clone(),
            _ => format!("{purl}#{}", image.file_name),
        };
        out.components.push(Component {
            id: id.clone(),
            kind: ComponentKind::RustCrate,
            name: c.name.clone(),
            version,
            purl,
            ancestors: Vec::new(),
            properties,
            occurrences: vec![image.file_name.to_string()],
        });
        // Without audit data the graph is unknown: the crates hang from the file.
        out.relate(image.file_id, RelationshipKind::DependsOn, &id);
        out.relate(image.file_id, RelationshipKind::StaticLink, &id);
    }
    !seen.is_empty()
}

/// The standard library of the toolchain, one component per rustc version (or commit).
fn add_stdlib(image: &Image<'_, '_>, t: &Toolchain, out: &mut Findings) {
    let mut version = t.version.clone();
    let mut method = t.version_method;
    if version.is_none() {
        if let Some(summary) = image.dwarf() {
            version = summary
                .units
                .iter()
                .filter_map(|u| u.producer.as_deref())
                .find_map(infer::rustc_version);
            method = "dwarf-producer";
        }
    }
    let mut properties = Vec::new();
    if version.is_some() {
        properties.push(Property::new("assay:method", method));
        properties.push(Property::new("assay:confidence", "high"));
    }
    if let Some(c) = &t.commit {
        properties.push(Property::new("assay:rust:rustc-commit", c));
        if version.is_none() {
            properties.push(Property::new("assay:method", "std-panic-path"));
            properties.push(Property::new("assay:confidence", "medium"));
        }
    }
    let id = match (&version, &t.commit) {
        (Some(v), _) => format!("rust-std@{v}"),
        (None, Some(c)) => format!("rust-std@commit:{c}"),
        (None, None) => format!("rust-std#{}", image.file_name),
    };
    out.components.push(Component {
        id: id.clone(),
        kind: ComponentKind::RustStdlib,
        name: "rust-std".into(),
        version: version.clone(),
        purl: purl::generic("rust-std", version.as_deref()),
        ancestors: Vec::new(),
        properties,
        occurrences: vec![image.file_name.to_string()],
    });
    out.relate(image.file_id, RelationshipKind::DependsOn, &id);
    out.relate(image.file_id, RelationshipKind::StaticLink, &id);
}
