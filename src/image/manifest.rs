//! OCI and Docker v2 schema 2 manifests, indexes / manifest lists and image configs: only
//! the fields assay uses, parsed from bytes already verified against their digest.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::platform::PlatformSpec;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Every manifest media type assay reads, for a registry's `Accept` header.
pub const ACCEPTED: &[&str] = &[OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// Manifests, indexes and configs are small; anything larger is refused before reading.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
/// More layers than overlayfs can stack means a hostile or broken manifest.
pub const MAX_LAYERS: usize = 500;
pub const MAX_INDEX_ENTRIES: usize = 1000;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DescriptorPlatform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// An index or a manifest: both are JSON objects told apart by `mediaType` or by which of
/// `manifests` / `layers` is present (OCI allows `mediaType` to be absent).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnyManifest {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub schema_version: Option<u32>,
}

pub enum Parsed {
    Index(Vec<Descriptor>),
    Manifest {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
}

pub fn parse(bytes: &[u8], what: &str) -> anyhow::Result<Parsed> {
    let m: AnyManifest = serde_json::from_slice(bytes)
        .map_err(|e| anyhow::anyhow!("{what}: not a valid image manifest or index: {e}"))?;
    if m.schema_version == Some(1) {
        anyhow::bail!("{what}: Docker schema 1 manifests are not supported (re-push the image with a current client)");
    }
    let media = m.media_type.as_deref().unwrap_or("");
    let is_index =
        media == OCI_INDEX || media == DOCKER_LIST || (media.is_empty() && m.manifests.is_some());
    if is_index {
        let list = m.manifests.unwrap_or_default();
        if list.len() > MAX_INDEX_ENTRIES {
            anyhow::bail!(
                "{what}: {} index entries exceed the limit of {MAX_INDEX_ENTRIES}",
                list.len()
            );
        }
        return Ok(Parsed::Index(list));
    }
    match (m.config, m.layers) {
        (Some(config), Some(layers)) => {
            if layers.len() > MAX_LAYERS {
                anyhow::bail!(
                    "{what}: {} layers exceed the limit of {MAX_LAYERS}",
                    layers.len()
                );
            }
            Ok(Parsed::Manifest { config, layers })
        }
        _ => anyhow::bail!(
            "{what}: media type {media:?} is neither an image index nor an image manifest"
        ),
    }
}

/// Is this index entry an image manifest (not an attestation or a nested index)?
pub fn is_manifest_type(media_type: &str) -> bool {
    media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST || media_type.is_empty()
}

pub fn is_index_type(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// Picks the index entries to scan: every real platform with `--all-platforms`, else the
/// one matching `want` (BuildKit's `unknown/unknown` attestation entries never match).
pub fn select<'a>(
    entries: &'a [Descriptor],
    want: &PlatformSpec,
    all: bool,
    what: &str,
) -> anyhow::Result<Vec<&'a Descriptor>> {
    let images: Vec<&Descriptor> = entries
        .iter()
        .filter(|d| is_manifest_type(&d.media_type) || is_index_type(&d.media_type))
        .filter(|d| d.platform.as_ref().is_none_or(|p| p.os != "unknown"))
        .collect();
    if all {
        if images.is_empty() {
            anyhow::bail!("{what}: the index lists no image manifests");
        }
        return Ok(images);
    }
    if let Some(d) = images
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
    {
        return Ok(vec![d]);
    }
    if images.len() == 1 && images[0].platform.is_none() {
        return Ok(images);
    }
    let have: Vec<String> = images
        .iter()
        .filter_map(|d| d.platform.as_ref().map(PlatformSpec::describe))
        .collect();
    anyhow::bail!(
        "{what}: no image for platform {want} (the index has: {}); pick one with --platform or use --all-platforms",
        if have.is_empty() { "none with a platform".to_string() } else { have.join(", ") }
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: Option<RuntimeConfig>,
    #[serde(default)]
    pub rootfs: Option<RootfsConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeConfig {
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// `KEY=VALUE` entries the container starts with (the loader reads `LD_*` ones).
    #[serde(default)]
    pub env: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RootfsConfig {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

pub fn parse_config(bytes: &[u8], what: &str) -> anyhow::Result<ImageConfig> {
    serde_json::from_slice(bytes)
        .map_err(|e| anyhow::anyhow!("{what}: not a valid image config: {e}"))
}
