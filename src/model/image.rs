//! What an SBOM says about a scanned container image: its name, digests, platforms, layers and
//! where each file came from. The image scan fills it in.

use std::collections::BTreeMap;

use serde::Serialize;

/// What the SBOM says about the image (the root component); carried in
/// [`super::Subject::image`].
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ImageInfo {
    /// `oci-dir`, `oci-archive`, `docker-archive`, `dir` or `registry`.
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub source: crate::model::static_str::StaticStr,
    /// The image name: repository for a registry, tag or path otherwise.
    pub name: String,
    /// Digest of the manifest or index the target names, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The repository the image is known by (`HOST/REPO` for a registry, the `RepoTags` of a
    /// docker-archive, a layout's `io.containerd.image.name`), when the input records one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    pub platforms: Vec<PlatformImage>,
    /// Where each file came from, by file id.
    pub files: BTreeMap<String, FileOrigin>,
    /// Largest single file buffered during the scan (the variable part of the memory budget).
    pub largest_buffered_bytes: u64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlatformImage {
    /// `os/arch[/variant]`, from the image config.
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// Layer digests, bottom first.
    pub layers: Vec<String>,
    /// What the loader model assumed and what the image's environment changed
    /// (`env:LD_LIBRARY_PATH`, `cpu-level`, …; docs/loader.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loader: Vec<super::Property>,
    /// The platform's component id when several platforms are scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FileOrigin {
    /// Digest of the layer that provides the file (absent for `dir:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// With `--scope all-layers`: the layer that deletes or replaces the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
}
