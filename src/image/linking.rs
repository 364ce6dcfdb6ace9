//! The image's visible filesystem as the dynamic loader sees it: every path with its symlink
//! target, and the analysed file at each path. The loader model (src/loader/) resolves
//! DT_NEEDED, the interpreter and search paths against it; symlinks resolve inside the root (an absolute
//! target is relative to the root, `..` stops at the root), loops are bounded.

use std::collections::BTreeMap;

/// Loader configuration files (glibc's `ld.so.conf` with its includes and `ld.so.cache`,
/// musl's `ld-musl-ARCH.path`) are buffered with the package databases.
pub fn wants(path: &str) -> bool {
    path == "etc/ld.so.conf"
        || (path.starts_with("etc/ld.so.conf.d/") && path.ends_with(".conf"))
        || path == "etc/ld.so.cache"
        || (path.starts_with("etc/ld-musl-") && path.ends_with(".path"))
}

/// Symlink hops allowed while resolving one path (Linux's limit is 40).
const MAX_HOPS: usize = 40;

#[derive(Debug, Default)]
pub struct FileIndex<'a> {
    /// Path (no leading `/`) → symlink target, if a symlink.
    entries: BTreeMap<&'a str, Option<&'a str>>,
    /// Path → id of the analysed file there.
    file_ids: BTreeMap<&'a str, &'a str>,
}

/// What a path names after following symlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The canonical path (no symlinks left, no leading `/`).
    Found(String),
    Missing,
    /// More than 40 symlinks on the way (a loop, as `ELOOP`).
    Loop,
}

impl<'a> FileIndex<'a> {
    pub fn insert(&mut self, path: &'a str, symlink: Option<&'a str>, file_id: Option<&'a str>) {
        self.entries.insert(path, symlink);
        if let Some(id) = file_id {
            self.file_ids.insert(path, id);
        }
    }

    /// Every path in the root.
    pub fn paths(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.entries.keys().copied()
    }

    /// The analysed file at a canonical path.
    pub fn file_id(&self, canonical: &str) -> Option<&'a str> {
        self.file_ids.get(canonical).copied()
    }

    /// Whether a canonical path is a directory: something lives below it (layers may leave
    /// directory entries implicit).
    pub fn is_dir(&self, canonical: &str) -> bool {
        if canonical.is_empty() {
            return true;
        }
        let prefix = format!("{canonical}/");
        self.entries
            .range(prefix.as_str()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&prefix))
    }

    /// Resolves symlinks in every component, inside the root.
    pub fn lookup(&self, path: &str) -> Lookup {
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
                None if self.is_dir(&here) => {}
                None => return Lookup::Missing,
                Some(None) => {}
                Some(Some(target)) => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Lookup::Loop;
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
        Lookup::Found(resolved.join("/"))
    }

    /// A regular file (not a directory) at `path`, canonical.
    pub fn file(&self, path: &str) -> Lookup {
        match self.lookup(path) {
            Lookup::Found(p) if self.is_dir(&p) => Lookup::Missing,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_resolve_inside_the_root_and_loops_stop() {
        let mut index = FileIndex::default();
        index.insert("lib", Some("usr/lib"), None);
        index.insert(
            "usr/lib/x86_64-linux-gnu/libz.so.1",
            Some("libz.so.1.3"),
            None,
        );
        index.insert("usr/lib/x86_64-linux-gnu/libz.so.1.3", None, Some("file:z"));
        index.insert("opt/escape", Some("../../../../usr/lib"), None);
        index.insert("loop/a", Some("b"), None);
        index.insert("loop/b", Some("/loop/a"), None);
        assert_eq!(
            index.file("/lib/x86_64-linux-gnu/libz.so.1"),
            Lookup::Found("usr/lib/x86_64-linux-gnu/libz.so.1.3".into())
        );
        assert_eq!(
            index.file_id("usr/lib/x86_64-linux-gnu/libz.so.1.3"),
            Some("file:z")
        );
        // `..` stops at the root, as in a chroot.
        assert_eq!(
            index.lookup("opt/escape/x86_64-linux-gnu"),
            Lookup::Found("usr/lib/x86_64-linux-gnu".into())
        );
        assert_eq!(index.file("usr/lib/x86_64-linux-gnu"), Lookup::Missing);
        assert_eq!(index.file("loop/a/libc.so.6"), Lookup::Loop);
        assert_eq!(index.file("lib/libgone.so"), Lookup::Missing);
    }
}
