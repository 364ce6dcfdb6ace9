//! C signatures of exported functions (and types of exported variables) from DWARF debug
//! info, so that `abi diff` can flag a changed parameter type the way `abidiff` does.
//!
//! Only what a caller depends on is rendered: return type, parameter types, variadic-ness.
//! Types are named C-style (`const char *`, `int[8]`, `struct point`); anything unusual
//! becomes `?` rather than an error. Recursion and child lists are bounded.

use std::borrow::Cow;
use std::collections::BTreeMap;

use gimli::{AttributeValue, DebuggingInformationEntry, EndianSlice, RunTimeEndian, Unit};
use object::{Object, ObjectSection};

use super::Linkage;

type R<'a> = EndianSlice<'a, RunTimeEndian>;

/// How deep type references are followed (pointer to const pointer to typedef…).
const MAX_TYPE_DEPTH: usize = 16;
/// Children read per DIE (parameters, array dimensions).
const MAX_CHILDREN: usize = 256;

pub(super) fn annotate_signatures(file: &object::File<'_>, out: &mut Linkage) {
    if out.exports.is_empty() || debug_info(file).is_none() {
        return;
    }
    let signatures = match signatures(file) {
        Ok(s) => s,
        Err(e) => return out.problems.push(format!("DWARF: {e}")),
    };
    let macho = matches!(file, object::File::MachO32(_) | object::File::MachO64(_));
    for export in &mut out.exports {
        // Mach-O symbol names carry the C underscore; DWARF names do not.
        let name = match macho {
            true => export.name.strip_prefix('_').unwrap_or(&export.name),
            false => &export.name,
        };
        // By name; else by address (a `.symver` alias or another alias of the function).
        let by_address = export.address.and_then(|a| signatures.by_address.get(&a));
        if let Some(sig) = signatures.by_name.get(name).or(by_address) {
            export.signature = Some(sig.clone());
        }
    }
}

fn debug_info(file: &object::File<'_>) -> Option<()> {
    file.section_by_name(".debug_info")
        .or_else(|| file.section_by_name("__debug_info"))
        .map(|_| ())
}

/// Signatures of external functions (`int (const char *, double)`) and types of external
/// variables, by symbol name and by function entry address.
#[derive(Default)]
pub struct Signatures {
    pub by_name: BTreeMap<String, String>,
    pub by_address: BTreeMap<u64, String>,
}

pub fn signatures(file: &object::File<'_>) -> Result<Signatures, gimli::Error> {
    let endian = if file.is_little_endian() {
        RunTimeEndian::Little
    } else {
        RunTimeEndian::Big
    };
    let load = |id: gimli::SectionId| -> Result<Cow<'_, [u8]>, gimli::Error> {
        let section = file.section_by_name(id.name()).or_else(|| {
            id.name()
                .strip_prefix('.')
                .and_then(|n| file.section_by_name(&format!("__{n}")))
        });
        Ok(section
            .and_then(|s| s.uncompressed_data().ok())
            .unwrap_or(Cow::Borrowed(&[])))
    };
    let sections = gimli::DwarfSections::load(load)?;
    let dwarf = sections.borrow(|s| EndianSlice::new(s, endian));
    let mut out = Signatures::default();
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let mut cursor = unit.entries();
        while let Some(entry) = cursor.next_dfs()? {
            let tag = entry.tag();
            if tag != gimli::DW_TAG_subprogram && tag != gimli::DW_TAG_variable {
                continue;
            }
            if flag(entry, gimli::DW_AT_declaration) {
                continue;
            }
            // A definition may point at its declaration for the name and type.
            let decl = match entry.attr_value(gimli::DW_AT_specification) {
                Some(AttributeValue::UnitRef(off)) => unit.entry(off).ok(),
                _ => None,
            };
            let described = decl.as_ref().unwrap_or(entry);
            if !flag(described, gimli::DW_AT_external) {
                continue;
            }
            let Some(name) = symbol_name(&dwarf, &unit, described) else {
                continue;
            };
            let signature = if tag == gimli::DW_TAG_subprogram {
                function_signature(&dwarf, &unit, described)
            } else {
                type_name(&dwarf, &unit, described.attr_value(gimli::DW_AT_type), 0)
            };
            if tag == gimli::DW_TAG_subprogram {
                let low_pc = entry.attr_value(gimli::DW_AT_low_pc);
                if let Some(Ok(Some(address))) = low_pc.map(|v| dwarf.attr_address(&unit, v)) {
                    out.by_address
                        .entry(address)
                        .or_insert_with(|| signature.clone());
                }
            }
            out.by_name.entry(name).or_insert(signature);
        }
    }
    Ok(out)
}

fn flag(entry: &DebuggingInformationEntry<R<'_>>, at: gimli::DwAt) -> bool {
    matches!(entry.attr_value(at), Some(AttributeValue::Flag(true)))
}

fn string_attr<'a>(
    dwarf: &gimli::Dwarf<R<'a>>,
    unit: &Unit<R<'a>>,
    entry: &DebuggingInformationEntry<R<'a>>,
    at: gimli::DwAt,
) -> Option<String> {
    let value = entry.attr_value(at)?;
    let s = dwarf.attr_string(unit, value).ok()?;
    Some(String::from_utf8_lossy(s.slice()).into_owned())
}

fn symbol_name<'a>(
    dwarf: &gimli::Dwarf<R<'a>>,
    unit: &Unit<R<'a>>,
    entry: &DebuggingInformationEntry<R<'a>>,
) -> Option<String> {
    string_attr(dwarf, unit, entry, gimli::DW_AT_linkage_name)
        .or_else(|| string_attr(dwarf, unit, entry, gimli::DW_AT_name))
}

/// The direct children of a DIE, bounded.
fn children<'a>(
    unit: &Unit<R<'a>>,
    entry: &DebuggingInformationEntry<R<'a>>,
) -> Vec<DebuggingInformationEntry<R<'a>>> {
    let mut out = Vec::new();
    if !entry.has_children() {
        return out;
    }
    let Ok(mut cursor) = unit.entries_at_offset(entry.offset()) else {
        return out;
    };
    let Ok(Some(first)) = cursor.next_dfs() else {
        return out;
    };
    let base = first.depth();
    while let Ok(Some(e)) = cursor.next_dfs() {
        if e.depth() <= base || out.len() >= MAX_CHILDREN {
            break;
        }
        if e.depth() == base + 1 {
            out.push(e.clone());
        }
    }
    out
}

fn function_signature<'a>(
    dwarf: &gimli::Dwarf<R<'a>>,
    unit: &Unit<R<'a>>,
    entry: &DebuggingInformationEntry<R<'a>>,
) -> String {
    let ret = type_name(dwarf, unit, entry.attr_value(gimli::DW_AT_type), 0);
    let mut params = Vec::new();
    for child in children(unit, entry) {
        match child.tag() {
            gimli::DW_TAG_formal_parameter => params.push(type_name(
                dwarf,
                unit,
                child.attr_value(gimli::DW_AT_type),
                0,
            )),
            gimli::DW_TAG_unspecified_parameters => params.push("...".into()),
            _ => {}
        }
    }
    if params.is_empty() && flag(entry, gimli::DW_AT_prototyped) {
        params.push("void".into());
    }
    format!("{ret} ({})", params.join(", "))
}

/// C-style name of the type a `DW_AT_type` value refers to; no value means `void`.
fn type_name<'a>(
    dwarf: &gimli::Dwarf<R<'a>>,
    unit: &Unit<R<'a>>,
    value: Option<AttributeValue<R<'a>>>,
    depth: usize,
) -> String {
    let off = match value {
        None => return "void".into(),
        Some(AttributeValue::UnitRef(off)) => off,
        Some(_) => return "?".into(),
    };
    if depth > MAX_TYPE_DEPTH {
        return "?".into();
    }
    let Ok(entry) = unit.entry(off) else {
        return "?".into();
    };
    let name = string_attr(dwarf, unit, &entry, gimli::DW_AT_name);
    let inner = || type_name(dwarf, unit, entry.attr_value(gimli::DW_AT_type), depth + 1);
    let tagged = |keyword: &str| format!("{keyword} {}", name.as_deref().unwrap_or("<anonymous>"));
    match entry.tag() {
        gimli::DW_TAG_base_type | gimli::DW_TAG_typedef | gimli::DW_TAG_unspecified_type => {
            name.unwrap_or_else(|| "?".into())
        }
        gimli::DW_TAG_structure_type => tagged("struct"),
        gimli::DW_TAG_union_type => tagged("union"),
        gimli::DW_TAG_enumeration_type => tagged("enum"),
        gimli::DW_TAG_class_type => tagged("class"),
        gimli::DW_TAG_pointer_type => pointer(inner(), "*"),
        gimli::DW_TAG_reference_type => pointer(inner(), "&"),
        gimli::DW_TAG_rvalue_reference_type => pointer(inner(), "&&"),
        gimli::DW_TAG_const_type => qualify("const", inner()),
        gimli::DW_TAG_volatile_type => qualify("volatile", inner()),
        gimli::DW_TAG_restrict_type => format!("{} restrict", inner()),
        gimli::DW_TAG_atomic_type => format!("_Atomic {}", inner()),
        gimli::DW_TAG_array_type => {
            let mut dims = String::new();
            for sub in children(unit, &entry) {
                if sub.tag() != gimli::DW_TAG_subrange_type {
                    continue;
                }
                let count = sub
                    .attr_value(gimli::DW_AT_count)
                    .and_then(|v| v.udata_value())
                    .or_else(|| {
                        sub.attr_value(gimli::DW_AT_upper_bound)
                            .and_then(|v| v.udata_value())
                            .and_then(|u| u.checked_add(1))
                    });
                match count {
                    Some(n) => dims.push_str(&format!("[{n}]")),
                    None => dims.push_str("[]"),
                }
            }
            format!("{}{dims}", inner())
        }
        gimli::DW_TAG_subroutine_type => {
            // A function type seen through a pointer: render as its signature.
            function_signature(dwarf, unit, &entry)
        }
        _ => "?".into(),
    }
}

fn pointer(inner: String, sigil: &str) -> String {
    if inner.ends_with('*') || inner.ends_with('&') {
        format!("{inner}{sigil}")
    } else {
        format!("{inner} {sigil}")
    }
}

/// `const` binds to the left of a pointer (`char * const`) and to the right otherwise.
fn qualify(qualifier: &str, inner: String) -> String {
    if inner.starts_with(&format!("{qualifier} ")) {
        // `const` on an array of const elements: C has one const here.
        inner
    } else if inner.ends_with('*') || inner.ends_with('&') {
        format!("{inner} {qualifier}")
    } else {
        format!("{qualifier} {inner}")
    }
}
