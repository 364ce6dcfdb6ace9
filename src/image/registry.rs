//! `registry:HOST[:PORT]/REPO[:TAG|@DIGEST]`: the OCI distribution API over blocking
//! reqwest (rustls with the ring provider). Anonymous access, bearer tokens obtained through
//! the `WWW-Authenticate` challenge, and basic auth with credentials from flags, environment
//! or Docker's `config.json`. Requests are retried with bounded exponential backoff on 429,
//! 5xx, timeouts and connection errors; redirects (to blob storage) are followed.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;

use super::manifest::{self, Descriptor};
use super::{BlobStore, Digest, ImageTarget, PlannedImage, PlatformSpec};

#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub username: Option<String>,
    pub password: Option<String>,
    /// Extra PEM CA certificate(s) to trust.
    pub ca_cert: Option<PathBuf>,
    /// Use plain HTTP (loopback or otherwise trusted networks only).
    pub insecure: bool,
}

/// Attempts per request: the first plus this many retries.
const RETRIES: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
const SMALL_TIMEOUT: Duration = Duration::from_secs(60);
const BLOB_TIMEOUT: Duration = Duration::from_secs(3600);
const MAX_TOKEN_BYTES: u64 = 1 << 20;

pub struct Registry {
    client: Client,
    base: String,
    host: String,
    repository: String,
    reference: String,
    credentials: Option<(String, String)>,
    /// `Authorization` value once a challenge has been answered.
    authorization: Option<String>,
}

impl Registry {
    pub fn connect(target: &ImageTarget, options: &RegistryOptions) -> anyhow::Result<Registry> {
        // reqwest is built without a provider; ring is ours (Err: one is already installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("assay/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(10));
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("--ca-cert {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                anyhow::anyhow!("--ca-cert {}: not a PEM certificate: {e}", path.display())
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| anyhow::anyhow!("cannot set up the HTTP client: {e}"))?;
        let scheme = if options.insecure { "http" } else { "https" };
        let credentials = match (&options.username, &options.password) {
            (Some(u), Some(p)) => Some((u.clone(), p.clone())),
            _ => docker_config_credentials(&target.path),
        };
        // Docker Hub's API host and its implicit `library/` namespace.
        let (api_host, repository) =
            if matches!(target.path.as_str(), "docker.io" | "index.docker.io") {
                let repo = if target.repository.contains('/') {
                    target.repository.clone()
                } else {
                    format!("library/{}", target.repository)
                };
                ("registry-1.docker.io".to_string(), repo)
            } else {
                (target.path.clone(), target.repository.clone())
            };
        Ok(Registry {
            client,
            base: format!("{scheme}://{api_host}"),
            host: target.path.clone(),
            repository,
            reference: target.reference.clone(),
            credentials,
            authorization: None,
        })
    }

    pub fn display_name(&self) -> String {
        let sep = if self.reference.contains(':') {
            '@'
        } else {
            ':'
        };
        format!("{}/{}{sep}{}", self.host, self.repository, self.reference)
    }

    /// Fetches the manifest or index the reference names and resolves it to image
    /// manifests. Returns the plans and the digest of what the reference names.
    pub fn plan(
        &mut self,
        want: &PlatformSpec,
        all: bool,
    ) -> anyhow::Result<(Vec<PlannedImage>, String)> {
        let reference = self.reference.clone();
        let what = format!("manifest {}/{}:{reference}", self.host, self.repository);
        let url = format!("{}/v2/{}/manifests/{reference}", self.base, self.repository);
        let response = self.get(&url, &what, true, SMALL_TIMEOUT)?;
        let header_digest = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        response
            .take(manifest::MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        if bytes.len() as u64 > manifest::MAX_MANIFEST_BYTES {
            anyhow::bail!("{what}: larger than {} bytes", manifest::MAX_MANIFEST_BYTES);
        }
        // Pinned by digest: the bytes must match it. By tag: the registry's digest header,
        // when sent, must match what arrived.
        let expected = if reference.contains(':') {
            Some(reference.clone())
        } else {
            header_digest
        };
        let actual = Digest::sha256_of(&bytes);
        if let Some(e) = expected {
            let e = Digest::parse(&e).map_err(|err| anyhow::anyhow!("{what}: {err}"))?;
            let actual = if e.algorithm == "sha256" {
                actual.clone()
            } else {
                Digest {
                    algorithm: e.algorithm,
                    hex: {
                        use sha2::Digest as _;
                        crate::hash::hex(&sha2::Sha512::digest(&bytes))
                    },
                }
            };
            if e != actual {
                anyhow::bail!("{what}: digest mismatch: expected {e}, content hashes to {actual}");
            }
        }
        let plans = match manifest::parse(&bytes, &what)? {
            manifest::Parsed::Index(entries) => {
                super::plan_from_index(self, &entries, want, all, 1)?
            }
            manifest::Parsed::Manifest { config, layers } => vec![PlannedImage {
                manifest_digest: Some(actual.to_string()),
                config,
                layers,
                verify_diff_ids: false,
            }],
        };
        Ok((plans, actual.to_string()))
    }

    /// GET with authentication and retries; a non-success status after that is an error.
    fn get(
        &mut self,
        url: &str,
        what: &str,
        manifest: bool,
        timeout: Duration,
    ) -> anyhow::Result<Response> {
        let mut authenticated = false;
        loop {
            let response = self.send_with_retries(what, || {
                let mut req = self.client.get(url).timeout(timeout);
                if manifest {
                    req = req.header(ACCEPT, manifest::ACCEPTED.join(", "));
                }
                if let Some(a) = &self.authorization {
                    req = req.header(AUTHORIZATION, a);
                }
                req
            })?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !authenticated {
                let challenge = response
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                self.answer_challenge(&challenge, what)?;
                authenticated = true;
                continue;
            }
            if status.is_success() {
                return Ok(response);
            }
            let hint = match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    " (credentials refused or missing: use --registry-username/--registry-password, ASSAY_REGISTRY_USERNAME/ASSAY_REGISTRY_PASSWORD, or `auths` in Docker's config.json)"
                }
                StatusCode::NOT_FOUND => " (no such repository, tag or blob)",
                _ => "",
            };
            anyhow::bail!("{what}: the registry answered {status}{hint}");
        }
    }

    fn send_with_retries(
        &self,
        what: &str,
        request: impl Fn() -> RequestBuilder,
    ) -> anyhow::Result<Response> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = request().send();
            let retry_after = match &outcome {
                Ok(r)
                    if r.status() == StatusCode::TOO_MANY_REQUESTS
                        || r.status().is_server_error() =>
                {
                    // Honour Retry-After (seconds), bounded.
                    let hinted = r
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(MAX_BACKOFF));
                    Some((
                        hinted.unwrap_or(backoff),
                        format!("answered {}", r.status()),
                    ))
                }
                Ok(_) => None,
                // Certificate problems do not go away by retrying.
                Err(e) if (e.is_timeout() || e.is_connect()) && !is_tls_error(e) => {
                    Some((backoff, error_chain(e)))
                }
                Err(_) => None,
            };
            match retry_after {
                Some((wait, why)) if attempt <= RETRIES => {
                    eprintln!("assay: warning: {what}: {why}; retrying in {} ms (attempt {attempt} of {})", wait.as_millis(), RETRIES + 1);
                    std::thread::sleep(wait);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Some((_, why)) => anyhow::bail!("{what}: {why}; gave up after {attempt} attempts"),
                None => {
                    return outcome.map_err(|e| {
                        anyhow::anyhow!("{what}: {}{}", error_chain(&e), tls_hint(&e))
                    });
                }
            }
        }
    }

    /// `Bearer realm=…,service=…,scope=…` → fetch a token; `Basic` → send credentials.
    fn answer_challenge(&mut self, challenge: &str, what: &str) -> anyhow::Result<()> {
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let Some((u, p)) = &self.credentials else {
                anyhow::bail!("{what}: the registry requires credentials: use --registry-username/--registry-password, ASSAY_REGISTRY_USERNAME/ASSAY_REGISTRY_PASSWORD, or `auths` in Docker's config.json");
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            self.authorization = Some(format!("Basic {encoded}"));
            return Ok(());
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            anyhow::bail!("{what}: unsupported authentication challenge {challenge:?}");
        }
        let params = challenge_params(params);
        let realm = params
            .iter()
            .find(|(k, _)| k == "realm")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| anyhow::anyhow!("{what}: bearer challenge without a realm"))?;
        let mut query: Vec<(String, String)> = params
            .into_iter()
            .filter(|(k, _)| k == "service" || k == "scope")
            .collect();
        if !query.iter().any(|(k, _)| k == "scope") {
            query.push((
                "scope".into(),
                format!("repository:{}:pull", self.repository),
            ));
        }
        let token_what = format!("token from {realm}");
        let token_url = reqwest::Url::parse_with_params(&realm, &query)
            .map_err(|e| anyhow::anyhow!("{token_what}: bad realm URL: {e}"))?;
        let response = self.send_with_retries(&token_what, || {
            let mut req = self.client.get(token_url.clone()).timeout(SMALL_TIMEOUT);
            if let Some((u, p)) = &self.credentials {
                req = req.basic_auth(u, Some(p));
            }
            req
        })?;
        if !response.status().is_success() {
            anyhow::bail!(
                "{token_what}: the token service answered {} (check the credentials)",
                response.status()
            );
        }
        let mut body = Vec::new();
        response.take(MAX_TOKEN_BYTES).read_to_end(&mut body)?;
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| anyhow::anyhow!("{token_what}: {e}"))?;
        let token = json
            .get("token")
            .or_else(|| json.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| anyhow::anyhow!("{token_what}: no token in the answer"))?;
        HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| anyhow::anyhow!("{token_what}: malformed token"))?;
        self.authorization = Some(format!("Bearer {token}"));
        Ok(())
    }
}

impl BlobStore for Registry {
    fn open(&mut self, d: &Descriptor) -> anyhow::Result<Box<dyn Read + '_>> {
        let digest = Digest::parse(&d.digest)?;
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.repository);
        let response = self.get(&url, &format!("blob {digest}"), false, BLOB_TIMEOUT)?;
        Ok(Box::new(std::io::BufReader::with_capacity(
            256 << 10,
            response,
        )))
    }

    fn open_manifest(&mut self, d: &Descriptor) -> anyhow::Result<Box<dyn Read + '_>> {
        let digest = Digest::parse(&d.digest)?;
        let url = format!("{}/v2/{}/manifests/{digest}", self.base, self.repository);
        let response = self.get(&url, &format!("manifest {digest}"), true, SMALL_TIMEOUT)?;
        Ok(Box::new(response))
    }
}

/// `realm="https://x",service="y",scope="a,b"` → pairs (commas inside quotes kept).
fn challenge_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (q[..end].to_string(), &q[end + 1..]),
                None => (q.to_string(), ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (after[..end].to_string(), &after[end..]),
                None => (after.to_string(), ""),
            }
        };
        out.push((key, value));
        rest = remaining.trim_start_matches(',').trim();
    }
    out
}

/// Docker's `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
/// `auths[HOST].auth` (base64 `user:password`) or `username`/`password`.
fn docker_config_credentials(host: &str) -> Option<(String, String)> {
    if let (Ok(u), Ok(p)) = (
        std::env::var("ASSAY_REGISTRY_USERNAME"),
        std::env::var("ASSAY_REGISTRY_PASSWORD"),
    ) {
        return Some((u, p));
    }
    let path = match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => PathBuf::from(dir).join("config.json"),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".docker/config.json"),
    };
    let file = std::fs::File::open(path).ok()?;
    let mut text = Vec::new();
    file.take(4 << 20).read_to_end(&mut text).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let auths = json.get("auths")?.as_object()?;
    let entry = auths.iter().find_map(|(k, v)| {
        let key = k
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let key = key.split('/').next().unwrap_or(key);
        (key == host).then_some(v)
    })?;
    if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (u, p) = decoded.split_once(':')?;
        return Some((u.to_string(), p.to_string()));
    }
    let u = entry.get("username")?.as_str()?;
    let p = entry.get("password")?.as_str()?;
    Some((u.to_string(), p.to_string()))
}

fn is_tls_error(e: &reqwest::Error) -> bool {
    let chain = error_chain(e).to_lowercase();
    chain.contains("certificate")
        || chain.contains("tls")
        || chain.contains("handshake")
        || speaks_plain_http(&chain)
}

/// rustls's error when the server answers a ClientHello with plain text: an HTTP registry.
fn speaks_plain_http(chain: &str) -> bool {
    chain.contains("invalidcontenttype") || chain.contains("corrupt message")
}

/// What to do about a TLS failure: the flag for a plain-HTTP registry, the CA for a
/// certificate the system does not trust.
fn tls_hint(e: &reqwest::Error) -> &'static str {
    let chain = error_chain(e).to_lowercase();
    if speaks_plain_http(&chain) {
        " (the registry answers in plain HTTP, not TLS: for a plain-HTTP registry, such as a local one, pass --insecure-registry)"
    } else if chain.contains("certificate") {
        " (the registry's certificate is not trusted: pass its CA with --ca-cert)"
    } else {
        ""
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_challenges() {
        let p = super::challenge_params(
            r#"realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[2], ("scope".into(), "repository:a/b:pull,push".into()));
    }
}
