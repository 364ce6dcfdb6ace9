//! The key-value store behind the caches: a small trait, so a shared store (a registry-wide
//! cache on several machines) can replace the local directory without touching callers.
//!
//! The local directory keeps one file per entry, `NAMESPACE/KEY[..2]/KEY`, holding a header
//! line, the SHA-256 of the payload and the payload. Writes go to a temporary file in the
//! same directory and are renamed into place, so concurrent scans never see half an entry;
//! reads verify the checksum and drop what does not match. Reading an entry refreshes its
//! modification time, and [`LocalDir::prune`] deletes the least recently used entries
//! beyond a size bound.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A content store keyed by hex strings. Failures (a full disk, a read-only directory) are
/// not errors for the caller: a cache that cannot store simply misses.
pub trait Store: Send + Sync {
    fn get(&self, namespace: &str, key: &str) -> Option<Vec<u8>>;
    fn put(&self, namespace: &str, key: &str, value: &[u8]);
}

const HEADER: &[u8] = b"assay-cache-entry-v1\n";

/// The default store: a directory on the local disk.
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: PathBuf) -> LocalDir {
        LocalDir { root }
    }

    fn path(&self, namespace: &str, key: &str) -> Option<PathBuf> {
        // Keys are hex digests; anything else could escape the directory.
        let safe =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !safe(namespace) || !safe(key) || key.len() < 3 {
            return None;
        }
        Some(self.root.join(namespace).join(&key[..2]).join(key))
    }

    /// Deletes the least recently used entries of `namespace` until it holds at most
    /// `max_bytes`. Best effort: entries that vanish meanwhile are skipped.
    pub fn prune(&self, namespace: &str, max_bytes: u64) {
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let Ok(shards) = std::fs::read_dir(self.root.join(namespace)) else {
            return;
        };
        for shard in shards.flatten() {
            let Ok(files) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for f in files.flatten() {
                if let Ok(meta) = f.metadata() {
                    let when = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    entries.push((when, meta.len(), f.path()));
                }
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort();
        for (_, size, path) in entries {
            if total <= max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(size);
            }
        }
    }
}

impl Store for LocalDir {
    fn get(&self, namespace: &str, key: &str) -> Option<Vec<u8>> {
        let path = self.path(namespace, key)?;
        let bytes = std::fs::read(&path).ok()?;
        match verified_payload(&bytes) {
            Some(payload) => {
                // Recently used: keeps the entry out of the next prune.
                if let Ok(f) = std::fs::File::options().append(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Some(payload.to_vec())
            }
            None => {
                let _ = std::fs::remove_file(&path); // damaged: rebuilt by the next put
                None
            }
        }
    }

    fn put(&self, namespace: &str, key: &str, value: &[u8]) {
        let Some(path) = self.path(namespace, key) else {
            return;
        };
        let Some(dir) = path.parent() else {
            return;
        };
        let _ = write_atomically(dir, &path, value);
    }
}

fn verified_payload(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(HEADER)?;
    let (digest, payload) = (rest.get(..64)?, rest.get(65..)?);
    (rest.get(64) == Some(&b'\n') && digest == crate::hash::sha256_hex(payload).as_bytes())
        .then_some(payload)
}

fn write_atomically(dir: &Path, path: &Path, value: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(HEADER)?;
    tmp.write_all(crate::hash::sha256_hex(value).as_bytes())?;
    tmp.write_all(b"\n")?;
    tmp.write_all(value)?;
    tmp.as_file().sync_data()?;
    // Two scans writing the same entry write the same bytes; the last rename wins.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damaged_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().to_path_buf());
        assert_eq!(store.get("t", "abcdef"), None);
        store.put("t", "abcdef", b"payload");
        assert_eq!(store.get("t", "abcdef").as_deref(), Some(&b"payload"[..]));

        // Truncated: the checksum no longer matches; the entry is removed.
        let path = dir.path().join("t/ab/abcdef");
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..full.len() - 2]).unwrap();
        assert_eq!(store.get("t", "abcdef"), None);
        assert!(!path.exists());

        // Corrupted payload of the same length.
        store.put("t", "abcdef", b"payload");
        let mut bad = std::fs::read(&path).unwrap();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(store.get("t", "abcdef"), None);

        // Keys that could leave the directory are refused.
        store.put("t", "../x", b"no");
        assert_eq!(store.get("t", "../x"), None);
    }

    #[test]
    fn prune_keeps_the_most_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().to_path_buf());
        for k in ["aaa1", "bbb2", "ccc3"] {
            store.put("t", k, &[0u8; 1000]);
        }
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        for k in ["aaa1", "bbb2", "ccc3"] {
            let p = dir.path().join("t").join(&k[..2]).join(k);
            let f = std::fs::File::options().append(true).open(p).unwrap();
            f.set_modified(old).unwrap();
        }
        assert!(store.get("t", "aaa1").is_some()); // refreshed
        store.prune("t", 2500);
        assert!(store.get("t", "aaa1").is_some());
        let left = ["bbb2", "ccc3"]
            .iter()
            .filter(|k| store.get("t", k).is_some())
            .count();
        assert_eq!(left, 1);
    }
}
