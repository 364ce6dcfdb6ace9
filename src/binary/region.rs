//! Reading bytes by virtual address, the way a loader would see them.

use object::{Object, ObjectSegment};

/// Byte order of integers inside a blob (not necessarily the object's own, for robustness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    /// Reads an unsigned integer of `size` (4 or 8) bytes.
    pub fn uint(self, bytes: &[u8], size: usize) -> Option<u64> {
        let b = bytes.get(..size)?;
        Some(match (size, self) {
            (4, Endian::Little) => u32::from_le_bytes(b.try_into().ok()?) as u64,
            (4, Endian::Big) => u32::from_be_bytes(b.try_into().ok()?) as u64,
            (8, Endian::Little) => u64::from_le_bytes(b.try_into().ok()?),
            (8, Endian::Big) => u64::from_be_bytes(b.try_into().ok()?),
            _ => return None,
        })
    }
}

/// Returns `len` bytes at virtual address `addr`, from the segment (ELF program header,
/// Mach-O segment, PE section) that maps them from the file. `None` when the range is not
/// backed by file bytes. Works without section headers.
pub fn read_at_address<'data>(
    file: &object::File<'data>,
    addr: u64,
    len: u64,
) -> Option<&'data [u8]> {
    file.segments()
        .find_map(|segment| segment.data_range(addr, len).ok().flatten())
}

/// Longest Go string assay will follow through a pointer (build info and version strings
/// are kilobytes; this bounds hostile lengths).
pub const MAX_GO_STRING: u64 = 16 << 20;

/// Reads a Go string header `{data *byte; len int}` at `addr` and returns the bytes it
/// points at.
pub fn read_go_string<'data>(
    file: &object::File<'data>,
    addr: u64,
    ptr_size: usize,
    endian: Endian,
) -> Option<&'data [u8]> {
    let header = read_at_address(file, addr, 2 * ptr_size as u64)?;
    let data = endian.uint(header, ptr_size)?;
    let len = endian.uint(header.get(ptr_size..)?, ptr_size)?;
    if len > MAX_GO_STRING {
        return None;
    }
    if len == 0 {
        return Some(&[]);
    }
    read_at_address(file, data, len)
}
