//! Native (C/C++) build metadata: compilers from DWARF producers and `.comment`, the ELF
//! `.note.package` package note, the GNU build-id / Mach-O UUID, and statically linked
//! libraries recognised by their embedded version strings.

pub mod classify;
pub mod note_package;
pub mod producers;

use std::collections::BTreeMap;

use object::Object;

use crate::catalog::{Cataloger, Findings, Image};
use crate::hash::hex;
use crate::model::{Component, ComponentKind, Property, RelationshipKind, Severity};
use crate::purl;
use producers::Producer;

pub struct BuildMetadataCataloger;

impl Cataloger for BuildMetadataCataloger {
    fn name(&self) -> &'static str {
        "native"
    }

    fn catalog(&self, image: &Image<'_, '_>, out: &mut Findings) {
        let file = image.object;
        if let Ok(Some(id)) = file.build_id() {
            out.properties
                .push(Property::new("assay:build-id", hex(id)));
        }
        if let Ok(Some(uuid)) = file.mach_uuid() {
            out.properties
                .push(Property::new("assay:macho-uuid", hex(&uuid)));
        }
        let comments = crate::binary::data::comment_lines(file);
        if !comments.is_empty() {
            out.properties
                .push(Property::new("assay:comment", comments.join(" | ")));
        }
        add_compilers(image, &comments, out);
        match note_package::read(file) {
            Ok(Some(pkg)) => add_package(image, &pkg, out),
            Ok(None) => {}
            Err(e) => out.problem(image, Severity::Warning, e),
        }
        add_libraries(image, out);
    }
}

/// Compilers, one component per (compiler, version); the id is global since the same
/// compiler builds many files.
fn add_compilers(image: &Image<'_, '_>, comments: &[String], out: &mut Findings) {
    // (compiler, version) → (methods, languages, flags, unit count)
    type Seen = (Vec<&'static str>, Vec<String>, Vec<String>, usize);
    let mut seen: BTreeMap<(String, String), Seen> = BTreeMap::new();
    for p in comments.iter().filter_map(|l| producers::parse_comment(l)) {
        let e = seen.entry((p.compiler, p.version)).or_default();
        if !e.0.contains(&"comment") {
            e.0.push("comment");
        }
    }
    if let Some(summary) = image.dwarf() {
        for u in &summary.units {
            let Some(p) = u
                .producer
                .as_deref()
                .and_then(producers::parse_dwarf_producer)
            else {
                continue;
            };
            let Producer {
                compiler,
                version,
                language,
                flags,
            } = p;
            let e = seen.entry((compiler, version)).or_default();
            if !e.0.contains(&"dwarf-producer") {
                e.0.push("dwarf-producer");
            }
            if let Some(l) = language.filter(|l| !e.1.contains(l)) {
                e.1.push(l);
            }
            if let Some(f) = flags.filter(|f| !e.2.contains(f) && e.2.len() < 16) {
                e.2.push(f);
            }
            e.3 += 1;
        }
    }
    for ((compiler, version), (methods, languages, flags, units)) in seen {
        let mut properties = vec![
            Property::new("assay:method", methods.join(",")),
            Property::new("assay:confidence", "high"),
        ];
        if !languages.is_empty() {
            properties.push(Property::new(
                "assay:compiler:languages",
                languages.join(","),
            ));
        }
        for f in flags {
            properties.push(Property::new("assay:compiler:flags", f));
        }
        if units > 0 {
            properties.push(Property::new(
                "assay:compiler:units",
                format!("{}: {units}", image.file_name),
            ));
        }
        // A compiler is not a package anyone installs from a registry: no purl.
        out.components.push(Component {
            id: format!("compiler:{compiler}@{version}"),
            kind: ComponentKind::Compiler,
            name: compiler,
            version: Some(version),
            purl: String::new(),
            ancestors: Vec::new(),
            properties,
            occurrences: vec![image.file_name.to_string()],
        });
    }
}

fn add_package(image: &Image<'_, '_>, pkg: &note_package::PackageNote, out: &mut Findings) {
    let purl = pkg.purl();
    let mut properties = vec![
        Property::new("assay:method", "elf-note-package"),
        Property::new("assay:confidence", "high"),
        Property::new("assay:package:type", &pkg.kind),
    ];
    for (k, v) in &pkg.extra {
        properties.push(Property::new(format!("assay:package:{k}"), v));
    }
    out.components.push(Component {
        id: purl.clone(),
        kind: ComponentKind::OsPackage,
        name: pkg.name.clone(),
        version: pkg.version.clone(),
        purl,
        ancestors: Vec::new(),
        properties,
        occurrences: vec![image.file_name.to_string()],
    });
    // No graph edge: "package CONTAINS file" is what this means, but SPDX allows CONTAINS
    // only from packages whose files were analysed; the occurrence records the file.
}

fn add_libraries(image: &Image<'_, '_>, out: &mut Findings) {
    let regions = crate::binary::data::readonly_data(image.object);
    let mut matches = library_matches(&regions);
    // The symbol, when present, is exact: it overrides the string heuristics.
    if let Some(v) = classify::sqlite_version_from_symbol(image.object) {
        for m in matches.iter_mut().filter(|m| m.name == "sqlite") {
            m.evidence = format!("symbol sqlite3_version = {v}");
            m.version = v.clone();
        }
    }
    add_matches(image.file_id, image.file_name, matches, out);
}

/// Static libraries recognised in raw byte regions (also used on unpacked images that are
/// not object files).
pub fn add_libraries_in(file_id: &str, file_name: &str, regions: &[&[u8]], out: &mut Findings) {
    add_matches(file_id, file_name, library_matches(regions), out);
}

fn library_matches(regions: &[&[u8]]) -> Vec<classify::Match> {
    let mut matches = Vec::new();
    for d in regions {
        classify::classify(d, &mut matches);
    }
    matches.sort();
    matches.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    matches
}

fn add_matches(file_id: &str, file_name: &str, matches: Vec<classify::Match>, out: &mut Findings) {
    for m in matches {
        let purl = purl::generic(m.purl_name, Some(&m.version));
        out.components.push(Component {
            id: purl.clone(),
            kind: ComponentKind::StaticLibrary,
            name: m.name.to_string(),
            version: Some(m.version.clone()),
            purl: purl.clone(),
            ancestors: Vec::new(),
            properties: vec![
                Property::new("assay:method", "embedded-version-string"),
                Property::new("assay:confidence", "medium"),
                Property::new("assay:evidence", m.evidence),
            ],
            occurrences: vec![file_name.to_string()],
        });
        out.relate(file_id, RelationshipKind::DependsOn, &purl);
        out.relate(file_id, RelationshipKind::StaticLink, &purl);
    }
}
