//! One identity per image, whatever the input: the purl `pkg:oci/NAME@DIGEST` takes NAME from
//! the repository the image is known by and DIGEST from the image manifest, so an oci-dir,
//! an oci-archive and a registry scan of the same image agree. Where the input records no
//! repository (a bare layout), the layout's file name stands in. A Docker 25+ `docker save`
//! archive holds an OCI layout beside `manifest.json`: its index entry gives the manifest
//! digest and full reference (src/image/archive.rs). Where the input records no manifest
//! (an older `docker save` archive: the registry's manifest names compressed layer blobs
//! the archive does not hold), the purl has no version and the image id (config digest,
//! `assay:image:config`) is the identity all inputs share.

/// Annotation containerd and BuildKit put on layout index entries: the full reference.
const CONTAINERD_NAME: &str = "io.containerd.image.name";
/// The OCI annotation; a tag only (`v1`) for skopeo and umoci, a full reference for others.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The full reference a layout's index entry records, if any.
pub fn layout_reference(
    annotations: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    annotations
        .get(CONTAINERD_NAME)
        .or_else(|| annotations.get(REF_NAME).filter(|r| r.contains('/')))
        .cloned()
}

/// `host:5000/test/app:v1`, `test/app@sha256:…` → the repository (`host:5000/test/app`).
pub fn repository_of(reference: &str) -> String {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo.to_string(),
        _ => no_digest.to_string(),
    }
}

/// Whether a repository names its registry (`ghcr.io/x`, `localhost:5000/x`): Docker's rule
/// for the first path component. Only then is it a `repository_url`.
pub fn names_registry(repository: &str) -> bool {
    match repository.split_once('/') {
        Some((first, _)) => first.contains(['.', ':']) || first == "localhost",
        None => false,
    }
}

/// The purl name: the repository's last part, lowercased; for a path, its file name without
/// an archive extension.
pub fn purl_name(repository_or_path: &str) -> String {
    let last = repository_or_path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(repository_or_path);
    let last = [".tar.gz", ".tgz", ".tar", ".oci"]
        .iter()
        .find_map(|ext| last.strip_suffix(ext))
        .unwrap_or(last);
    let base = last.split([':', '@']).next().unwrap_or(last).to_lowercase();
    if base.is_empty() {
        "image".to_string()
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_and_names() {
        assert_eq!(
            repository_of("127.0.0.1:5000/test/app:v1"),
            "127.0.0.1:5000/test/app"
        );
        assert_eq!(
            repository_of("127.0.0.1:5000/test/app"),
            "127.0.0.1:5000/test/app"
        );
        assert_eq!(repository_of("test/app@sha256:ab"), "test/app");
        assert!(names_registry("127.0.0.1:5000/test/app"));
        assert!(names_registry("ghcr.io/org/app"));
        assert!(!names_registry("test/app"));
        assert_eq!(purl_name("127.0.0.1:5000/test/App"), "app");
        assert_eq!(purl_name("/tmp/x/app.tar"), "app");
        assert_eq!(purl_name("/tmp/x/app:v1"), "app");
    }
}
