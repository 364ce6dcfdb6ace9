//! The ELF dynamic view the runtime loader uses: dynamic symbols and dynamic relocations,
//! located through `PT_DYNAMIC` only, so they are read the same way whether the file was
//! `-s -w` stripped or its section headers are gone.

use std::collections::HashMap;

use object::read::elf::{FileHeader, ProgramHeader};
use object::Object;

use crate::binary::{read_at_address, Endian};

/// One `.dynsym` entry, as far as plugin checks need it.
#[derive(Debug, Clone)]
pub struct DynSymbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
    /// `STT_FUNC` (2) or `STT_OBJECT` (1), …
    pub kind: u8,
    /// Defined in this file (`st_shndx != SHN_UNDEF`).
    pub defined: bool,
}

/// One dynamic relocation that names a symbol (`R_*_64`, `GLOB_DAT`, …); relative
/// relocations carry no symbol and are not kept.
#[derive(Debug, Clone, Copy)]
pub struct SymbolRelocation {
    /// Where the relocated word lives (virtual address).
    pub offset: u64,
    /// Index into [`DynamicView::symbols`].
    pub symbol: usize,
}

#[derive(Debug, Clone, Default)]
pub struct DynamicView {
    pub symbols: Vec<DynSymbol>,
    pub relocations: Vec<SymbolRelocation>,
    by_name: HashMap<String, usize>,
}

impl DynamicView {
    /// A defined dynamic symbol by exact name.
    pub fn defined(&self, name: &str) -> Option<&DynSymbol> {
        self.by_name
            .get(name)
            .map(|&i| &self.symbols[i])
            .filter(|s| s.defined)
    }
}

// Dynamic tags (elf.h).
const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_STRSZ: u64 = 10;
const DT_REL: u64 = 17;
const DT_RELSZ: u64 = 18;
const DT_JMPREL: u64 = 23;
const DT_PLTRELSZ: u64 = 2;
const DT_PLTREL: u64 = 20;
const DT_GNU_HASH: u64 = 0x6fff_fef5;

/// Upper bound on symbols read, against hostile hash tables.
const MAX_SYMBOLS: u64 = 4 << 20;

/// Reads the dynamic symbols and symbol-bearing dynamic relocations. `Ok(None)` for a file
/// without `PT_DYNAMIC` (a static executable, or not ELF).
pub fn read(file: &object::File<'_>) -> Result<Option<DynamicView>, String> {
    let dynamic = match file {
        object::File::Elf32(f) => dynamic_segment(f),
        object::File::Elf64(f) => dynamic_segment(f),
        _ => return Ok(None),
    };
    let Some(dynamic) = dynamic else {
        return Ok(None);
    };
    let word = if file.is_64() { 8 } else { 4 };
    let endian = if file.is_little_endian() {
        Endian::Little
    } else {
        Endian::Big
    };
    let mut tags: HashMap<u64, u64> = HashMap::new();
    for entry in dynamic.chunks_exact(2 * word) {
        let tag = endian.uint(entry, word).unwrap_or(DT_NULL);
        if tag == DT_NULL {
            break;
        }
        let value = endian.uint(&entry[word..], word).unwrap_or(0);
        tags.entry(tag).or_insert(value);
    }
    let (Some(&symtab), Some(&strtab)) = (tags.get(&DT_SYMTAB), tags.get(&DT_STRTAB)) else {
        return Ok(None);
    };
    let strsz = tags.get(&DT_STRSZ).copied().unwrap_or(0);
    let strings =
        read_at_address(file, strtab, strsz).ok_or("DT_STRTAB is not mapped from the file")?;
    let count = symbol_count(file, &tags, endian).ok_or("cannot size the dynamic symbol table")?;
    let sym_size: u64 = if word == 8 { 24 } else { 16 };
    let table = read_at_address(file, symtab, count.min(MAX_SYMBOLS) * sym_size)
        .ok_or("DT_SYMTAB is not mapped from the file")?;

    let mut view = DynamicView::default();
    for entry in table.chunks_exact(sym_size as usize) {
        let symbol = parse_symbol(entry, word, endian, strings);
        if symbol.defined {
            view.by_name
                .entry(symbol.name.clone())
                .or_insert(view.symbols.len());
        }
        view.symbols.push(symbol);
    }

    let rela_entry = 3 * word as u64;
    let rel_entry = 2 * word as u64;
    let mut tables = Vec::new();
    if let (Some(&at), Some(&size)) = (tags.get(&DT_RELA), tags.get(&DT_RELASZ)) {
        tables.push((at, size, rela_entry));
    }
    if let (Some(&at), Some(&size)) = (tags.get(&DT_REL), tags.get(&DT_RELSZ)) {
        tables.push((at, size, rel_entry));
    }
    if let (Some(&at), Some(&size)) = (tags.get(&DT_JMPREL), tags.get(&DT_PLTRELSZ)) {
        let entry = if tags.get(&DT_PLTREL) == Some(&DT_RELA) {
            rela_entry
        } else {
            rel_entry
        };
        tables.push((at, size, entry));
    }
    for (at, size, entry_size) in tables {
        let bytes = read_at_address(file, at, size)
            .ok_or("a dynamic relocation table is not mapped from the file")?;
        for entry in bytes.chunks_exact(entry_size as usize) {
            let offset = endian.uint(entry, word).unwrap_or(0);
            let info = endian.uint(&entry[word..], word).unwrap_or(0);
            let symbol = if word == 8 { info >> 32 } else { info >> 8 } as usize;
            if symbol != 0 && symbol < view.symbols.len() {
                view.relocations.push(SymbolRelocation { offset, symbol });
            }
        }
    }
    Ok(Some(view))
}

fn dynamic_segment<'data, Elf: FileHeader>(
    f: &object::read::elf::ElfFile<'data, Elf>,
) -> Option<&'data [u8]> {
    let endian = f.endian();
    f.elf_program_headers().iter().find_map(|ph| {
        (ph.p_type(endian) == object::elf::PT_DYNAMIC)
            .then(|| ph.data(endian, f.data()).ok())
            .flatten()
    })
}

/// The number of dynamic symbols: `DT_HASH`'s chain count, else derived from `DT_GNU_HASH`
/// (the ELF format records no length for `DT_SYMTAB`).
fn symbol_count(file: &object::File<'_>, tags: &HashMap<u64, u64>, endian: Endian) -> Option<u64> {
    if let Some(&hash) = tags.get(&DT_HASH) {
        let header = read_at_address(file, hash, 8)?;
        return endian.uint(&header[4..], 4);
    }
    let &gnu_hash = tags.get(&DT_GNU_HASH)?;
    let header = read_at_address(file, gnu_hash, 16)?;
    let nbuckets = endian.uint(header, 4)?;
    let symbase = endian.uint(&header[4..], 4)?;
    let bloom_size = endian.uint(&header[8..], 4)?;
    let word = if file.is_64() { 8 } else { 4 };
    let buckets_at = gnu_hash + 16 + bloom_size * word;
    let buckets = read_at_address(file, buckets_at, nbuckets.checked_mul(4)?)?;
    let max_bucket = buckets
        .chunks_exact(4)
        .filter_map(|b| endian.uint(b, 4))
        .max()?;
    if max_bucket < symbase {
        return Some(symbase); // no hashed symbols
    }
    // Walk the chain of the highest bucket to its end marker (low bit set).
    let chains_at = buckets_at + nbuckets * 4;
    let mut index = max_bucket;
    loop {
        let value = endian.uint(
            read_at_address(file, chains_at + (index - symbase) * 4, 4)?,
            4,
        )?;
        index += 1;
        if value & 1 != 0 || index > MAX_SYMBOLS {
            return Some(index);
        }
    }
}

fn parse_symbol(entry: &[u8], word: usize, endian: Endian, strings: &[u8]) -> DynSymbol {
    let name_offset = endian.uint(entry, 4).unwrap_or(0) as usize;
    let (info, shndx, value, size) = if word == 8 {
        (
            entry[4],
            u16_at(entry, 6, endian),
            endian.uint(&entry[8..], 8).unwrap_or(0),
            endian.uint(&entry[16..], 8).unwrap_or(0),
        )
    } else {
        (
            entry[12],
            u16_at(entry, 14, endian),
            endian.uint(&entry[4..], 4).unwrap_or(0),
            endian.uint(&entry[8..], 4).unwrap_or(0),
        )
    };
    let name = strings
        .get(name_offset..)
        .map(|s| &s[..memchr::memchr(0, s).unwrap_or(s.len())])
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    DynSymbol {
        name,
        value,
        size,
        kind: info & 0xf,
        defined: shndx != 0,
    }
}

fn u16_at(entry: &[u8], at: usize, endian: Endian) -> u16 {
    let b = [entry[at], entry[at + 1]];
    match endian {
        Endian::Little => u16::from_le_bytes(b),
        Endian::Big => u16::from_be_bytes(b),
    }
}
