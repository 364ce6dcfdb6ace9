//! Locating and decoding the Go build info blob (`runtime/debug.BuildInfo` as the linker
//! writes it), without a Go toolchain.
//!
//! Layout (see Go's `debug/buildinfo`): a 32-byte header aligned to 16 bytes, starting with
//! the magic `"\xff Go buildinf:"`, then the pointer size and a flags byte. Since Go 1.18
//! (flag 0x2) two varint-prefixed strings follow inline: the Go version and the modinfo.
//! Before that, the header holds two pointers to Go string headers elsewhere in the image.

use object::{Object, ObjectSection, ObjectSegment};

use crate::binary::{read_go_string, Endian};
pub use crate::model::go::Layout;

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
const ALIGN: usize = 16;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
/// Bound on each inline string: real ones are at most tens of kilobytes.
const MAX_INLINE_STRING: u64 = 16 << 20;

/// The two strings the blob carries, before interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBuildInfo {
    /// `runtime.buildVersion`, e.g. `go1.22.1 X:boringcrypto`.
    pub go_version: String,
    /// The modinfo text with its 16-byte sentinels removed; empty when the binary has none.
    pub modinfo: String,
    /// Which blob layout was found.
    pub layout: Layout,
    /// How the search region was chosen (for diagnostics and the SBOM).
    pub located_by: &'static str,
}

/// Why a blob was found but could not be decoded. "No blob at all" is `Ok(None)`, not this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildInfoError {
    #[error("Go build info header at offset {offset:#x} is truncated")]
    Truncated { offset: usize },
    #[error("Go build info string at offset {offset:#x} has an impossible length")]
    BadLength { offset: usize },
    #[error("Go build info pointer {addr:#x} does not point into the file")]
    BadPointer { addr: u64 },
    #[error("Go build info version string is empty")]
    EmptyVersion,
    #[error("section {0} lies outside the file (truncated?)")]
    SectionOutOfRange(&'static str),
    #[error("section {0} holds no valid Go build info header")]
    NoValidHeader(&'static str),
}

/// Finds and decodes the build info of one object image. `Ok(None)` means the image is not
/// a Go binary with build info (or the blob was removed).
pub fn read(file: &object::File<'_>) -> Result<Option<RawBuildInfo>, BuildInfoError> {
    let Some((located_by, region)) = search_region(file)? else {
        return Ok(None);
    };
    let mut first_error = None;
    for offset in aligned_magic_hits(region) {
        match decode_at(file, region, offset) {
            Ok(Some(mut info)) => {
                info.located_by = located_by;
                return Ok(Some(info));
            }
            // A hit whose header does not validate is a stray copy of the magic (the
            // `debug/buildinfo` package itself carries one): keep looking.
            Ok(None) => continue,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        // Stray magics are normal in a data segment, but the dedicated section exists only
        // to hold the blob: finding none there means the file is damaged.
        None if located_by == "section" => Err(BuildInfoError::NoValidHeader(section_name(file))),
        None => Ok(None),
    }
}

/// The inline (Go 1.18+) blob anywhere in `bytes`, for formats without an object model
/// (wasm, where the blob sits in a data segment at an alignment relative to linear memory).
pub fn read_inline_anywhere(bytes: &[u8]) -> Result<Option<RawBuildInfo>, BuildInfoError> {
    for offset in memchr::memmem::find_iter(bytes, MAGIC) {
        let Some(header) = bytes.get(offset..offset + HEADER_LEN) else {
            continue;
        };
        if header[15] & FLAG_INLINE == 0 {
            continue;
        }
        let mut at = offset + HEADER_LEN;
        let Ok(version) = inline_string(bytes, &mut at) else {
            continue;
        };
        if !looks_like_go_version(version) {
            continue;
        }
        let modinfo = inline_string(bytes, &mut at)?;
        return Ok(Some(RawBuildInfo {
            go_version: String::from_utf8_lossy(version).into_owned(),
            modinfo: String::from_utf8_lossy(strip_sentinels(modinfo)).into_owned(),
            layout: Layout::Inline,
            located_by: "wasm-data-segment",
        }));
    }
    Ok(None)
}

/// The 16-byte sentinels the linker puts around `runtime/debug.modinfo`.
const MODINFO_START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
const MODINFO_END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
/// Real modinfo is a few kilobytes.
const MAX_MODINFO: usize = 4 << 20;

/// The modinfo string found by its sentinels, for images without the build info header
/// (Go's wasm linker writes the `runtime/debug.modinfo` string but no header).
pub fn modinfo_by_sentinels(bytes: &[u8]) -> Option<String> {
    let start = memchr::memmem::find(bytes, MODINFO_START)?;
    let window = &bytes[start..bytes.len().min(start + MAX_MODINFO)];
    let end = memchr::memmem::find(&window[16..], MODINFO_END)? + 16 + 16;
    let text = strip_sentinels(&window[..end]);
    (!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned())
}

fn section_name(file: &object::File<'_>) -> &'static str {
    match file {
        object::File::MachO32(_) | object::File::MachO64(_) => "__go_buildinfo",
        _ => ".go.buildinfo",
    }
}

type Region<'data> = Option<(&'static str, &'data [u8])>;

/// The region Go's own reader searches: the dedicated section when present, else the
/// format's data-segment rule (which also covers binaries without section headers or with
/// renamed sections).
fn search_region<'data>(file: &object::File<'data>) -> Result<Region<'data>, BuildInfoError> {
    let name = section_name(file);
    if let Some(section) = file.section_by_name(name) {
        match section.data() {
            Ok(data) if !data.is_empty() => return Ok(Some(("section", data))),
            Ok(_) => {}
            Err(_) => return Err(BuildInfoError::SectionOutOfRange(name)),
        }
    }
    let data = match file {
        object::File::Elf32(f) => elf_data_segment(f),
        object::File::Elf64(f) => elf_data_segment(f),
        object::File::MachO32(_) | object::File::MachO64(_) => macho_data_segment(file),
        object::File::Pe32(_) | object::File::Pe64(_) => pe_data_section(file),
        _ => None,
    };
    Ok(data.map(|d| ("segment", d)))
}

/// ELF without the section: the first loadable segment that is writable and not executable,
/// from its first 16-byte-aligned virtual address (Go rounds the start up the same way, so
/// alignment is judged by address, not by offset into the segment: a shared object's data
/// segment often starts unaligned, e.g. at `…4e8`).
fn elf_data_segment<'data, Elf: object::read::elf::FileHeader>(
    f: &object::read::elf::ElfFile<'data, Elf>,
) -> Option<&'data [u8]> {
    use object::read::elf::ProgramHeader;
    let endian = f.endian();
    f.elf_program_headers().iter().find_map(|ph| {
        let flags = ph.p_flags(endian).0 & (object::elf::PF_X.0 | object::elf::PF_W.0);
        if ph.p_type(endian) != object::elf::PT_LOAD || flags != object::elf::PF_W.0 {
            return None;
        }
        let data = ph.data(endian, f.data()).ok()?;
        let vaddr: u64 = ph.p_vaddr(endian).into();
        let skip = (ALIGN as u64 - vaddr % ALIGN as u64) % ALIGN as u64;
        data.get(skip as usize..)
    })
}

/// Mach-O without the section: the first mapped read-write segment (skips `__PAGEZERO`).
fn macho_data_segment<'data>(file: &object::File<'data>) -> Option<&'data [u8]> {
    use object::read::macho::Segment;
    const RW: u32 = 3;
    fn find<'data, Mach: object::read::macho::MachHeader>(
        f: &object::read::macho::MachOFile<'data, Mach>,
    ) -> Option<&'data [u8]> {
        let endian = f.endian();
        f.segments().find_map(|seg| {
            let raw = seg.macho_segment();
            let ok = raw.vmaddr(endian).into() != 0
                && raw.filesize(endian).into() != 0
                && raw.initprot(endian).0 == RW
                && raw.maxprot(endian).0 == RW;
            ok.then(|| seg.data().ok()).flatten()
        })
    }
    match file {
        object::File::MachO32(f) => find(f),
        object::File::MachO64(f) => find(f),
        _ => None,
    }
}

/// PE: the first initialised read-write data section (`.data`), ignoring alignment bits.
fn pe_data_section<'data>(file: &object::File<'data>) -> Option<&'data [u8]> {
    const WANT: u32 = 0xC000_0040; // IMAGE_SCN_CNT_INITIALIZED_DATA | MEM_READ | MEM_WRITE
    const ALIGN_MASK: u32 = 0x0060_0000;
    fn find<'data, Pe: object::read::pe::ImageNtHeaders>(
        f: &object::read::pe::PeFile<'data, Pe>,
    ) -> Option<&'data [u8]> {
        f.section_table().iter().find_map(|s| {
            let characteristics = s.characteristics.get(object::LittleEndian).0;
            let ok = s.virtual_address.get(object::LittleEndian) != 0
                && s.size_of_raw_data.get(object::LittleEndian) != 0
                && characteristics & !ALIGN_MASK == WANT;
            ok.then(|| s.pe_data(f.data()).ok()).flatten()
        })
    }
    match file {
        object::File::Pe32(f) => find(f),
        object::File::Pe64(f) => find(f),
        _ => None,
    }
}

/// Offsets of the magic that are aligned and leave room for a header.
fn aligned_magic_hits(region: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memmem::find_iter(region, MAGIC)
        .filter(move |&i| i % ALIGN == 0 && region.len() - i >= HEADER_LEN)
}

/// Decodes the blob whose header starts at `offset`. `Ok(None)` when the header does not
/// validate (not a real blob).
fn decode_at(
    file: &object::File<'_>,
    region: &[u8],
    offset: usize,
) -> Result<Option<RawBuildInfo>, BuildInfoError> {
    let header = region
        .get(offset..offset + HEADER_LEN)
        .ok_or(BuildInfoError::Truncated { offset })?;
    let ptr_size = header[14] as usize;
    let flags = header[15];
    if flags & !(FLAG_BIG_ENDIAN | FLAG_INLINE) != 0 {
        return Ok(None);
    }
    let (go_version, modinfo, layout) = if flags & FLAG_INLINE != 0 {
        // Go ignores the pointer-size byte in the inline format, so a header with a bad one
        // still counts when a Go version follows; a stray copy of the magic has none.
        let mut at = offset + HEADER_LEN;
        let version = match inline_string(region, &mut at) {
            Ok(v) => v,
            Err(_) if ptr_size != 4 && ptr_size != 8 => return Ok(None),
            Err(e) => return Err(e),
        };
        if ptr_size != 4 && ptr_size != 8 && !looks_like_go_version(version) {
            return Ok(None);
        }
        let modinfo = inline_string(region, &mut at)?;
        (version, modinfo, Layout::Inline)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Ok(None);
        }
        let endian = if flags & FLAG_BIG_ENDIAN != 0 {
            Endian::Big
        } else {
            Endian::Little
        };
        let ptrs = &header[16..];
        let version_addr = endian.uint(ptrs, ptr_size).unwrap_or(0);
        let modinfo_addr = endian.uint(&ptrs[ptr_size..], ptr_size).unwrap_or(0);
        let version = read_go_string(file, version_addr, ptr_size, endian)
            .ok_or(BuildInfoError::BadPointer { addr: version_addr })?;
        // The modinfo pointer may be unset in binaries without module support.
        let modinfo = read_go_string(file, modinfo_addr, ptr_size, endian).unwrap_or(&[]);
        (version, modinfo, Layout::Pointers)
    };
    if go_version.is_empty() {
        return Err(BuildInfoError::EmptyVersion);
    }
    Ok(Some(RawBuildInfo {
        go_version: String::from_utf8_lossy(go_version).into_owned(),
        modinfo: String::from_utf8_lossy(strip_sentinels(modinfo)).into_owned(),
        layout,
        located_by: "section",
    }))
}

fn looks_like_go_version(v: &[u8]) -> bool {
    v.starts_with(b"go1") || v.starts_with(b"devel ")
}

/// Reads a uvarint-length-prefixed string and advances `at` past it.
fn inline_string<'a>(region: &'a [u8], at: &mut usize) -> Result<&'a [u8], BuildInfoError> {
    let start = *at;
    let (len, used) = uvarint(region.get(start..).unwrap_or(&[]))
        .ok_or(BuildInfoError::Truncated { offset: start })?;
    if len > MAX_INLINE_STRING {
        return Err(BuildInfoError::BadLength { offset: start });
    }
    let begin = start + used;
    let end = begin + len as usize;
    let bytes = region
        .get(begin..end)
        .ok_or(BuildInfoError::BadLength { offset: start })?;
    *at = end;
    Ok(bytes)
}

/// Decodes an unsigned LEB128 varint as Go's `binary.Uvarint` does (at most 10 bytes).
pub(crate) fn uvarint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        if i == 9 && b > 1 {
            return None; // overflows 64 bits
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Removes the 16-byte sentinels around modinfo, exactly when Go's reader would.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n >= 33 && modinfo[n - 17] == b'\n' {
        &modinfo[16..n - 16]
    } else {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a minimal ELF executable: one read-write PT_LOAD mapping the whole file at
    /// `BASE`, no section headers, so the reader must use the segment rule. `place` writes
    /// the payload given (file bytes, pointer size, big-endian).
    fn tiny_elf(bits64: bool, big: bool, place: impl Fn(&mut Vec<u8>, usize, bool)) -> Vec<u8> {
        let mut f = vec![0u8; 0x400];
        let ptr = if bits64 { 8 } else { 4 };
        let put = |f: &mut Vec<u8>, at: usize, v: u64, n: usize| {
            let bytes = v.to_be_bytes();
            let be = &bytes[8 - n..];
            for i in 0..n {
                f[at + i] = if big { be[i] } else { be[n - 1 - i] };
            }
        };
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = if bits64 { 2 } else { 1 };
        f[5] = if big { 2 } else { 1 };
        f[6] = 1;
        let machine = match (bits64, big) {
            (true, false) => 62, // x86-64
            (false, false) => 3, // i386
            (true, true) => 21,  // ppc64
            (false, true) => 8,  // mips
        };
        put(&mut f, 16, 2, 2); // ET_EXEC
        put(&mut f, 18, machine, 2);
        put(&mut f, 20, 1, 4);
        let (ehsize, phentsize) = if bits64 { (64, 56) } else { (52, 32) };
        let len = f.len() as u64;
        if bits64 {
            put(&mut f, 32, 64, 8); // e_phoff
            put(&mut f, 52, ehsize, 2);
            put(&mut f, 54, phentsize, 2);
            put(&mut f, 56, 1, 2); // e_phnum
            let ph = 64;
            put(&mut f, ph, 1, 4); // PT_LOAD
            put(&mut f, ph + 4, 6, 4); // PF_R|PF_W
            put(&mut f, ph + 16, BASE, 8);
            put(&mut f, ph + 24, BASE, 8);
            put(&mut f, ph + 32, len, 8);
            put(&mut f, ph + 40, len, 8);
        } else {
            put(&mut f, 28, 52, 4);
            put(&mut f, 40, ehsize, 2);
            put(&mut f, 42, phentsize, 2);
            put(&mut f, 44, 1, 2);
            let ph = 52;
            put(&mut f, ph, 1, 4);
            put(&mut f, ph + 8, BASE, 4);
            put(&mut f, ph + 12, BASE, 4);
            put(&mut f, ph + 16, len, 4);
            put(&mut f, ph + 20, len, 4);
            put(&mut f, ph + 24, 6, 4);
        }
        place(&mut f, ptr, big);
        f
    }

    const BASE: u64 = 0x10000;
    const MODINFO: &str =
        "path\tex.com/old\nmod\tex.com/old\t(devel)\t\ndep\tgithub.com/pkg/errors\tv0.8.1\th1:x=\n";

    /// Writes a pre-1.18 blob at 0x100 pointing at string headers at 0x140, plus a stray
    /// magic with pointer size 0 at 0xe0 that must be skipped.
    fn pointer_blob(f: &mut Vec<u8>, ptr: usize, big: bool) {
        let put = |f: &mut Vec<u8>, at: usize, v: u64| {
            let bytes = v.to_be_bytes();
            for i in 0..ptr {
                f[at + i] = if big {
                    bytes[8 - ptr + i]
                } else {
                    bytes[7 - i]
                };
            }
        };
        f[0xe0..0xe0 + 14].copy_from_slice(MAGIC);
        f[0x100..0x100 + 14].copy_from_slice(MAGIC);
        f[0x100 + 14] = ptr as u8;
        f[0x100 + 15] = u8::from(big);
        put(f, 0x110, BASE + 0x140);
        put(f, 0x110 + ptr, BASE + 0x140 + 2 * ptr as u64);
        let version = b"go1.16.15";
        let mut modinfo = vec![0xAAu8; 16];
        modinfo.extend_from_slice(MODINFO.as_bytes());
        modinfo.extend_from_slice(&[0xBB; 16]);
        f[0x180..0x180 + version.len()].copy_from_slice(version);
        f[0x200..0x200 + modinfo.len()].copy_from_slice(&modinfo);
        put(f, 0x140, BASE + 0x180);
        put(f, 0x140 + ptr, version.len() as u64);
        put(f, 0x140 + 2 * ptr, BASE + 0x200);
        put(f, 0x140 + 3 * ptr, modinfo.len() as u64);
    }

    #[test]
    fn pre_go118_pointer_layout_all_widths_and_orders() {
        for (bits64, big) in [(true, false), (false, false), (true, true), (false, true)] {
            let bytes = tiny_elf(bits64, big, pointer_blob);
            let file = object::File::parse(&*bytes).expect("synthetic ELF parses");
            let info = read(&file)
                .expect("decodes")
                .unwrap_or_else(|| panic!("blob found (64-bit {bits64}, big-endian {big})"));
            assert_eq!(info.go_version, "go1.16.15");
            assert_eq!(info.modinfo, MODINFO);
            assert_eq!(info.layout, Layout::Pointers);
            assert_eq!(info.located_by, "segment");
        }
    }

    #[test]
    fn dangling_pointer_is_an_error_not_a_panic() {
        let bytes = tiny_elf(true, false, |f, ptr, big| {
            pointer_blob(f, ptr, big);
            f[0x110..0x118].copy_from_slice(&0xdead_beef_u64.to_le_bytes());
        });
        let file = object::File::parse(&*bytes).expect("parses");
        assert_eq!(
            read(&file),
            Err(BuildInfoError::BadPointer { addr: 0xdead_beef })
        );
    }

    #[test]
    fn inline_layout_with_hostile_length() {
        let bytes = tiny_elf(true, false, |f, _, _| {
            f[0x100..0x100 + 14].copy_from_slice(MAGIC);
            f[0x100 + 14] = 8;
            f[0x100 + 15] = FLAG_INLINE;
            f[0x120..0x12a]
                .copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        });
        let file = object::File::parse(&*bytes).expect("parses");
        assert!(matches!(read(&file), Err(BuildInfoError::BadLength { .. })));
    }

    #[test]
    fn uvarint_matches_go() {
        assert_eq!(uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(uvarint(&[0xac, 0x02]), Some((300, 2)));
        assert_eq!(uvarint(&[0x80]), None);
        assert_eq!(uvarint(&[0xff; 11]), None);
    }

    #[test]
    fn sentinels_are_removed_only_when_valid() {
        let mut m = vec![b'S'; 16];
        m.extend_from_slice(b"path\tx\n");
        m.extend_from_slice(&[b'E'; 16]);
        assert_eq!(strip_sentinels(&m), b"path\tx\n");
        assert_eq!(strip_sentinels(b"short"), b"");
    }
}
