//! `assay license-db build`: a site license table (license-db/FORMAT.md) from a list of Go
//! modules and crates, or from what scanned binaries link, fetched through GOPROXY (with
//! GONOPROXY/GOPRIVATE, exactly as `--licenses=remote` does, so a private proxy works) and a
//! crate registry. Each package is classified by the rule the resolver uses, so a site table
//! answers what a scan with the module cache or the proxy would. Crates are read by the same
//! streaming, bounded `.crate` reader as `--licenses=remote` ([`CrateFetcher`]), into the
//! same cache.

use rayon::prelude::*;

use super::classify::classify_files;
use super::crate_fetch::CrateFetcher;
use super::db::LicenseDb;
use super::remote::{FetchError, RemoteConfig, RemoteFetcher};
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

/// The outcome for one package: a row, or why there is none.
pub type Examined = (Package, Result<NewRow, String>);

/// Examines every package with `jobs` requests in flight.
pub fn examine(
    packages: &[Package],
    remote: RemoteConfig,
    registry: &CrateFetcher,
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

fn crate_row(p: &Package, registry: &CrateFetcher, db: &LicenseDb) -> Result<NewRow, String> {
    let lic = match registry.license(&p.name, &p.version, db) {
        Ok(Some(lic)) => lic,
        Ok(None) => {
            return Err("Cargo.toml has neither `license` nor a readable `license-file`".into())
        }
        Err(FetchError::NotFound) => {
            return Err(format!(
                "{} answers 404",
                registry.config().url(&p.name, &p.version)
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
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
    fn crates_come_through_the_streaming_reader_and_its_cache() {
        use crate::license::crate_fetch::CrateFetchConfig;
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
        let tar = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let gz = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let registry = dir.path().join("registry");
        std::fs::create_dir_all(registry.join("x")).unwrap();
        std::fs::write(registry.join("x/x-1.0.0.crate"), &gz).unwrap();
        std::fs::create_dir_all(registry.join("bad")).unwrap();
        std::fs::write(registry.join("bad/bad-1.0.0.crate"), b"not gzip").unwrap();
        let cache = dir.path().join("crate-licenses");
        let fetcher = CrateFetcher::new(CrateFetchConfig {
            registry: format!("file://{}", registry.display()),
            custom_registry: true,
            cache_dir: cache.clone(),
            timeout: std::time::Duration::from_secs(5),
        })
        .unwrap();
        let db = crate::license::db::bundled();
        let p = |n: &str| parse_package(&format!("crate {n}@1.0.0")).unwrap();
        let row = crate_row(&p("x"), &fetcher, db).unwrap();
        assert_eq!(row.expression, "MIT OR Apache-2.0");
        // The remote mode's cache layout: name@version with only what answered kept.
        assert!(cache.join("x@1.0.0/.complete").is_file());
        assert!(cache.join("x@1.0.0/Cargo.toml").is_file());
        assert!(!cache.join("x@1.0.0/src/lib.rs").exists());
        // A broken archive is an error naming it, not a panic, and is not cached.
        let err = crate_row(&p("bad"), &fetcher, db).unwrap_err();
        assert!(err.contains("bad-1.0.0.crate"), "{err}");
        assert!(!cache.join("bad@1.0.0").exists());
        // Served from the cache once the registry is gone.
        std::fs::remove_dir_all(&registry).unwrap();
        assert_eq!(
            crate_row(&p("x"), &fetcher, db).unwrap().expression,
            "MIT OR Apache-2.0"
        );
        let err = crate_row(&p("missing"), &fetcher, db).unwrap_err();
        assert!(err.contains("answers 404"), "{err}");
    }
}
