//! The Go cataloger: build info → main module, dependency modules, the standard library.

pub mod buildinfo;
pub mod modinfo;
pub mod pclntab;
pub mod quote;
pub mod version;

use object::{Object, ObjectSymbol, SymbolKind};

use crate::binary::{read_go_string, Endian};
use crate::catalog::{Cataloger, Findings, Image};
pub use crate::model::go::{GoInfo, GoVersion, Layout, ModInfo, Module, RecoveredVersion, Setting};
use crate::model::{Ancestor, Component, ComponentKind, Property, RelationshipKind, Severity};
use crate::purl;

pub struct GoCataloger;

impl Cataloger for GoCataloger {
    fn name(&self) -> &'static str {
        "go"
    }

    fn catalog(&self, image: &Image<'_, '_>, out: &mut Findings) {
        let raw = match buildinfo::read(image.object) {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                without_build_info(image, out);
                return;
            }
            Err(e) => {
                out.problem(image, Severity::Error, e.to_string());
                without_build_info(image, out);
                return;
            }
        };
        let mut warnings = Vec::new();
        let info = info_from_raw(raw, Some(image.object), &mut warnings);
        for w in warnings {
            out.problem(image, Severity::Warning, w);
        }
        add_components(image.file_id, image.file_name, &info, out);
        out.go = Some(info);
    }
}

/// Interprets a decoded blob. `object` (absent for wasm) lets a `(devel)` main module's
/// version be recovered from symbols.
pub fn info_from_raw(
    raw: buildinfo::RawBuildInfo,
    object: Option<&object::File<'_>>,
    warnings: &mut Vec<String>,
) -> GoInfo {
    let modinfo = modinfo::parse(&raw.modinfo);
    warnings.extend(modinfo.warnings.iter().cloned());
    let mut info = GoInfo {
        go_version: GoVersion::parse(&raw.go_version),
        mode: if modinfo.main.is_some() {
            "module"
        } else {
            "gopath"
        },
        modinfo,
        recovered_main_version: None,
        layout: raw.layout,
        located_by: raw.located_by,
    };
    if let Some(main) = &info.modinfo.main {
        if !version::is_real_version(&main.version) {
            info.recovered_main_version = version::recover_from_settings(&info.modinfo)
                .or_else(|| object.and_then(version_from_symbols));
        }
    }
    info
}

/// Adds the components of one image's build info.
pub fn add_components(file_id: &str, file_name: &str, info: &GoInfo, out: &mut Findings) {
    let occurrence = vec![file_name.to_string()];

    // The standard library, one per toolchain (experiments change what is compiled in).
    let stdlib_version = info.go_version.stdlib_version().to_string();
    let stdlib_purl = purl::golang("stdlib", Some(&stdlib_version));
    let stdlib_id = if info.go_version.experiments.is_empty() {
        stdlib_purl.clone()
    } else {
        format!("{stdlib_purl}#X:{}", info.go_version.experiments.join(","))
    };
    let mut stdlib_props = vec![Property::new("assay:go:toolchain", &info.go_version.raw)];
    if !info.go_version.experiments.is_empty() {
        stdlib_props.push(Property::new(
            "assay:go:experiments",
            info.go_version.experiments.join(","),
        ));
    }
    out.components.push(Component {
        id: stdlib_id.clone(),
        kind: ComponentKind::GoStdlib,
        name: "stdlib".into(),
        version: Some(stdlib_version),
        purl: stdlib_purl,
        ancestors: Vec::new(),
        properties: stdlib_props,
        occurrences: occurrence.clone(),
    });
    out.relate(file_id, RelationshipKind::DependsOn, &stdlib_id);
    out.relate(file_id, RelationshipKind::StaticLink, &stdlib_id);

    // The main module; the dependencies hang from it (or from the file in GOPATH mode).
    let parent_id = match &info.modinfo.main {
        Some(main) => {
            let (id, version, mut properties) = if version::is_shared_version(&main.version) {
                let purl = purl::golang(&main.path, Some(&main.version));
                (purl, Some(main.version.clone()), Vec::new())
            } else if version::is_real_version(&main.version) {
                // A `+dirty` version names uncommitted source: two builds may differ.
                let purl = purl::golang(&main.path, Some(&main.version));
                (
                    format!("{purl}#{file_name}"),
                    Some(main.version.clone()),
                    Vec::new(),
                )
            } else {
                // `(devel)` belongs to this binary: two binaries with the same main path can
                // be different programs, so the id is scoped to the file.
                let id = format!("{}#{}", purl::golang(&main.path, None), file_name);
                let mut props = vec![Property::new("assay:go:recorded-version", &main.version)];
                let recovered = info.recovered_main_version.as_ref();
                if let Some(r) = recovered {
                    props.push(Property::new("assay:version-method", r.method));
                    props.push(Property::new("assay:version-evidence", &r.evidence));
                }
                (id, recovered.map(|r| r.version.clone()), props)
            };
            if !main.sum.is_empty() {
                properties.push(Property::new("assay:go:sum", &main.sum));
            }
            let purl = purl::golang(&main.path, version.as_deref());
            out.components.push(Component {
                id: id.clone(),
                kind: ComponentKind::GoMainModule,
                name: main.path.clone(),
                version,
                purl,
                ancestors: Vec::new(),
                properties,
                occurrences: occurrence.clone(),
            });
            out.relate(file_id, RelationshipKind::DependsOn, &id);
            out.relate(file_id, RelationshipKind::StaticLink, &id);
            id
        }
        None => file_id.to_string(),
    };

    for dep in &info.modinfo.deps {
        let component = dependency_component(dep, file_name);
        out.relate(&parent_id, RelationshipKind::DependsOn, &component.id);
        out.components.push(component);
    }
}

/// A dependency as linked: the replacement when there is one, with the original kept as
/// pedigree. A local-directory replacement belongs to its binary and keeps the version its
/// `require` line records (the directory has none), with that original as pedigree too.
fn dependency_component(dep: &Module, file_name: &str) -> Component {
    let occurrences = vec![file_name.to_string()];
    if dep.is_local_replacement() {
        let dir = &dep.linked().path;
        let version = Some(dep.version.clone()).filter(|v| !v.is_empty());
        let purl = purl::golang(&dep.path, version.as_deref());
        let mut properties = vec![
            Property::new("assay:go:replaced-by-directory", dir),
            Property::new("assay:go:recorded-version", &dep.version),
        ];
        let mut ancestors = Vec::new();
        if let Some(v) = &version {
            properties.push(Property::new(
                "assay:version-method",
                "go-require-version-before-directory-replacement",
            ));
            ancestors.push(Ancestor {
                name: dep.path.clone(),
                version: v.clone(),
                purl: purl.clone(),
            });
        }
        return Component {
            id: format!("{}#{file_name}", purl::golang(&dep.path, None)),
            kind: ComponentKind::GoModule,
            name: dep.path.clone(),
            version,
            purl,
            ancestors,
            properties,
            occurrences,
        };
    }
    let linked = dep.linked();
    let purl = purl::golang(&linked.path, Some(&linked.version));
    let mut properties = Vec::new();
    if !linked.sum.is_empty() {
        properties.push(Property::new("assay:go:sum", &linked.sum));
    }
    let (id, ancestors) = match &dep.replace {
        Some(_) => {
            properties.push(Property::new(
                "assay:go:replaces",
                format!("{} {}", dep.path, dep.version),
            ));
            (
                format!("{purl}#replaces:{}@{}", dep.path, dep.version),
                vec![Ancestor {
                    name: dep.path.clone(),
                    version: dep.version.clone(),
                    purl: purl::golang(&dep.path, Some(&dep.version)),
                }],
            )
        }
        None => (purl.clone(), Vec::new()),
    };
    Component {
        id,
        kind: ComponentKind::GoModule,
        name: linked.path.clone(),
        version: Some(linked.version.clone()),
        purl,
        ancestors,
        properties,
        occurrences,
    }
}

/// Reads the string value of a version variable (`main.version` and the like) through the
/// symbol table: this survives `-trimpath`, which drops `-ldflags` from the build info.
/// Needs `.symtab` (absent after `-s`).
fn version_from_symbols(file: &object::File<'_>) -> Option<RecoveredVersion> {
    let ptr_size = if file.is_64() { 8 } else { 4 };
    let endian = if file.is_little_endian() {
        Endian::Little
    } else {
        Endian::Big
    };
    let mut best: Option<(bool, RecoveredVersion)> = None;
    for symbol in file.symbols() {
        if symbol.kind() != SymbolKind::Data || symbol.size() != 2 * ptr_size as u64 {
            continue;
        }
        let Ok(name) = symbol.name() else { continue };
        if !name.starts_with("main.") || !version::is_version_variable(name) {
            continue;
        }
        let Some(bytes) = read_go_string(file, symbol.address(), ptr_size, endian) else {
            continue;
        };
        let value = String::from_utf8_lossy(bytes);
        let Some(v) = version::normalize_version_value(&value) else {
            continue;
        };
        let preferred = name == "main.version" || name == "main.Version";
        if best.as_ref().is_none_or(|(p, _)| preferred && !p) {
            best = Some((
                preferred,
                RecoveredVersion {
                    version: v,
                    method: "symbol",
                    evidence: format!("{name}={value}"),
                },
            ));
        }
    }
    best.map(|(_, v)| v)
}

/// A Go binary whose build info is gone: recognised by its pclntab, reported with what the
/// pclntab and the runtime version string still say (module versions only where source
/// paths carry them).
fn without_build_info(image: &Image<'_, '_>, out: &mut Findings) {
    let Some(table) = pclntab::read(image.object, image.data) else {
        return;
    };
    // The runtime is in every Go program; without it this is not one.
    if !table.packages.contains("runtime") {
        return;
    }
    let rodata = crate::binary::data::readonly_data(image.object);
    let go_version = pclntab::go_version(&rodata).or_else(|| pclntab::go_version(&[image.data]));
    out.properties
        .push(Property::new("assay:go:detected-by", "pclntab"));
    out.properties
        .push(Property::new("assay:go:pclntab-layout", table.layout));
    out.properties.push(Property::new(
        "assay:go:pclntab-located-by",
        table.located_by,
    ));
    if let Some(v) = &go_version {
        out.properties.push(Property::new("assay:go:version", v));
    }
    out.problem(
        image,
        Severity::Warning,
        "Go binary without build info: modules recovered from the pclntab (versions only where source paths record them)".into(),
    );
    let occurrence = vec![image.file_name.to_string()];
    let file_id = image.file_id;

    let stdlib_version = go_version
        .as_deref()
        .map(|v| GoVersion::parse(v).stdlib_version().to_string());
    let stdlib_purl = purl::golang("stdlib", stdlib_version.as_deref());
    let stdlib_id = match &stdlib_version {
        Some(_) => stdlib_purl.clone(),
        None => format!("{stdlib_purl}#{}", image.file_name),
    };
    out.components.push(Component {
        id: stdlib_id.clone(),
        kind: ComponentKind::GoStdlib,
        name: "stdlib".into(),
        version: stdlib_version,
        purl: stdlib_purl,
        ancestors: Vec::new(),
        properties: vec![
            Property::new("assay:method", "pclntab+runtime-version-string"),
            Property::new(
                "assay:confidence",
                if go_version.is_some() {
                    "medium"
                } else {
                    "low"
                },
            ),
        ],
        occurrences: occurrence.clone(),
    });
    out.relate(file_id, RelationshipKind::DependsOn, &stdlib_id);
    out.relate(file_id, RelationshipKind::StaticLink, &stdlib_id);

    // Modules: versioned ones from file paths; the remaining third-party packages grouped
    // by the hosting convention, with no version.
    let mut modules: std::collections::BTreeMap<
        String,
        (Option<String>, &'static str, &'static str),
    > = table
        .file_modules
        .iter()
        .map(|(m, v)| (m.clone(), (Some(v.clone()), "pclntab-file-path", "medium")))
        .collect();
    for pkg in table.packages.iter().filter(|p| !pclntab::is_stdlib(p)) {
        if modules
            .keys()
            .any(|m| pkg == m || pkg.starts_with(&format!("{m}/")))
        {
            continue;
        }
        let (module, by_convention) = pclntab::guess_module(pkg);
        let confidence = if by_convention { "medium" } else { "low" };
        modules
            .entry(module)
            .or_insert((None, "pclntab-function-names", confidence));
    }
    for (path, (version, method, confidence)) in modules {
        let purl = purl::golang(&path, version.as_deref());
        let id = match &version {
            Some(_) => purl.clone(),
            None => format!("{purl}#{}", image.file_name),
        };
        out.components.push(Component {
            id: id.clone(),
            kind: ComponentKind::GoModule,
            name: path,
            version,
            purl,
            ancestors: Vec::new(),
            properties: vec![
                Property::new("assay:method", method),
                Property::new("assay:confidence", confidence),
            ],
            occurrences: occurrence.clone(),
        });
        out.relate(file_id, RelationshipKind::DependsOn, &id);
        out.relate(file_id, RelationshipKind::StaticLink, &id);
    }
}
