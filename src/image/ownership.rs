//! Which OS package owns each file of an image. Package databases list paths as the package
//! shipped them (`/lib/x86_64-linux-gnu/libc.so.6`); on a merged-/usr root the file lives
//! behind a directory symlink (`lib` → `usr/lib`). Each listed path's directories are
//! resolved through the root's own symlinks (never the host's) before it is matched; the
//! last component is not followed, since a package owns a symlink it ships, not its target.

use std::collections::BTreeMap;

use crate::catalog::ospkg::{OsRelease, Package};
use crate::model::{Component, ComponentKind, Problem, Property, Severity};

/// Symlink hops allowed while resolving one path (Linux's limit is 40).
const MAX_HOPS: usize = 40;

/// Why a listed path could not be placed in the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unplaced {
    /// `..` or a symlink leads above `/`.
    Escapes,
    /// More than [`MAX_HOPS`] symlinks: a loop.
    Loop,
}

pub struct PathMapper<'a> {
    symlinks: BTreeMap<&'a str, &'a str>,
    /// Directories already resolved, as listed: a package database lists tens of thousands
    /// of files in far fewer directories.
    dirs: std::cell::RefCell<std::collections::HashMap<String, Result<String, Unplaced>>>,
}

impl<'a> PathMapper<'a> {
    pub fn new(symlinks: BTreeMap<&'a str, &'a str>) -> PathMapper<'a> {
        PathMapper {
            symlinks,
            dirs: Default::default(),
        }
    }

    /// The path (no leading `/`) where a listed file is found in the root.
    pub fn place(&self, listed: &str) -> Result<String, Unplaced> {
        let trimmed = listed.trim_end_matches('/');
        let (dir_listed, last) = trimmed.rsplit_once('/').unwrap_or(("", trimmed));
        if last.is_empty() {
            return Ok(String::new());
        }
        if last == ".." {
            return Err(Unplaced::Escapes);
        }
        let known = self.dirs.borrow().get(dir_listed).cloned();
        let dir = match known {
            Some(dir) => dir?,
            None => {
                let parts: Vec<&str> = dir_listed.split('/').filter(|p| !p.is_empty()).collect();
                let dir = self.resolve_dir(&parts);
                self.dirs
                    .borrow_mut()
                    .insert(dir_listed.to_string(), dir.clone());
                dir?
            }
        };
        Ok(if dir.is_empty() {
            last.to_string()
        } else if last == "." {
            dir
        } else {
            format!("{dir}/{last}")
        })
    }

    /// Resolves every component of a directory path through the root's symlinks.
    fn resolve_dir(&self, parts: &[&str]) -> Result<String, Unplaced> {
        let mut pending: Vec<String> = parts.iter().rev().map(|p| p.to_string()).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    resolved.pop().ok_or(Unplaced::Escapes)?;
                    continue;
                }
                _ => {}
            }
            resolved.push(part);
            let here = resolved.join("/");
            if let Some(target) = self.symlinks.get(here.as_str()) {
                hops += 1;
                if hops > MAX_HOPS {
                    return Err(Unplaced::Loop);
                }
                resolved.pop();
                if target.starts_with('/') {
                    // Absolute links point into the image, not the host.
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
        Ok(resolved.join("/"))
    }
}

/// Placed path → index of the package that lists it (the first, in package order, when
/// several do), and a problem per package whose list names paths outside the root.
pub fn owners(
    packages: &[Package],
    mapper: &PathMapper<'_>,
) -> (std::collections::HashMap<String, usize>, Vec<Problem>) {
    // Only looked up (never iterated), so a hash map: tens of thousands of listed paths.
    let files = packages.iter().map(|p| p.files.len()).sum();
    let mut owners = std::collections::HashMap::with_capacity(files);
    let mut problems = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        let mut bad: Vec<(&str, Unplaced)> = Vec::new();
        for f in &p.files {
            match mapper.place(f) {
                Ok(path) => {
                    owners.entry(path).or_insert(i);
                }
                Err(why) => bad.push((f, why)),
            }
        }
        if let Some((first, why)) = bad.first() {
            let why = match why {
                Unplaced::Escapes => "leads outside the root",
                Unplaced::Loop => "meets a symlink loop",
            };
            problems.push(Problem {
                path: p.database.clone(),
                severity: Severity::Warning,
                message: format!(
                    "package {}: {} listed path(s) not placed in the image (/{first} {why})",
                    p.name,
                    bad.len()
                ),
            });
        }
    }
    (owners, problems)
}

/// What a file says about the package it belongs to rather than about a component of its
/// own: a `.note.package` naming the package, or a recognised version string (the package's
/// own library, e.g. libcurl's `curl 7.88.1`).
pub fn is_package_evidence(c: &Component) -> bool {
    matches!(
        c.kind,
        ComponentKind::OsPackage | ComponentKind::StaticLibrary
    )
}

/// `assay:evidence:elf-note-package` = `pkg:deb/debian/systemd@252 in ./usr/lib/...`.
pub fn evidence_property(c: &Component, file: &str) -> Property {
    let method = c
        .properties
        .iter()
        .find(|p| p.name == "assay:method")
        .map_or("embedded", |p| p.value.as_str());
    let what = if c.purl.is_empty() { &c.id } else { &c.purl };
    Property::new(
        format!("assay:evidence:{method}"),
        format!("{what} in {file}"),
    )
}

/// The distribution itself, from `os-release`: `ID` and `VERSION_ID` as name and version;
/// no purl (no purl type names an OS); its CPE only when the file records one (`CPE_NAME`).
pub fn os_component(os: &OsRelease, display: &dyn Fn(&str) -> String) -> Option<Component> {
    let id = os.id.as_deref()?;
    let mut properties = Vec::new();
    let fields = [
        ("assay:os:name", &os.name),
        ("assay:os:pretty-name", &os.pretty_name),
        ("assay:os:version", &os.version),
        ("assay:os:version-codename", &os.codename),
        ("assay:cpe", &os.cpe_name),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            properties.push(Property::new(name, v));
        }
    }
    Some(Component {
        id: format!("os:{id}@{}", os.version_id.as_deref().unwrap_or("")),
        kind: ComponentKind::OperatingSystem,
        name: id.to_string(),
        version: os.version_id.clone(),
        purl: String::new(),
        ancestors: Vec::new(),
        properties,
        occurrences: os
            .path
            .as_deref()
            .map(|p| display(p.trim_start_matches('/')))
            .into_iter()
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_directory_links_not_the_file() {
        let links = BTreeMap::from([
            ("lib", "usr/lib"),
            ("usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13"),
            ("opt/app", "/srv/app"),
            ("loop", "loop"),
            ("up", "../.."),
        ]);
        let m = PathMapper::new(links);
        assert_eq!(
            m.place("lib/x86_64-linux-gnu/libz.so.1").as_deref(),
            Ok("usr/lib/x86_64-linux-gnu/libz.so.1")
        );
        assert_eq!(m.place("opt/app/bin/x").as_deref(), Ok("srv/app/bin/x"));
        assert_eq!(m.place("usr/bin/curl").as_deref(), Ok("usr/bin/curl"));
        assert_eq!(m.place("loop/x"), Err(Unplaced::Loop));
        assert_eq!(m.place("up/x"), Err(Unplaced::Escapes));
        assert_eq!(m.place("../etc/passwd"), Err(Unplaced::Escapes));
    }

    #[test]
    fn os_component_from_os_release() {
        let mut os = OsRelease::parse(
            "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=39\nCPE_NAME=\"cpe:/o:fedoraproject:fedora:39\"\n",
        );
        os.path = Some("/etc/os-release".into());
        let c = os_component(&os, &|p| format!("./{p}")).unwrap();
        assert_eq!((c.id.as_str(), c.name.as_str()), ("os:fedora@39", "fedora"));
        assert_eq!(c.occurrences, ["./etc/os-release"]);
        assert!(c.properties.contains(&Property::new(
            "assay:cpe",
            "cpe:/o:fedoraproject:fedora:39"
        )));
        assert!(os_component(&OsRelease::default(), &|p| p.to_string()).is_none());
    }
}
