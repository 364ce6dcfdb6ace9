//! Container images as scan targets: `oci-dir:`, `oci-archive:`, `docker-archive:`, `dir:`
//! and `registry:`. Each source only knows how to find manifests and open blobs; resolving
//! indexes to platforms, verifying blobs, streaming layers and building the document is
//! shared here.
//!
//! Trust: a blob's content is used only once its digest and size match the manifest. Small
//! blobs (manifests, configs) are verified before parsing; layers are verified as they
//! stream and any mismatch fails the whole scan, so no partial SBOM is ever written.
//!
//! Layer: pipeline (images). Reading images (references, registries, layouts, archives, layers)
//! is this folder's input half; the root filesystem and document assembly its pipeline half.
//! May use inputs, catalogers (the per-file analysis, OS packages) and the model.

mod archive;
mod content;
mod digest;
pub(crate) mod document;
mod elf_facts;
mod identity;
mod in_flight;
mod in_order;
mod layer;
mod layer_cache;
mod layers;
pub mod linking;
mod manifest;
mod oci_dir;
mod ownership;
mod platform;
pub mod reference;
mod registry;
mod rootfs;
mod rootfs_dir;

/// The document an image scan assembles, cached by the image's verified digests.
mod image_cache;

use std::collections::BTreeMap;
use std::io::Read;

pub use crate::model::image::{FileOrigin, ImageInfo, PlatformImage};
pub use digest::Digest;
pub use document::oci_purl;
pub use platform::PlatformSpec;
pub use reference::{ImageTarget, TargetKind};
pub use registry::RegistryOptions;
pub use rootfs::Rootfs;

use crate::model::Document;
use manifest::Descriptor;

/// Which files the SBOM lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// What the container sees: later layers' whiteouts and replacements applied.
    #[default]
    Squashed,
    /// Also files that later layers delete or replace, marked as such.
    AllLayers,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `None`: the host platform.
    pub platform: Option<PlatformSpec>,
    pub all_platforms: bool,
    pub scope: Scope,
    pub registry: RegistryOptions,
    /// Run on each platform's root filesystem once its files are in the graph: the loader
    /// model (a layer above images) resolves DT_NEEDED and adds its findings this way.
    pub rootfs_pass: Option<RootfsPass>,
}

/// A pass over one scanned root filesystem: its files, its buffered configuration texts.
/// It gets the image's loader environment (`LD_*` from the config's `Env`) and returns
/// properties for the platform image (what it assumed and what the environment changed).
pub type RootfsPass = fn(
    &Rootfs,
    &BTreeMap<&str, &[u8]>,
    &BTreeMap<String, String>,
    &mut crate::model::GraphBuilder,
) -> Vec<crate::model::Property>;

/// Where a source's blobs come from. Implementations return raw bytes; verification is the
/// caller's job (see [`digest`]).
pub(crate) trait BlobStore {
    fn open(&mut self, descriptor: &Descriptor) -> anyhow::Result<Box<dyn Read + '_>>;

    /// Opens a layer blob independently of the store's other readers, so several layers
    /// can stream at once; `None`: this source reads one blob at a time ([`Self::open`]).
    fn open_independent(
        &mut self,
        _descriptor: &Descriptor,
    ) -> Option<anyhow::Result<Box<dyn Read + Send>>> {
        None
    }

    /// Opens a manifest or index by digest (registries serve these from another endpoint).
    fn open_manifest(&mut self, descriptor: &Descriptor) -> anyhow::Result<Box<dyn Read + '_>> {
        self.open(descriptor)
    }
}

/// One image manifest to scan, resolved from the target.
pub(crate) struct PlannedImage {
    pub manifest_digest: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    /// docker-archive: layers are verified against the config's `diff_ids` (uncompressed)
    /// because the archive's manifest carries no blob digests.
    pub verify_diff_ids: bool,
}

/// One scanned platform image.
pub(crate) struct ScannedImage {
    pub platform: String,
    pub manifest_digest: Option<String>,
    pub config_digest: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// The config's `Env` entries that steer the dynamic loader (`LD_*`), by name.
    pub loader_env: BTreeMap<String, String>,
    pub layers: Vec<String>,
    pub rootfs: Rootfs,
}

/// Scans one image target into a document. Errors (unreadable source, digest mismatch,
/// missing manifest) fail the whole scan.
pub fn scan(target: &ImageTarget, options: &Options, created: String) -> anyhow::Result<Document> {
    let want = options.platform.clone().unwrap_or_else(PlatformSpec::host);
    // Plan first (manifests and configs: small blobs, verified), so a repeated scan of the
    // same image is answered by the per-image cache before any layer is touched.
    let mut notes = Vec::new();
    let (mut store, plans, name, digest, reference): (Box<dyn BlobStore>, _, _, _, _) =
        match target.kind {
            TargetKind::Dir => {
                let images = vec![rootfs_dir::scan(&target.path)?];
                let name = target.path.clone();
                return Ok(finish(target, name, None, None, images, options, created));
            }
            TargetKind::OciDir => {
                let mut layout = oci_dir::Layout::open(&target.path)?;
                let (plans, reference) =
                    layout.plan(target.tag.as_deref(), &want, options.all_platforms)?;
                let name = target
                    .tag
                    .clone()
                    .map(|t| format!("{}:{t}", target.path))
                    .unwrap_or(target.path.clone());
                (Box::new(layout), plans, name, None, reference)
            }
            TargetKind::OciArchive => {
                let mut layout = archive::OciArchive::open(&target.path)?;
                let (plans, reference) =
                    layout.plan(target.tag.as_deref(), &want, options.all_platforms)?;
                (
                    Box::new(layout),
                    plans,
                    target.path.clone(),
                    None,
                    reference,
                )
            }
            TargetKind::DockerArchive => {
                let mut archive = archive::DockerArchive::open(&target.path)?;
                let plan = archive.plan(target.tag.as_deref())?;
                let reference = archive.repo_tag.clone();
                notes = std::mem::take(&mut archive.problems);
                (
                    Box::new(archive),
                    vec![plan],
                    target.path.clone(),
                    None,
                    reference,
                )
            }
            TargetKind::Registry => {
                let mut client = registry::Registry::connect(target, &options.registry)?;
                let (plans, digest) = client.plan(&want, options.all_platforms)?;
                let reference = client.display_name();
                (
                    Box::new(client),
                    plans,
                    reference.clone(),
                    Some(digest),
                    Some(reference),
                )
            }
        };
    // A docker-archive holds one image: its file names never carry a platform prefix.
    let prefixed = options.all_platforms && target.kind != TargetKind::DockerArchive;
    let cache_key = image_cache::key(&image_cache::Inputs {
        target,
        name: &name,
        digest: digest.as_deref(),
        reference: reference.as_deref(),
        notes: &notes,
        plans: &plans,
        prefixed,
        options,
    });
    if let Some(doc) = cache_key
        .as_ref()
        .and_then(|k| image_cache::get(k, &created))
    {
        return Ok(doc);
    }
    let mut images = scan_plans(store.as_mut(), plans, prefixed)?;
    if let Some(image) = images.first_mut() {
        for message in notes {
            image.rootfs.problems.push(crate::model::Problem {
                path: target.raw.clone(),
                severity: crate::model::Severity::Warning,
                message,
            });
        }
    }
    let mut doc = finish(target, name, digest, reference, images, options, created);
    if let Some(key) = &cache_key {
        image_cache::put(key, &mut doc);
    }
    Ok(doc)
}

/// Assembles the document of scanned platform images.
fn finish(
    target: &ImageTarget,
    name: String,
    digest: Option<String>,
    reference: Option<String>,
    mut images: Vec<ScannedImage>,
    options: &Options,
    created: String,
) -> Document {
    let repository = reference.as_deref().map(identity::repository_of);
    if let Some(want) = &options.platform {
        // A single-platform image is scanned whatever --platform says, but not silently.
        for image in images.iter_mut().filter(|i| !i.platform.is_empty()) {
            if !image
                .platform
                .starts_with(&format!("{}/{}", want.os, want.arch))
            {
                image.rootfs.problems.push(crate::model::Problem {
                    path: target.raw.clone(),
                    severity: crate::model::Severity::Warning,
                    message: format!(
                        "the image is {}, not the requested {want} (it is not a multi-platform index)",
                        image.platform
                    ),
                });
            }
        }
    }
    document::build(target, name, digest, repository, images, options, created)
}

/// Resolves index entries to image manifests: one platform, or all with `all_platforms`.
/// Nested indexes are followed one level (a tag pointing at an index is the common case).
pub(crate) fn plan_from_index(
    store: &mut dyn BlobStore,
    entries: &[Descriptor],
    want: &PlatformSpec,
    all: bool,
    depth: u32,
) -> anyhow::Result<Vec<PlannedImage>> {
    let chosen: Vec<&Descriptor> = if entries.len() == 1 && entries[0].platform.is_none() {
        entries.iter().collect()
    } else {
        manifest::select(entries, want, all, "image index")?
    };
    let mut plans = Vec::new();
    for d in chosen {
        let what = format!("manifest {}", d.digest);
        let expected = Digest::parse(&d.digest).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        let reader = store.open_manifest(d)?;
        let bytes = digest::read_verified(
            reader,
            &what,
            &expected,
            Some(d.size),
            manifest::MAX_MANIFEST_BYTES,
        )?;
        match manifest::parse(&bytes, &what)? {
            manifest::Parsed::Index(inner) if depth < 2 => {
                plans.extend(plan_from_index(store, &inner, want, all, depth + 1)?)
            }
            manifest::Parsed::Index(_) => anyhow::bail!("{what}: image indexes nested too deeply"),
            manifest::Parsed::Manifest { config, layers } => plans.push(PlannedImage {
                manifest_digest: Some(d.digest.clone()),
                config,
                layers,
                verify_diff_ids: false,
            }),
        }
    }
    Ok(plans)
}

/// Opens and verifies a small blob (manifest, index, config).
pub(crate) fn read_small(
    store: &mut dyn BlobStore,
    d: &Descriptor,
    what: &str,
    max: u64,
) -> anyhow::Result<Vec<u8>> {
    let expected = Digest::parse(&d.digest).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    let reader = store.open(d)?;
    digest::read_verified(reader, what, &expected, Some(d.size), max)
}

fn scan_plans(
    store: &mut dyn BlobStore,
    plans: Vec<PlannedImage>,
    all: bool,
) -> anyhow::Result<Vec<ScannedImage>> {
    plans
        .into_iter()
        .map(|p| scan_planned(store, p, all))
        .collect()
}

fn scan_planned(
    store: &mut dyn BlobStore,
    plan: PlannedImage,
    all: bool,
) -> anyhow::Result<ScannedImage> {
    let what = format!("config {}", plan.config.digest);
    let config_bytes = read_small(store, &plan.config, &what, manifest::MAX_CONFIG_BYTES)?;
    let config = manifest::parse_config(&config_bytes, &what)?;
    let platform = match &config.variant {
        Some(v) if !v.is_empty() => format!("{}/{}/{v}", config.os, config.architecture),
        _ => format!("{}/{}", config.os, config.architecture),
    };
    let diff_ids = config
        .rootfs
        .as_ref()
        .map(|r| r.diff_ids.clone())
        .unwrap_or_default();
    if plan.verify_diff_ids && diff_ids.len() != plan.layers.len() {
        anyhow::bail!(
            "{what}: lists {} diff_ids for {} layers; the archive is inconsistent",
            diff_ids.len(),
            plan.layers.len()
        );
    }
    let mut rootfs = Rootfs::new(if all {
        format!("{platform}:")
    } else {
        String::new()
    });
    layers::apply(store, &plan, &diff_ids, &mut rootfs)?;
    let layers = plan.layers.iter().map(|d| d.digest.clone()).collect();
    Ok(ScannedImage {
        platform,
        manifest_digest: plan.manifest_digest,
        config_digest: Some(plan.config.digest.clone()),
        loader_env: config
            .config
            .as_ref()
            .and_then(|c| c.env.as_ref())
            .map(|env| loader_env(env))
            .unwrap_or_default(),
        labels: config.config.and_then(|c| c.labels).unwrap_or_default(),
        layers,
        rootfs,
    })
}

/// The `LD_*` variables of a config's `Env` (`KEY=VALUE`; a later entry wins, as for the
/// runtime). Only these are kept: the rest of `Env` may hold secrets and is not the loader's.
fn loader_env(env: &[String]) -> BTreeMap<String, String> {
    env.iter()
        .filter_map(|e| e.split_once('='))
        .filter(|(k, _)| k.starts_with("LD_"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
