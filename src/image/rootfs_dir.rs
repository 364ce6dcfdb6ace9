//! `dir:PATH`: a root filesystem on disk, scanned as an image's squashed view (one layer,
//! no whiteouts). Symlinks are not followed: inside a rootfs an absolute link points into the
//! image, not into the host.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Rootfs, ScannedImage};
use crate::model::{Problem, Severity};

pub fn scan(path: &str) -> anyhow::Result<ScannedImage> {
    let root = Path::new(path);
    if !root.is_dir() {
        anyhow::bail!("{path}: not a directory (dir: takes a root filesystem directory)");
    }
    let mut rootfs = Rootfs::new(String::new());
    rootfs.begin_layer(0);
    for entry in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                rootfs.problems.push(Problem {
                    path: e
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| path.to_string()),
                    severity: Severity::Error,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().into_owned();
        let is_file = entry.file_type().is_file();
        let link = entry
            .path_is_symlink()
            .then(|| std::fs::read_link(entry.path()).ok())
            .flatten()
            .map(|t| t.to_string_lossy().into_owned());
        let Some(name) = rootfs.entry(rel.as_bytes(), is_file, link.as_deref().map(str::as_bytes))
        else {
            continue;
        };
        let result = std::fs::File::open(entry.path()).and_then(|mut f| {
            let size = f.metadata()?.len();
            rootfs
                .regular_file(&name, size, &mut f)
                .map_err(std::io::Error::other)
        });
        if let Err(e) = result {
            rootfs.problems.push(Problem {
                path: rootfs.display_name(&name),
                severity: Severity::Error,
                message: format!("cannot read: {e}"),
            });
        }
    }
    Ok(ScannedImage {
        platform: String::new(),
        manifest_digest: None,
        config_digest: None,
        labels: BTreeMap::new(),
        loader_env: BTreeMap::new(),
        layers: Vec::new(),
        rootfs,
    })
}
