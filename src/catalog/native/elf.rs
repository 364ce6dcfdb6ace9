//! ELF specifics the generic `object` API does not cover: `DT_SONAME`, `DT_RUNPATH`,
//! `DT_RPATH`, and the names of symbol types and bindings.

use object::elf;
use object::read::elf::{ElfFile, FileHeader};

use super::{Library, Linkage, SearchPath};

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
