//! Binary formats: recognise a file by its magic bytes, split containers (fat Mach-O,
//! `ar` archives) into the object images they hold, and read bytes at virtual addresses.
//!
//! Everything here borrows from the caller's bytes (normally a memory map), so a step
//! touches only the pages it reads. All offsets and counts come from untrusted input and
//! are bounds-checked; nothing in this module panics on malformed data.
//!
//! Layer: input. May use [`crate::model`] only.

mod arch;
pub mod data;
mod region;

pub use crate::model::file::{Format, Platform};
pub use arch::describe;
pub use region::{read_at_address, read_go_string, Endian};

use object::read::archive::ArchiveFile;
use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
use object::FileKind;

/// The number of leading bytes [`detect`] needs to decide.
pub const MAGIC_LEN: usize = 64;

/// Decides the format from the first bytes of a file; `None` for anything that is not a
/// binary assay reads. Java class files share the fat Mach-O magic `CAFEBABE`: they are told
/// apart by the slice count, which is small in a fat file and ≥ 45 (the class-file major
/// version) in a class file.
pub fn detect(head: &[u8]) -> Option<Format> {
    if head.len() < 8 {
        return None;
    }
    match head[..4] {
        [0x7f, b'E', b'L', b'F'] => Some(Format::Elf),
        [0xfe, 0xed, 0xfa, 0xce]
        | [0xce, 0xfa, 0xed, 0xfe]
        | [0xfe, 0xed, 0xfa, 0xcf]
        | [0xcf, 0xfa, 0xed, 0xfe] => Some(Format::MachO),
        [0xca, 0xfe, 0xba, 0xbe] | [0xca, 0xfe, 0xba, 0xbf] => {
            // A class file has its major version (45 = Java 1.1 … ~80) in bytes 6–7.
            let major = u16::from_be_bytes([head[6], head[7]]);
            let count = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
            let java = head[3] == 0xbe && (45..=80).contains(&major);
            (count > 0 && !java).then_some(Format::MachOFat)
        }
        [b'M', b'Z', ..] => Some(Format::Pe),
        _ if head.starts_with(b"!<arch>\n") => Some(Format::Archive),
        [0, b'a', b's', b'm'] => Some(Format::Wasm),
        _ => None,
    }
}

/// One object image inside a file: the whole file for ELF, thin Mach-O and PE; one
/// architecture of a fat Mach-O; one object member of an archive.
pub struct Slice<'data> {
    /// `None` for a thin file; the architecture for a fat slice; the member name in an archive.
    pub label: Option<String>,
    /// Offset of the image within the file.
    pub offset: u64,
    pub data: &'data [u8],
}

/// A slice that could not be opened, kept so the problem is reported instead of dropped.
#[derive(Debug, Clone)]
pub struct SliceError {
    pub label: Option<String>,
    pub message: String,
}

/// Splits a file into the object images it contains. Errors about individual slices are
/// returned next to the good slices, so one bad slice does not hide the others.
pub fn slices(format: Format, data: &[u8]) -> (Vec<Slice<'_>>, Vec<SliceError>) {
    let whole = |data| {
        (
            vec![Slice {
                label: None,
                offset: 0,
                data,
            }],
            Vec::new(),
        )
    };
    match format {
        Format::Elf | Format::MachO | Format::Pe | Format::Wasm => whole(data),
        Format::MachOFat => fat_slices(data),
        Format::Archive => archive_slices(data),
    }
}

fn fat_slices(data: &[u8]) -> (Vec<Slice<'_>>, Vec<SliceError>) {
    let is64 = data.get(..4) == Some(&[0xca, 0xfe, 0xba, 0xbf][..]);
    let arches: Vec<(object::Architecture, u64, u64)> = if is64 {
        match MachOFatFile64::parse(data) {
            Ok(fat) => fat.arches().iter().map(fat_entry).collect(),
            Err(e) => return (Vec::new(), vec![fat_error(e)]),
        }
    } else {
        match MachOFatFile32::parse(data) {
            Ok(fat) => fat.arches().iter().map(fat_entry).collect(),
            Err(e) => return (Vec::new(), vec![fat_error(e)]),
        }
    };
    if arches.len() > MAX_FAT_SLICES {
        return (
            Vec::new(),
            vec![SliceError {
                label: None,
                message: format!(
                    "fat Mach-O header claims {} slices (more than {MAX_FAT_SLICES}): not a real universal binary",
                    arches.len()
                ),
            }],
        );
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (index, (architecture, offset, size)) in arches.into_iter().enumerate() {
        let label = arch::architecture_name(architecture, None)
            .map(str::to_string)
            .unwrap_or_else(|| format!("slice{index}"));
        let range = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(start, len)| Some(start..start.checked_add(len)?));
        match range.and_then(|r| data.get(r)) {
            Some(bytes) => good.push(Slice {
                label: Some(label),
                offset,
                data: bytes,
            }),
            None => bad.push(SliceError {
                label: Some(label),
                message: format!(
                    "fat slice {index} claims bytes {offset}..{} but the file has {}",
                    offset.saturating_add(size),
                    data.len()
                ),
            }),
        }
    }
    (good, bad)
}

/// Real universal binaries hold a handful of architectures; more is a corrupt header.
const MAX_FAT_SLICES: usize = 32;

fn fat_entry<A: FatArch>(arch: &A) -> (object::Architecture, u64, u64) {
    (
        arch.architecture(),
        arch.offset().into(),
        arch.size().into(),
    )
}

fn fat_error(e: object::Error) -> SliceError {
    SliceError {
        label: None,
        message: format!("malformed fat Mach-O header: {e}"),
    }
}

fn archive_slices(data: &[u8]) -> (Vec<Slice<'_>>, Vec<SliceError>) {
    let archive = match ArchiveFile::parse(data) {
        Ok(a) => a,
        Err(e) => {
            return (
                Vec::new(),
                vec![SliceError {
                    label: None,
                    message: format!("malformed ar archive: {e}"),
                }],
            )
        }
    };
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for member in archive.members() {
        let member = match member {
            Ok(m) => m,
            Err(e) => {
                bad.push(SliceError {
                    label: None,
                    message: format!("unreadable archive member: {e}"),
                });
                break; // the member chain is broken: nothing after it can be located
            }
        };
        let name = String::from_utf8_lossy(member.name()).into_owned();
        let bytes = match member.data(data) {
            Ok(b) => b,
            Err(e) => {
                bad.push(SliceError {
                    label: Some(name),
                    message: format!("archive member data out of range: {e}"),
                });
                continue;
            }
        };
        // Archives hold symbol tables and Go export data besides objects: keep objects only.
        if matches!(
            FileKind::parse(bytes),
            Ok(FileKind::Elf32
                | FileKind::Elf64
                | FileKind::MachO32
                | FileKind::MachO64
                | FileKind::Coff
                | FileKind::CoffBig)
        ) {
            let offset = member.file_range().0;
            good.push(Slice {
                label: Some(name),
                offset,
                data: bytes,
            });
        }
    }
    (good, bad)
}

/// The ELF program interpreter (`PT_INTERP`), e.g. `/lib64/ld-linux-x86-64.so.2`.
pub fn elf_interpreter(file: &object::File<'_>) -> Option<String> {
    use object::read::elf::ProgramHeader;
    fn find<Elf: object::read::elf::FileHeader>(
        f: &object::read::elf::ElfFile<'_, Elf>,
    ) -> Option<String> {
        let endian = f.endian();
        f.elf_program_headers().iter().find_map(|ph| {
            let bytes = ph.interpreter(endian, f.data()).ok().flatten()?;
            Some(String::from_utf8_lossy(bytes).into_owned())
        })
    }
    match file {
        object::File::Elf32(f) => find(f),
        object::File::Elf64(f) => find(f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic_not_name() {
        assert_eq!(detect(b"\x7fELF\x02\x01\x01\0\0\0"), Some(Format::Elf));
        assert_eq!(detect(b"\xcf\xfa\xed\xfe\x07\0\0\x01"), Some(Format::MachO));
        assert_eq!(
            detect(b"\xca\xfe\xba\xbe\0\0\0\x02"),
            Some(Format::MachOFat)
        );
        // A Java class file (major version 52) is not a fat Mach-O.
        assert_eq!(detect(b"\xca\xfe\xba\xbe\0\0\0\x34"), None);
        assert_eq!(detect(b"MZ\x90\0\x03\0\0\0"), Some(Format::Pe));
        assert_eq!(detect(b"!<arch>\nfoo"), Some(Format::Archive));
        assert_eq!(detect(b"\0asm\x01\0\0\0"), Some(Format::Wasm));
        assert_eq!(detect(b"#!/bin/sh\n"), None);
        assert_eq!(detect(b"\x7fEL"), None);
    }

    #[test]
    fn fat_slice_out_of_range_is_reported_not_panicking() {
        // Header: 2 slices, the first valid-looking but beyond the file.
        let mut data = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2];
        for _ in 0..2 {
            data.extend_from_slice(&0x0100_0007u32.to_be_bytes()); // x86_64
            data.extend_from_slice(&3u32.to_be_bytes());
            data.extend_from_slice(&0x10_0000u32.to_be_bytes()); // offset
            data.extend_from_slice(&0x1000u32.to_be_bytes()); // size
            data.extend_from_slice(&12u32.to_be_bytes());
        }
        let (good, bad) = slices(Format::MachOFat, &data);
        assert!(good.is_empty());
        assert_eq!(bad.len(), 2);
        assert!(
            bad[0].message.contains("claims bytes"),
            "{}",
            bad[0].message
        );
    }
}
