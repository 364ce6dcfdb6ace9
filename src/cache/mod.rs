//! Persistent caches that make repeated scans cheap (the store and where it lives; the
//! caches themselves sit with their users, e.g. license::classify_cache). Every entry is a pure function of its
//! key (which includes what produced it), so a hit can never change output; entries are
//! verified on read, and a damaged, truncated or foreign entry is ignored and rebuilt.
//!
//! Where: `--cache DIR`, else `$ASSAY_CACHE_DIR`, else `$XDG_CACHE_HOME/assay`, else
//! `~/.cache/assay`; `--no-cache` (or `ASSAY_NO_CACHE=1`) turns them off. See
//! docs/performance.md.

pub mod store;

use std::path::PathBuf;
use std::sync::OnceLock;

pub use store::{LocalDir, Store};

/// Where the caches live for this process, set once by the command line.
static CONFIG: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Chooses the cache directory (`None`: no caching) before any cache is used. Later calls
/// have no effect.
pub fn configure(dir: Option<PathBuf>) {
    let _ = CONFIG.set(dir);
}

/// The configured directory, or the default from the environment.
pub fn dir() -> Option<PathBuf> {
    CONFIG.get_or_init(default_dir).clone()
}

/// `$ASSAY_CACHE_DIR`, `$XDG_CACHE_HOME/assay` or `~/.cache/assay`; `None` with
/// `ASSAY_NO_CACHE` set to anything but `0` or empty.
pub fn default_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if var("ASSAY_NO_CACHE").is_some_and(|v| v != "0") {
        return None;
    }
    var("ASSAY_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("assay")))
        .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache/assay")))
}

/// The local store and the build identity for one cache namespace, pruned to `max_bytes`
/// once (the caller keeps it for the process); `None` when caching is off or the
/// executable cannot be identified.
pub fn open(namespace: &str, max_bytes: u64) -> Option<(LocalDir, String)> {
    let dir = dir()?;
    let identity = build_identity()?;
    let store = LocalDir::new(dir);
    store.prune(namespace, max_bytes);
    Some((store, identity))
}

/// What produced a cached result: assay's version plus the size and modification time of
/// the running executable, so a rebuilt assay never reads an older build's entries.
pub fn build_identity() -> Option<String> {
    let exe = std::env::current_exe().ok()?.metadata().ok()?;
    let modified = exe
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "assay {} exe {} {}",
        env!("CARGO_PKG_VERSION"),
        exe.len(),
        modified.as_nanos()
    ))
}
