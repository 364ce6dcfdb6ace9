//! `assay license-db build`: a site license table (license-db/FORMAT.md) from a list of Go
//! modules and crates, or from what scanned binaries link, fetched through GOPROXY (with
//! GONOPROXY/GOPRIVATE, exactly as `--licenses=remote` does, so a private proxy works) and a
//! crate registry. Each package is classified by the rule the resolver uses, so a site table
//! answers what a scan with the module cache or the proxy would.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use super::classify::{classify_files, is_license_file_name};
use super::db::LicenseDb;
use super::remote::{escape_path, RemoteConfig, RemoteFetcher};
use super::table::{Kind, NewRow};
use crate::model::{ComponentKind, Document};

/// One package to examine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Package {
    pub kind: PackageKind,
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PackageKind {
    Go,
    Crate,
}

impl std::fmt::Display for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            PackageKind::Go => "go",
            PackageKind::Crate => "crate",
        };
        write!(f, "{kind} {}@{}", self.name, self.version)
    }
}

/// `go PATH@VERSION`, `crate NAME@VERSION`, or a bare `PATH@VERSION` (a Go module).
pub fn parse_package(spec: &str) -> Result<Package, String> {
    let spec = spec.trim();
    let (kind, rest) = match spec.split_once(char::is_whitespace) {
        Some(("go", rest)) => (PackageKind::Go, rest.trim()),
        Some(("crate", rest)) => (PackageKind::Crate, rest.trim()),
        Some(_) => {
            return Err(format!(
                "`{spec}`: expected `go PATH@VERSION` or `crate NAME@VERSION`"
            ))
        }
        None => (PackageKind::Go, spec),
    };
    let (name, version) = rest
        .rsplit_once('@')
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        .ok_or_else(|| format!("`{spec}`: expected NAME@VERSION"))?;
    let bad = |s: &str| s.contains(['\t', '\n', '\\']) || s.contains("..") || s.starts_with('/');
    if bad(name) || bad(version) || version.contains('/') {
        return Err(format!("`{spec}`: not a package name and version"));
    }
    Ok(Package {
        kind,
        name: name.to_string(),
        version: version.to_string(),
    })
}

/// Every Go module and crate a scan found, with its version.
pub fn packages_of(doc: &Document) -> Vec<Package> {
    let mut out: Vec<Package> = doc
        .components
        .iter()
        .filter_map(|c| {
            let kind = match c.kind {
                ComponentKind::GoModule | ComponentKind::GoMainModule => PackageKind::Go,
                ComponentKind::RustCrate | ComponentKind::RustRootCrate => PackageKind::Crate,
                _ => return None,
            };
            let version = c.version.as_deref().filter(|v| *v != "(devel)")?;
            parse_package(&format!(
                "{} {}@{version}",
                if kind == PackageKind::Go {
                    "go"
                } else {
                    "crate"
                },
                c.name
            ))
            .ok()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Where crates come from: `{base}/{name}/{name}-{version}.crate` (crates.io's layout), or a
/// URL with `{crate}` and `{version}` markers (cargo's `dl` template).
pub struct CrateRegistry {
    base: String,
    cache: PathBuf,
    client: reqwest::blocking::Client,
}

/// Largest .crate read, and largest unpacked file kept.
const MAX_CRATE: u64 = 64 << 20;
const MAX_FILE: u64 = 1 << 20;
/// Largest total of bytes a .crate may unpack to (a gzip bomb stops here).
const MAX_UNPACKED: u64 = 512 << 20;

impl CrateRegistry {
    pub fn new(base: &str, cache: PathBuf, timeout: std::time::Duration) -> Result<Self, String> {
        let client = super::remote::http_client(timeout)?;
        Ok(CrateRegistry {
            base: base.trim_end_matches('/').to_string(),
            cache,
            client,
        })
    }

    fn url(&self, name: &str, version: &str) -> String {
        if self.base.contains("{crate}") {
            self.base
                .replace("{crate}", name)
                .replace("{version}", version)
        } else {
            format!("{}/{name}/{name}-{version}.crate", self.base)
        }
    }

    /// The crate's Cargo.toml and license files, unpacked into the cache (once).
    pub fn unpack(&self, name: &str, version: &str) -> Result<PathBuf, String> {
        let dir = self
            .cache
            .join(format!("{}@{}", escape_path(name), escape_path(version)));
        if dir.join(".complete").is_file() {
            return Ok(dir);
        }
        let url = self.url(name, version);
        let bytes = if let Some(path) = url.strip_prefix("file://") {
            std::fs::read(path).map_err(|e| format!("{url}: {e}"))?
        } else {
            let resp = self
                .client
                .get(&url)
                .send()
                .map_err(|e| format!("{url}: {e}"))?;
            if !resp.status().is_success() {
                return Err(format!("{url}: HTTP {}", resp.status().as_u16()));
            }
            let mut body = Vec::new();
            resp.take(MAX_CRATE + 1)
                .read_to_end(&mut body)
                .map_err(|e| format!("{url}: {e}"))?;
            body
        };
        if bytes.len() as u64 > MAX_CRATE {
            return Err(format!("{url}: larger than {} MiB", MAX_CRATE >> 20));
        }
        let tmp = self
            .cache
            .join(format!(".tmp-{}-{name}-{version}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        unpack_crate(&bytes, &format!("{name}-{version}"), &tmp)
            .map_err(|e| format!("{url}: {e}"))?;
        std::fs::write(tmp.join(".complete"), b"").map_err(|e| e.to_string())?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(dir)
    }
}

/// Keeps `Cargo.toml` and license-named files (any depth, as `license-file` may point into a
/// folder) of a `.crate` (a gzip'd tar whose entries live under `NAME-VERSION/`).
fn unpack_crate(bytes: &[u8], root: &str, into: &Path) -> Result<(), String> {
    let gz = flate2::read::GzDecoder::new(bytes).take(MAX_UNPACKED);
    let mut archive = tar::Archive::new(gz);
    let mut manifest = false;
    for entry in archive
        .entries()
        .map_err(|e| format!("not a .crate: {e}"))?
    {
        let mut entry = entry.map_err(|e| format!("not a .crate: {e}"))?;
        if !entry.header().entry_type().is_file() || entry.size() > MAX_FILE {
            continue;
        }
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        if rel.components().count() > 4
            || rel.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            continue;
        }
        let file_name = rel.file_name().map(|n| n.to_string_lossy().into_owned());
        let is_manifest = rel == Path::new("Cargo.toml");
        if !is_manifest && !file_name.as_deref().is_some_and(is_license_file_name) {
            continue;
        }
        let dest = into.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| format!("{}: {e}", rel.display()))?;
        std::fs::write(&dest, data).map_err(|e| e.to_string())?;
        manifest |= is_manifest;
    }
    if !manifest {
        return Err(format!("no {root}/Cargo.toml in the archive"));
    }
    Ok(())
}

/// The outcome for one package: a row, or why there is none.
pub type Examined = (Package, Result<NewRow, String>);

/// Examines every package with `jobs` requests in flight.
pub fn examine(
    packages: &[Package],
    remote: RemoteConfig,
    registry: &CrateRegistry,
    db: &LicenseDb,
    jobs: usize,
) -> Result<Vec<Examined>, String> {
    let fetcher = RemoteFetcher::new(remote)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.clamp(1, 64))
        .build()
        .map_err(|e| e.to_string())?;
    Ok(pool.install(|| {
        packages
            .par_iter()
            .map(|p| {
                let row = match p.kind {
                    PackageKind::Go => go_row(p, &fetcher, db),
                    PackageKind::Crate => crate_row(p, registry, db),
                };
                (p.clone(), row)
            })
            .collect()
    }))
}

fn go_row(p: &Package, fetcher: &RemoteFetcher, db: &LicenseDb) -> Result<NewRow, String> {
    let (files, _) = fetcher
        .license_files(&p.name, &p.version)
        .map_err(|e| e.to_string())?;
    let (combined, per_file) = classify_files(&files, db);
    let expression = combined.expression.ok_or_else(|| {
        if files.is_empty() {
            "no license file in the module root".to_string()
        } else {
            "license files not recognised".to_string()
        }
    })?;
    Ok(NewRow {
        kind: Kind::Go,
        name: p.name.clone(),
        first: p.version.clone(),
        last: p.version.clone(),
        expression,
        confidence: combined.confidence,
        flags: String::new(),
        evidence: per_file.into_iter().map(|(name, _)| name).collect(),
    })
}

fn crate_row(p: &Package, registry: &CrateRegistry, db: &LicenseDb) -> Result<NewRow, String> {
    let dir = registry.unpack(&p.name, &p.version)?;
    let lic = super::cargo::crate_dir_license(&dir, db)
        .ok_or("Cargo.toml has neither `license` nor a readable `license-file`")?;
    // an unrecognised text would become a LicenseRef whose text the table cannot carry
    let expression = lic
        .expression
        .filter(|_| lic.method != "unclassified-text")
        .ok_or("license file not recognised")?;
    Ok(NewRow {
        kind: Kind::Crate,
        name: p.name.clone(),
        first: p.version.clone(),
        last: p.version.clone(),
        expression,
        confidence: lic.confidence,
        flags: String::new(),
        evidence: lic.evidence.into_iter().map(|e| e.file).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_specs() {
        let p = parse_package("go github.com/a/b@v1.2.3").unwrap();
        assert_eq!(
            (p.kind, p.name.as_str()),
            (PackageKind::Go, "github.com/a/b")
        );
        assert_eq!(
            parse_package("github.com/a/b@v1").unwrap().kind,
            PackageKind::Go
        );
        assert_eq!(
            parse_package("crate serde@1.0.0").unwrap().kind,
            PackageKind::Crate
        );
        for bad in [
            "npm x@1",
            "github.com/a/b",
            "go @v1",
            "crate x@",
            "go ../x@v1",
            "go x@v1/..",
        ] {
            assert!(parse_package(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn crate_archives_keep_manifest_and_licenses_only() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, path, data).unwrap();
        };
        add(
            "x-1.0.0/Cargo.toml",
            b"[package]\nname = \"x\"\nlicense = \"MIT/Apache-2.0\"\n",
        );
        add("x-1.0.0/src/lib.rs", b"fn main() {}");
        add("x-1.0.0/LICENSE-MIT", b"MIT");
        add("other/Cargo.toml", b"");
        let tar = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let gz = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        unpack_crate(&gz, "x-1.0.0", dir.path()).unwrap();
        assert!(dir.path().join("Cargo.toml").is_file());
        assert!(dir.path().join("LICENSE-MIT").is_file());
        assert!(!dir.path().join("src/lib.rs").exists());
        let lic = super::super::cargo::crate_dir_license(dir.path(), crate::license::db::bundled());
        assert_eq!(
            lic.unwrap().expression.as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert!(unpack_crate(b"not gzip", "x-1.0.0", dir.path()).is_err());
        assert!(unpack_crate(&gz, "y-1.0.0", &dir.path().join("y")).is_err());
    }
}
