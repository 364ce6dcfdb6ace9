//! Types in a baseline: each exported symbol of an `assay abi dump` baseline gets its type
//! ([`AbiSymbol::ty`]) and each slice the named types those reach ([`AbiSlice::types`]),
//! so that a checked-in baseline catches layout drift without the old binary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use object::Object;

use super::sections;
use super::types::{self, ImageTypes, TypeRef, TypeTable};
use crate::abi::symbols::{AbiSlice, Baseline};

/// `debug_info` values of a slice.
pub const EMBEDDED: &str = "dwarf";
pub const SEPARATE: &str = "dwarf (separate debug file)";
pub const NONE: &str = "none";

/// Adds DWARF types to the baseline of `data` (the bytes `baseline` was read from). Slices
/// are matched in order: `baseline_of` keeps every image that parsed, as we do here.
pub fn attach(baseline: &mut Baseline, data: &[u8], path: Option<&Path>, debug_dirs: &[PathBuf]) {
    let head = &data[..data.len().min(crate::binary::MAGIC_LEN)];
    let Some(format) = crate::binary::detect(head) else {
        return;
    };
    let (images, _) = crate::binary::slices(format, data);
    let parsed = images
        .iter()
        .filter_map(|s| object::File::parse(s.data).ok());
    for (file, slice) in parsed.zip(baseline.slices.iter_mut()) {
        attach_slice(&file, slice, path, debug_dirs);
    }
}

fn attach_slice(
    file: &object::File<'_>,
    slice: &mut AbiSlice,
    path: Option<&Path>,
    debug_dirs: &[PathBuf],
) {
    if slice.go_plugin_path.is_some() {
        return; // Go plugin symbols carry their Go types already.
    }
    let (read, source) = if sections::has_debug_info(file) {
        (image_types(file), EMBEDDED)
    } else {
        let found = sections::debug_file_candidates(file, path, debug_dirs)
            .into_iter()
            .find_map(|p| std::fs::read(&p).ok());
        let read = found.and_then(|bytes| {
            let debug = object::File::parse(&*bytes).ok()?;
            sections::has_debug_info(&debug).then(|| image_types(&debug))
        });
        match read {
            Some(r) => (r, SEPARATE),
            None => {
                slice.debug_info = Some(NONE.into());
                return;
            }
        }
    };
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            slice.debug_info = Some(source.into());
            slice.type_notes.push(format!("DWARF unreadable: {e}"));
            return;
        }
    };
    slice.debug_info = Some(source.into());
    let macho = matches!(file, object::File::MachO32(_) | object::File::MachO64(_));
    // Aliases DWARF does not name (a complete-object destructor sharing its code with the
    // base-object one, `.symver` names) are found by address; not in objects, whose
    // addresses are section-relative.
    let mut addresses: BTreeMap<String, u64> = BTreeMap::new();
    if file.kind() != object::ObjectKind::Relocatable {
        for export in file
            .exports()
            .into_iter()
            .flatten()
            .flatten()
            .take(crate::catalog::native::MAX_SYMBOLS)
        {
            if let (
                object::read::NameOrOrdinal::Name(n),
                object::read::ExportTarget::Address { address },
            ) = (export.name(), export.target())
            {
                addresses.insert(String::from_utf8_lossy(n).into_owned(), address);
            }
        }
    }
    let mut roots = Vec::new();
    for symbol in &mut slice.symbols {
        // Mach-O symbol names carry the C underscore; DWARF names do not.
        let name = match macho {
            true => symbol.name.strip_prefix('_').unwrap_or(&symbol.name),
            false => &symbol.name,
        };
        let by_address = addresses
            .get(&symbol.name)
            .and_then(|a| read.by_address.get(a))
            .and_then(|n| read.by_name.get(n));
        if let Some(ty) = read.by_name.get(name).or(by_address) {
            roots.push(ty.clone());
            symbol.ty = Some(ty.clone());
        }
    }
    slice.types = reachable(&roots, &read.table);
    slice.type_notes = read.partial;
}

/// The type graph of one parsed image's own DWARF (no separate debug file).
pub fn image_types(file: &object::File<'_>) -> Result<ImageTypes, String> {
    let owned = sections::load(file)?;
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let dwarf = owned.borrow(|s| gimli::EndianSlice::new(s, endian));
    Ok(types::read(&dwarf))
}

/// The named types reachable from `roots`: what the baseline needs, nothing else.
fn reachable(roots: &[TypeRef], table: &TypeTable) -> TypeTable {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<&TypeRef> = roots.iter().collect();
    while let Some(ty) = stack.pop() {
        match ty {
            TypeRef::Named { key } => {
                if keys.insert(key.clone()) {
                    if let Some(def) = table.get(key) {
                        push_def(def, &mut stack);
                    }
                }
            }
            TypeRef::Pointer { to, .. } => stack.push(to),
            TypeRef::Qualified { of, .. } | TypeRef::Array { of, .. } => stack.push(of),
            TypeRef::Function(f) => {
                stack.push(&f.ret);
                stack.extend(f.params.iter());
            }
            TypeRef::Anonymous { def } => push_def(def, &mut stack),
            TypeRef::Void | TypeRef::Unknown { .. } => {}
        }
    }
    keys.into_iter()
        .filter_map(|k| table.get(&k).map(|d| (k, d.clone())))
        .collect()
}

fn push_def<'t>(def: &'t types::TypeDef, stack: &mut Vec<&'t TypeRef>) {
    stack.extend(def.target.iter());
    stack.extend(def.members.iter().map(|m| &m.ty));
    stack.extend(def.bases.iter().map(|b| &b.ty));
}
