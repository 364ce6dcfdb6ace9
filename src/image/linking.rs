//! Seam for DT_NEEDED → DYNAMIC_LINK resolution inside an image (issue 3 provides the
//! linked-library data: each binary's DT_NEEDED names, RPATH and RUNPATH). Given the image's
//! visible filesystem and one binary's needs, [`resolve_needed`] finds the file the dynamic
//! loader would load, following the glibc search order and symlinks (merged-/usr images
//! link `/lib` → `usr/lib`). Not yet wired into the document: the caller will turn each
//! [`Resolution::Found`] into a DYNAMIC_LINK edge between file ids and each
//! [`Resolution::Missing`] into a finding.

use std::collections::BTreeMap;

/// `ld.so.conf` and its includes are buffered with the package databases.
pub fn wants(path: &str) -> bool {
    path == "etc/ld.so.conf" || (path.starts_with("etc/ld.so.conf.d/") && path.ends_with(".conf"))
}

/// Symlink hops allowed while resolving one path (Linux's limit is 40).
const MAX_HOPS: usize = 40;

/// The glibc default directories, searched last.
const DEFAULT_DIRS: &[&str] = &["lib", "usr/lib", "lib64", "usr/lib64"];

#[derive(Debug, Default)]
pub struct FileIndex<'a> {
    /// Path (no leading `/`) → symlink target, if a symlink.
    entries: BTreeMap<&'a str, Option<&'a str>>,
    /// Path → id of the analysed file there.
    file_ids: BTreeMap<&'a str, &'a str>,
}

impl<'a> FileIndex<'a> {
    pub fn insert(&mut self, path: &'a str, symlink: Option<&'a str>, file_id: Option<&'a str>) {
        self.entries.insert(path, symlink);
        if let Some(id) = file_id {
            self.file_ids.insert(path, id);
        }
    }

    /// Resolves symlinks in every component; `None` when the path does not exist or loops.
    pub fn canonical(&self, path: &str) -> Option<String> {
        let mut pending: Vec<String> = path
            .split('/')
            .rev()
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    resolved.pop();
                    continue;
                }
                _ => {}
            }
            resolved.push(part);
            let here = resolved.join("/");
            match self.entries.get(here.as_str()) {
                None => return None,
                Some(None) => {}
                Some(Some(target)) => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return None;
                    }
                    resolved.pop();
                    if target.starts_with('/') {
                        resolved.clear();
                    }
                    pending.extend(
                        target
                            .split('/')
                            .rev()
                            .filter(|p| !p.is_empty())
                            .map(str::to_string),
                    );
                }
            }
        }
        Some(resolved.join("/"))
    }
}

/// Directories from `/etc/ld.so.conf`, following `include` lines (`DIR/*.conf` globs only).
pub fn ld_so_conf_dirs(texts: &BTreeMap<&str, &[u8]>) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut files: Vec<&str> = vec!["etc/ld.so.conf"];
    let mut seen = 0;
    while let Some(file) = files.pop() {
        seen += 1;
        if seen > 256 {
            break;
        }
        let Some(text) = texts.get(file) else {
            continue;
        };
        for line in String::from_utf8_lossy(text).lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if let Some(pattern) = line.strip_prefix("include") {
                let pattern = pattern.trim().trim_start_matches('/');
                if let Some(dir) = pattern.strip_suffix("*.conf") {
                    files.extend(
                        texts
                            .keys()
                            .filter(|k| k.starts_with(dir) && k.ends_with(".conf"))
                            .copied(),
                    );
                } else {
                    files.extend(texts.keys().filter(|k| **k == pattern).copied());
                }
            } else if !line.is_empty() {
                dirs.push(
                    line.trim_start_matches('/')
                        .trim_end_matches('/')
                        .to_string(),
                );
            }
        }
    }
    dirs
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// `path` is the canonical path; `file_id` is set when assay analysed that file.
    Found {
        name: String,
        path: String,
        file_id: Option<String>,
    },
    Missing {
        name: String,
        searched: Vec<String>,
    },
}

/// Resolves one binary's DT_NEEDED names in glibc's order: a name with `/` as a path;
/// else DT_RPATH (only without DT_RUNPATH), DT_RUNPATH, the `ld.so.conf` directories, the
/// default directories. `$ORIGIN` expands to the binary's directory.
pub fn resolve_needed(
    index: &FileIndex<'_>,
    conf_dirs: &[String],
    binary_path: &str,
    needed: &[String],
    rpath: &[String],
    runpath: &[String],
) -> Vec<Resolution> {
    let origin = binary_path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let expand = |d: &String| -> String {
        d.replace("${ORIGIN}", &format!("/{origin}"))
            .replace("$ORIGIN", &format!("/{origin}"))
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string()
    };
    let mut dirs: Vec<String> = Vec::new();
    if runpath.is_empty() {
        dirs.extend(rpath.iter().map(expand));
    }
    dirs.extend(runpath.iter().map(expand));
    dirs.extend(conf_dirs.iter().cloned());
    dirs.extend(DEFAULT_DIRS.iter().map(|d| d.to_string()));
    needed
        .iter()
        .map(|name| {
            let candidates: Vec<String> = if name.contains('/') {
                vec![name.trim_start_matches('/').to_string()]
            } else {
                dirs.iter()
                    .map(|d| {
                        if d.is_empty() {
                            name.clone()
                        } else {
                            format!("{d}/{name}")
                        }
                    })
                    .collect()
            };
            for c in &candidates {
                if let Some(path) = index.canonical(c) {
                    let file_id = index.file_ids.get(path.as_str()).map(|s| s.to_string());
                    return Resolution::Found {
                        name: name.clone(),
                        path,
                        file_id,
                    };
                }
            }
            Resolution::Missing {
                name: name.clone(),
                searched: candidates,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_loader_order_and_symlinks() {
        let mut index = FileIndex::default();
        index.insert("lib", Some("usr/lib"), None);
        index.insert("usr", None, None);
        index.insert("usr/lib", None, None);
        index.insert("usr/lib/x86_64-linux-gnu", None, None);
        index.insert(
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            None,
            Some("file:./usr/lib/x86_64-linux-gnu/libc.so.6"),
        );
        index.insert(
            "usr/lib/x86_64-linux-gnu/libz.so.1",
            Some("libz.so.1.3"),
            None,
        );
        index.insert("usr/lib/x86_64-linux-gnu/libz.so.1.3", None, Some("file:z"));
        index.insert("opt", None, None);
        index.insert("opt/app", None, None);
        index.insert("opt/app/libown.so", None, Some("file:own"));
        let mut texts = BTreeMap::new();
        texts.insert("etc/ld.so.conf", &b"include /etc/ld.so.conf.d/*.conf\n"[..]);
        texts.insert(
            "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
            &b"# multiarch\n/lib/x86_64-linux-gnu\n"[..],
        );
        let conf = ld_so_conf_dirs(&texts);
        assert_eq!(conf, ["lib/x86_64-linux-gnu"]);
        let needed: Vec<String> = ["libc.so.6", "libz.so.1", "libown.so", "libgone.so"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = resolve_needed(
            &index,
            &conf,
            "opt/app/bin",
            &needed,
            &[],
            &["$ORIGIN".to_string()],
        );
        assert_eq!(
            r[0],
            Resolution::Found {
                name: "libc.so.6".into(),
                path: "usr/lib/x86_64-linux-gnu/libc.so.6".into(),
                file_id: Some("file:./usr/lib/x86_64-linux-gnu/libc.so.6".into())
            }
        );
        assert!(matches!(&r[1], Resolution::Found { file_id: Some(id), .. } if id == "file:z"));
        assert!(matches!(&r[2], Resolution::Found { file_id: Some(id), .. } if id == "file:own"));
        assert!(matches!(&r[3], Resolution::Missing { .. }));
    }
}
