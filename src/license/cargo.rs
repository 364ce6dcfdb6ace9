//! Rust crate licenses: the `license` (or `license-file`) field of the crate's own
//! `Cargo.toml` in the local cargo registry (`$CARGO_HOME/registry/src/<index>/<name>-<version>/`),
//! which is what crates.io publishes.

use std::path::{Component, Path, PathBuf};

use super::db::LicenseDb;
use super::{ComponentLicense, LicenseEvidence, LicenseSource};

/// `CARGO_HOME`, else `$HOME/.cargo`.
pub fn default_cargo_home() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// Largest Cargo.toml read (real ones are a few kilobytes).
const MAX_MANIFEST: u64 = 1 << 20;

pub fn crate_license(
    cargo_home: &Path,
    name: &str,
    version: &str,
    db: &LicenseDb,
) -> Option<ComponentLicense> {
    let dir_name = format!("{name}-{version}");
    let registries = std::fs::read_dir(cargo_home.join("registry/src")).ok()?;
    let crate_dir = registries
        .flatten()
        .map(|index| index.path().join(&dir_name))
        .find(|d| d.join("Cargo.toml").is_file())?;
    crate_dir_license(&crate_dir, db)
}

/// The license of an unpacked crate: its `Cargo.toml`'s `license`, else the file its
/// `license-file` names, classified. (`assay license-db` applies the same rule.)
pub fn crate_dir_license(crate_dir: &Path, db: &LicenseDb) -> Option<ComponentLicense> {
    let manifest_path = crate_dir.join("Cargo.toml");
    if std::fs::metadata(&manifest_path).ok()?.len() > MAX_MANIFEST {
        return None;
    }
    let manifest: toml::Table = std::fs::read_to_string(&manifest_path).ok()?.parse().ok()?;
    let package = manifest.get("package")?.as_table()?;
    let location = crate_dir.display().to_string();
    if let Some(expr) = package.get("license").and_then(|l| l.as_str()) {
        // Old crates wrote `MIT/Apache-2.0` for an OR.
        let expr = expr
            .split('/')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" OR ");
        return Some(ComponentLicense {
            expression: Some(expr.clone()),
            source: LicenseSource::CargoRegistry,
            location: Some(location),
            confidence: 0.95,
            method: "cargo-manifest".into(),
            evidence: vec![LicenseEvidence {
                file: "Cargo.toml (package.license)".into(),
                sha256: None,
                expression: Some(expr),
            }],
            extracted: Vec::new(),
            file_texts: Vec::new(),
        });
    }
    // `license-file`: classify the named file like any license text.
    let file = package.get("license-file").and_then(|l| l.as_str())?;
    // Inside the crate only: the manifest comes from the registry, not from the user.
    let inside = Path::new(file)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    let path = crate_dir.join(file);
    if !inside || std::fs::metadata(&path).ok()?.len() > MAX_MANIFEST {
        return None;
    }
    let text = std::fs::read(&path).ok()?;
    Some(super::resolve::from_files(
        &[(file.to_string(), text)],
        LicenseSource::CargoRegistry,
        location,
        db,
    ))
}
