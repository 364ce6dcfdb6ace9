//! Hostile input for the symbol readers: corrupted export tries (including a cycle back to
//! the root), out-of-range string and symbol offsets, random byte flips and truncations.
//! Every case must end in a per-file error or a listed problem, never a panic.

mod common;

use std::path::Path;

use common::Rng;

use assay::catalog::native::{self, abi};
use object::read::elf::{Dyn, FileHeader, SectionHeader};
use object::read::macho::{MachHeader, MachOFile64};
use object::{Endianness, Object, ObjectSection};

fn fixture(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/native")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run `bash samples/build-native.sh`",
            path.display()
        )
    })
}

/// Reads like `assay symbols` and `assay abi dump` do; returns every problem text.
fn read_all(data: &[u8]) -> Result<Vec<String>, String> {
    let file = native::read_bytes(data)?;
    let _ = abi::baseline_of(&file);
    Ok(file
        .slices
        .iter()
        .flat_map(|s| s.linkage.problems.clone())
        .collect())
}

/// The x86_64 slice of the fat libdemo (classic LC_DYLD_INFO export trie).
fn macho_x86_64() -> Vec<u8> {
    let fat = fixture("macho/libdemo-v1.dylib");
    let (slices, _) = assay::binary::slices(assay::binary::Format::MachOFat, &fat);
    slices
        .iter()
        .find(|s| s.label.as_deref() == Some("amd64"))
        .expect("amd64 slice")
        .data
        .to_vec()
}

fn export_trie_range(data: &[u8]) -> (usize, usize) {
    let file = MachOFile64::<Endianness>::parse(data).unwrap();
    let endian = file.endian();
    let mut commands = file.macho_header().load_commands(endian, data, 0).unwrap();
    while let Some(command) = commands.next().unwrap() {
        if let Some(info) = command.dyld_info().unwrap() {
            return (
                info.export_off.get(endian) as usize,
                info.export_size.get(endian) as usize,
            );
        }
    }
    panic!("no LC_DYLD_INFO");
}

#[test]
fn export_trie_cycle_is_a_problem_not_a_hang() {
    let mut data = macho_x86_64();
    let (off, size) = export_trie_range(&data);
    // Root: no terminal info, one edge "_x" whose child offset 0 is the root again.
    let trie = [0x00, 0x01, b'_', b'x', 0x00, 0x00];
    assert!(size >= trie.len());
    data[off..off + trie.len()].copy_from_slice(&trie);
    let problems = read_all(&data).expect("the file still reads");
    assert!(
        problems.iter().any(|p| p.contains("exported symbols")),
        "{problems:?}"
    );
}

#[test]
fn garbage_export_trie_is_a_problem() {
    let mut data = macho_x86_64();
    let (off, size) = export_trie_range(&data);
    for b in &mut data[off..off + size] {
        *b = 0xff; // endless ULEB128s and out-of-range child offsets
    }
    let problems = read_all(&data).expect("the file still reads");
    assert!(!problems.is_empty(), "a corrupt trie must be reported");
}

/// File offsets of the ELF `.dynamic` entries and `.dynsym` symbols of libdemo.
fn elf_tables(data: &[u8]) -> (usize, Vec<(i64, usize)>, usize, usize) {
    let elf = object::read::elf::ElfFile64::<Endianness>::parse(data).unwrap();
    let endian = elf.endian();
    let sections = elf.elf_header().sections(endian, data).unwrap();
    let mut dynamic = (0, Vec::new());
    let mut dynsym = (0, 0);
    for section in sections.iter() {
        let offset = section.sh_offset(endian) as usize;
        match section.sh_type(endian) {
            object::elf::SHT_DYNAMIC => {
                let entries: &[object::elf::Dyn64<Endianness>] =
                    section.data_as_array(endian, data).unwrap();
                dynamic.0 = offset;
                dynamic.1 = entries
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (d.tag(endian).0, offset + i * 16))
                    .collect();
            }
            object::elf::SHT_DYNSYM => {
                dynsym = (offset, section.sh_size(endian) as usize / 24);
            }
            _ => {}
        }
    }
    (dynamic.0, dynamic.1, dynsym.0, dynsym.1)
}

#[test]
fn out_of_range_dynamic_string_offsets_are_problems() {
    let mut data = fixture("elf/libdemo-v1.so");
    let (_, entries, _, _) = elf_tables(&data);
    for (tag, at) in entries {
        if tag == object::elf::DT_NEEDED.0 || tag == object::elf::DT_SONAME.0 {
            data[at + 8..at + 16].copy_from_slice(&0xffff_fff0u64.to_le_bytes());
        }
    }
    let problems = read_all(&data).expect("the file still reads");
    assert!(
        problems.iter().any(|p| p.contains("linked libraries")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("soname")),
        "{problems:?}"
    );
}

#[test]
fn out_of_range_symbol_names_are_problems() {
    let mut data = fixture("elf/libdemo-v1.so");
    let (_, _, dynsym, count) = elf_tables(&data);
    for i in 1..count {
        let at = dynsym + i * 24; // st_name is the first field
        data[at..at + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    }
    let problems = read_all(&data).expect("the file still reads");
    assert!(
        problems.iter().any(|p| p.contains("exported symbols")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("imported symbols")),
        "{problems:?}"
    );
}

#[test]
fn out_of_range_pe_export_table_is_a_problem() {
    let mut data = fixture("pe/demo.dll");
    let file = object::File::parse(&*data).unwrap();
    let edata = file.section_by_name(".edata").expect(".edata");
    let (offset, _) = edata.file_range().unwrap();
    drop(file);
    // IMAGE_EXPORT_DIRECTORY: NumberOfNames at 24, AddressOfNames at 32.
    let at = offset as usize;
    data[at + 24..at + 28].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    data[at + 32..at + 36].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    match read_all(&data) {
        Ok(problems) => assert!(!problems.is_empty(), "corruption must be reported"),
        Err(e) => assert!(!e.is_empty()),
    }
}

/// xorshift64*: deterministic, so a failure reproduces.

#[test]
fn random_flips_and_truncations_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for rel in [
        "elf/libdemo-v1.so",
        "macho/libdemo-v1.dylib",
        "pe/demo.dll",
        "pe/app.exe",
    ] {
        let original = fixture(rel);
        for round in 0..400 {
            let mut data = original.clone();
            if round % 10 == 9 {
                data.truncate(rng.below(original.len()));
            } else {
                for _ in 0..1 + rng.below(8) {
                    // Mostly headers and tables near the start, sometimes anywhere.
                    let limit = if rng.below(4) == 0 {
                        data.len()
                    } else {
                        data.len().min(4096)
                    };
                    let at = rng.below(limit);
                    data[at] = rng.next() as u8;
                }
            }
            let _ = read_all(&data);
        }
    }
}

/// An export trie with one re-export: `_demo_alias` → `_strlen` from dylib ordinal
/// `ordinal` (2 is libSystem in libdemo: 1 is the weak libextra).
fn reexport_trie(ordinal: u8) -> Vec<u8> {
    let mut trie = vec![0x00, 0x01];
    trie.extend_from_slice(b"_demo_alias\0");
    trie.push(15); // child node offset
    assert_eq!(trie.len(), 15);
    trie.extend_from_slice(&[10, 0x08, ordinal]); // terminal size, EXPORT_SYMBOL_FLAGS_REEXPORT
    trie.extend_from_slice(b"_strlen\0");
    trie.push(0); // no children
    trie
}

fn with_trie(trie: &[u8]) -> Vec<u8> {
    let mut data = macho_x86_64();
    let (off, size) = export_trie_range(&data);
    assert!(size >= trie.len());
    data[off..off + size].fill(0);
    data[off..off + trie.len()].copy_from_slice(trie);
    data
}

#[test]
fn reexports_name_their_library_and_target() {
    let file = native::read_bytes(&with_trie(&reexport_trie(2))).unwrap();
    let linkage = &file.slices[0].linkage;
    assert!(linkage.problems.is_empty(), "{:?}", linkage.problems);
    let alias = linkage
        .exports
        .iter()
        .find(|e| e.name == "_demo_alias")
        .expect("re-export listed");
    assert_eq!(alias.kind, "reexport");
    assert_eq!(alias.library.as_deref(), Some("/usr/lib/libSystem.B.dylib"));
    assert_eq!(alias.target.as_deref(), Some("_strlen"));
}

#[test]
fn reexport_from_a_missing_or_own_ordinal_is_a_problem() {
    // Ordinal 9 names no load command; ordinal 0 would be the image itself (a cycle).
    for ordinal in [9, 0] {
        let problems = read_all(&with_trie(&reexport_trie(ordinal))).expect("file reads");
        assert!(
            problems.iter().any(|p| p.contains("exported symbols")),
            "ordinal {ordinal}: {problems:?}"
        );
    }
}
