//! Where the DWARF of an image comes from, and its sections ready for gimli.
//!
//! Relocatable objects (`.o`) keep their `.debug_*` cross-section offsets in relocations
//! (the bytes hold zero), so the absolute relocations of each debug section are applied
//! before reading. Stripped images name a separate debug file by build id
//! (`/usr/lib/debug/.build-id/xx/yyyy.debug`) or by `.gnu_debuglink`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use object::{Object, ObjectKind, ObjectSection, ObjectSymbol, RelocationKind, RelocationTarget};

/// Debug sections of one image, owned so that relocated copies fit in.
pub type Sections<'d> = gimli::DwarfSections<Cow<'d, [u8]>>;

/// Whether the image itself holds type information (`.debug_info` with bytes).
pub fn has_debug_info(file: &object::File<'_>) -> bool {
    debug_info_section(file).is_some_and(|s| s.data().is_ok_and(|d| !d.is_empty()))
}

fn debug_info_section<'d, 'f>(file: &'f object::File<'d>) -> Option<object::read::Section<'d, 'f>> {
    file.section_by_name(".debug_info")
        .or_else(|| file.section_by_name("__debug_info"))
}

fn section_of<'d, 'f>(
    file: &'f object::File<'d>,
    id: gimli::SectionId,
) -> Option<object::read::Section<'d, 'f>> {
    file.section_by_name(id.name()).or_else(|| {
        // Mach-O names them `__debug_info` in the `__DWARF` segment.
        id.name()
            .strip_prefix('.')
            .and_then(|n| file.section_by_name(&format!("__{n}")))
    })
}

/// Loads the debug sections of `file`, relocated when it is a relocatable object.
pub fn load<'d>(file: &object::File<'d>) -> Result<Sections<'d>, String> {
    let relocatable = file.kind() == ObjectKind::Relocatable;
    gimli::DwarfSections::load(|id| -> Result<Cow<'d, [u8]>, String> {
        let Some(section) = section_of(file, id) else {
            return Ok(Cow::Borrowed(&[]));
        };
        let data = section
            .uncompressed_data()
            .map_err(|e| format!("{}: {e}", id.name()))?;
        if !relocatable {
            return Ok(data);
        }
        Ok(Cow::Owned(relocate(file, &section, data.into_owned())))
    })
}

/// Applies the absolute 32/64-bit relocations of a debug section (all that DWARF in
/// objects uses); others and out-of-range ones are left alone.
fn relocate(
    file: &object::File<'_>,
    section: &object::read::Section<'_, '_>,
    mut data: Vec<u8>,
) -> Vec<u8> {
    let little = file.is_little_endian();
    for (offset, reloc) in section.relocations() {
        if reloc.kind() != RelocationKind::Absolute {
            continue;
        }
        let width = usize::from(reloc.size() / 8);
        let Some(at) = usize::try_from(offset).ok() else {
            continue;
        };
        let Some(slot) = at.checked_add(width).and_then(|end| data.get_mut(at..end)) else {
            continue;
        };
        let base = match reloc.target() {
            RelocationTarget::Symbol(index) => match file.symbol_by_index(index) {
                Ok(symbol) => symbol.address(),
                Err(_) => continue,
            },
            RelocationTarget::Section(index) => match file.section_by_index(index) {
                Ok(s) => s.address(),
                Err(_) => continue,
            },
            _ => continue,
        };
        let implicit = if reloc.has_implicit_addend() {
            read_uint(slot, little)
        } else {
            0
        };
        let value = base
            .wrapping_add(reloc.addend() as u64)
            .wrapping_add(implicit);
        write_uint(slot, value, little);
    }
    data
}

fn read_uint(slot: &[u8], little: bool) -> u64 {
    let mut bytes = [0u8; 8];
    let n = slot.len().min(8);
    if little {
        bytes[..n].copy_from_slice(&slot[..n]);
        u64::from_le_bytes(bytes)
    } else {
        bytes[8 - n..].copy_from_slice(&slot[..n]);
        u64::from_be_bytes(bytes)
    }
}

fn write_uint(slot: &mut [u8], value: u64, little: bool) {
    let n = slot.len().min(8);
    if little {
        slot[..n].copy_from_slice(&value.to_le_bytes()[..n]);
    } else {
        slot[..n].copy_from_slice(&value.to_be_bytes()[8 - n..]);
    }
}

/// Candidate separate debug files for an image without `.debug_info`: a Mach-O `.dSYM`
/// bundle next to the file or under a debug dir; then, in the order gdb tries them: by
/// build id, then by `.gnu_debuglink` name next to the file, in its `.debug/` folder, and
/// under each debug root (`--debug-dir`, then `/usr/lib/debug`).
pub fn debug_file_candidates(
    file: &object::File<'_>,
    path: Option<&Path>,
    debug_dirs: &[PathBuf],
) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = debug_dirs.to_vec();
    roots.push(PathBuf::from("/usr/lib/debug"));
    let mut out = Vec::new();
    // Mach-O: the DWARF stays in the objects; dsymutil gathers it into NAME.dSYM.
    let macho = matches!(file, object::File::MachO32(_) | object::File::MachO64(_));
    if let (true, Some(path)) = (macho, path) {
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            let bundle = format!("{name}.dSYM");
            let inside = Path::new("Contents/Resources/DWARF").join(name);
            out.push(path.with_file_name(&bundle).join(&inside));
            for dir in debug_dirs {
                out.push(dir.join(&bundle).join(&inside));
            }
        }
    }
    if let Ok(Some(id)) = file.build_id() {
        if id.len() >= 2 {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            for root in &roots {
                out.push(
                    root.join(".build-id")
                        .join(&hex[..2])
                        .join(format!("{}.debug", &hex[2..])),
                );
            }
        }
    }
    if let Ok(Some((name, _crc))) = file.gnu_debuglink() {
        let name = String::from_utf8_lossy(name).into_owned();
        // A debuglink is a file name, never a path: refuse anything that could escape.
        if !name.is_empty() && !name.contains('/') && name != ".." {
            let dir = path.and_then(Path::parent).map(Path::to_path_buf);
            if let Some(dir) = &dir {
                out.push(dir.join(&name));
                out.push(dir.join(".debug").join(&name));
            }
            for root in &roots {
                out.push(root.join(&name));
                if let Some(dir) = dir.as_ref().and_then(|d| std::fs::canonicalize(d).ok()) {
                    let rel = dir.strip_prefix("/").unwrap_or(&dir).to_path_buf();
                    out.push(root.join(rel).join(&name));
                }
            }
        }
    }
    out.dedup();
    out
}
