//! `oci-archive:PATH` (a tar of an OCI layout) and `docker-archive:PATH` (`docker save`
//! output). The tar is indexed once (names → offsets), then blobs are read in place: nothing
//! is extracted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use serde::Deserialize;

use super::manifest::{self, Descriptor};
use super::oci_dir::layout_entries;
use super::{BlobStore, Digest, PlannedImage, PlatformSpec};

/// An archive with more members than this is not an image archive.
const MAX_MEMBERS: usize = 1_000_000;

struct TarIndex {
    path: String,
    file: File,
    members: BTreeMap<String, (u64, u64)>,
}

impl TarIndex {
    fn open(path: &str) -> anyhow::Result<TarIndex> {
        let file = File::open(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let mut magic = [0u8; 2];
        let n = (&file).read(&mut magic).unwrap_or(0);
        if n == 2 && magic == [0x1f, 0x8b] {
            anyhow::bail!("{path}: a gzip-compressed archive; decompress it first (gunzip), then scan the .tar");
        }
        (&file).seek(SeekFrom::Start(0))?;
        let mut members = BTreeMap::new();
        let mut archive = tar::Archive::new(&file);
        // Seeks over member data: indexing a 1 GB archive reads its headers only.
        for entry in archive
            .entries_with_seek()
            .map_err(|e| anyhow::anyhow!("{path}: not a tar archive: {e}"))?
        {
            let entry = entry.map_err(|e| anyhow::anyhow!("{path}: damaged tar archive: {e}"))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes())
                .trim_start_matches("./")
                .to_string();
            members.insert(name, (entry.raw_file_position(), entry.size()));
            if members.len() > MAX_MEMBERS {
                anyhow::bail!("{path}: more than {MAX_MEMBERS} members: not an image archive");
            }
        }
        Ok(TarIndex {
            path: path.to_string(),
            file: File::open(path)?,
            members,
        })
    }

    fn size(&self, name: &str) -> Option<u64> {
        self.members.get(name).map(|m| m.1)
    }

    fn open_member(&mut self, name: &str, what: &str) -> anyhow::Result<Box<dyn Read + '_>> {
        let &(offset, size) = self.members.get(name).ok_or_else(|| {
            anyhow::anyhow!("{what} missing from {} (no member {name})", self.path)
        })?;
        self.file.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(std::io::BufReader::with_capacity(
            256 << 10,
            (&self.file).take(size),
        )))
    }

    /// A member read through a file handle of its own, so several members can be read at
    /// once (layers streamed concurrently).
    fn open_member_independent(
        &self,
        name: &str,
        what: &str,
    ) -> anyhow::Result<Box<dyn Read + Send>> {
        let &(offset, size) = self.members.get(name).ok_or_else(|| {
            anyhow::anyhow!("{what} missing from {} (no member {name})", self.path)
        })?;
        let mut file = File::open(&self.path).map_err(|e| anyhow::anyhow!("{}: {e}", self.path))?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(std::io::BufReader::with_capacity(
            256 << 10,
            file.take(size),
        )))
    }

    fn read_small(&mut self, name: &str, max: u64) -> anyhow::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open_member(name, name)?
            .take(max + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            anyhow::bail!("{}: {name} is larger than {max} bytes", self.path);
        }
        Ok(bytes)
    }
}

pub struct OciArchive {
    tar: TarIndex,
}

impl OciArchive {
    pub fn open(path: &str) -> anyhow::Result<OciArchive> {
        let tar = TarIndex::open(path)?;
        if tar.size("index.json").is_none() {
            anyhow::bail!("{path}: no index.json: not an OCI archive (for `docker save` output use docker-archive:{path})");
        }
        Ok(OciArchive { tar })
    }

    pub fn plan(
        &mut self,
        tag: Option<&str>,
        want: &PlatformSpec,
        all: bool,
    ) -> anyhow::Result<(Vec<PlannedImage>, Option<String>)> {
        let index = self
            .tar
            .read_small("index.json", manifest::MAX_MANIFEST_BYTES)?;
        let entries = layout_entries(&index, tag, "index.json")?;
        let reference = entries
            .iter()
            .find_map(|d| super::identity::layout_reference(&d.annotations));
        Ok((
            super::plan_from_index(self, &entries, want, all, 0)?,
            reference,
        ))
    }
}

impl BlobStore for OciArchive {
    fn open(&mut self, d: &Descriptor) -> anyhow::Result<Box<dyn Read + '_>> {
        let digest = Digest::parse(&d.digest)?;
        let name = format!("blobs/{}/{}", digest.algorithm, digest.hex);
        self.tar.open_member(&name, &format!("blob {}", d.digest))
    }

    fn open_independent(&mut self, d: &Descriptor) -> Option<anyhow::Result<Box<dyn Read + Send>>> {
        Some(Digest::parse(&d.digest).and_then(|digest| {
            let name = format!("blobs/{}/{}", digest.algorithm, digest.hex);
            self.tar
                .open_member_independent(&name, &format!("blob {}", d.digest))
        }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

pub struct DockerArchive {
    tar: TarIndex,
    /// Layer digest (`diff_id`) → member name.
    layer_members: BTreeMap<String, String>,
    config_member: String,
    /// The chosen image's reference, once planned: the OCI index's full name (Docker 25+)
    /// or the first `RepoTags` entry (`test/app:v1`).
    pub repo_tag: Option<String>,
    /// What went wrong reading the archive's OCI layout (the image is still scanned, with
    /// the config digest as its identity).
    pub problems: Vec<String>,
}

impl DockerArchive {
    pub fn open(path: &str) -> anyhow::Result<DockerArchive> {
        let tar = TarIndex::open(path)?;
        if tar.size("manifest.json").is_none() {
            anyhow::bail!("{path}: no manifest.json: not a `docker save` archive (for an OCI archive use oci-archive:{path})");
        }
        Ok(DockerArchive {
            tar,
            layer_members: BTreeMap::new(),
            config_member: String::new(),
            repo_tag: None,
            problems: Vec::new(),
        })
    }

    /// The archive's `manifest.json` has no digests; the config's name is its digest and
    /// the config's `diff_ids` are the (uncompressed) layers' digests, so everything is
    /// still verified.
    pub fn plan(&mut self, tag: Option<&str>) -> anyhow::Result<PlannedImage> {
        let path = self.tar.path.clone();
        let bytes = self
            .tar
            .read_small("manifest.json", manifest::MAX_MANIFEST_BYTES)?;
        let entries: Vec<DockerManifestEntry> = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{path}: manifest.json: {e}"))?;
        let tags_of = |e: &DockerManifestEntry| e.repo_tags.clone().unwrap_or_default();
        let entry =
            match tag {
                Some(t) => entries.iter().find(|e| {
                    tags_of(e)
                        .iter()
                        .any(|rt| rt == t || rt.rsplit_once(':').map(|x| x.1) == Some(t))
                }),
                None if entries.len() == 1 => entries.first(),
                None => anyhow::bail!(
                "{path}: the archive holds {} images ({}); pick one with docker-archive:PATH:TAG",
                entries.len(),
                entries.iter().flat_map(tags_of).collect::<Vec<_>>().join(", ")
            ),
            };
        let entry = entry
            .ok_or_else(|| anyhow::anyhow!("{path}: no image tagged {:?}", tag.unwrap_or("")))?;
        if entry.layers.len() > manifest::MAX_LAYERS {
            anyhow::bail!("{path}: more than {} layers", manifest::MAX_LAYERS);
        }
        let hex = entry
            .config
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".json");
        let config_digest = Digest::parse(&format!("sha256:{hex}"))
            .map_err(|e| anyhow::anyhow!("{path}: config {}: {e}", entry.config))?;
        let config_size = self
            .tar
            .size(&entry.config)
            .ok_or_else(|| anyhow::anyhow!("{path}: config {} missing", entry.config))?;
        self.config_member = entry.config.clone();
        self.repo_tag = tags_of(entry).into_iter().next();
        let config = Descriptor {
            media_type: String::new(),
            digest: config_digest.to_string(),
            size: config_size,
            platform: None,
            annotations: BTreeMap::new(),
        };
        let what = format!("config {config_digest}");
        let config_bytes = super::read_small(self, &config, &what, manifest::MAX_CONFIG_BYTES)?;
        let diff_ids = manifest::parse_config(&config_bytes, &what)?
            .rootfs
            .map(|r| r.diff_ids)
            .unwrap_or_default();
        if diff_ids.len() != entry.layers.len() {
            anyhow::bail!(
                "{path}: {what} lists {} diff_ids for {} layers",
                diff_ids.len(),
                entry.layers.len()
            );
        }
        let mut layers = Vec::new();
        for (member, diff_id) in entry.layers.iter().zip(diff_ids) {
            let size = self.tar.size(member).ok_or_else(|| {
                anyhow::anyhow!("{path}: layer {member} missing from the archive")
            })?;
            self.layer_members.insert(diff_id.clone(), member.clone());
            layers.push(Descriptor {
                media_type: String::new(),
                digest: diff_id,
                size,
                platform: None,
                annotations: BTreeMap::new(),
            });
        }
        // Docker 25+: the OCI layout beside manifest.json names the image's manifest.
        let manifest_digest = match self.oci_manifest(&config.digest) {
            Ok(Some((digest, reference))) => {
                if reference.is_some() {
                    self.repo_tag = reference;
                }
                Some(digest)
            }
            Ok(None) => None,
            Err(e) => {
                self.problems.push(format!(
                    "{e}: the image's identity falls back to its config digest"
                ));
                None
            }
        };
        Ok(PlannedImage {
            manifest_digest,
            config,
            layers,
            verify_diff_ids: true,
        })
    }

    /// Docker 25+ `docker save` writes an OCI layout (`index.json`, `blobs/sha256/`) beside
    /// `manifest.json`. The index entry whose manifest names this config (directly, or one
    /// level down in an image index, as the containerd image store saves) is the image's
    /// manifest: its digest and the entry's full reference are the identity an `oci-dir:`
    /// or registry scan of the same image reports. `None` for older archives.
    fn oci_manifest(&mut self, config: &str) -> anyhow::Result<Option<(String, Option<String>)>> {
        if self.tar.size("index.json").is_none() {
            return Ok(None);
        }
        let index = self
            .tar
            .read_small("index.json", manifest::MAX_MANIFEST_BYTES)?;
        let manifest::Parsed::Index(entries) = manifest::parse(&index, "index.json")? else {
            anyhow::bail!("index.json: not an image index");
        };
        for entry in &entries {
            let reference = super::identity::layout_reference(&entry.annotations);
            match self.blob_manifest(entry)? {
                Some(manifest::Parsed::Manifest { config: c, .. }) if c.digest == config => {
                    return Ok(Some((entry.digest.clone(), reference)));
                }
                Some(manifest::Parsed::Index(inner)) => {
                    for d in &inner {
                        if let Some(manifest::Parsed::Manifest { config: c, .. }) =
                            self.blob_manifest(d)?
                        {
                            if c.digest == config {
                                return Ok(Some((d.digest.clone(), reference)));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// A manifest or index blob of the layout, verified against its digest; `None` when
    /// the archive does not hold it (Docker saves only the platform it has).
    fn blob_manifest(&mut self, d: &Descriptor) -> anyhow::Result<Option<manifest::Parsed>> {
        let digest = Digest::parse(&d.digest).map_err(|e| anyhow::anyhow!("index.json: {e}"))?;
        let member = format!("blobs/{}/{}", digest.algorithm, digest.hex);
        if self.tar.size(&member).is_none() {
            return Ok(None);
        }
        let what = format!("manifest {}", d.digest);
        let reader = self.tar.open_member(&member, &what)?;
        let bytes = super::digest::read_verified(
            reader,
            &what,
            &digest,
            Some(d.size),
            manifest::MAX_MANIFEST_BYTES,
        )?;
        manifest::parse(&bytes, &what).map(Some)
    }
}

impl BlobStore for DockerArchive {
    fn open(&mut self, d: &Descriptor) -> anyhow::Result<Box<dyn Read + '_>> {
        let member = match self.layer_members.get(&d.digest) {
            Some(m) => m.clone(),
            None => self.config_member.clone(),
        };
        self.tar.open_member(&member, &format!("blob {}", d.digest))
    }

    fn open_independent(&mut self, d: &Descriptor) -> Option<anyhow::Result<Box<dyn Read + Send>>> {
        let member = self.layer_members.get(&d.digest)?;
        Some(
            self.tar
                .open_member_independent(member, &format!("blob {}", d.digest)),
        )
    }
}
