//! ELF specifics the generic `object` API does not cover: `DT_SONAME`, `DT_RUNPATH`,
//! `DT_RPATH`, and the names of symbol types and bindings.

use object::elf;
use object::read::elf::{ElfFile, FileHeader};

use object::{Object, ObjectSymbol, SymbolFlags, SymbolSection};

use super::{ExportedSymbol, Library, Linkage, SearchPath, MAX_SYMBOLS};

pub(super) fn is_elf(file: &object::File<'_>) -> bool {
    matches!(file, object::File::Elf32(_) | object::File::Elf64(_))
}

/// A relocatable object (`.o`) has no dynamic symbol table: what it exports to the link
/// is its `.symtab` global and weak definitions with default or protected visibility.
pub(super) fn relocatable_exports(file: &object::File<'_>, out: &mut Linkage) {
    for symbol in file.symbols().take(MAX_SYMBOLS) {
        if !symbol.is_global() || symbol.is_undefined() {
            continue;
        }
        let SymbolFlags::Elf { st_info, st_other } = symbol.flags() else {
            continue;
        };
        // STV_HIDDEN and STV_INTERNAL never leave the final link unit.
        let visibility = elf::SymbolVisibility::from(st_other);
        if visibility == elf::STV_HIDDEN || visibility == elf::STV_INTERNAL {
            continue;
        }
        if matches!(
            symbol.section(),
            SymbolSection::None | SymbolSection::Unknown
        ) {
            continue;
        }
        let Ok(name) = symbol.name() else {
            out.problems.push("symbol table: unreadable name".into());
            continue;
        };
        // `.symver` names in objects carry the version in the name (`foo@@VERS_2`).
        let (name, version, default_version) = match name.split_once("@@") {
            Some((n, v)) => (n, Some(v.to_string()), Some(true)),
            None => match name.split_once('@') {
                Some((n, v)) => (n, Some(v.to_string()), Some(false)),
                None => (name, None, None),
            },
        };
        let kind = symbol_kind(st_info.st_type());
        out.exports.push(ExportedSymbol {
            name: name.to_string(),
            kind: kind.to_string(),
            binding: binding(st_info.st_bind()).to_string(),
            version,
            default_version,
            size: Some(symbol.size()),
            // Section-relative in an object: not an address anything else can match.
            address: None,
            ordinal: None,
            library: None,
            target: None,
            signature: None,
        });
    }
    out.exports
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out.exports.dedup();
}

pub(super) fn read_dynamic(file: &object::File<'_>, out: &mut Linkage) {
    match file {
        object::File::Elf32(f) => walk(f, out),
        object::File::Elf64(f) => walk(f, out),
        _ => {}
    }
}

fn walk<Elf: FileHeader>(file: &ElfFile<'_, Elf>, out: &mut Linkage) {
    let table = match file.elf_dynamic_table() {
        Ok(t) => t,
        Err(e) => return out.problems.push(format!("dynamic table: {e}")),
    };
    for entry in table.iter() {
        let kind = match entry.tag {
            elf::DT_SONAME => "soname",
            elf::DT_RUNPATH => "runpath",
            elf::DT_RPATH => "rpath",
            _ => continue,
        };
        let value = match table.string(entry) {
            Ok(v) => String::from_utf8_lossy(v).into_owned(),
            Err(e) => {
                out.problems.push(format!("dynamic table {kind}: {e}"));
                continue;
            }
        };
        if kind == "soname" {
            out.id = Some(Library {
                name: value,
                kind: "id".into(),
                version: None,
                compatibility_version: None,
            });
        } else {
            // The loader splits on ':'; so do we, keeping empty elements out.
            for path in value.split(':').filter(|p| !p.is_empty()) {
                out.search_paths.push(SearchPath {
                    kind: kind.into(),
                    path: path.into(),
                });
            }
        }
    }
}

pub(super) fn symbol_kind(st_type: elf::SymbolType) -> &'static str {
    match st_type {
        elf::STT_FUNC => "func",
        elf::STT_OBJECT => "object",
        elf::STT_TLS => "tls",
        elf::STT_GNU_IFUNC => "ifunc",
        elf::STT_COMMON => "object",
        _ => "notype",
    }
}

pub(super) fn binding(st_bind: elf::SymbolBind) -> &'static str {
    match st_bind {
        elf::STB_WEAK => "weak",
        elf::STB_GNU_UNIQUE => "unique",
        _ => "global",
    }
}
