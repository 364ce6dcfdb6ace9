//! `oci-dir:PATH[:TAG]`: an OCI image layout directory (`index.json`, `blobs/ALG/HEX`).

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use super::manifest::{self, Descriptor};
use super::{BlobStore, Digest, PlannedImage, PlatformSpec};

pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn open(path: &str) -> anyhow::Result<Layout> {
        let root = PathBuf::from(path);
        if !root.join("index.json").is_file() {
            anyhow::bail!("{path}: not an OCI image layout (no index.json); for a root filesystem use dir:{path}");
        }
        Ok(Layout { root })
    }

    pub fn plan(
        &mut self,
        tag: Option<&str>,
        want: &PlatformSpec,
        all: bool,
    ) -> anyhow::Result<(Vec<PlannedImage>, Option<String>)> {
        let mut index = Vec::new();
        File::open(self.root.join("index.json"))
            .and_then(|f| {
                f.take(manifest::MAX_MANIFEST_BYTES + 1)
                    .read_to_end(&mut index)
            })
            .map_err(|e| anyhow::anyhow!("{}/index.json: {e}", self.root.display()))?;
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

/// The entries of a layout's `index.json` that `tag` selects. The layout's index is the
/// trust root (it has no digest of its own); everything below is verified.
pub fn layout_entries(
    index: &[u8],
    tag: Option<&str>,
    what: &str,
) -> anyhow::Result<Vec<Descriptor>> {
    if index.len() as u64 > manifest::MAX_MANIFEST_BYTES {
        anyhow::bail!("{what}: larger than {} bytes", manifest::MAX_MANIFEST_BYTES);
    }
    let manifest::Parsed::Index(entries) = manifest::parse(index, what)? else {
        anyhow::bail!("{what}: expected an image index");
    };
    let tags: Vec<&str> = entries
        .iter()
        .filter_map(|d| d.annotations.get(REF_NAME).map(String::as_str))
        .collect();
    let chosen: Vec<Descriptor> = match tag {
        Some(t) => entries
            .iter()
            .filter(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(t))
            .cloned()
            .collect(),
        None => {
            let mut distinct = tags.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() > 1 {
                anyhow::bail!(
                    "{what}: the layout has several tags ({}); pick one with oci-dir:PATH:TAG",
                    distinct.join(", ")
                );
            }
            entries.clone()
        }
    };
    if chosen.is_empty() {
        anyhow::bail!(
            "{what}: no image tagged {:?} (tags: {})",
            tag.unwrap_or(""),
            if tags.is_empty() {
                "none".to_string()
            } else {
                tags.join(", ")
            }
        );
    }
    Ok(chosen)
}

impl BlobStore for Layout {
    fn open(&mut self, d: &Descriptor) -> anyhow::Result<Box<dyn Read + '_>> {
        Ok(self.open_blob(d)?)
    }

    fn open_independent(&mut self, d: &Descriptor) -> Option<anyhow::Result<Box<dyn Read + Send>>> {
        Some(self.open_blob(d))
    }
}

impl Layout {
    /// A blob's file (each call opens it anew, so several blobs can be read at once).
    fn open_blob(&self, d: &Descriptor) -> anyhow::Result<Box<dyn Read + Send>> {
        // A validated digest is a safe file name: no `/`, no `..`.
        let digest = Digest::parse(&d.digest)?;
        let path = self
            .root
            .join("blobs")
            .join(digest.algorithm)
            .join(&digest.hex);
        let file = File::open(&path).map_err(|e| {
            anyhow::anyhow!(
                "blob {} missing from the layout ({}): {e}",
                d.digest,
                path.display()
            )
        })?;
        Ok(Box::new(std::io::BufReader::with_capacity(256 << 10, file)))
    }
}
