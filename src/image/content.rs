//! Which file of a scan analyses a given content: decided on the analysis workers, after
//! they hash the file, so the tar reader only inflates and buffers.
//!
//! Every regular file of an image gets a place in the scan's tar order ([`seq`]: layer,
//! then position in the layer). The first file (in that order) with a given SHA-256 is
//! the one whose analysis the document uses; later ones get a copy under their own name
//! ([`super::rootfs::Rootfs`] applies files in tar order and copies from the first). Workers
//! finish in any order, so a claim made by a later file is taken over by an earlier one
//! that hashes afterwards: both analyse (rare: two copies in flight at once), and the
//! earlier one's result is the one applied. A file that finds an earlier claim skips its
//! analysis. Output bytes therefore never depend on scheduling.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::hash::{Checksums, Digests, Hasher};
use crate::spill::Buffer;

/// Claims by content, for one root filesystem (one platform image).
#[derive(Default)]
pub struct Claims {
    /// SHA-256 → the earliest place in tar order that claimed it (0: already applied).
    first: Mutex<HashMap<String, u64>>,
}

/// A file's place in the scan's tar order (layers are bounded by the manifest limit and a
/// layer's files by the stream, far below 2^40).
pub fn seq(layer: usize, index_in_layer: u64) -> u64 {
    ((layer as u64) << 40) | (index_in_layer & ((1 << 40) - 1))
}

impl Claims {
    /// Whether the file at `seq` should analyse this content: no earlier file claimed it.
    pub fn claim(&self, sha256: &str, seq: u64) -> bool {
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        match first.get_mut(sha256) {
            Some(owner) if *owner <= seq => false,
            Some(owner) => {
                *owner = seq;
                true
            }
            None => {
                first.insert(sha256.to_string(), seq);
                true
            }
        }
    }

    /// Content already applied to the filesystem (streamed or replayed from the layer
    /// cache): no later file needs to analyse it.
    pub fn applied(&self, sha256: &str) {
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        match first.get_mut(sha256) {
            Some(owner) => *owner = 0,
            None => {
                first.insert(sha256.to_string(), 0);
            }
        }
    }
}

/// Bytes hashed per step of a mapped buffer before its pages are released.
const WINDOW: usize = 4 << 20;

/// SHA-1 and SHA-256 of a buffered file. A mapped (spilled) one is hashed a window at a
/// time and its pages leave the resident set behind the hasher, so hashing a huge file
/// does not grow it (the catalogers fault in what they read).
pub fn checksums(data: &Buffer) -> Checksums {
    if !data.is_mapped() {
        return crate::hash::checksums(data);
    }
    let Some(mut hasher) = Hasher::new(Digests::Sha1AndSha256, data.len() as u64) else {
        return crate::hash::checksums(data);
    };
    for window in data.chunks(WINDOW) {
        hasher.update(window);
        // SAFETY: `window` lies inside the buffer's shared file mapping (checked above),
        // whose pages keep their bytes in the file.
        unsafe { crate::spill::release_pages(window) };
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_file_keeps_the_claim_whatever_the_order() {
        let claims = Claims::default();
        assert!(claims.claim("a", seq(1, 5)));
        assert!(!claims.claim("a", seq(1, 9)), "a later copy reuses it");
        assert!(
            claims.claim("a", seq(1, 2)),
            "an earlier copy takes it over"
        );
        assert!(!claims.claim("a", seq(1, 5)));
        assert!(claims.claim("b", seq(0, 0)));
        claims.applied("c");
        assert!(!claims.claim("c", seq(0, 1)));
        assert!(seq(1, 0) > seq(0, u64::MAX >> 24));
    }

    #[test]
    fn mapped_and_heap_buffers_hash_alike() {
        let bytes: Vec<u8> = (0..(5u32 << 20)).map(|i| (i % 251) as u8).collect();
        let mut mapped = Buffer::zeroed(crate::spill::IN_MEMORY_LIMIT + 1).expect("map");
        mapped[..bytes.len()].copy_from_slice(&bytes);
        let mut whole = bytes.clone();
        whole.resize(mapped.len(), 0);
        assert!(mapped.is_mapped());
        let (m, h) = (checksums(&mapped), crate::hash::checksums(&whole));
        assert_eq!(m.sha256, h.sha256);
        assert_eq!(m.sha1, h.sha1);
        assert!(m.sha1.is_some());
    }
}
