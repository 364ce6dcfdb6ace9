//! `--licenses=remote` for Rust crates: a crate's license from its own `Cargo.toml` in the
//! `.crate` archive on the registry's download endpoint
//! (`https://static.crates.io/crates/NAME/NAME-VERSION.crate`, a gzip'd tar).
//!
//! The archive is streamed, never held whole: entries are read until the answer is known
//! (`package.license`, or the file `package.license-file` names) and the download stops
//! there. Compressed bytes, unpacked bytes, entries and kept files are all bounded, so a gzip
//! bomb or an endless archive ends with an error. What was kept (the manifest and license
//! files) is cached by name@version under `$ASSAY_CACHE_DIR/crate-licenses/` in the layout
//! `assay license-db build` uses, so a second run (or a site-db build) fetches nothing.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::classify::is_license_file_name;
use super::db::LicenseDb;
use super::remote::{escape_path, FetchError};
use super::{ComponentLicense, LicenseSource};
use crate::model::{Problem, Severity};

/// The crates.io download endpoint, in its `{base}/{name}/{name}-{version}.crate` layout.
pub const DEFAULT_REGISTRY: &str = "https://static.crates.io/crates";

/// Bounds on one `.crate` read. Real crates are at most 10 MiB compressed on crates.io.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Compressed bytes read from the server.
    pub compressed: u64,
    /// Bytes the gzip stream may inflate to (a gzip bomb stops here).
    pub unpacked: u64,
    /// Tar entries walked.
    pub entries: usize,
    /// Largest single file kept (the manifest or a license file).
    pub file: u64,
    /// Files kept in memory before the manifest says which one is the license.
    pub kept: usize,
}

pub const LIMITS: Limits = Limits {
    compressed: 64 << 20,
    unpacked: 256 << 20,
    entries: 100_000,
    file: 1 << 20,
    kept: 32,
};

#[derive(Debug, Clone)]
pub struct CrateFetchConfig {
    /// A base URL in crates.io's layout, or a cargo `dl` template with `{crate}` and
    /// `{version}`; `file://` reads a local directory in the same layout.
    pub registry: String,
    /// Whether the registry was chosen by the user (`ASSAY_CRATE_REGISTRY`): crates an
    /// alternative registry built are then fetched from it too.
    pub custom_registry: bool,
    /// `…/crate-licenses`: one directory per name@version.
    pub cache_dir: PathBuf,
    pub timeout: Duration,
}

impl CrateFetchConfig {
    /// From the environment: `ASSAY_CRATE_REGISTRY`, `ASSAY_CACHE_DIR`, `ASSAY_HTTP_TIMEOUT`.
    pub fn from_env() -> CrateFetchConfig {
        let registry = std::env::var("ASSAY_CRATE_REGISTRY")
            .ok()
            .filter(|v| !v.is_empty());
        let remote = super::remote::RemoteConfig::from_env();
        CrateFetchConfig {
            custom_registry: registry.is_some(),
            registry: registry.unwrap_or_else(|| DEFAULT_REGISTRY.into()),
            cache_dir: super::remote::cache_root().join("crate-licenses"),
            timeout: remote.timeout,
        }
    }

    /// The download URL of `name@version`.
    pub fn url(&self, name: &str, version: &str) -> String {
        let base = self.registry.trim_end_matches('/');
        if base.contains("{crate}") {
            base.replace("{crate}", name).replace("{version}", version)
        } else {
            format!("{base}/{name}/{name}-{version}.crate")
        }
    }

    /// Whether a crate from `source` (cargo-auditable's `source`: `crates.io`, `registry`,
    /// `git`, `local`; absent for crates found by other means) can be asked for here.
    pub fn serves(&self, source: Option<&str>) -> bool {
        match source {
            None | Some("crates.io") => true,
            Some("registry") => self.custom_registry,
            _ => false,
        }
    }
}

pub struct CrateFetcher {
    config: CrateFetchConfig,
    client: reqwest::blocking::Client,
}

impl CrateFetcher {
    pub fn new(config: CrateFetchConfig) -> Result<CrateFetcher, String> {
        let client = super::remote::http_client(config.timeout)?;
        Ok(CrateFetcher { config, client })
    }

    pub fn config(&self) -> &CrateFetchConfig {
        &self.config
    }

    /// The crate's license from its own `Cargo.toml`; `Ok(None)` when the manifest declares
    /// neither `license` nor a readable `license-file`. The location is the download URL.
    pub fn license(
        &self,
        name: &str,
        version: &str,
        db: &LicenseDb,
    ) -> Result<Option<ComponentLicense>, FetchError> {
        let (dir, url) = self.unpacked(name, version)?;
        let Some(mut lic) = super::cargo::crate_dir_license(&dir, db) else {
            return Ok(None);
        };
        lic.source = LicenseSource::CrateDownload;
        lic.location = Some(url);
        Ok(Some(lic))
    }

    /// The cache directory holding the crate's manifest and license files (fetched once),
    /// and the URL they came from.
    pub fn unpacked(&self, name: &str, version: &str) -> Result<(PathBuf, String), FetchError> {
        let url = self.config.url(name, version);
        if !is_plain_name(name) || !is_plain_name(version) {
            return Err(FetchError::Failed(format!(
                "`{name}@{version}` is not a crate name and version"
            )));
        }
        let dir =
            self.config
                .cache_dir
                .join(format!("{}@{}", escape_path(name), escape_path(version)));
        if dir.join(".complete").is_file() {
            return Ok((dir, url));
        }
        let kept = if let Some(path) = url.strip_prefix("file://") {
            let file = std::fs::File::open(path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => FetchError::NotFound,
                _ => FetchError::Failed(format!("{url}: {e}")),
            })?;
            read_crate(file, &format!("{name}-{version}"), LIMITS)
        } else {
            let resp = self.client.get(&url).send().map_err(|e| {
                FetchError::Failed(format!("{url}: {}", super::remote::describe(&e)))
            })?;
            match resp.status().as_u16() {
                200 => {}
                404 | 410 => return Err(FetchError::NotFound),
                s => return Err(FetchError::Failed(format!("{url}: HTTP {s}"))),
            }
            // Dropping the response when the answer is known ends the download there.
            read_crate(resp, &format!("{name}-{version}"), LIMITS)
        }
        .map_err(|e| FetchError::Failed(format!("{url}: {e}")))?;
        write_cache(&self.config.cache_dir, &dir, &kept)
            .map_err(|e| FetchError::Failed(format!("{}: {e}", dir.display())))?;
        Ok((dir, url))
    }
}

/// `--licenses=remote` for one crate that nothing on disk answers and the license-db knows
/// only for another version (`guess`) or not at all: the crate's own `Cargo.toml` answers,
/// and a guess it contradicts is reported. A registry that cannot be asked leaves the guess
/// (or nothing) with a warning naming the crate.
pub fn resolve(
    f: &CrateFetcher,
    name: &str,
    version: &str,
    guess: Option<&ComponentLicense>,
    db: &LicenseDb,
) -> (ComponentLicense, Option<Problem>) {
    let subject = format!("{name}@{version}");
    let warn = |message: String| {
        Some(Problem {
            path: subject.clone(),
            severity: Severity::Warning,
            message,
        })
    };
    let fetched = f.license(name, version, db).map_err(|e| match e {
        FetchError::NotFound => format!("{} answers 404", f.config.url(name, version)),
        e => e.to_string(),
    });
    match (fetched, guess) {
        (Ok(Some(fetched)), Some(g)) => {
            super::agree::verify_guess(g, fetched, &subject, "its Cargo.toml", db)
        }
        (Ok(Some(fetched)), None) => (fetched, None),
        (Ok(None), _) => (
            ComponentLicense::not_found(),
            warn(format!(
                "the Cargo.toml of {subject} on the crate registry declares neither `license` nor a readable `license-file`{}",
                if guess.is_some() {
                    "; the license-db's answer for another version is not used"
                } else {
                    ""
                }
            )),
        ),
        (Err(e), Some(g)) => (
            g.clone(),
            warn(format!(
                "license-db answer for another version not verified on the crate registry: {e}"
            )),
        ),
        (Err(e), None) => (
            ComponentLicense::not_found(),
            warn(format!("license lookup on the crate registry: {e}")),
        ),
    }
}

/// A crate name or version usable as one path element.
fn is_plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        && !s.starts_with('.')
}

/// One file kept from a `.crate`: its path under `NAME-VERSION/`, and its bytes.
pub type KeptFile = (PathBuf, Vec<u8>);

/// Streams a `.crate` (gzip'd tar, entries under `root/`) and keeps `Cargo.toml`, the root
/// license files and the file `license-file` names, stopping as soon as the manifest's answer
/// is in hand. Files before the manifest (any may turn out to be the `license-file`) are
/// kept, at most `limits.kept` of them.
pub fn read_crate(reader: impl Read, root: &str, limits: Limits) -> Result<Vec<KeptFile>, String> {
    let gz = flate2::read::GzDecoder::new(reader.take(limits.compressed));
    let mut archive = tar::Archive::new(Bounded {
        inner: gz,
        left: limits.unpacked,
    });
    let mut kept: Vec<KeptFile> = Vec::new();
    // After the manifest: Some(None) = `license` answers, Some(Some(p)) = read file p.
    let mut wanted: Option<Option<PathBuf>> = None;
    let entries = archive
        .entries()
        .map_err(|e| format!("not a .crate: {e}"))?;
    for (n, entry) in entries.enumerate() {
        if n >= limits.entries {
            return Err(format!("more than {} entries", limits.entries));
        }
        let mut entry = entry.map_err(|e| format!("not a .crate: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_path_buf();
        if rel.components().count() > 4
            || rel.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            continue;
        }
        let is_manifest = rel == Path::new("Cargo.toml");
        let is_root = rel.components().count() == 1;
        let license_named = rel
            .file_name()
            .map(|n| is_license_file_name(&n.to_string_lossy()))
            .unwrap_or(false);
        let keep = match &wanted {
            _ if is_manifest => true,
            // Any file may turn out to be the `license-file` (cargo puts the manifest
            // near the start, so this is a few files at most).
            None => true,
            Some(Some(file)) => rel == *file || (is_root && license_named),
            Some(None) => false,
        };
        if !keep || entry.size() > limits.file {
            continue;
        }
        if !is_manifest && kept.len() >= limits.kept {
            continue;
        }
        let mut data = Vec::new();
        (&mut entry)
            .take(limits.file + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("{}: {e}", rel.display()))?;
        if data.len() as u64 > limits.file {
            continue;
        }
        if is_manifest {
            let file = license_file_of(&data);
            // The files kept before the manifest are of use only if one is the license file.
            kept.retain(|(p, _)| {
                file.as_ref().is_some_and(|f| {
                    p == f
                        || (p.components().count() == 1
                            && is_license_file_name(&p.to_string_lossy()))
                })
            });
            wanted = Some(file);
        }
        kept.push((rel, data));
        match &wanted {
            Some(None) => return Ok(kept),
            Some(Some(file)) if kept.iter().any(|(p, _)| p == file) => return Ok(kept),
            _ => {}
        }
    }
    if wanted.is_none() {
        return Err(format!("no {root}/Cargo.toml in the archive"));
    }
    Ok(kept)
}

/// What the manifest says to read: `None` when `package.license` answers (or nothing does),
/// else the normalised path of `package.license-file` inside the crate.
fn license_file_of(manifest: &[u8]) -> Option<PathBuf> {
    let table: toml::Table = std::str::from_utf8(manifest).ok()?.parse().ok()?;
    let package = table.get("package")?.as_table()?;
    if package.get("license").and_then(|l| l.as_str()).is_some() {
        return None;
    }
    let file = Path::new(package.get("license-file")?.as_str()?);
    let normal: PathBuf = file
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    normal
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(normal)
}

/// A reader that fails once it has given `left` bytes: the inflated size of a .crate.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more than allowed means the archive is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(
                    "the archive inflates beyond its bound",
                )),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Writes the kept files into `dir` through a temporary directory, so a partly written
/// entry is never taken for a result.
fn write_cache(cache: &Path, dir: &Path, kept: &[KeptFile]) -> std::io::Result<()> {
    std::fs::create_dir_all(cache)?;
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempdir_in(cache)?;
    for (rel, data) in kept {
        let dest = tmp.path().join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(dest, data)?;
    }
    std::fs::write(tmp.path().join(".complete"), b"")?;
    let tmp = tmp.keep();
    let _ = std::fs::remove_dir_all(dir);
    if let Err(e) = std::fs::rename(&tmp, dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another process cached it first: theirs is as good.
        if !dir.join(".complete").is_file() {
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, path, *data).unwrap();
        }
        let tar = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    fn names(kept: &[KeptFile]) -> Vec<String> {
        kept.iter().map(|(p, _)| p.display().to_string()).collect()
    }

    /// Counts bytes pulled from the compressed stream, to show reading stops early.
    struct Counting<'a>(&'a [u8], usize);
    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len() - self.1).min(512);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    #[test]
    fn stops_once_the_manifest_license_is_read() {
        // A large incompressible-ish file after the manifest is never inflated.
        let noise: Vec<u8> = (0..4_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let gz = crate_archive(&[
            ("x-1.0.0/.cargo_vcs_info.json", b"{}"),
            (
                "x-1.0.0/Cargo.toml",
                b"[package]\nname = \"x\"\nlicense = \"MIT\"\n",
            ),
            ("x-1.0.0/src/big.bin", &noise),
            ("x-1.0.0/LICENSE", b"MIT"),
        ]);
        let mut r = Counting(&gz, 0);
        let kept = read_crate(&mut r, "x-1.0.0", LIMITS).unwrap();
        assert_eq!(names(&kept), vec!["Cargo.toml"]);
        assert!(r.1 < 64 << 10, "read {} of {} bytes", r.1, gz.len());
    }

    #[test]
    fn license_file_before_or_after_the_manifest() {
        let manifest = b"[package]\nname = \"x\"\nlicense-file = \"./docs/TERMS.txt\"\n";
        for order in [true, false] {
            let mut files: Vec<(&str, &[u8])> = vec![
                ("x-1.0.0/Cargo.toml", manifest),
                ("x-1.0.0/docs/TERMS.txt", b"terms"),
            ];
            if order {
                files.reverse();
            }
            files.push(("x-1.0.0/src/lib.rs", b""));
            let kept = read_crate(&crate_archive(&files)[..], "x-1.0.0", LIMITS).unwrap();
            let mut n = names(&kept);
            n.sort();
            assert_eq!(n, vec!["Cargo.toml", "docs/TERMS.txt"], "order {order}");
        }
        // A license-file outside the crate is not followed.
        let kept = read_crate(
            &crate_archive(&[
                (
                    "x-1.0.0/Cargo.toml",
                    b"[package]\nlicense-file = \"../../etc/passwd\"\n",
                ),
                ("x-1.0.0/README.md", b"hi"),
            ])[..],
            "x-1.0.0",
            LIMITS,
        )
        .unwrap();
        assert_eq!(names(&kept), vec!["Cargo.toml"]);
    }

    #[test]
    fn bad_archives_are_errors_not_panics() {
        assert!(read_crate(&b"not gzip"[..], "x-1.0.0", LIMITS).is_err());
        let gz = crate_archive(&[("y-1.0.0/Cargo.toml", b"[package]\n")]);
        let err = read_crate(&gz[..], "x-1.0.0", LIMITS).unwrap_err();
        assert!(err.contains("no x-1.0.0/Cargo.toml"), "{err}");
        let truncated = &gz[..gz.len() / 2];
        assert!(read_crate(truncated, "y-1.0.0", LIMITS).is_err());
        // A gzip bomb: 8 MiB of zeros before the manifest, with a 1 MiB inflate bound.
        let zeros = vec![0u8; 8 << 20];
        let gz = crate_archive(&[("x-1.0.0/a.bin", &zeros), ("x-1.0.0/Cargo.toml", b"")]);
        assert!(gz.len() < 1 << 20);
        let small = Limits {
            unpacked: 1 << 20,
            ..LIMITS
        };
        let err = read_crate(&gz[..], "x-1.0.0", small).unwrap_err();
        assert!(err.contains("inflates beyond"), "{err}");
        // Too many entries.
        let many: Vec<(String, Vec<u8>)> = (0..50)
            .map(|i| (format!("x-1.0.0/f{i}"), Vec::new()))
            .collect();
        let refs: Vec<(&str, &[u8])> = many.iter().map(|(p, d)| (p.as_str(), &d[..])).collect();
        let few = Limits {
            entries: 10,
            ..LIMITS
        };
        let err = read_crate(&crate_archive(&refs)[..], "x-1.0.0", few).unwrap_err();
        assert!(err.contains("more than 10 entries"), "{err}");
    }

    #[test]
    fn names_and_sources() {
        assert!(is_plain_name("serde_json") && is_plain_name("1.0.0+wasi-0.2"));
        assert!(!is_plain_name("../x") && !is_plain_name("a/b") && !is_plain_name(""));
        let cfg = CrateFetchConfig {
            registry: "https://r.example/api/{crate}/{version}/download".into(),
            custom_registry: false,
            cache_dir: PathBuf::new(),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            cfg.url("ring", "0.17.8"),
            "https://r.example/api/ring/0.17.8/download"
        );
        assert!(cfg.serves(Some("crates.io")) && cfg.serves(None));
        assert!(!cfg.serves(Some("local")) && !cfg.serves(Some("git")));
        assert!(!cfg.serves(Some("registry")));
    }
}
