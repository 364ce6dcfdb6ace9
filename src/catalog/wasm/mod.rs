//! WebAssembly modules: the sections assay needs, read by hand (the module format is a flat
//! list of length-prefixed sections, so no parser crate is needed and nothing is compiled
//! twice). What each toolchain leaves:
//! - Go (`GOOS=wasip1`/`js`): the build info blob inside a data segment;
//! - Rust with cargo-auditable: the `.dep-v0` custom section;
//! - LLVM-based toolchains: the `producers` custom section (languages, compilers, SDKs);
//! - every module: imports and exports.

pub mod reader;

/// Go modules initialise a few megabytes of memory; a layout past this is not rebuilt.
const MAX_MEMORY_IMAGE: u64 = 256 << 20;

use crate::catalog::Findings;
use crate::model::{Component, ComponentKind, Property, Severity};
use reader::Module;

/// Catalogs one wasm module: everything the Go, Rust and producers readers recover.
/// Problems are returned as (severity, message).
pub fn catalog(file_id: &str, file_name: &str, data: &[u8], out: &mut Findings) {
    let module = match reader::parse(data) {
        Ok(m) => m,
        Err(e) => {
            out.problems.push(problem(
                file_name,
                Severity::Error,
                format!("malformed wasm: {e}"),
            ));
            return;
        }
    };
    out.properties.push(Property::new(
        "assay:wasm:imports",
        module.imports.len().to_string(),
    ));
    out.properties.push(Property::new(
        "assay:wasm:exports",
        module.exports.len().to_string(),
    ));
    let mut import_modules: Vec<&str> = module.imports.iter().map(|i| i.module.as_str()).collect();
    import_modules.sort_unstable();
    import_modules.dedup();
    if !import_modules.is_empty() {
        out.properties.push(Property::new(
            "assay:wasm:import-modules",
            import_modules.join(","),
        ));
    }

    // Rust: cargo-auditable custom section.
    if let Some(bytes) = module.custom(crate::catalog::rust::audit::SECTION) {
        match crate::catalog::rust::audit::decode(bytes) {
            Ok(d) => crate::catalog::rust::add_audited_to(
                file_id,
                file_name,
                &d,
                "cargo-auditable-wasm",
                out,
            ),
            Err(e) => out.problems.push(problem(file_name, Severity::Error, e)),
        }
    }
    // Producers: the toolchains, as components without purl (they are evidence, not code).
    if let Some(bytes) = module.custom("producers") {
        match reader::producers(bytes) {
            Ok(fields) => add_producers(file_name, &fields, out),
            Err(e) => out.problems.push(problem(
                file_name,
                Severity::Warning,
                format!("unreadable producers section: {e}"),
            )),
        }
    }
    // Go: the build info blob in linear memory (or, when memory is too large to lay out,
    // in any one segment).
    // Bounded by the file size too, so a tiny module cannot make assay allocate much.
    let limit = MAX_MEMORY_IMAGE.min((data.len() as u64).saturating_mul(64));
    let memory = reader::memory_image(&module, limit);
    let regions: Vec<&[u8]> = match &memory {
        Some(m) => vec![m.as_slice()],
        None => module.data.iter().map(|(_, b)| *b).collect(),
    };
    let mut found_go = false;
    for region in &regions {
        match crate::catalog::golang::buildinfo::read_inline_anywhere(region) {
            Ok(Some(raw)) => {
                let mut warnings = Vec::new();
                let info = crate::catalog::golang::info_from_raw(raw, None, &mut warnings);
                for w in warnings {
                    out.problems.push(problem(file_name, Severity::Warning, w));
                }
                crate::catalog::golang::add_components(file_id, file_name, &info, out);
                out.go = Some(info);
                found_go = true;
                break;
            }
            Ok(None) => {}
            Err(e) => {
                out.problems
                    .push(problem(file_name, Severity::Error, e.to_string()));
                found_go = true;
                break;
            }
        }
    }
    // Go's wasm linker writes no build info header, only the modinfo string (between its
    // sentinels) and the runtime version string.
    if !found_go {
        if let Some(modinfo) = regions
            .iter()
            .find_map(|r| crate::catalog::golang::buildinfo::modinfo_by_sentinels(r))
        {
            let go_version = crate::catalog::golang::pclntab::go_version(&regions)
                .unwrap_or_else(|| "unknown".into());
            let raw = crate::catalog::golang::buildinfo::RawBuildInfo {
                go_version,
                modinfo,
                layout: crate::catalog::golang::Layout::Inline,
                located_by: "wasm-modinfo-sentinels",
            };
            let mut warnings = Vec::new();
            let info = crate::catalog::golang::info_from_raw(raw, None, &mut warnings);
            for w in warnings {
                out.problems.push(problem(file_name, Severity::Warning, w));
            }
            crate::catalog::golang::add_components(file_id, file_name, &info, out);
            out.go = Some(info);
        }
    }
}

fn problem(path: &str, severity: Severity, message: String) -> crate::model::Problem {
    crate::model::Problem {
        path: path.to_string(),
        severity,
        message,
    }
}

fn add_producers(file_name: &str, fields: &[reader::ProducerField], out: &mut Findings) {
    for (field, values) in fields {
        for (name, version) in values {
            if field == "language" {
                out.properties.push(Property::new(
                    "assay:wasm:language",
                    format!("{name} {version}").trim().to_string(),
                ));
                continue;
            }
            // `processed-by` (compilers, wasm-bindgen, wasm-opt) and `sdk`. rustc writes
            // `1.95.0 (59807616e 2026-04-14)`: the version is the first word.
            let (short, detail) = match version.split_once(' ') {
                Some((v, rest)) => (v.to_string(), Some(rest.trim().to_string())),
                None => (version.clone(), None),
            };
            let version = (!short.is_empty()).then_some(short);
            out.components.push(Component {
                id: format!(
                    "compiler:{name}@{}",
                    version.as_deref().unwrap_or("unknown")
                ),
                kind: ComponentKind::Compiler,
                name: name.clone(),
                version,
                purl: String::new(),
                ancestors: Vec::new(),
                properties: vec![
                    Property::new("assay:method", "wasm-producers-section"),
                    Property::new("assay:confidence", "high"),
                    Property::new("assay:wasm:producer-field", field),
                ]
                .into_iter()
                .chain(detail.map(|d| Property::new("assay:wasm:producer-detail", d)))
                .collect(),
                occurrences: vec![file_name.to_string()],
            });
        }
    }
}

/// The platform of a module, for the file node.
pub fn platform(m: &Module) -> crate::binary::Platform {
    crate::binary::Platform {
        arch: if m.memory64 { "wasm64" } else { "wasm" }.into(),
        os: None,
        bits: if m.memory64 { 64 } else { 32 },
        endian: "little",
    }
}
