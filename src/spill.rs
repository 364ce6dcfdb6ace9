//! Bounded buffers for bytes that do not come from a file assay can map: a file streamed
//! out of an image layer, a program UPX unpacks. Up to [`IN_MEMORY_LIMIT`] they live on the
//! heap; beyond it they are spilled to an unnamed temporary file (in `$TMPDIR`, deleted on
//! close) and mapped, so a decompression bomb costs disk and page cache, not the
//! process's anonymous memory. Catalogers read the map like any other byte slice.

use std::io::{self, Read, Write};
use std::ops::{Deref, DerefMut};

use crate::hash::{Checksums, Digests, Hasher};

/// Largest buffer kept on the heap.
pub const IN_MEMORY_LIMIT: u64 = 64 << 20;

/// Bytes on the heap or in a mapped temporary file.
pub enum Buffer {
    Memory(Vec<u8>),
    /// Writable while being filled (UPX output); the file lives as long as the map.
    Mapped(memmap2::MmapMut, std::fs::File),
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Buffer::Memory(_) => "Memory",
            Buffer::Mapped(..) => "Mapped",
        };
        write!(f, "Buffer::{kind}({} bytes)", self.len())
    }
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Buffer::Memory(v) => v,
            Buffer::Mapped(m, _) => m,
        }
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Buffer::Memory(v) => v,
            Buffer::Mapped(m, _) => m,
        }
    }
}

impl Buffer {
    /// `len` zero bytes, on the heap up to [`IN_MEMORY_LIMIT`], else in a temporary file.
    pub fn zeroed(len: u64) -> io::Result<Buffer> {
        if len <= IN_MEMORY_LIMIT {
            return Ok(Buffer::Memory(vec![0u8; len as usize]));
        }
        let file = tempfile::tempfile()?;
        file.set_len(len)?; // sparse: no disk used until written
                            // SAFETY: the file is unnamed and private to this process; nothing else can
                            // truncate it while it is mapped.
        let map = unsafe { memmap2::MmapMut::map_mut(&file)? };
        Ok(Buffer::Mapped(map, file))
    }

    /// The bytes as a vector (moved when on the heap, copied when mapped).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Buffer::Memory(v) => v,
            Buffer::Mapped(m, _) => m.to_vec(),
        }
    }

    pub fn is_mapped(&self) -> bool {
        matches!(self, Buffer::Mapped(..))
    }

    /// Drops a mapped buffer's pages from the process's page tables (a no-op on the heap):
    /// the bytes stay in the temporary file and are read back on the next access, so what a
    /// reader never touches again no longer counts in the resident set.
    pub fn release_pages(&self) {
        if let Buffer::Mapped(m, _) = self {
            // SAFETY: the whole of a shared file mapping.
            unsafe { release_pages(m) }
        }
    }
}

/// Drops the whole pages inside `bytes` from the process's page tables.
///
/// # Safety
/// `bytes` must lie inside a [`Buffer::Mapped`] (a shared file mapping, whose pages keep
/// their contents in the file); on heap memory this would discard data.
pub unsafe fn release_pages(bytes: &[u8]) {
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        p if p > 0 => p as usize,
        _ => return,
    };
    let start = bytes.as_ptr() as usize;
    let (first, end) = (
        start.div_ceil(page) * page,
        (start + bytes.len()) / page * page,
    );
    if end > first {
        // SAFETY: a page-aligned range inside the caller's shared file mapping; errors
        // (an old kernel) only mean the pages stay resident.
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_DONTNEED) };
    }
}

/// Reads `size` bytes (fewer if the stream ends first) after `head`, which the caller
/// already read, into a [`Buffer`], computing the wanted digests in the same pass.
pub fn read_stream(
    head: &[u8],
    reader: &mut dyn Read,
    size: u64,
    want: Digests,
) -> io::Result<(Buffer, Option<Checksums>)> {
    let mut hasher = Hasher::new(want, size);
    let mut hash = |bytes: &[u8]| {
        if let Some(h) = &mut hasher {
            h.update(bytes);
        }
    };
    let rest = size.saturating_sub(head.len() as u64);
    if size <= IN_MEMORY_LIMIT {
        let mut data = Vec::with_capacity(size as usize);
        data.extend_from_slice(head);
        reader.take(rest).read_to_end(&mut data)?;
        hash(&data);
        return Ok((Buffer::Memory(data), hasher.map(Hasher::finish)));
    }
    let mut file = tempfile::tempfile()?;
    file.write_all(head)?;
    hash(head);
    let mut chunk = vec![0u8; 1 << 20];
    let mut limited = reader.take(rest);
    loop {
        let n = match limited.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hash(&chunk[..n]);
        file.write_all(&chunk[..n])?;
    }
    // SAFETY: as in `Buffer::zeroed`, the unnamed file is private to this process.
    let map = unsafe { memmap2::MmapMut::map_mut(&file)? };
    Ok((Buffer::Mapped(map, file), hasher.map(Hasher::finish)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_streams_stay_on_the_heap_and_big_ones_are_mapped_with_the_same_digests() {
        let small = vec![3u8; 1000];
        let (b, sums) =
            read_stream(&small[..10], &mut &small[10..], 1000, Digests::Sha256).expect("in memory");
        assert!(!b.is_mapped());
        assert_eq!(&b[..], &small[..]);
        assert_eq!(
            sums.map(|s| s.sha256),
            Some(crate::hash::sha256_hex(&small))
        );

        let big = vec![5u8; IN_MEMORY_LIMIT as usize + 7];
        let (b, sums) = read_stream(&big[..4], &mut &big[4..], big.len() as u64, Digests::None)
            .expect("spilled");
        assert!(b.is_mapped());
        assert_eq!(b.len(), big.len());
        assert!(b[..] == big[..]);
        assert!(sums.is_none());

        let mut z = Buffer::zeroed(IN_MEMORY_LIMIT + 1).expect("zeroed map");
        assert!(z.is_mapped());
        z[IN_MEMORY_LIMIT as usize] = 1;
        z[5] = 2;
        // Released pages keep their bytes (read back from the file).
        unsafe { release_pages(&z[1..]) };
        z.release_pages();
        assert_eq!(z.iter().map(|&b| u64::from(b)).sum::<u64>(), 3);
    }
}
