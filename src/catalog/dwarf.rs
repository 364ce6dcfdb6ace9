//! A bounded summary of DWARF debug info, shared by the catalogers that read it: each
//! compilation unit's producer, name and directory, and the directories of its line program
//! (where source paths such as `~/.cargo/registry/src/…/semver-1.0.28/src` appear).

use std::borrow::Cow;
use std::collections::BTreeSet;

use object::{Object, ObjectSection};

/// Real programs have thousands of units; a corrupt header can claim far more.
const MAX_UNITS: usize = 100_000;
/// Distinct source directories kept (enough for any real program's crates and libraries).
const MAX_PATHS: usize = 50_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CompileUnit {
    pub producer: Option<String>,
    pub name: Option<String>,
    pub comp_dir: Option<String>,
}

#[derive(Debug, Default)]
pub struct DwarfSummary {
    pub units: Vec<CompileUnit>,
    /// Compilation directories, unit names and line-program directories, deduplicated.
    pub paths: BTreeSet<String>,
    /// Set when a bound was hit or a unit could not be read: the summary is partial.
    pub incomplete: Option<String>,
}

/// Whether the image carries DWARF at all (`.debug_info`).
pub fn has_dwarf(file: &object::File<'_>) -> bool {
    file.section_by_name(".debug_info").is_some()
}

/// Reads the summary; `None` when the image has no `.debug_info`.
pub fn summarize(file: &object::File<'_>) -> Option<DwarfSummary> {
    if !has_dwarf(file) {
        return None;
    }
    let load = |id: gimli::SectionId| -> Result<Cow<'_, [u8]>, gimli::Error> {
        // Only what the walk reads (unit headers and attributes, strings, addresses, line
        // program headers): location and range lists are often a third of the compressed
        // DWARF, inflated for nothing.
        use gimli::SectionId::*;
        if !matches!(
            id,
            DebugAbbrev
                | DebugAddr
                | DebugInfo
                | DebugLine
                | DebugLineStr
                | DebugStr
                | DebugStrOffsets
        ) {
            return Ok(Cow::Borrowed(&[]));
        }
        Ok(file
            .section_by_name(id.name())
            .and_then(|s| s.uncompressed_data().ok())
            .unwrap_or(Cow::Borrowed(&[])))
    };
    let mut summary = DwarfSummary::default();
    let owned = match gimli::DwarfSections::load(load) {
        Ok(d) => d,
        Err(e) => {
            summary.incomplete = Some(format!("DWARF sections unreadable: {e}"));
            return Some(summary);
        }
    };
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let dwarf = owned.borrow(|s| gimli::EndianSlice::new(s, endian));
    if let Err(e) = walk(&dwarf, &mut summary) {
        summary.incomplete = Some(format!("DWARF partly unreadable: {e}"));
    }
    Some(summary)
}

type Slice<'a> = gimli::EndianSlice<'a, gimli::RunTimeEndian>;

fn walk(dwarf: &gimli::Dwarf<Slice<'_>>, summary: &mut DwarfSummary) -> gimli::Result<()> {
    let text = |r: Slice<'_>| String::from_utf8_lossy(r.slice()).into_owned();
    let mut headers = dwarf.units();
    while let Some(header) = headers.next()? {
        if summary.units.len() >= MAX_UNITS {
            summary.incomplete = Some(format!("more than {MAX_UNITS} compilation units"));
            break;
        }
        let unit = dwarf.unit(header)?;
        let mut cu = CompileUnit {
            name: unit.name.map(text),
            comp_dir: unit.comp_dir.map(text),
            producer: None,
        };
        let mut entries = unit.entries();
        if let Some(entry) = entries.next_dfs()? {
            if let Some(value) = entry.attr_value(gimli::DW_AT_producer) {
                cu.producer = dwarf.attr_string(&unit, value).ok().map(text);
            }
        }
        let mut add = |p: String| {
            if summary.paths.len() < MAX_PATHS {
                summary.paths.insert(p);
            }
        };
        if let Some(d) = &cu.comp_dir {
            add(d.clone());
        }
        if let Some(n) = &cu.name {
            add(n.clone());
        }
        if let Some(program) = &unit.line_program {
            let header = program.header();
            for dir in header.include_directories() {
                if let Ok(s) = dwarf.attr_string(&unit, *dir) {
                    add(text(s));
                }
            }
        }
        summary.units.push(cu);
    }
    Ok(())
}
