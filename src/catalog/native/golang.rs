//! Go plugins: what `plugin.Lookup` can reach — the exported top-level funcs and vars of the
//! plugin's main package, `<pluginpath>.<Ident>` in `.dynsym` — with their Go type strings
//! read from the plugin table (`go:plugin.tabs`) when the symbol table locates it.
//!
//! Layout notes: `../shared/notes/go-binary-internals.md` §5–6.

use std::collections::{BTreeMap, BTreeSet};

use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SymbolIndex, SymbolKind};

use super::Linkage;
use crate::binary::{read_at_address, Endian};

/// The plugin path of a Go plugin: the `P` for which the image defines both the function
/// `P.main` and the package hash `go:link.pkghash.P` (only plugin main packages have both).
/// `None` for anything that is not a Go plugin.
pub fn plugin_path(file: &object::File<'_>) -> Option<String> {
    if file.kind() != object::ObjectKind::Dynamic {
        return None;
    }
    let mut mains = Vec::new();
    let mut hashes = std::collections::BTreeSet::new();
    for symbol in file.dynamic_symbols().take(super::MAX_SYMBOLS) {
        if symbol.is_undefined() {
            continue;
        }
        let Ok(name) = symbol.name() else { continue };
        if let Some(path) = name.strip_prefix("go:link.pkghash.") {
            hashes.insert(path.to_string());
        } else if let Some(path) = name.strip_suffix(".main") {
            if symbol.kind() == SymbolKind::Text {
                mains.push(path.to_string());
            }
        }
    }
    mains.into_iter().find(|p| hashes.contains(p))
}

/// True for `<path>.<Ident>` where Ident is exported (upper case first) and has no dot.
pub fn is_plugin_symbol(path: &str, name: &str) -> bool {
    name.strip_prefix(path)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|ident| {
            !ident.contains('.') && ident.chars().next().is_some_and(char::is_uppercase)
        })
}

/// Marks the plugin path and fills in Go type strings of the reachable exports.
pub(super) fn annotate_plugin_exports(file: &object::File<'_>, path: &str, out: &mut Linkage) {
    out.go_plugin_path = Some(path.to_string());
    let types = match plugin_types(file, path) {
        Ok(t) => t,
        Err(message) => {
            // Types are an extra; the export list stands without them.
            out.problems.push(format!("Go plugin types: {message}"));
            BTreeMap::new()
        }
    };
    for export in &mut out.exports {
        if !is_plugin_symbol(path, &export.name) {
            continue;
        }
        if let Some(ident) = export.name.get(path.len() + 1..) {
            export.signature = types.get(ident).cloned();
        }
    }
}

/// Reads the plugin table (pairs of `nameOff`, `typeOff` relative to the module's `types`)
/// and returns identifier → Go type string. With `.symtab`, `go:plugin.tabs` and
/// `runtime.types` locate it; stripped (`-ldflags=-s`), the module data is found through
/// the relocation that points it at `.gopclntab` (see [`tables_from_moduledata`]).
fn plugin_types(file: &object::File<'_>, path: &str) -> Result<BTreeMap<String, String>, String> {
    if !file.is_64() {
        return Err("only 64-bit plugins are decoded".into());
    }
    let endian = if file.is_little_endian() {
        Endian::Little
    } else {
        Endian::Big
    };
    let mut tabs = None;
    let mut types = None;
    for symbol in file.symbols() {
        match symbol.name() {
            Ok("go:plugin.tabs") => tabs = Some((symbol.address(), symbol.size() / 8)),
            Ok("runtime.types") => types = Some(symbol.address()),
            _ => {}
        }
    }
    if let (Some((tabs, count)), Some(types)) = (tabs, types) {
        return decode_table(file, tabs, count, types, endian);
    }
    let idents: BTreeSet<String> = file
        .dynamic_symbols()
        .filter(|s| !s.is_undefined())
        .filter_map(|s| s.name().ok().map(str::to_string))
        .filter(|n| is_plugin_symbol(path, n))
        .filter_map(|n| n.get(path.len() + 1..).map(str::to_string))
        .collect();
    tables_from_moduledata(file, &idents, endian)
}

/// Decodes `count` plugin-table pairs at `tabs`.
fn decode_table(
    file: &object::File<'_>,
    tabs: u64,
    count: u64,
    types: u64,
    endian: Endian,
) -> Result<BTreeMap<String, String>, String> {
    let bytes = read_at_address(file, tabs, count.min(1 << 16) * 8)
        .ok_or("plugin table is not backed by file bytes")?;
    let mut out = BTreeMap::new();
    for pair in bytes.chunks_exact(8) {
        let name_off = endian.uint(pair, 4).ok_or("short table")? as u32 as i32;
        let type_off = endian.uint(&pair[4..], 4).ok_or("short table")? as u32 as i32;
        let name = go_name(file, offset(types, name_off)?, endian)?;
        let ty = type_string(file, types, offset(types, type_off)?, endian)?;
        out.insert(name, ty);
    }
    Ok(out)
}

/// Words of the module data searched for the `types` pointer and the `ptab` slice.
const MODULEDATA_WORDS: u64 = 96;

/// Stripped plugins: the module data's first field points at `.gopclntab`, so the
/// `R_*_RELATIVE` relocation with that addend marks where the module data starts. Its field
/// offsets move between Go releases, so instead of trusting a layout every relocated
/// pointer field is tried as `types` and every `{ptr, len, cap}` with `len == cap ==` the
/// number of exports as the plugin table; the combination whose names decode to exactly the
/// plugin's exported identifiers wins.
fn tables_from_moduledata(
    file: &object::File<'_>,
    idents: &BTreeSet<String>,
    endian: Endian,
) -> Result<BTreeMap<String, String>, String> {
    let stripped = "no symbol table and no module data found; type strings unavailable";
    let pclntab = file
        .section_by_name(".gopclntab")
        .map(|s| s.address())
        .ok_or(stripped)?;
    let relocations: BTreeMap<u64, u64> = file
        .dynamic_relocations()
        .ok_or(stripped)?
        .take(super::MAX_SYMBOLS)
        .filter(|(_, r)| {
            matches!(
                r.target(),
                RelocationTarget::Absolute | RelocationTarget::Symbol(SymbolIndex(0))
            )
        })
        .map(|(offset, r)| (offset, r.addend() as u64))
        .collect();
    let count = idents.len() as u64;
    for (&moduledata, _) in relocations.iter().filter(|(_, &a)| a == pclntab) {
        let word = |i: u64| moduledata.checked_add(i * 8);
        let pointers: Vec<u64> = (0..MODULEDATA_WORDS)
            .filter_map(|i| relocations.get(&word(i)?).copied())
            .collect();
        let raw = |i: u64| read_at_address(file, word(i)?, 8).and_then(|b| endian.uint(b, 8));
        for i in 0..MODULEDATA_WORDS - 2 {
            let Some(&tabs) = word(i).and_then(|w| relocations.get(&w)) else {
                continue;
            };
            if raw(i + 1) != Some(count) || raw(i + 2) != Some(count) {
                continue;
            }
            for &types in &pointers {
                if let Ok(table) = decode_table(file, tabs, count, types, endian) {
                    if table.keys().eq(idents.iter()) {
                        return Ok(table);
                    }
                }
            }
        }
    }
    Err(stripped.into())
}

fn offset(base: u64, off: i32) -> Result<u64, String> {
    base.checked_add_signed(off.into())
        .ok_or_else(|| "offset out of range".to_string())
}

/// abi.Type (64-bit): TFlag at 20, Str (nameOff) at 40; TFlagExtraStar = 2.
fn type_string(
    file: &object::File<'_>,
    types: u64,
    addr: u64,
    endian: Endian,
) -> Result<String, String> {
    let header = read_at_address(file, addr, 48).ok_or("type outside the file")?;
    let tflag = header[20];
    let str_off = endian.uint(&header[40..], 4).ok_or("short type")? as u32 as i32;
    let name = go_name(file, offset(types, str_off)?, endian)?;
    Ok(if tflag & 2 != 0 {
        name.strip_prefix('*').unwrap_or(&name).to_string()
    } else {
        name
    })
}

/// A runtime name: flags byte, uvarint length, bytes (Go 1.17+).
fn go_name(file: &object::File<'_>, addr: u64, _endian: Endian) -> Result<String, String> {
    let head = read_at_address(file, addr, 11)
        .or_else(|| read_at_address(file, addr, 2))
        .ok_or("name outside the file")?;
    let (mut len, mut shift, mut used) = (0u64, 0u32, 0usize);
    for &b in head.get(1..).unwrap_or_default() {
        used += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 {
            return Err("name length overflows".into());
        }
    }
    let start = addr
        .checked_add(1 + used as u64)
        .ok_or("name address overflows")?;
    let bytes = read_at_address(file, start, len).ok_or("name outside the file")?;
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_symbols_are_exported_idents_of_the_path() {
        assert!(is_plugin_symbol(
            "example.com/greeter",
            "example.com/greeter.Greet"
        ));
        assert!(!is_plugin_symbol(
            "example.com/greeter",
            "example.com/greeter.main"
        ));
        assert!(!is_plugin_symbol(
            "example.com/greeter",
            "example.com/greeter.T.Method"
        ));
        assert!(!is_plugin_symbol(
            "example.com/greeter",
            "example.com/greeterx.Greet"
        ));
    }
}
