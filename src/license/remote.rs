//! `--licenses=remote`: a module's root license files from its zip on the module proxy,
//! following Go's rules for `GOPROXY` (comma: next on 404/410; pipe: next on any error;
//! `off`; `direct`, which assay cannot do as it runs no VCS) and `GONOPROXY`/`GOPRIVATE`.
//! Results are cached on disk, so a module is fetched once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to try for one module, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ProxyEntry {
    /// A proxy URL (`https://…` or `file://…`); `fall_through_on_any_error` for `|`.
    Url {
        base: String,
        fall_through_on_any_error: bool,
    },
    Direct,
    Off,
}

#[derive(Debug, Clone)]
pub struct RemoteConfig {
    pub proxies: Vec<ProxyEntry>,
    /// GONOPROXY (or GOPRIVATE when GONOPROXY is unset) patterns.
    pub no_proxy: Vec<String>,
    pub cache_dir: PathBuf,
    pub timeout: Duration,
}

impl RemoteConfig {
    /// From the environment, as the go command reads it.
    pub fn from_env() -> RemoteConfig {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let goproxy = var("GOPROXY").unwrap_or_else(|| "https://proxy.golang.org,direct".into());
        let no_proxy = var("GONOPROXY")
            .or_else(|| var("GOPRIVATE"))
            .unwrap_or_default();
        let timeout = var("ASSAY_HTTP_TIMEOUT")
            .and_then(|s| s.parse::<f64>().ok())
            .map(Duration::from_secs_f64)
            .unwrap_or(Duration::from_secs(30));
        RemoteConfig {
            proxies: parse_goproxy(&goproxy),
            no_proxy: no_proxy
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
            cache_dir: cache_root().join("module-licenses"),
            timeout,
        }
    }
}

/// assay's persistent cache: `ASSAY_CACHE_DIR`, else `$XDG_CACHE_HOME/assay`, else
/// `~/.cache/assay`.
pub fn cache_root() -> PathBuf {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    var("ASSAY_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("assay")))
        .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache/assay")))
        .unwrap_or_else(|| std::env::temp_dir().join("assay-cache"))
}

pub fn parse_goproxy(value: &str) -> Vec<ProxyEntry> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let end = rest.find([',', '|']).unwrap_or(rest.len());
        let item = rest[..end].trim();
        let pipe = rest[end..].starts_with('|');
        match item {
            "" => {}
            "off" => out.push(ProxyEntry::Off),
            "direct" => out.push(ProxyEntry::Direct),
            url => out.push(ProxyEntry::Url {
                base: url.trim_end_matches('/').to_string(),
                fall_through_on_any_error: pipe,
            }),
        }
        rest = rest.get(end + 1..).unwrap_or("");
    }
    out
}

/// Go's module path escaping: upper case `X` becomes `!x`.
pub fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for ch in path.chars() {
        if ch.is_ascii_uppercase() {
            out.push('!');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// GONOPROXY/GOPRIVATE matching: a pattern matches a path prefix of whole elements, with
/// `*` matching within one element (as Go's `module.MatchPrefixPatterns`).
pub fn matches_no_proxy(patterns: &[String], module: &str) -> bool {
    patterns.iter().any(|pat| {
        let pat_elems: Vec<&str> = pat.trim_end_matches('/').split('/').collect();
        let mod_elems: Vec<&str> = module.split('/').collect();
        mod_elems.len() >= pat_elems.len()
            && pat_elems
                .iter()
                .zip(&mod_elems)
                .all(|(p, m)| glob_element(p, m))
    })
}

fn glob_element(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((pre, post)) => {
            s.len() >= pre.len() + post.len()
                && s.starts_with(pre)
                && (0..=s.len() - pre.len()).any(|i| glob_element(post, &s[pre.len() + i..]))
        }
    }
}

/// Root license files of a module version: `(file name, bytes)`.
pub type LicenseFiles = Vec<(String, Vec<u8>)>;

#[derive(Debug)]
pub enum FetchError {
    NotFound,
    Disabled(String),
    Failed(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::NotFound => f.write_str("not found on any proxy"),
            FetchError::Disabled(m) | FetchError::Failed(m) => f.write_str(m),
        }
    }
}

/// The HTTP client every license fetch uses: a request timeout and assay's user agent.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::blocking::Client, String> {
    // rustls needs a process-wide crypto provider; `ring` builds fastest and needs no C.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("assay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

pub struct RemoteFetcher {
    config: RemoteConfig,
    client: Option<reqwest::blocking::Client>,
}

impl RemoteFetcher {
    pub fn new(config: RemoteConfig) -> Result<RemoteFetcher, String> {
        let client = http_client(config.timeout)?;
        Ok(RemoteFetcher {
            config,
            client: Some(client),
        })
    }

    /// The license files, and the URL they came from (or the cache directory).
    pub fn license_files(
        &self,
        module: &str,
        version: &str,
    ) -> Result<(LicenseFiles, String), FetchError> {
        let cached =
            self.config
                .cache_dir
                .join(format!("{}@{}", escape_path(module), escape_path(version)));
        if cached.join(CACHE_COMPLETE).is_file() {
            return Ok((read_cached(&cached), cached.display().to_string()));
        }
        if matches_no_proxy(&self.config.no_proxy, module) {
            return Err(FetchError::Disabled(format!(
                "{module} matches GONOPROXY/GOPRIVATE: not fetched through a proxy"
            )));
        }
        let mut last = FetchError::NotFound;
        for entry in &self.config.proxies {
            match entry {
                ProxyEntry::Off => {
                    return Err(FetchError::Disabled(
                        "GOPROXY=off: module fetching disabled".into(),
                    ))
                }
                ProxyEntry::Direct => {
                    last = FetchError::Disabled(
                        "GOPROXY=direct needs version control; assay reads module zips from proxies only".into(),
                    );
                    break;
                }
                ProxyEntry::Url {
                    base,
                    fall_through_on_any_error,
                } => {
                    let url = format!(
                        "{base}/{}/@v/{}.zip",
                        escape_path(module),
                        escape_path(version)
                    );
                    match self.fetch_license_files(&url, module, version) {
                        Ok(files) => {
                            write_cache(&cached, &files);
                            return Ok((files, url));
                        }
                        Err(FetchError::NotFound) => last = FetchError::NotFound,
                        Err(e) if *fall_through_on_any_error => last = e,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Err(last)
    }

    /// The version nearest to `version` that the first proxy lists (`@v/list`): the newest
    /// older one, else the oldest newer one. For versions a proxy refuses (some
    /// pseudo-versions); `None` when it lists nothing else.
    pub fn nearest_served(
        &self,
        module: &str,
        version: &str,
    ) -> Result<Option<String>, FetchError> {
        if matches_no_proxy(&self.config.no_proxy, module) {
            return Ok(None);
        }
        let Some(base) = self.config.proxies.iter().find_map(|e| match e {
            ProxyEntry::Url { base, .. } => Some(base),
            _ => None,
        }) else {
            return Ok(None);
        };
        let url = format!("{base}/{}/@v/list", escape_path(module));
        let body = self.get(&url)?;
        let text = String::from_utf8_lossy(&body[..body.len().min(1 << 20)]).into_owned();
        let cmp = super::db::semver_cmp;
        let listed: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|v| v.starts_with('v') && *v != version)
            .collect();
        let older = listed
            .iter()
            .filter(|v| cmp(v, version).is_lt())
            .max_by(|a, b| cmp(a, b));
        let newer = listed
            .iter()
            .filter(|v| cmp(v, version).is_gt())
            .min_by(|a, b| cmp(a, b));
        Ok(older.or(newer).map(|v| v.to_string()))
    }

    /// Over HTTP, byte ranges of the zip (`zip_ranges`); a server that ignores ranges sends
    /// the whole zip, read up to [`MAX_WHOLE_ZIP`]. `file://` is read whole.
    fn fetch_license_files(
        &self,
        url: &str,
        module: &str,
        version: &str,
    ) -> Result<LicenseFiles, FetchError> {
        if url.starts_with("file://") {
            let bytes = self.get(url)?;
            return root_license_files(&bytes, module, version).map_err(FetchError::Failed);
        }
        let mut status = None;
        let mut get = |start: Option<u64>, len: u64| {
            let r = self.get_range(url, start, len);
            if let Err(e) = &r {
                status = Some(matches!(e, FetchError::NotFound));
            }
            r.map_err(|e| e.to_string())
        };
        let prefix = format!("{module}@{version}/");
        match super::zip_ranges::root_license_files(&mut get, &prefix) {
            Ok(Ok(files)) => Ok(files),
            Ok(Err(whole)) => {
                root_license_files(&whole, module, version).map_err(FetchError::Failed)
            }
            Err(_) if status == Some(true) => Err(FetchError::NotFound),
            Err(e) if status == Some(false) => Err(FetchError::Failed(e)),
            Err(e) => Err(FetchError::Failed(format!("module zip {url}: {e}"))),
        }
    }

    /// One ranged GET: `len` bytes from `start`, or the last `len` bytes.
    fn get_range(
        &self,
        url: &str,
        start: Option<u64>,
        len: u64,
    ) -> Result<super::zip_ranges::RangeReply, FetchError> {
        use super::zip_ranges::RangeReply;
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| FetchError::Failed("no HTTP client".into()))?;
        let range = match start {
            Some(s) => format!("bytes={s}-{}", s + len.max(1) - 1),
            None => format!("bytes=-{len}"),
        };
        let resp = client
            .get(url)
            .header(reqwest::header::RANGE, range)
            .send()
            .map_err(|e| FetchError::Failed(format!("{url}: {}", describe(&e))))?;
        let status = resp.status().as_u16();
        let total = resp
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit_once('/'))
            .and_then(|(_, t)| t.trim().parse::<u64>().ok());
        let limit = match status {
            206 => len,
            200 => MAX_WHOLE_ZIP,
            404 | 410 => return Err(FetchError::NotFound),
            s => return Err(FetchError::Failed(format!("{url}: HTTP {s}"))),
        };
        let mut body = Vec::new();
        resp.take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| FetchError::Failed(format!("{url}: {e}")))?;
        if body.len() as u64 > limit {
            return Err(FetchError::Failed(format!(
                "{url}: the server ignores byte ranges and the zip exceeds {limit} bytes"
            )));
        }
        match (status, total) {
            (206, Some(total)) => Ok(RangeReply::Partial { bytes: body, total }),
            (206, None) => Err(FetchError::Failed(format!(
                "{url}: 206 without a Content-Range total"
            ))),
            _ => Ok(RangeReply::Whole(body)),
        }
    }

    fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        if let Some(path) = url.strip_prefix("file://") {
            return match std::fs::read(path) {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::NotFound),
                Err(e) => Err(FetchError::Failed(format!("{url}: {e}"))),
            };
        }
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| FetchError::Failed("no HTTP client".into()))?;
        let resp = client
            .get(url)
            .send()
            .map_err(|e| FetchError::Failed(format!("{url}: {}", describe(&e))))?;
        match resp.status().as_u16() {
            200 => {}
            404 | 410 => return Err(FetchError::NotFound),
            s => return Err(FetchError::Failed(format!("{url}: HTTP {s}"))),
        }
        let mut body = Vec::new();
        resp.take(MAX_WHOLE_ZIP)
            .read_to_end(&mut body)
            .map_err(|e| FetchError::Failed(format!("{url}: {e}")))?;
        Ok(body)
    }
}

/// Largest module zip downloaded whole, from a server that ignores byte ranges.
pub const MAX_WHOLE_ZIP: u64 = 64 << 20;

pub(crate) fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    }
}

/// The license files directly in the module root of a module zip (`<path>@<version>/NAME`).
pub fn root_license_files(
    zip_bytes: &[u8],
    module: &str,
    version: &str,
) -> Result<LicenseFiles, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes))
        .map_err(|e| format!("module zip for {module}@{version}: {e}"))?;
    let prefix = format!("{module}@{version}/");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(i) else {
            continue;
        };
        let Some(rel) = entry.name().strip_prefix(&prefix).map(String::from) else {
            continue;
        };
        if rel.contains('/')
            || !super::classify::is_license_file_name(&rel)
            || entry.size() > 1 << 20
        {
            continue;
        }
        let mut data = Vec::new();
        if entry.read_to_end(&mut data).is_ok() {
            out.push((rel, data));
        }
    }
    out.sort();
    Ok(out)
}

/// Marks a fully written cache entry. Named after the file rule it was written by: entries
/// written before NOTICE files were kept (`.complete`) are fetched again.
const CACHE_COMPLETE: &str = ".complete-with-notice";

fn read_cached(dir: &Path) -> LicenseFiles {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if let Ok(b) = std::fs::read(e.path()) {
                out.push((name, b));
            }
        }
    }
    out.sort();
    out
}

/// Best effort: a cache that cannot be written only costs a refetch.
fn write_cache(dir: &Path, files: &LicenseFiles) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    for (name, data) in files {
        if std::fs::write(dir.join(name), data).is_err() {
            return;
        }
    }
    let _ = std::fs::write(dir.join(CACHE_COMPLETE), b"");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goproxy_lists() {
        assert_eq!(
            parse_goproxy("https://a.example,https://b.example|direct"),
            vec![
                ProxyEntry::Url {
                    base: "https://a.example".into(),
                    fall_through_on_any_error: false
                },
                ProxyEntry::Url {
                    base: "https://b.example".into(),
                    fall_through_on_any_error: true
                },
                ProxyEntry::Direct,
            ]
        );
        assert_eq!(parse_goproxy("off"), vec![ProxyEntry::Off]);
    }

    #[test]
    fn escaping_and_private_patterns() {
        assert_eq!(
            escape_path("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        let pats = vec!["*.corp.example".to_string(), "github.com/acme".to_string()];
        assert!(matches_no_proxy(&pats, "git.corp.example/x/y"));
        assert!(matches_no_proxy(&pats, "github.com/acme/tool"));
        assert!(!matches_no_proxy(&pats, "github.com/acmex/tool"));
        assert!(!matches_no_proxy(&pats, "golang.org/x/text"));
    }
}
