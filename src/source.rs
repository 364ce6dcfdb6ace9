//! Inputs: turn the user's targets (files and directories) into the list of regular files to
//! examine, with a stable scan-relative name each. Loops, unreadable entries and special
//! files are reported, never fatal.
//!
//! Layer: input. May use [`crate::model`] only.

use std::path::{Path, PathBuf};

use crate::model::{Problem, Severity};

/// A regular file to examine.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
    /// Scan-relative name: `./rel/path` under a single directory target, `<target>/rel/path`
    /// under one of several, the target as given for a file target.
    pub name: String,
}

#[derive(Debug, Default)]
pub struct Collected {
    pub candidates: Vec<Candidate>,
    pub problems: Vec<Problem>,
}

pub fn collect(targets: &[String]) -> Collected {
    let mut out = Collected::default();
    let single_dir = targets.len() == 1 && Path::new(&targets[0]).is_dir();
    for target in targets {
        let path = Path::new(target);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let prefix = if single_dir {
                    ".".to_string()
                } else {
                    target.trim_end_matches('/').to_string()
                };
                walk(path, &prefix, &mut out);
            }
            Ok(meta) if meta.is_file() => out.candidates.push(Candidate {
                path: path.to_path_buf(),
                name: target.clone(),
            }),
            Ok(meta) => out.problems.push(special(target, &meta)),
            Err(e) => out.problems.push(Problem {
                path: target.clone(),
                severity: Severity::Error,
                message: format!("cannot read target: {e}"),
            }),
        }
    }
    out.candidates.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn walk(root: &Path, prefix: &str, out: &mut Collected) {
    // Following links finds binaries installed as symlinks; walkdir detects loops.
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| display_name(root, prefix, p))
                    .unwrap_or_else(|| prefix.to_string());
                let (severity, message) = if e.loop_ancestor().is_some() {
                    (
                        Severity::Warning,
                        "symlink loop: not followed again".to_string(),
                    )
                } else if e.io_error().map(|io| io.kind()) == Some(std::io::ErrorKind::NotFound) {
                    (Severity::Warning, "dangling symlink: skipped".to_string())
                } else {
                    let reason = e
                        .io_error()
                        .map(|io| io.to_string())
                        .unwrap_or_else(|| e.to_string());
                    (Severity::Error, format!("cannot read: {reason}"))
                };
                out.problems.push(Problem {
                    path,
                    severity,
                    message,
                });
                continue;
            }
        };
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let name = display_name(root, prefix, entry.path());
        if file_type.is_file() {
            out.candidates.push(Candidate {
                path: entry.path().to_path_buf(),
                name,
            });
        } else if let Ok(meta) = entry.metadata() {
            out.problems.push(special(&name, &meta));
        }
    }
}

fn display_name(root: &Path, prefix: &str, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => prefix.to_string(),
        Ok(rel) => format!("{prefix}/{}", rel.to_string_lossy()),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

fn special(name: &str, meta: &std::fs::Metadata) -> Problem {
    use std::os::unix::fs::FileTypeExt;
    let ft = meta.file_type();
    let kind = if ft.is_fifo() {
        "named pipe"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "device"
    } else {
        "special file"
    };
    Problem {
        path: name.to_string(),
        severity: Severity::Warning,
        message: format!("skipped: {kind}, not a regular file"),
    }
}
