//! Reads what the dynamic loader reads from one ELF file ([`ElfFacts`]): interpreter,
//! DT_NEEDED, search paths, binding mode, versioned and unversioned imports, and what the
//! file defines. Kept small (names only): an image scan holds these for every ELF file until
//! the loader model (src/loader/) resolves them.

use std::collections::BTreeSet;

use object::read::elf::{ElfFile, FileHeader};
use object::read::{ExportFlags, ImportFlags, NameOrOrdinal};
use object::{Object, ObjectSymbol, ObjectSymbolTable, RelocationFlags, RelocationTarget};

use crate::model::loader::{ElfFacts, Import};

/// Upper bound on symbols read per table (hostile counts).
const MAX_SYMBOLS: usize = 1 << 20;

/// Reads the facts of an ELF file; `None` for other formats or an unparsable file (the
/// native cataloger reports those).
pub fn read(data: &[u8]) -> Option<ElfFacts> {
    let file = object::File::parse(data).ok()?;
    let mut facts = ElfFacts {
        class64: file.is_64(),
        interpreter: crate::binary::elf_interpreter(&file),
        ..ElfFacts::default()
    };
    match &file {
        object::File::Elf32(f) => dynamic(f, &mut facts),
        object::File::Elf64(f) => dynamic(f, &mut facts),
        _ => return None,
    }
    let jump_slot = jump_slot_type(facts.machine);
    // Symbols referenced by a relocation that is not a PLT slot are bound eagerly.
    let mut eager: BTreeSet<String> = BTreeSet::new();
    if let (Some(relocs), Some(dynsyms)) = (file.dynamic_relocations(), file.dynamic_symbol_table())
    {
        for (_, r) in relocs.take(MAX_SYMBOLS) {
            let RelocationTarget::Symbol(index) = r.target() else {
                continue;
            };
            let lazy =
                matches!(r.flags(), RelocationFlags::Elf { r_type } if Some(r_type.0) == jump_slot);
            if !lazy {
                if let Ok(name) = dynsyms.symbol_by_index(index).and_then(|s| s.name()) {
                    eager.insert(name.to_string());
                }
            }
        }
    }
    if let Ok(imports) = file.imports() {
        for import in imports.take(MAX_SYMBOLS).flatten() {
            let NameOrOrdinal::Name(name) = import.name() else {
                continue;
            };
            let name = text(name);
            let version = match import.flags() {
                ImportFlags::Elf {
                    version: Some(v), ..
                } => Some((text(v), text(import.library()))),
                _ => None,
            };
            facts.imports.push(Import {
                eager: eager.contains(&name),
                name,
                version,
                weak: import.is_weak(),
            });
        }
    }
    facts.imports.sort();
    facts.imports.dedup();
    if let Ok(exports) = file.exports() {
        for export in exports.take(MAX_SYMBOLS).flatten() {
            let NameOrOrdinal::Name(name) = export.name() else {
                continue;
            };
            let name = text(name);
            match export.flags() {
                ExportFlags::Elf {
                    version: Some(v),
                    version_hidden,
                    ..
                } => {
                    if !version_hidden {
                        facts.exports.insert(name.clone());
                    }
                    facts
                        .versioned_exports
                        .entry(text(v))
                        .or_default()
                        .insert(name);
                }
                _ => {
                    facts.exports.insert(name);
                }
            }
        }
    }
    Some(facts)
}

/// The PLT relocation type, whose symbol glibc binds on first call (lazy binding).
fn jump_slot_type(machine: u16) -> Option<u32> {
    match machine {
        62 => Some(7),     // EM_X86_64: R_X86_64_JUMP_SLOT
        3 => Some(7),      // EM_386: R_386_JMP_SLOT
        183 => Some(1026), // EM_AARCH64: R_AARCH64_JUMP_SLOT
        40 => Some(22),    // EM_ARM: R_ARM_JUMP_SLOT
        243 => Some(5),    // EM_RISCV: R_RISCV_JUMP_SLOT
        _ => None,
    }
}

fn dynamic<Elf: FileHeader>(file: &ElfFile<'_, Elf>, facts: &mut ElfFacts) {
    let endian = file.endian();
    facts.machine = file.elf_header().e_machine(endian).0;
    let sections = file.elf_section_table();
    if let Ok(Some((mut defs, link))) = sections.gnu_verdef(endian, file.data()) {
        if let Ok(strings) = sections.strings(endian, file.data(), link) {
            let mut count = 0;
            while let Ok(Some((def, mut aux))) = defs.next() {
                count += 1;
                if count > MAX_SYMBOLS {
                    break;
                }
                // VER_FLG_BASE: the file's own name, not a version node.
                if def.vd_flags.get(endian).0 & 0x1 != 0 {
                    continue;
                }
                if let Ok(Some(a)) = aux.next() {
                    if let Ok(name) = a.name(endian, strings) {
                        facts.defined_versions.insert(text(name));
                    }
                }
            }
        }
    }
    let Ok(table) = file.elf_dynamic_table() else {
        return;
    };
    for entry in table.iter().take(MAX_SYMBOLS) {
        let string = || {
            table
                .string(entry)
                .ok()
                .map(|s| String::from_utf8_lossy(s).into_owned())
        };
        let split = |s: Option<String>| -> Vec<String> {
            s.map(|s| {
                s.split(':')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
        };
        match entry.tag.0 {
            1 => facts.needed.extend(string()),                  // DT_NEEDED
            14 => facts.soname = string(),                       // DT_SONAME
            15 => facts.rpath.extend(split(string())),           // DT_RPATH
            29 => facts.runpath.extend(split(string())),         // DT_RUNPATH
            24 => facts.bind_now = true,                         // DT_BIND_NOW
            30 if entry.val & 0x8 != 0 => facts.bind_now = true, // DT_FLAGS: DF_BIND_NOW
            0x6fff_fffb if entry.val & 0x1 != 0 => facts.bind_now = true, // DT_FLAGS_1: DF_1_NOW
            _ => {}
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
