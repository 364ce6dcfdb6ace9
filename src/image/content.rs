//! Which file of a scan analyses a given content: decided on the analysis workers, after
//! they hash the file, so the tar reader only inflates and buffers.
//!
//! Every regular file of an image gets a place in the scan's tar order ([`seq`]: layer,
//! then position in the layer). The first file (in that order) with a given SHA-256 is
//! the one whose analysis the document uses; later ones get a copy under their own name
//! ([`super::rootfs::Rootfs`] applies files in tar order and copies from the first). Workers
//! finish in any order, so a claim made by a later file is taken over by an earlier one
//! that hashes afterwards: both analyse, and the earlier one's result is the one applied.
//! A file that finds an earlier claim skips its analysis. Output bytes therefore never
//! depend on scheduling.
//!
//! Layers read ahead of the one being applied (the front) hash their files early, but an
//! earlier layer may still hold the same content unread (the same program in every layer
//! is common): a new content found ahead is claimed and its analysis **parked** until its
//! layer is the front, then analysed only if no earlier file took the claim meanwhile. So
//! a content is analysed twice only when two copies of it in the front layer are hashed
//! out of order.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::hash::{Checksums, Digests, Hasher};
use crate::spill::Buffer;

/// Claims by content, for one root filesystem (one platform image).
#[derive(Default)]
pub struct Claims {
    /// SHA-256 → the earliest place in tar order that claimed it (0: already applied).
    first: Mutex<HashMap<String, u64>>,
    parked: Mutex<Parked>,
}

/// An analysis to run once its layer is the front.
pub type Work = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Parked {
    /// The layer being applied.
    front: usize,
    works: Vec<(usize, Work)>,
}

/// What a worker does with a file it hashed.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The first file with this content so far: analyse it.
    Analyse,
    /// An earlier file has this content: applied as a copy of it.
    Copy,
    /// The first so far, in a layer ahead of the front: park the analysis ([`Claims::park`]).
    Park,
}

/// A file's place in the scan's tar order (layers are bounded by the manifest limit and a
/// layer's files by the stream, far below 2^40).
pub fn seq(layer: usize, index_in_layer: u64) -> u64 {
    ((layer as u64) << 40) | (index_in_layer & ((1 << 40) - 1))
}

impl Claims {
    /// Claims this content for the file at `seq` of `layer`, unless an earlier file did.
    pub fn claim(&self, sha256: &str, seq: u64, layer: usize) -> Claim {
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        match first.get_mut(sha256) {
            Some(owner) if *owner <= seq => return Claim::Copy,
            Some(owner) => *owner = seq,
            None => {
                first.insert(sha256.to_string(), seq);
            }
        }
        drop(first);
        if layer > self.parked().front {
            Claim::Park
        } else {
            Claim::Analyse
        }
    }

    /// Whether the file at `seq` still holds the claim on this content (a parked analysis
    /// checks it when it runs).
    pub fn holds(&self, sha256: &str, seq: u64) -> bool {
        let first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        first.get(sha256) == Some(&seq)
    }

    fn parked(&self) -> std::sync::MutexGuard<'_, Parked> {
        self.parked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `work` until `layer` is the front; returns it back when it already is (run it
    /// now).
    pub fn park(&self, layer: usize, work: Work) -> Option<Work> {
        let mut parked = self.parked();
        if layer <= parked.front {
            return Some(work);
        }
        parked.works.push((layer, work));
        None
    }

    /// `layer` is now the one being applied: the works parked for it (and any earlier
    /// layer), to run.
    pub fn advance(&self, layer: usize) -> Vec<Work> {
        let mut parked = self.parked();
        parked.front = layer;
        let (now, later) = std::mem::take(&mut parked.works)
            .into_iter()
            .partition(|(l, _)| *l <= layer);
        parked.works = later;
        now.into_iter().map(|(_, w)| w).collect()
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
        claims.advance(1);
        assert_eq!(claims.claim("a", seq(1, 5), 1), Claim::Analyse);
        assert_eq!(claims.claim("a", seq(1, 9), 1), Claim::Copy, "a later copy");
        assert_eq!(
            claims.claim("a", seq(1, 2), 1),
            Claim::Analyse,
            "taken over"
        );
        assert!(claims.holds("a", seq(1, 2)) && !claims.holds("a", seq(1, 5)));
        assert_eq!(claims.claim("a", seq(1, 5), 1), Claim::Copy);
        assert_eq!(claims.claim("b", seq(0, 0), 0), Claim::Analyse);
        claims.applied("c");
        assert_eq!(claims.claim("c", seq(0, 1), 0), Claim::Copy);
        assert!(seq(1, 0) > seq(0, u64::MAX >> 24));
    }

    #[test]
    fn new_contents_ahead_of_the_front_wait_for_their_layer() {
        let claims = Claims::default();
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let work = |n: usize| -> Work {
            let ran = ran.clone();
            Box::new(move || {
                ran.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
            })
        };
        assert_eq!(claims.claim("x", seq(3, 0), 3), Claim::Park);
        assert!(claims.park(3, work(1)).is_none());
        assert!(claims.park(2, work(10)).is_none());
        // An earlier layer's copy, read later, takes the claim over (and is analysed then).
        assert_eq!(claims.claim("x", seq(1, 4), 1), Claim::Park);
        assert!(claims.advance(1).is_empty());
        let now = claims.advance(2);
        assert_eq!(now.len(), 1);
        now.into_iter().for_each(|w| w());
        assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 10);
        assert!(
            !claims.holds("x", seq(3, 0)),
            "layer 3's parked analysis will skip"
        );
        assert_eq!(claims.advance(3).len(), 1);
        assert!(
            claims.park(3, work(100)).is_some(),
            "the front runs at once"
        );
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
