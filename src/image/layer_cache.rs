//! The per-layer-blob cache: a layer's contribution to the image's filesystem (every
//! entry, whiteout, hard link, buffered package-database text and binary analysis) is a
//! pure function of the layer's bytes, assay's build and the file-name prefix, so it is
//! recorded on the first scan and replayed into the [`Rootfs`] by later scans instead of
//! inflating the layer again. See docs/performance.md ("Caches").
//!
//! Key: SHA-256 of (assay's build identity, the name prefix, the digest the layer was
//! verified against: the manifest's blob digest, or the config's diff_id for
//! docker-archive). A miss streams and verifies the blob as before; only a layer that was
//! read completely and verified is stored. Entry: the log as JSON, a newline, then the
//! texts' bytes back to back (the store checksums the whole entry).

use crate::cache::{LocalDir, Store};

use super::rootfs::{FileResult, Rootfs};

const NAMESPACE: &str = "image-layers";
/// Bound on this cache's size on disk; least recently used layers go first.
const MAX_BYTES: u64 = 2 << 30;
const FORMAT: &str = "assay-layer-log-v1";

/// One step a layer made on the filesystem, in tar order.
#[derive(serde::Serialize, serde::Deserialize)]
pub enum Op {
    Entry {
        path: String,
        regular: bool,
        symlink: Option<String>,
    },
    HardLink {
        path: String,
        target: String,
    },
    /// A regular file that is neither a binary nor a text assay reads.
    Skipped,
    TooBig {
        path: String,
        size: u64,
        limit: u64,
    },
    /// A package-database or config text: the next `len` bytes of [`LayerLog::texts`].
    Text {
        path: String,
        len: u64,
        buffered: u64,
    },
    /// A binary candidate: its content digest and the result it got (`None`: not a binary
    /// assay reads).
    Binary {
        path: String,
        sha256: String,
        buffered: u64,
        result: Option<Box<FileResult>>,
    },
}

#[derive(Default)]
pub struct LayerLog {
    pub ops: Vec<Op>,
    pub texts: Vec<u8>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    format: String,
    ops: Vec<Op>,
}

pub fn encode(log: &LayerLog) -> Option<Vec<u8>> {
    // Serialized borrowed, not cloned; read back as [`Stored`].
    let mut out = serde_json::to_vec(&StoredRef {
        format: FORMAT,
        ops: &log.ops,
    })
    .ok()?;
    out.push(b'\n');
    out.extend_from_slice(&log.texts);
    Some(out)
}

#[derive(serde::Serialize)]
struct StoredRef<'a> {
    format: &'a str,
    ops: &'a [Op],
}

/// The log in an entry; `None` when it is not one this build wrote or its text lengths do
/// not add up (the entry is then rebuilt).
pub fn decode(bytes: &[u8]) -> Option<LayerLog> {
    let split = memchr::memchr(b'\n', bytes)?;
    let stored: Stored = serde_json::from_slice(&bytes[..split]).ok()?;
    if stored.format != FORMAT {
        return None;
    }
    let texts = bytes[split + 1..].to_vec();
    let mut total: u64 = 0;
    for op in &stored.ops {
        if let Op::Text { len, .. } = op {
            total = total.checked_add(*len)?;
        }
    }
    (total == texts.len() as u64).then_some(LayerLog {
        ops: stored.ops,
        texts,
    })
}

/// The cache for this process (`None`: caching is off or the executable cannot be
/// identified).
fn store() -> Option<&'static (LocalDir, String)> {
    static STORE: std::sync::OnceLock<Option<(LocalDir, String)>> = std::sync::OnceLock::new();
    STORE
        .get_or_init(|| crate::cache::open(NAMESPACE, MAX_BYTES))
        .as_ref()
}

fn key(identity: &str, prefix: &str, verified_digest: &str) -> String {
    crate::hash::sha256_hex(format!("{identity}\n{prefix}\n{verified_digest}").as_bytes())
}

/// Applies the layer whose verified digest is `verified_digest` from the cache, if stored;
/// `true` when it was.
pub fn replay(rootfs: &mut Rootfs, verified_digest: &str) -> bool {
    match lookup(rootfs.name_prefix(), verified_digest) {
        Some(log) => {
            rootfs.replay(log);
            true
        }
        None => false,
    }
}

/// The stored record of a layer, to replay later ([`Rootfs::replay`]): layers streamed
/// ahead of the one being applied are looked up before they are started.
pub fn lookup(name_prefix: &str, verified_digest: &str) -> Option<LayerLog> {
    let (store, identity) = store()?;
    let key = key(identity, name_prefix, verified_digest);
    store.get(NAMESPACE, &key).and_then(|b| decode(&b))
}

/// Starts recording the layer about to be streamed (when caching is on).
pub fn start(rootfs: &mut Rootfs) {
    if store().is_some() {
        rootfs.start_log();
    }
}

/// Stores the recorded layer; call only after the layer was read and verified.
pub fn finish(rootfs: &mut Rootfs, verified_digest: &str) {
    let Some(log) = rootfs.take_log() else {
        return;
    };
    let Some((store, identity)) = store() else {
        return;
    };
    if let Some(bytes) = encode(&log) {
        store.put(
            NAMESPACE,
            &key(identity, rootfs.name_prefix(), verified_digest),
            &bytes,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_inconsistent_ones_are_refused() {
        let log = LayerLog {
            ops: vec![
                Op::Entry {
                    path: "etc/os-release".into(),
                    regular: true,
                    symlink: None,
                },
                Op::Text {
                    path: "etc/os-release".into(),
                    len: 7,
                    buffered: 7,
                },
                Op::Skipped,
            ],
            texts: b"ID=test".to_vec(),
        };
        let bytes = encode(&log).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.ops.len(), 3);
        assert_eq!(back.texts, b"ID=test");
        // Texts shorter or longer than the steps say, foreign formats, garbage: refused.
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(&[bytes.as_slice(), b"x"].concat()).is_none());
        let foreign = String::from_utf8_lossy(&bytes).replace(FORMAT, "assay-layer-log-v0");
        assert!(decode(foreign.as_bytes()).is_none());
        assert!(decode(b"not json\n").is_none());
        assert!(decode(b"").is_none());
    }
}
