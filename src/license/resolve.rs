//! Finds each component's license. Order: license files on disk (the Go module cache, then a
//! `vendor/` tree or module sources next to the scanned files), then the bundled license-db,
//! then — only with `--licenses=remote` — the module zip from `GOPROXY`. The Go standard
//! library is BSD-3-Clause. Every result records its source and confidence.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::agree;
use super::classify::{classify_files, Classification};
use super::crate_fetch::{CrateFetchConfig, CrateFetcher};
use super::db::{LicenseDb, ModuleLookup};
use super::remote::{escape_path, FetchError, RemoteConfig, RemoteFetcher};
use super::{ComponentLicense, ExtractedText, LicenseEvidence, LicenseSource};
use crate::model::{Component, ComponentKind, Document, Problem, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LicenseMode {
    /// Do not resolve licenses.
    Off,
    /// Local files and the bundled license-db (default; no network).
    Offline,
    /// Also fetch module zips from GOPROXY for what is still unknown.
    Remote,
}

#[derive(Debug, Clone)]
pub struct ResolveOptions {
    pub mode: LicenseMode,
    /// The scan targets: module sources and `vendor/` trees are looked for next to them.
    pub targets: Vec<PathBuf>,
    /// `GOMODCACHE`; `None` disables the module cache.
    pub gomodcache: Option<PathBuf>,
    /// `CARGO_HOME` (Rust crates' manifests in `registry/src`); `None` disables it.
    pub cargo_home: Option<PathBuf>,
    pub remote: Option<RemoteConfig>,
    /// With `--licenses=remote`: the crate registry's downloads, for crates.
    pub crates: Option<CrateFetchConfig>,
}

impl ResolveOptions {
    pub fn new(mode: LicenseMode, targets: &[String]) -> ResolveOptions {
        ResolveOptions {
            mode,
            targets: targets.iter().map(PathBuf::from).collect(),
            gomodcache: default_gomodcache(),
            cargo_home: super::cargo::default_cargo_home(),
            remote: (mode == LicenseMode::Remote).then(RemoteConfig::from_env),
            crates: (mode == LicenseMode::Remote).then(CrateFetchConfig::from_env),
        }
    }
}

/// `GOMODCACHE`, else the first `GOPATH` entry's `pkg/mod`, else `$HOME/go/pkg/mod`.
pub fn default_gomodcache() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(c) = var("GOMODCACHE") {
        return Some(PathBuf::from(c));
    }
    if let Some(gopath) = var("GOPATH") {
        return std::env::split_paths(&gopath)
            .next()
            .map(|p| p.join("pkg/mod"));
    }
    var("HOME").map(|h| PathBuf::from(h).join("go/pkg/mod"))
}

/// Resolves every component of `doc`; problems are for things the user should know (a
/// failed remote fetch), not for "no license" (that is a finding).
pub fn resolve_all(
    doc: &Document,
    opts: &ResolveOptions,
    db: &LicenseDb,
) -> (BTreeMap<String, ComponentLicense>, Vec<Problem>) {
    if opts.mode == LicenseMode::Off {
        return (BTreeMap::new(), Vec::new());
    }
    let local = LocalSources::index(&opts.targets);
    let fetcher = match &opts.remote {
        Some(cfg) => match RemoteFetcher::new(cfg.clone()) {
            Ok(f) => Some(f),
            Err(e) => {
                let p = Problem {
                    path: "licenses".into(),
                    severity: Severity::Error,
                    message: e,
                };
                return (BTreeMap::new(), vec![p]);
            }
        },
        None => None,
    };
    let crates = match opts.crates.clone().map(CrateFetcher::new) {
        Some(Err(e)) => {
            let p = Problem {
                path: "licenses".into(),
                severity: Severity::Error,
                message: e,
            };
            return (BTreeMap::new(), vec![p]);
        }
        other => other.and_then(Result::ok),
    };
    let fetchers = Fetchers {
        go: fetcher.as_ref(),
        crates: crates.as_ref(),
    };
    let results: Vec<(String, ComponentLicense, Option<Problem>)> = doc
        .components
        .par_iter()
        // A native library outside the scan is known only by the name a binary loads it by
        // (libc.so.6, KERNEL32.dll): it is not part of what is shipped, and nothing says its
        // license. When the library is in the scan, the edge points at that file instead.
        .filter(|c| carries_license(c.kind))
        .map(|c| {
            let (lic, problem) = resolve_one(c, opts, &local, &fetchers, db);
            (c.id.clone(), lic, problem)
        })
        .collect();
    let mut map = BTreeMap::new();
    let mut problems = Vec::new();
    for (id, lic, p) in results {
        map.insert(id, lic);
        problems.extend(p);
    }
    (map, problems)
}

/// Whether a component is code the product ships, so its license matters: not a library
/// outside the scan known by name only (libc.so.6, KERNEL32.dll), nor a compiler (evidence of
/// how the binary was built, not code in it).
pub fn carries_license(kind: ComponentKind) -> bool {
    !matches!(kind, ComponentKind::NativeLibrary | ComponentKind::Compiler)
}

/// What `--licenses=remote` may ask: the module proxy, the crate registry.
struct Fetchers<'a> {
    go: Option<&'a RemoteFetcher>,
    crates: Option<&'a CrateFetcher>,
}

fn resolve_one(
    c: &Component,
    opts: &ResolveOptions,
    local: &LocalSources,
    fetchers: &Fetchers,
    db: &LicenseDb,
) -> (ComponentLicense, Option<Problem>) {
    let fetcher = fetchers.go;
    let version = c.version.as_deref().filter(|v| *v != "(devel)");
    match c.kind {
        ComponentKind::GoStdlib => return (go_stdlib(), None),
        ComponentKind::RustStdlib => return (rust_stdlib(), None),
        ComponentKind::RustCrate | ComponentKind::RustRootCrate => {
            let on_disk = opts
                .cargo_home
                .as_deref()
                .zip(version)
                .and_then(|(home, v)| super::cargo::crate_license(home, &c.name, v, db));
            let from_db = db
                .crate_license(&c.name, version)
                .map(|a| a.into_component_license());
            let subject = format!("{}@{}", c.name, version.unwrap_or("?"));
            let source = c
                .properties
                .iter()
                .find(|p| p.name == "assay:rust:source")
                .map(|p| p.value.as_str());
            let registry = fetchers
                .crates
                .filter(|f| f.config().serves(source) && on_disk.is_none())
                .zip(version);
            let needs_check = from_db.as_ref().is_none_or(|g| !agree::was_examined(g));
            if let (Some((f, v)), true) = (registry, needs_check) {
                return super::crate_fetch::resolve(f, &c.name, v, from_db.as_ref(), db);
            }
            let (found, problem) = agree::settle(from_db, on_disk, &subject, db);
            return (found.unwrap_or_else(ComponentLicense::not_found), problem);
        }
        ComponentKind::ApkPackage | ComponentKind::XbpsPackage | ComponentKind::DebPackage => {
            let found = super::ospkg::from_package_database(c, db);
            return (found.unwrap_or_else(ComponentLicense::not_found), None);
        }
        ComponentKind::StaticLibrary => {
            let found = known_library(&c.name, version);
            return (found.unwrap_or_else(ComponentLicense::not_found), None);
        }
        _ => {}
    }
    // 1. files on disk and the license-db, settled into one answer (`agree`): the same
    // whichever of them this machine has.
    let on_disk = files_on_disk(c, version, opts, local, db);
    let subject = format!("{}@{}", c.name, version.unwrap_or("?"));
    let from_db = from_db(&c.name, version, db);
    // With --licenses=remote, an answer for versions other than this one (a guess, or a range
    // the db did not read through) is checked against this version.
    let is_go = matches!(
        c.kind,
        ComponentKind::GoModule | ComponentKind::GoMainModule
    );
    if let (None, Some(guess), Some(f), Some(v), true) =
        (&on_disk, &from_db, fetcher, version, is_go)
    {
        if !agree::was_examined(guess) {
            return match from_proxy(f, &c.name, v, db) {
                Ok(Some(fetched)) => {
                    agree::verify_guess(guess, fetched, &subject, "its module zip", db)
                }
                Ok(None) => {
                    let p = Problem {
                        path: subject,
                        severity: Severity::Warning,
                        message: "the module zip of this version has no root license file; the license-db's answer for another version is not used".into(),
                    };
                    (ComponentLicense::not_found(), Some(p))
                }
                Err(e) => {
                    let p = Problem {
                        path: subject,
                        severity: Severity::Warning,
                        message: format!(
                            "license-db answer for another version not verified on GOPROXY: {e}"
                        ),
                    };
                    (guess.clone(), Some(p))
                }
            };
        }
    }
    if let (Some(lic), problem) = agree::settle(from_db, on_disk, &subject, db) {
        return (lic, problem);
    }
    // 3. the module proxy, when asked
    if let (Some(f), Some(v)) = (fetcher, version) {
        if c.kind == ComponentKind::GoModule || c.kind == ComponentKind::GoMainModule {
            match from_proxy(f, &c.name, v, db) {
                Ok(Some(lic)) => return (lic, None),
                Ok(None) => {}
                Err(e) => {
                    let p = Problem {
                        path: format!("{}@{v}", c.name),
                        severity: Severity::Warning,
                        message: format!("license lookup on GOPROXY: {e}"),
                    };
                    return (ComponentLicense::not_found(), Some(p));
                }
            }
        }
    }
    (ComponentLicense::not_found(), None)
}

/// The module's root license files from the proxy, classified; `None` when the zip has none.
/// A version the proxy does not serve (404/410) falls back to the nearest one it lists,
/// stated in the method, with confidence at most 0.85.
fn from_proxy(
    f: &RemoteFetcher,
    module: &str,
    version: &str,
    db: &LicenseDb,
) -> Result<Option<ComponentLicense>, FetchError> {
    let (files, location, nearest) = match f.license_files(module, version) {
        Ok((files, location)) => (files, location, None),
        Err(FetchError::NotFound) => match f.nearest_served(module, version) {
            Ok(Some(n)) => {
                let (files, location) = f.license_files(module, &n)?;
                (files, location, Some(n))
            }
            _ => return Err(FetchError::NotFound),
        },
        Err(e) => return Err(e),
    };
    let mut lic = from_files(&files, LicenseSource::ModuleProxy, location, db);
    if !answers_anything(&files, &lic) {
        return Ok(None);
    }
    if let Some(n) = nearest {
        lic.method = format!(
            "module-proxy-nearest-version: {n}, as the proxy does not serve {version} ({})",
            lic.method
        );
        lic.confidence = lic.confidence.min(0.85);
    }
    Ok(Some(lic))
}

/// License files of this module version on disk: the Go module cache, then module sources
/// or a `vendor/` tree next to the scanned files.
fn files_on_disk(
    c: &Component,
    version: Option<&str>,
    opts: &ResolveOptions,
    local: &LocalSources,
    db: &LicenseDb,
) -> Option<ComponentLicense> {
    if let (Some(cache), Some(v)) = (&opts.gomodcache, version) {
        let rel = format!("{}@{}", escape_path(&c.name), escape_path(v));
        if let Some(mut lic) = from_dir(&cache.join(&rel), LicenseSource::ModuleCache, db) {
            // Portable: the same SBOM whichever machine's cache answered.
            lic.location = Some(format!("$GOMODCACHE/{rel}"));
            return Some(lic);
        }
    }
    local
        .dirs_for(&c.name)
        .iter()
        .find_map(|dir| from_dir(dir, LicenseSource::LocalSource, db))
}

fn rust_stdlib() -> ComponentLicense {
    ComponentLicense {
        expression: Some("MIT OR Apache-2.0".into()),
        source: LicenseSource::RustStdlib,
        location: Some("https://github.com/rust-lang/rust/blob/master/COPYRIGHT".into()),
        confidence: 1.0,
        method: "known-fact".into(),
        evidence: vec![LicenseEvidence {
            file: "COPYRIGHT (Rust distribution: std, core, alloc)".into(),
            sha256: None,
            expression: Some("MIT OR Apache-2.0".into()),
        }],
        extracted: Vec::new(),
        file_texts: Vec::new(),
    }
}

/// Licenses of the C libraries the static-library classifiers recognise, with the version
/// where a license changed (OpenSSL 3.0 moved to Apache-2.0). Sources: each project's own
/// license page.
fn known_library(name: &str, version: Option<&str>) -> Option<ComponentLicense> {
    let major = version
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    let (expression, location) = match name.to_ascii_lowercase().as_str() {
        "zlib" => ("Zlib", "https://zlib.net/zlib_license.html"),
        "sqlite" => ("blessing", "https://sqlite.org/copyright.html"),
        "curl" | "libcurl" => ("curl", "https://curl.se/docs/copyright.html"),
        "openssl" if major.is_some_and(|m| m >= 3) => {
            ("Apache-2.0", "https://openssl-library.org/source/license/")
        }
        "openssl" if major.is_some() => ("OpenSSL", "https://openssl-library.org/source/license/"),
        "cpython" | "python" => ("PSF-2.0", "https://docs.python.org/3/license.html"),
        "node.js" | "nodejs" | "node" => {
            ("MIT", "https://github.com/nodejs/node/blob/main/LICENSE")
        }
        _ => return None,
    };
    Some(ComponentLicense {
        expression: Some(expression.into()),
        source: LicenseSource::KnownLibrary,
        location: Some(location.into()),
        confidence: 0.9,
        method: "known-library".into(),
        evidence: vec![LicenseEvidence {
            file: format!(
                "{name} {} (recognised by its version string)",
                version.unwrap_or("?")
            ),
            sha256: None,
            expression: Some(expression.into()),
        }],
        extracted: Vec::new(),
        file_texts: Vec::new(),
    })
}

fn go_stdlib() -> ComponentLicense {
    ComponentLicense {
        expression: Some("BSD-3-Clause".into()),
        source: LicenseSource::GoStdlib,
        location: Some("https://go.dev/LICENSE".into()),
        confidence: 1.0,
        method: "known-fact".into(),
        evidence: vec![
            LicenseEvidence {
                file: "LICENSE (Go distribution)".into(),
                sha256: None,
                expression: Some("BSD-3-Clause".into()),
            },
            LicenseEvidence {
                file: "PATENTS (Go distribution: additional patent grant)".into(),
                sha256: None,
                expression: None,
            },
        ],
        extracted: Vec::new(),
        file_texts: Vec::new(),
    }
}

fn from_db(path: &str, version: Option<&str>, db: &LicenseDb) -> Option<ComponentLicense> {
    match db.module_license(path, version)? {
        ModuleLookup::Range(r) => Some(ComponentLicense {
            expression: Some(r.expression.clone()),
            source: LicenseSource::LicenseDb,
            location: Some(format!(
                "license-db overrides.toml {}{}{}",
                r.path,
                r.min
                    .as_ref()
                    .map(|m| format!(" >= {m}"))
                    .unwrap_or_default(),
                r.max
                    .as_ref()
                    .map(|m| format!(" <= {m}"))
                    .unwrap_or_default()
            )),
            confidence: 0.95,
            method: "license-db-range".into(),
            evidence: vec![LicenseEvidence {
                file: r.evidence.clone(),
                sha256: None,
                expression: Some(r.expression.clone()),
            }],
            extracted: Vec::new(),
            file_texts: Vec::new(),
        }),
        ModuleLookup::Table(answer) => Some(answer.into_component_license()),
    }
}

/// Root license files of a directory, classified; `None` when it has none.
pub fn from_dir(dir: &Path, source: LicenseSource, db: &LicenseDb) -> Option<ComponentLicense> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !super::classify::is_license_file_name(&name) {
            continue;
        }
        // The bound the module-zip readers apply (remote.rs, zip_ranges.rs): a larger file is
        // not read, so every source reads the same files.
        let small = entry.metadata().is_ok_and(|m| m.len() <= 1 << 20);
        if small && entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                files.push((name, bytes));
            }
        }
    }
    if files.is_empty() {
        return None;
    }
    files.sort();
    let lic = from_files(&files, source, dir.display().to_string(), db);
    answers_anything(&files, &lic).then_some(lic)
}

/// Whether root files found are an answer: a license file (classified or not), or a NOTICE
/// or PATENTS file that states a license. A NOTICE of attributions alone is no answer.
pub fn answers_anything(files: &[(String, Vec<u8>)], lic: &ComponentLicense) -> bool {
    lic.expression.is_some()
        || files
            .iter()
            .any(|(n, _)| super::files::is_license_file(n).is_some())
}

/// Classifies license files; text that matches nothing becomes a `LicenseRef-` with the text
/// extracted, so SBOMs carry it, at confidence 0.
pub fn from_files(
    files: &[(String, Vec<u8>)],
    source: LicenseSource,
    location: String,
    db: &LicenseDb,
) -> ComponentLicense {
    let (combined, per_file) = classify_files(files, db);
    let evidence: Vec<LicenseEvidence> = files
        .iter()
        .map(|(name, bytes)| LicenseEvidence {
            file: name.clone(),
            sha256: Some(crate::hash::hex(&<sha2::Sha256 as sha2::Digest>::digest(
                bytes,
            ))),
            expression: per_file
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, c)| c.expression.clone()),
        })
        .collect();
    let Classification {
        expression,
        confidence,
        method,
        ambiguous,
        variant_of,
    } = combined;
    let mut lic = ComponentLicense {
        expression,
        source,
        location: Some(location),
        confidence,
        method: match (&variant_of, ambiguous) {
            (Some(v), _) => format!("{method}: a modified {v}"),
            (None, true) => format!("{method} (ambiguous)"),
            (None, false) => method.to_string(),
        },
        evidence,
        extracted: Vec::new(),
        file_texts: Vec::new(),
    };
    lic.file_texts = files
        .iter()
        .take(super::MAX_FILE_TEXTS)
        .map(|(name, bytes)| {
            let head = &bytes[..bytes.len().min(super::MAX_FILE_TEXT)];
            super::LicenseFileText {
                file: name.clone(),
                text: String::from_utf8_lossy(head).into_owned(),
            }
        })
        .collect();
    // Modified texts and extra patent terms became `LicenseRef-assay-<hash>`: carry the text.
    for ((name, c), (_, bytes)) in per_file.iter().zip(
        files
            .iter()
            .filter(|(n, _)| super::classify::is_license_file_name(n)),
    ) {
        let Some(e) = c.expression.as_deref() else {
            continue;
        };
        if e.starts_with("LicenseRef-assay-") && !lic.extracted.iter().any(|x| x.license_ref == e) {
            let _ = name;
            lic.extracted.push(ExtractedText {
                license_ref: e.to_string(),
                text: String::from_utf8_lossy(bytes).into_owned(),
            });
        }
    }
    if lic.expression.is_none() {
        // A NOTICE that states no license is no license text.
        if let Some((name, bytes)) = files.iter().find(|(n, _)| {
            super::classify::is_license_file_name(n) && !super::notice::is_notice_file(n)
        }) {
            let sha = lic
                .evidence
                .iter()
                .find(|e| &e.file == name)
                .and_then(|e| e.sha256.clone())
                .unwrap_or_default();
            let license_ref = format!("LicenseRef-assay-{}", &sha[..sha.len().min(12)]);
            lic.extracted.push(ExtractedText {
                license_ref: license_ref.clone(),
                text: String::from_utf8_lossy(bytes).into_owned(),
            });
            lic.expression = Some(license_ref);
            lic.method = "unclassified-text".into();
        }
    }
    lic
}

/// Module directories near the scanned files: `vendor/<module>/` and directories with a
/// `go.mod` declaring the module, found under each target's directory and its parent
/// (bounded depth, so scanning `/` does not walk the disk).
struct LocalSources {
    roots: Vec<PathBuf>,
    by_module: HashMap<String, Vec<PathBuf>>,
}

impl LocalSources {
    fn index(targets: &[PathBuf]) -> LocalSources {
        let mut roots: Vec<PathBuf> = Vec::new();
        for t in targets {
            let dir = if t.is_dir() {
                t.clone()
            } else {
                t.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            for d in [Some(dir.clone()), dir.parent().map(Path::to_path_buf)]
                .into_iter()
                .flatten()
            {
                let d = if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d
                };
                if !roots.contains(&d) {
                    roots.push(d);
                }
            }
        }
        let mut by_module: HashMap<String, Vec<PathBuf>> = HashMap::new();
        let mut seen = 0usize;
        for root in &roots {
            let walker = walkdir::WalkDir::new(root)
                .max_depth(4)
                .into_iter()
                .filter_entry(|e| {
                    let n = e.file_name().to_string_lossy();
                    !(e.depth() > 0
                        && (n.starts_with('.')
                            || n == "vendor"
                            || n == "node_modules"
                            || n == "target"))
                });
            for entry in walker.flatten() {
                seen += 1;
                if seen > 20_000 {
                    break;
                }
                if entry.file_name() == "go.mod" {
                    if let Some(module) = module_line(entry.path()) {
                        if let Some(dir) = entry.path().parent() {
                            by_module.entry(module).or_default().push(dir.to_path_buf());
                        }
                    }
                }
            }
        }
        LocalSources { roots, by_module }
    }

    fn dirs_for(&self, module: &str) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .roots
            .iter()
            .map(|r| r.join("vendor").join(module))
            .filter(|d| d.is_dir())
            .collect();
        out.extend(self.by_module.get(module).cloned().unwrap_or_default());
        out
    }
}

fn module_line(go_mod: &Path) -> Option<String> {
    let text = std::fs::read_to_string(go_mod).ok()?;
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("module")?;
        let name = rest.trim().trim_matches('"');
        (!name.is_empty()).then(|| name.to_string())
    })
}
