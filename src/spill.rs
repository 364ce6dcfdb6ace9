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
    /// Writable while being filled (UPX output); the file lives as long as the map. The
    /// mark comes first so it is dropped (unregistered) before the map is unmapped.
    Mapped(Releasable, memmap2::MmapMut, std::fs::File),
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
            Buffer::Mapped(_, m, _) => m,
        }
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Buffer::Memory(v) => v,
            Buffer::Mapped(_, m, _) => m,
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
        Ok(Buffer::mapped(map, file))
    }

    fn mapped(map: memmap2::MmapMut, file: std::fs::File) -> Buffer {
        // SAFETY: a shared mapping of a file only this buffer holds, unmapped after the mark.
        let mark = unsafe { mark_releasable(&map) };
        Buffer::Mapped(mark, map, file)
    }

    /// The bytes as a vector (moved when on the heap, copied when mapped).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Buffer::Memory(v) => v,
            Buffer::Mapped(_, m, _) => m.to_vec(),
        }
    }

    pub fn is_mapped(&self) -> bool {
        matches!(self, Buffer::Mapped(..))
    }

    /// Drops a mapped buffer's pages from the process's page tables (a no-op on the heap):
    /// the bytes stay in the temporary file and are read back on the next access, so what a
    /// reader never touches again no longer counts in the resident set.
    pub fn release_pages(&self) {
        if let Buffer::Mapped(_, m, _) = self {
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

/// Address ranges of shared file mappings whose pages may be dropped from the page tables
/// at any time (their bytes stay in the file and are faulted back in on the next read): a
/// scanned file's read-only map, a spilled buffer. Code that reads bytes it got as a plain
/// slice (the UPX decoder's input, catalogers between passes) asks [`release`], which does
/// nothing for any other memory (the heap, where dropping pages would lose data).
static RELEASABLE: std::sync::Mutex<Vec<(usize, usize)>> = std::sync::Mutex::new(Vec::new());

/// A range registered in [`RELEASABLE`] while this lives.
#[derive(Debug)]
pub struct Releasable {
    start: usize,
    end: usize,
}

/// Registers `map` as releasable until the mark is dropped.
///
/// # Safety
/// `map` must be a whole shared file mapping (`MAP_SHARED`) that stays mapped for as long as
/// the returned mark lives: drop the mark before unmapping.
pub unsafe fn mark_releasable(map: &[u8]) -> Releasable {
    let start = map.as_ptr() as usize;
    let end = start + map.len();
    let mut ranges = RELEASABLE.lock().unwrap_or_else(|p| p.into_inner());
    ranges.push((start, end));
    Releasable { start, end }
}

impl Drop for Releasable {
    fn drop(&mut self) {
        let mut ranges = RELEASABLE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = ranges.iter().position(|&r| r == (self.start, self.end)) {
            ranges.swap_remove(i);
        }
    }
}

/// Drops the whole pages inside `bytes` from the process's page tables when they lie in a
/// mapping marked releasable ([`mark_releasable`]); otherwise does nothing. Returns whether
/// it released. Safe: a releasable mapping's pages are read back from its file.
pub fn release(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let (start, end) = (
        bytes.as_ptr() as usize,
        bytes.as_ptr() as usize + bytes.len(),
    );
    let ranges = RELEASABLE.lock().unwrap_or_else(|p| p.into_inner());
    if !ranges.iter().any(|&(s, e)| s <= start && end <= e) {
        return false;
    }
    // SAFETY: inside a registered shared file mapping, which stays mapped while its mark
    // is registered (the lock is held across the call, and marks unregister under it).
    unsafe { release_pages(bytes) };
    true
}

/// Bytes a whole-file search reads per window (see [`windows`]).
const SEARCH_WINDOW: usize = 8 << 20;

/// `bytes` as consecutive windows `(offset, window, last)`, each overlapping the next by
/// `overlap` bytes and starting `SEARCH_WINDOW` after the previous. When `bytes` lies in a
/// releasable mapping, each window's pages are released once the next one is handed out,
/// so a pass through a big mapped program keeps one window resident, not the whole file.
fn windows(bytes: &[u8], overlap: usize) -> impl Iterator<Item = (usize, &[u8], bool)> {
    let step = SEARCH_WINDOW.max(overlap + 1);
    let mut at = 0;
    let mut previous: Option<&[u8]> = None;
    std::iter::from_fn(move || {
        if let Some(done) = previous.take() {
            release(done);
        }
        if at >= bytes.len() && !(at == 0 && bytes.is_empty()) {
            return None;
        }
        let end = bytes.len().min(at + step + overlap);
        let window = &bytes[at..end];
        let item = (at, window, end == bytes.len());
        // Past the end once a window reaches it: no second window over the same tail.
        at = if end == bytes.len() {
            usize::MAX
        } else {
            at + step
        };
        previous = Some(window);
        Some(item)
    })
}

/// Offsets of every occurrence of `needle` (not empty) in `bytes`, in order, as
/// `memmem::find_iter` gives them, searched window by window so that in a releasable
/// mapping ([`mark_releasable`]) the pages already searched leave the resident set: a
/// search for a magic through a 100 MB mapped program does not make it all resident.
pub fn find_iter<'a>(bytes: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let overlap = needle.len().saturating_sub(1);
    let finder = memchr::memmem::Finder::new(needle);
    windows(bytes, overlap)
        .filter(move |_| !needle.is_empty())
        .flat_map(move |(at, window, last)| {
            // A match starting in the overlap is found again by the next window: only the
            // last window keeps those.
            let owned = if last {
                window.len()
            } else {
                window.len() - overlap
            };
            finder
                .find_iter(window)
                .filter(|&i| i < owned)
                .map(|i| at + i)
                .collect::<Vec<_>>()
        })
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
    Ok((Buffer::mapped(map, file), hasher.map(Hasher::finish)))
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
        assert!(release(&z[4096..]), "a spilled buffer is releasable");
        assert_eq!(z.iter().map(|&b| u64::from(b)).sum::<u64>(), 3);

        // A windowed search finds what memmem finds, once each, across window edges.
        let mut hay = vec![0u8; 3 * SEARCH_WINDOW + 100];
        for at in [
            0,
            5,
            SEARCH_WINDOW - 3,
            SEARCH_WINDOW + 1,
            2 * SEARCH_WINDOW - 1,
            hay.len() - 4,
        ] {
            hay[at..at + 4].copy_from_slice(b"MAGI");
        }
        let want: Vec<usize> = memchr::memmem::find_iter(&hay, b"MAGI").collect();
        assert_eq!(want.len(), 6);
        assert_eq!(find_iter(&hay, b"MAGI").collect::<Vec<_>>(), want);
        assert_eq!(find_iter(&hay[..3], b"MAGI").count(), 0);
        assert_eq!(find_iter(&[], b"M").count(), 0);
        assert_eq!(find_iter(&hay, b"").count(), 0);
        z[SEARCH_WINDOW + 9..SEARCH_WINDOW + 13].copy_from_slice(b"MAGI");
        assert_eq!(
            find_iter(&z, b"MAGI").collect::<Vec<_>>(),
            vec![SEARCH_WINDOW + 9]
        );

        // Heap bytes are never released (that would zero them).
        let heap = vec![9u8; 1 << 20];
        assert!(!release(&heap));
        assert!(heap.iter().all(|&b| b == 9));
    }
}
