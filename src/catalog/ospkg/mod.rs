//! OS package databases found in an image's filesystem: dpkg, apk, xbps and rpm. Each cataloger
//! reads the (already buffered) database texts and returns packages with the files they
//! own, so a binary can be attributed to its package.

mod apk;
pub mod bdb;
pub mod copyright;
mod depends;
mod dpkg;
mod osrelease;
mod plist;
mod rpm;
pub mod rpm_header;
pub mod rpm_ndb;
mod sqlite;
mod xbps;

use std::collections::BTreeMap;

use crate::model::{ComponentKind, Problem};
pub use depends::resolve as resolve_depends;
pub use osrelease::OsRelease;

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub kind: ComponentKind,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub license: Option<String>,
    /// Who maintains the package (dpkg `Maintainer`, apk `m:`, xbps `maintainer`): the
    /// SBOM supplier.
    pub maintainer: Option<String>,
    pub purl: String,
    /// Database file the package was read from (path inside the image).
    pub database: String,
    /// Paths the package installs, without the leading `/`, as the database lists them
    /// (directory symlinks of the root are resolved later, by the image pipeline).
    pub files: Vec<String>,
    /// The source package it was built from (dpkg `Source:`, apk `o:`, xbps `sourcepkg`),
    /// when the database records one.
    pub source: Option<String>,
    /// Declared run-time dependencies: each entry lists alternatives (dpkg `a | b`), as
    /// names the database uses (package names, apk `so:`/`cmd:` names).
    pub depends: Vec<Vec<String>>,
    /// Names the package answers to besides its own (dpkg `Provides:`, apk `p:`).
    pub provides: Vec<String>,
}

impl Package {
    /// Same package, same id, wherever it is seen.
    pub fn id(&self) -> String {
        let kind = match self.kind {
            ComponentKind::DebPackage => "deb",
            ComponentKind::ApkPackage => "apk",
            ComponentKind::RpmPackage => "rpm",
            _ => "xbps",
        };
        format!(
            "{kind}:{}:{}@{}",
            self.name,
            self.arch.as_deref().unwrap_or(""),
            self.version
        )
    }
}

/// Files the package catalogers read; the image scanner buffers these (they are small).
pub fn wants(path: &str) -> bool {
    matches!(path, "etc/os-release" | "usr/lib/os-release")
        || dpkg::wants(path)
        || apk::wants(path)
        || xbps::wants(path)
        || rpm::wants(path)
        || copyright::wants(path)
}

/// Runs every package cataloger over the image's database texts (path → content).
pub fn catalog(texts: &BTreeMap<&str, &[u8]>) -> (Vec<Package>, Vec<Problem>) {
    let os = OsRelease::find(texts);
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    dpkg::catalog(texts, &os, &mut packages, &mut problems);
    apk::catalog(texts, &os, &mut packages, &mut problems);
    xbps::catalog(texts, &os, &mut packages, &mut problems);
    rpm::catalog(texts, &os, &mut packages, &mut problems);
    packages.sort_by_key(Package::id);
    packages.dedup_by(|a, b| a.id() == b.id());
    (packages, problems)
}

/// `/usr/bin/x`, `./usr/bin/x` → `usr/bin/x`.
fn owned_path(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// `?k=v&…` with purl-encoded values, skipping empty ones; keys must already be sorted.
fn qualifiers(pairs: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", crate::purl::encode_segment(v)))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Deterministic damage for the database readers' tests: `rounds` copies of `base`, each
/// with 1–8 bytes overwritten and one in four cut short (xorshift64*, fixed seed).
#[cfg(test)]
pub(crate) fn for_each_mutation(base: &[u8], rounds: usize, mut check: impl FnMut(&[u8])) {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    };
    for _ in 0..rounds {
        let mut db = base.to_vec();
        for _ in 0..1 + next(8) {
            let at = next(db.len());
            db[at] = next(256) as u8;
        }
        let cut = if next(4) == 0 {
            next(db.len())
        } else {
            db.len()
        };
        check(&db[..cut]);
    }
}
