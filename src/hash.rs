//! File checksums for the SBOMs. A mapped file is hashed straight from its map (no copy
//! into a buffer), a window at a time, and a big file's pages are dropped from the
//! process's page tables behind the hasher, so hashing does not grow the resident set.
//! sha1/sha2 pick the CPU's SHA extensions at run time when present.
//!
//! Only the digests an output carries are computed: SHA-256 for every SBOM, SHA-1 only for
//! the formats that record it (SPDX 2.3 requires it; SPDX 3 and assay's JSON derive from
//! it). SHA-1 costs as much as SHA-256, so a CycloneDX-only scan would otherwise pay twice.

use std::io::Read;

use sha1::Digest;

pub use crate::model::file::Checksums;

/// Which digests a scan computes for each file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Digests {
    #[default]
    None,
    Sha256,
    Sha1AndSha256,
}

impl Digests {
    /// The smaller set that still covers both.
    pub fn union(self, other: Digests) -> Digests {
        use Digests::*;
        match (self, other) {
            (Sha1AndSha256, _) | (_, Sha1AndSha256) => Sha1AndSha256,
            (Sha256, _) | (_, Sha256) => Sha256,
            _ => None,
        }
    }
}

const BUFFER: usize = 1 << 20;
/// From this size on, SHA-1 and SHA-256 run on two threads over each buffer: one big file
/// at the end of a scan would otherwise leave the other core idle.
const SPLIT_FROM: u64 = 8 << 20;

/// Digests of a reader's bytes; `None` for [`Digests::None`].
pub fn read_checksums(
    reader: &mut dyn Read,
    size_hint: u64,
    want: Digests,
) -> std::io::Result<Option<Checksums>> {
    let mut hasher = match Hasher::new(want, size_hint) {
        Some(h) => h,
        None => return Ok(None),
    };
    let mut buf = vec![0u8; BUFFER];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(Some(hasher.finish()))
}

/// Pages of a map hashed per step: populated in one call, then dropped (big files).
const WINDOW: usize = 4 << 20;
/// Maps up to this size keep their pages after hashing (the catalogers may read them).
const KEEP_PAGES_UP_TO: usize = 4 << 20;

/// Digests of a mapped file, read from the map; `None` for [`Digests::None`].
pub fn map_checksums(map: &memmap2::Mmap, want: Digests) -> Option<Checksums> {
    let mut hasher = Hasher::new(want, map.len() as u64)?;
    for (i, window) in map.chunks(WINDOW).enumerate() {
        let at = i * WINDOW;
        // One page-table fill per window instead of a fault per few pages; a kernel
        // without MADV_POPULATE_READ (before 5.14) just faults them in: errors ignored.
        let _ = map.advise_range(memmap2::Advice::PopulateRead, at, window.len());
        hasher.update(window);
        if map.len() > KEEP_PAGES_UP_TO {
            // SAFETY: the map is read-only and never written, so dropping its pages loses
            // nothing: a later read (a cataloger) faults them in again from the page cache.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, at, window.len())
            };
        }
    }
    Some(hasher.finish())
}

/// Digests computed incrementally, as bytes stream past (a layer's file being buffered or
/// spilled): each byte is hashed once, while it is read.
pub struct Hasher {
    sha1: Option<sha1::Sha1>,
    sha256: sha2::Sha256,
    split: bool,
}

impl Hasher {
    /// `None` for [`Digests::None`]. `size_hint` picks two threads for big inputs.
    pub fn new(want: Digests, size_hint: u64) -> Option<Hasher> {
        let sha1 = match want {
            Digests::None => return None,
            Digests::Sha256 => None,
            Digests::Sha1AndSha256 => Some(sha1::Sha1::new()),
        };
        Some(Hasher {
            split: sha1.is_some() && size_hint >= SPLIT_FROM,
            sha1,
            sha256: sha2::Sha256::new(),
        })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.sha1 {
            Some(sha1) if self.split => {
                let sha256 = &mut self.sha256;
                rayon::join(|| sha1.update(bytes), || sha256.update(bytes));
            }
            Some(sha1) => {
                sha1.update(bytes);
                self.sha256.update(bytes);
            }
            None => self.sha256.update(bytes),
        }
    }

    pub fn finish(self) -> Checksums {
        Checksums {
            sha1: self.sha1.map(|h| hex(&h.finalize())),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Checksums (both digests) of bytes already in memory (files buffered from an image layer).
pub fn checksums(bytes: &[u8]) -> Checksums {
    let mut h =
        Hasher::new(Digests::Sha1AndSha256, bytes.len() as u64).expect("both digests requested");
    h.update(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_values_split_or_not() {
        let empty = checksums(b"");
        assert_eq!(
            empty.sha1.as_deref(),
            Some("da39a3ee5e6b4b0d3255bfef95601890afd80709")
        );
        assert_eq!(
            empty.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let big = vec![7u8; (SPLIT_FROM as usize) + 3];
        let split = checksums(&big);
        let streamed = read_checksums(&mut &big[..], 0, Digests::Sha1AndSha256)
            .unwrap()
            .unwrap();
        assert_eq!(split, streamed);
        let only = read_checksums(&mut &big[..], 0, Digests::Sha256)
            .unwrap()
            .unwrap();
        assert_eq!(only.sha1, None);
        assert_eq!(only.sha256, split.sha256);

        // From a map: windows, page dropping and the split give the same digests.
        let mut file = tempfile::tempfile().unwrap();
        let mut big = big;
        big.extend((0..KEEP_PAGES_UP_TO + WINDOW + 5).map(|i| (i % 251) as u8));
        std::io::Write::write_all(&mut file, &big).unwrap();
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        assert_eq!(
            map_checksums(&map, Digests::Sha1AndSha256),
            Some(checksums(&big))
        );
        assert_eq!(
            map_checksums(&map, Digests::Sha256).map(|s| s.sha256),
            Some(sha256_hex(&big))
        );
        assert_eq!(map_checksums(&map, Digests::None), None);
        assert!(map[..] == big[..], "dropped pages read back from the file");
    }
}
