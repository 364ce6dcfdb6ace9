//! The one model every writer reads: the scan subject, the files found, the components the
//! catalogers recognised, the relationships between them, and the problems met on the way.
//!
//! Identity rules (see [`Component::id`]): a component that is the same thing wherever it
//! appears (a module at a real version) has a global id and is listed once with all its
//! occurrences; one that only means something inside its binary (a `(devel)` main module,
//! a local-directory replacement) has an id scoped to that file.
//!
//! Layer: the ground floor. Uses nothing else in the crate; every other module may use it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub mod file;
pub mod go;
pub mod image;
pub mod license;

pub use file::{Checksums, Format, Platform};
pub use go::GoInfo;

pub mod loader;
pub mod static_str;

/// The node every file hangs from.
pub const ROOT_ID: &str = "root";

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Document {
    /// Version of this JSON layout; bumped only on incompatible changes.
    pub schema_version: u32,
    pub tool: Tool,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when set.
    pub created: String,
    pub subject: Subject,
    pub files: Vec<FileNode>,
    pub components: Vec<Component>,
    pub relationships: Vec<Relationship>,
    pub problems: Vec<Problem>,
    pub summary: Summary,
    /// Component id → its license (filled by the license enricher).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub licenses: BTreeMap<String, license::ComponentLicense>,
    /// License findings (rule engine), most severe first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<license::Finding>,
    /// Predicted load failures of the programs in an image or root filesystem
    /// (the loader model), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loader_findings: Vec<loader::LoaderFinding>,
    /// Who made the SBOM and what it describes, as the user stated it (`--author`, …).
    #[serde(default, skip_serializing_if = "SbomInfo::is_empty")]
    pub sbom: SbomInfo,
}

/// Facts about the SBOM itself that no artifact records: given by the user on the command
/// line (see docs/formats.md), never derived.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct SbomInfo {
    /// People who author the SBOM: `NAME` or `NAME <EMAIL>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// The organization that authors the SBOM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The organization that supplies the scanned subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// The subject's name and version (the SBOM root), overriding what the scan derives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

impl SbomInfo {
    pub fn is_empty(&self) -> bool {
        self.authors.is_empty()
            && self.organization.is_none()
            && self.supplier.is_none()
            && self.source_name.is_none()
            && self.source_version.is_none()
    }
}

impl Document {
    /// The id of the element a problem concerns: its file when the file is in the document,
    /// else the subject (`root`).
    pub fn problem_subject(&self, p: &Problem) -> &str {
        self.files
            .iter()
            .find(|f| f.name == p.path)
            .map_or(ROOT_ID, |f| f.id.as_str())
    }

    /// A problem as every SBOM format records it: `assay:<level>: <path>: <message>`.
    pub fn problem_text(p: &Problem) -> String {
        format!("assay:{}: {}: {}", p.severity.as_str(), p.path, p.message)
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tool {
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub name: crate::model::static_str::StaticStr,
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub version: crate::model::static_str::StaticStr,
}

impl Tool {
    pub fn current() -> Tool {
        Tool {
            name: "assay",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// What was scanned, as the user named it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Subject {
    /// A display name: the single target, or the targets joined by `, `.
    pub name: String,
    pub targets: Vec<String>,
    /// Set when the subject is a container image (the SBOM's root component is the image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<image::ImageInfo>,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Summary {
    /// Regular files examined (binaries or not).
    pub files_examined: u64,
    pub binaries: u64,
    pub go_binaries: u64,
    pub components: u64,
    pub errors: u64,
    pub warnings: u64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FileNode {
    /// `file:` + name; stable across runs.
    pub id: String,
    /// Path relative to the scan root, `./`-prefixed (the target itself when it is a file).
    pub name: String,
    pub size: u64,
    /// `sha1` and `sha256`; computed only when an output needs them (every format but the
    /// table), since hashing is the one step that reads every byte.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub checksums: Option<Checksums>,
    pub format: Format,
    pub slices: Vec<SliceNode>,
}

impl FileNode {
    pub fn id_for(name: &str) -> String {
        format!("file:{name}")
    }

    pub fn go_slices(&self) -> impl Iterator<Item = (&SliceNode, &GoInfo)> {
        self.slices
            .iter()
            .filter_map(|s| s.go.as_ref().map(|g| (s, g)))
    }
}

/// One object image of a file (the file itself, or a fat slice / archive member).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SliceNode {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go: Option<GoInfo>,
    /// Facts about the slice itself: build-id, `.comment`, packer, version floors
    /// (`assay:native:glibc-floor`), …
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    /// A Go module linked into a binary.
    GoModule,
    /// The main module of a Go binary.
    GoMainModule,
    /// The Go standard library.
    GoStdlib,
    /// A shared library a binary loads at run time, named as the binary records it (ELF
    /// SONAME, Mach-O install name, DLL name). No purl: the name alone does not say which
    /// package ships the library, so `purl` is empty and writers omit it.
    NativeLibrary,
    /// A Rust crate linked into a binary.
    RustCrate,
    /// The root crate of a Rust binary (the file's main component).
    RustRootCrate,
    /// The Rust standard library of the toolchain that built the binary.
    RustStdlib,
    /// A compiler that produced (part of) a binary; evidence, not linked code.
    Compiler,
    /// A C/C++ library linked statically, recognised by its embedded version string.
    StaticLibrary,
    /// The distribution package a binary says it belongs to (ELF `.note.package`).
    OsPackage,
    /// A Debian package (dpkg database).
    DebPackage,
    /// An Alpine package (apk database).
    ApkPackage,
    /// A Void Linux package (xbps pkgdb).
    XbpsPackage,
    /// An rpm package (rpm database).
    RpmPackage,
    /// One platform's image of a multi-platform image index (`--all-platforms`).
    ContainerImage,
    /// The distribution an image's root filesystem is (from `os-release`).
    OperatingSystem,
}

impl ComponentKind {
    /// Whether the component is the file's own program rather than something in it.
    pub fn is_application(self) -> bool {
        matches!(
            self,
            ComponentKind::GoMainModule | ComponentKind::RustRootCrate | ComponentKind::OsPackage
        )
    }

    /// Whether the component's code is in the file: not a compiler (evidence only), the
    /// package a file names, a library loaded at run time, an installed OS package or an
    /// image (they contain files rather than being linked into one).
    pub fn is_linked(self) -> bool {
        !matches!(
            self,
            ComponentKind::Compiler
                | ComponentKind::OsPackage
                | ComponentKind::NativeLibrary
                | ComponentKind::DebPackage
                | ComponentKind::ApkPackage
                | ComponentKind::XbpsPackage
                | ComponentKind::RpmPackage
                | ComponentKind::ContainerImage
                | ComponentKind::OperatingSystem
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Property {
    pub name: String,
    pub value: String,
}

impl Property {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Property {
        Property {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// What a replaced module was before the replacement (pedigree).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Ancestor {
    pub name: String,
    pub version: String,
    pub purl: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Component {
    /// Stable identity; merging key across files.
    pub id: String,
    pub kind: ComponentKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL; empty when no standard purl type fits (native libraries known by name
    /// only, …): omitted from JSON, and writers omit it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purl: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<Ancestor>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// Names of the files the component was found in.
    pub occurrences: Vec<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RelationshipKind {
    Contains,
    DependsOn,
    StaticLink,
    /// Loaded at run time: ELF DT_NEEDED, Mach-O dylib load command, PE import, a Go plugin.
    DynamicLink,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Relationship {
    pub from: String,
    pub kind: RelationshipKind,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Something that could not be read or understood. Never silently dropped: printed on
/// stderr and carried into every output format.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Problem {
    /// The path as the user would recognise it (scan-relative name when known).
    pub path: String,
    pub severity: Severity,
    pub message: String,
}

/// Collects catalogers' output and merges it into a deterministic [`Document`].
#[derive(Default)]
pub struct GraphBuilder {
    files: Vec<FileNode>,
    components: BTreeMap<String, Component>,
    relationships: BTreeSet<Relationship>,
    problems: Vec<Problem>,
    files_examined: u64,
    loader_findings: Vec<loader::LoaderFinding>,
}

impl GraphBuilder {
    pub fn add_file(&mut self, file: FileNode) {
        self.relationships.insert(Relationship {
            from: ROOT_ID.to_string(),
            kind: RelationshipKind::Contains,
            to: file.id.clone(),
        });
        self.files.push(file);
    }

    /// Adds a component, merging occurrences and properties into an existing one.
    pub fn add_component(&mut self, component: Component) {
        match self.components.get_mut(&component.id) {
            Some(existing) => {
                existing.occurrences.extend(component.occurrences);
                existing.properties.extend(component.properties);
            }
            None => {
                self.components.insert(component.id.clone(), component);
            }
        }
    }

    pub fn relate(&mut self, from: &str, kind: RelationshipKind, to: &str) {
        self.relationships.insert(Relationship {
            from: from.to_string(),
            kind,
            to: to.to_string(),
        });
    }

    /// Re-points one edge (`from -kind-> old` becomes `from -kind-> new`), when it exists.
    pub fn retarget(&mut self, from: &str, kind: RelationshipKind, old: &str, new: &str) {
        let edge = Relationship {
            from: from.to_string(),
            kind,
            to: old.to_string(),
        };
        if self.relationships.remove(&edge) {
            self.relate(from, kind, new);
        }
    }

    /// Adds properties to slices of files already added: file id → (slice label, `None`
    /// for a thin file; property). One pass over the files.
    pub fn slice_properties(&mut self, mut add: BTreeMap<String, Vec<(Option<String>, Property)>>) {
        for file in &mut self.files {
            let Some(props) = add.remove(&file.id) else {
                continue;
            };
            for (label, property) in props {
                if let Some(slice) = file.slices.iter_mut().find(|s| s.label == label) {
                    if !slice.properties.contains(&property) {
                        slice.properties.push(property);
                    }
                }
            }
        }
    }

    pub fn loader_finding(&mut self, finding: loader::LoaderFinding) {
        self.loader_findings.push(finding);
    }

    /// Points dynamic-link edges at the scanned file that provides the library (by SONAME,
    /// install name or file name; DLL names case-insensitively), and drops library
    /// components no edge points at any more.
    pub fn link_native_to_files(&mut self, provided: &BTreeMap<String, String>) {
        let relationships = std::mem::take(&mut self.relationships);
        for mut r in relationships {
            if r.kind == RelationshipKind::DynamicLink {
                let target = self
                    .components
                    .get(&r.to)
                    .filter(|c| c.kind == ComponentKind::NativeLibrary)
                    // The loader model already decided where this one goes (nowhere).
                    .filter(|c| {
                        !c.properties
                            .iter()
                            .any(|p| p.name == loader::STATUS_PROPERTY)
                    })
                    .and_then(|c| provided.get(&native_lookup_key(&c.name)));
                if let Some(file_id) = target.filter(|f| **f != r.from) {
                    r.to = file_id.clone();
                }
            }
            self.relationships.insert(r);
        }
        let referenced: BTreeSet<&String> = self.relationships.iter().map(|r| &r.to).collect();
        self.components
            .retain(|id, c| c.kind != ComponentKind::NativeLibrary || referenced.contains(id));
    }

    pub fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    pub fn count_examined(&mut self, n: u64) {
        self.files_examined += n;
    }

    pub fn finish(self, subject: Subject, created: String) -> Document {
        let mut files = self.files;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let components: Vec<Component> = self
            .components
            .into_values()
            .map(|mut c| {
                c.occurrences.sort();
                c.occurrences.dedup();
                c.properties.sort();
                c.properties.dedup();
                c
            })
            .collect();
        let mut problems = self.problems;
        problems.sort();
        problems.dedup();
        let summary = Summary {
            files_examined: self.files_examined,
            binaries: files.len() as u64,
            go_binaries: files
                .iter()
                .filter(|f| f.go_slices().next().is_some())
                .count() as u64,
            components: components.len() as u64,
            errors: problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count() as u64,
            warnings: problems
                .iter()
                .filter(|p| p.severity == Severity::Warning)
                .count() as u64,
        };
        Document {
            schema_version: 1,
            tool: Tool::current(),
            created,
            subject,
            files,
            components,
            relationships: self.relationships.into_iter().collect(),
            problems,
            summary,
            licenses: BTreeMap::new(),
            findings: Vec::new(),
            loader_findings: {
                let mut f = self.loader_findings;
                f.sort();
                f.dedup();
                f
            },
            sbom: SbomInfo::default(),
        }
    }
}

/// How a library name is looked up among scanned files: Windows DLL names are
/// case-insensitive, everything else exact.
pub fn native_lookup_key(name: &str) -> String {
    if name.to_ascii_lowercase().ends_with(".dll") {
        name.to_ascii_lowercase()
    } else {
        name.to_string()
    }
}
