//! Native linkage of one object image: the libraries it links, the symbols it imports from
//! them, the symbols it exports, and the version floors its imports imply.
//!
//! The `object` crate does the format work (DT_NEEDED, dylib load commands, PE import tables,
//! ELF version tables, the Mach-O export trie, PE ordinals and forwarders); this module turns
//! its answers into one serialisable shape with stable field names. Everything read from the
//! file is untrusted: a failing table becomes a message in [`Linkage::problems`] and the rest
//! of the image is still reported.

mod cataloger;
mod dwarf;
pub mod dyld_facts;
mod elf;
mod file;
mod floors;
mod golang;
mod macho;

use std::collections::{BTreeMap, BTreeSet};

use object::read::{ExportFlags, ExportTarget, ImportFlags, ImportLibraryFlags, NameOrOrdinal};
use object::{Object, ObjectSection, ObjectSymbol, SectionKind};

use serde::{Deserialize, Serialize};

pub use self::file::{read_bytes, read_path, FileLinkage, SliceLinkage};
pub use cataloger::NativeCataloger;
pub use floors::{version_floors, VersionFloor};
pub use golang::{is_plugin_symbol, plugin_path};

/// Upper bound on symbols read from one table: bounds the work a hostile export trie (a DAG
/// that fans out exponentially) or a huge bogus symbol count can cause.
pub const MAX_SYMBOLS: usize = 1 << 20;

/// Everything assay reports about the dynamic linkage of one object image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Linkage {
    /// The image's own name: ELF `DT_SONAME`, Mach-O `LC_ID_DYLIB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Library>,
    /// ELF program interpreter (`PT_INTERP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// Library search paths recorded in the image: ELF `DT_RUNPATH`/`DT_RPATH` (split at `:`),
    /// Mach-O `LC_RPATH`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_paths: Vec<SearchPath>,
    /// Linked libraries, in load order.
    pub libraries: Vec<Library>,
    /// Imported symbols, sorted by library then name.
    pub imports: Vec<ImportedSymbol>,
    /// Exported symbols, sorted by name then version.
    pub exports: Vec<ExportedSymbol>,
    /// Highest version node required per versioned library (`GLIBC_2.34` for `libc.so.6`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub version_floors: Vec<VersionFloor>,
    /// Go plugin path when the image is a Go plugin: its reachable exports are the
    /// `<path>.<Ident>` entries of `exports`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_plugin_path: Option<String>,
    /// Tables that could not be read completely; what was read is still above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Library {
    /// SONAME, install name or DLL name, as the image records it.
    pub name: String,
    /// How it is linked: `needed` (ELF), `load`, `weak`, `reexport`, `lazy`, `upward`
    /// (Mach-O load commands), `import`, `delay` (PE), `id` (the image's own name).
    pub kind: String,
    /// Mach-O current version (`1.2.3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Mach-O compatibility version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SearchPath {
    /// `runpath`, `rpath` (ELF) or `rpath` (Mach-O `LC_RPATH`).
    pub kind: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ImportedSymbol {
    /// Symbol name; `#N` for a PE import by ordinal.
    pub name: String,
    /// Library the symbol is bound to, when the format records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// ELF version requirement (`GLIBC_2.14`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// PE import by ordinal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u16>,
    /// Weak reference: the program loads without it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub weak: bool,
    /// PE delay-load import.
    #[serde(default, skip_serializing_if = "is_false")]
    pub delay: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExportedSymbol {
    pub name: String,
    /// `func`, `object`, `tls`, `ifunc`, `absolute`, `reexport` or `notype`.
    pub kind: String,
    /// `global` or `weak` (ELF also `unique`).
    pub binding: String,
    /// ELF version definition (`VERS_2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// ELF: `true` for the default version (`@@`), `false` for a hidden one (`@`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version: Option<bool>,
    /// Size in bytes (ELF `st_size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<u64>,
    /// PE export ordinal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u16>,
    /// Re-export (Mach-O) or forwarder (PE): the library the symbol really lives in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// Re-export / forwarder target name when it differs or is an ordinal (`#N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// C signature from DWARF (`int (const char *, int)`), or Go type of a plugin symbol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn name_or_ordinal(name: NameOrOrdinal<&[u8]>) -> (String, Option<u16>) {
    match name {
        NameOrOrdinal::Name(n) => (text(n), None),
        NameOrOrdinal::Ordinal(o) => (format!("#{o}"), Some(o)),
    }
}

/// Reads the linkage of one parsed image. Never fails as a whole: unreadable tables are
/// listed in `problems`.
pub fn read(file: &object::File<'_>) -> Linkage {
    let mut out = read_links(file);
    read_exports(file, &mut out);
    if let Some(path) = golang::plugin_path(file) {
        golang::annotate_plugin_exports(file, &path, &mut out);
    } else {
        dwarf::annotate_signatures(file, &mut out);
    }
    out
}

/// The cheaper part of [`read`] that the SBOM needs: the image's name, libraries, search
/// paths, imports and version floors; no exports, no debug info.
pub fn read_links(file: &object::File<'_>) -> Linkage {
    let mut out = Linkage {
        interpreter: crate::binary::elf_interpreter(file),
        ..Linkage::default()
    };
    match file {
        object::File::Elf32(_) | object::File::Elf64(_) => elf::read_dynamic(file, &mut out),
        object::File::MachO32(_) | object::File::MachO64(_) => macho::read_commands(file, &mut out),
        _ => {}
    }
    read_libraries(file, &mut out);
    read_imports(file, &mut out);
    out.version_floors = version_floors(&out.imports);
    out
}

fn read_libraries(file: &object::File<'_>, out: &mut Linkage) {
    let libraries = match file.import_libraries() {
        Ok(l) => l,
        Err(e) => return out.problems.push(format!("linked libraries: {e}")),
    };
    for library in libraries.take(MAX_SYMBOLS) {
        let library = match library {
            Ok(l) => l,
            Err(e) => {
                out.problems.push(format!("linked libraries: {e}"));
                break;
            }
        };
        let (kind, version, compatibility_version) = match library.flags() {
            ImportLibraryFlags::MachO {
                cmd,
                current_version,
                compatibility_version,
                ..
            } => (
                macho::dylib_kind(cmd),
                Some(macho::version_text(current_version.0)),
                Some(macho::version_text(compatibility_version.0)),
            ),
            ImportLibraryFlags::Pe { delay: true } => ("delay", None, None),
            ImportLibraryFlags::Pe { delay: false } => ("import", None, None),
            _ => ("needed", None, None),
        };
        out.libraries.push(Library {
            name: text(library.name()),
            kind: kind.to_string(),
            version,
            compatibility_version,
        });
    }
}

fn read_imports(file: &object::File<'_>, out: &mut Linkage) {
    let imports = match file.imports() {
        Ok(i) => i,
        Err(e) => return out.problems.push(format!("imported symbols: {e}")),
    };
    // Mach-O binds a symbol once per use site (bind, lazy bind, weak bind): keep one entry.
    let mut seen = BTreeSet::new();
    for import in imports.take(MAX_SYMBOLS) {
        let import = match import {
            Ok(i) => i,
            Err(e) => {
                out.problems.push(format!("imported symbols: {e}"));
                break;
            }
        };
        let (name, ordinal) = name_or_ordinal(import.name());
        let library = Some(text(import.library())).filter(|l| !l.is_empty());
        let (version, delay) = match import.flags() {
            ImportFlags::Elf { version, .. } => (version.map(text), false),
            ImportFlags::Pe { delay } => (None, delay),
            _ => (None, false),
        };
        let entry = ImportedSymbol {
            name,
            library,
            version,
            ordinal,
            weak: import.is_weak(),
            delay,
        };
        if seen.insert((entry.library.clone(), entry.name.clone())) {
            out.imports.push(entry);
        }
    }
    out.imports.sort();
}

fn read_exports(file: &object::File<'_>, out: &mut Linkage) {
    if file.kind() == object::ObjectKind::Relocatable && elf::is_elf(file) {
        return elf::relocatable_exports(file, out);
    }
    let exports = match file.exports() {
        Ok(e) => e,
        Err(e) => return out.problems.push(format!("exported symbols: {e}")),
    };
    // ELF export entries carry no size; the dynamic symbol table does.
    let mut sizes: BTreeMap<(Vec<u8>, u64), u64> = BTreeMap::new();
    if matches!(file, object::File::Elf32(_) | object::File::Elf64(_)) {
        for symbol in file.dynamic_symbols().take(MAX_SYMBOLS) {
            if let Ok(name) = symbol.name_bytes() {
                sizes.insert((name.to_vec(), symbol.address()), symbol.size());
            }
        }
    }
    let sections = SectionMap::new(file);
    for export in exports.take(MAX_SYMBOLS) {
        let export = match export {
            Ok(e) => e,
            Err(e) => {
                out.problems.push(format!("exported symbols: {e}"));
                continue;
            }
        };
        let (name, name_ordinal) = name_or_ordinal(export.name());
        let mut entry = ExportedSymbol {
            name,
            kind: String::new(),
            binding: if export.is_weak() { "weak" } else { "global" }.to_string(),
            version: None,
            default_version: None,
            size: None,
            address: None,
            ordinal: name_ordinal,
            library: None,
            target: None,
            signature: None,
        };
        let address = match export.target() {
            ExportTarget::Address { address } => {
                entry.kind = sections.kind_at(address).to_string();
                Some(address)
            }
            ExportTarget::Absolute { value } => {
                entry.kind = "absolute".into();
                Some(value)
            }
            ExportTarget::Tls { offset } => {
                entry.kind = "tls".into();
                Some(offset)
            }
            ExportTarget::TlvDescriptor { address } => {
                entry.kind = "tls".into();
                Some(address)
            }
            ExportTarget::Resolver { resolver, .. } => {
                entry.kind = "ifunc".into();
                Some(resolver)
            }
            ExportTarget::Reexport { library, name } => {
                entry.kind = "reexport".into();
                entry.library = Some(text(library)).filter(|l| !l.is_empty());
                let (target, _) = name_or_ordinal(name);
                if target != entry.name {
                    entry.target = Some(target);
                }
                None
            }
            _ => None,
        };
        entry.address = address;
        match export.flags() {
            ExportFlags::Elf {
                st_info,
                version,
                version_hidden,
                ..
            } => {
                entry.kind = elf::symbol_kind(st_info.st_type()).to_string();
                entry.binding = elf::binding(st_info.st_bind()).to_string();
                if let Some(v) = version {
                    entry.version = Some(text(v));
                    entry.default_version = Some(!version_hidden);
                }
                if let (Some(addr), NameOrOrdinal::Name(n)) = (address, export.name()) {
                    entry.size = sizes.get(&(n.to_vec(), addr)).copied();
                }
            }
            ExportFlags::Pe { ordinal } => entry.ordinal = Some(ordinal.0),
            _ => {}
        }
        out.exports.push(entry);
    }
    out.exports
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out.exports.dedup();
}

/// Classifies an address by the section containing it, for formats whose export tables do
/// not say whether a symbol is code or data (Mach-O, PE).
struct SectionMap {
    ranges: Vec<(u64, u64, SectionKind)>,
}

impl SectionMap {
    fn new(file: &object::File<'_>) -> SectionMap {
        let mut ranges: Vec<(u64, u64, SectionKind)> = file
            .sections()
            .filter(|s| s.size() > 0)
            .map(|s| (s.address(), s.address().saturating_add(s.size()), s.kind()))
            .collect();
        ranges.sort_by_key(|r| r.0);
        SectionMap { ranges }
    }

    fn kind_at(&self, address: u64) -> &'static str {
        // Last section starting at or before the address (sections do not overlap in
        // well-formed files; a hostile overlap only misnames the kind).
        let after = self
            .ranges
            .partition_point(|(start, _, _)| *start <= address);
        let section = after
            .checked_sub(1)
            .and_then(|i| self.ranges.get(i))
            .filter(|(_, end, _)| address < *end);
        match section.map(|s| s.2) {
            Some(SectionKind::Text) => "func",
            Some(SectionKind::Tls | SectionKind::UninitializedTls | SectionKind::TlsVariables) => {
                "tls"
            }
            Some(
                SectionKind::Data
                | SectionKind::ReadOnlyData
                | SectionKind::ReadOnlyString
                | SectionKind::ReadOnlyDataWithRel
                | SectionKind::UninitializedData,
            ) => "object",
            _ => "notype",
        }
    }
}
