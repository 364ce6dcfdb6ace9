//! Image targets as the user writes them: `KIND:LOCATION`.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    OciDir,
    OciArchive,
    DockerArchive,
    Dir,
    Registry,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::OciDir => "oci-dir",
            TargetKind::OciArchive => "oci-archive",
            TargetKind::DockerArchive => "docker-archive",
            TargetKind::Dir => "dir",
            TargetKind::Registry => "registry",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTarget {
    pub kind: TargetKind,
    /// As the user wrote it.
    pub raw: String,
    /// File-system path, or `HOST[:PORT]` for a registry.
    pub path: String,
    /// Tag in a layout or archive; `REPO` for a registry.
    pub tag: Option<String>,
    /// Registry only: the repository.
    pub repository: String,
    /// Registry only: tag or `sha256:…` digest.
    pub reference: String,
}

const KINDS: &[TargetKind] = &[
    TargetKind::OciDir,
    TargetKind::OciArchive,
    TargetKind::DockerArchive,
    TargetKind::Dir,
    TargetKind::Registry,
];

impl ImageTarget {
    /// `None` when `raw` has no image-kind prefix (a plain file or directory target; a
    /// path that exists is always a path, even if it looks like `dir:x`).
    pub fn parse(raw: &str) -> Option<Result<ImageTarget, String>> {
        if Path::new(raw).exists() {
            return None;
        }
        let (kind, rest) = KINDS.iter().find_map(|k| {
            raw.strip_prefix(k.as_str())
                .and_then(|r| r.strip_prefix(':'))
                .map(|r| (*k, r))
        })?;
        if rest.is_empty() {
            return Some(Err(format!(
                "{raw}: missing location after {}:",
                kind.as_str()
            )));
        }
        let mut t = ImageTarget {
            kind,
            raw: raw.to_string(),
            path: rest.to_string(),
            tag: None,
            repository: String::new(),
            reference: String::new(),
        };
        match kind {
            TargetKind::Registry => {
                let Some((host, repo_ref)) = rest.split_once('/') else {
                    return Some(Err(format!(
                        "{raw}: expected registry:HOST[:PORT]/REPO[:TAG|@DIGEST]"
                    )));
                };
                let (repo, reference) = if let Some((r, d)) = repo_ref.split_once('@') {
                    (r, d.to_string())
                } else {
                    match repo_ref.rsplit_once(':') {
                        Some((r, tag)) if !tag.contains('/') => (r, tag.to_string()),
                        _ => (repo_ref, "latest".to_string()),
                    }
                };
                if host.is_empty() || repo.is_empty() || reference.is_empty() {
                    return Some(Err(format!(
                        "{raw}: expected registry:HOST[:PORT]/REPO[:TAG|@DIGEST]"
                    )));
                }
                t.path = host.to_string();
                t.repository = repo.to_string();
                t.reference = reference;
            }
            TargetKind::OciDir | TargetKind::OciArchive | TargetKind::DockerArchive => {
                // `PATH:TAG` unless PATH itself exists.
                if !Path::new(rest).exists() {
                    if let Some((p, tag)) = rest.rsplit_once(':') {
                        if !tag.contains('/') && !p.is_empty() {
                            t.path = p.to_string();
                            t.tag = Some(tag.to_string());
                        }
                    }
                }
            }
            TargetKind::Dir => {}
        }
        Some(Ok(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_registry_references() {
        let t = ImageTarget::parse("registry:127.0.0.1:5000/test/app:v1")
            .unwrap()
            .unwrap();
        assert_eq!(
            (t.path.as_str(), t.repository.as_str(), t.reference.as_str()),
            ("127.0.0.1:5000", "test/app", "v1")
        );
        let t = ImageTarget::parse("registry:r.example/app@sha256:abc")
            .unwrap()
            .unwrap();
        assert_eq!(t.reference, "sha256:abc");
        let t = ImageTarget::parse("registry:localhost:5000/app")
            .unwrap()
            .unwrap();
        assert_eq!(t.reference, "latest");
        let t = ImageTarget::parse("oci-dir:/nonexistent/layout:v2")
            .unwrap()
            .unwrap();
        assert_eq!(
            (t.path.as_str(), t.tag.as_deref()),
            ("/nonexistent/layout", Some("v2"))
        );
        assert!(ImageTarget::parse("./plain/file").is_none());
    }
}
