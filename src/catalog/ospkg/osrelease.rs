//! `/etc/os-release` (or `/usr/lib/os-release`): the distribution, for purl namespaces and
//! the `distro` qualifier.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct OsRelease {
    pub id: Option<String>,
    pub version_id: Option<String>,
    pub codename: Option<String>,
    /// `NAME`, `PRETTY_NAME`, `VERSION` and `CPE_NAME` (Fedora/RHEL/SUSE record one).
    pub name: Option<String>,
    pub pretty_name: Option<String>,
    pub version: Option<String>,
    pub cpe_name: Option<String>,
    /// The file it was read from (path inside the image).
    pub path: Option<String>,
}

impl OsRelease {
    pub fn find(texts: &BTreeMap<&str, &[u8]>) -> OsRelease {
        // `/etc/os-release` wins; it is often a symlink to the other (not buffered then).
        ["etc/os-release", "usr/lib/os-release"]
            .iter()
            .find_map(|p| {
                texts.get(p).map(|t| OsRelease {
                    path: Some(format!("/{p}")),
                    ..OsRelease::parse(&String::from_utf8_lossy(t))
                })
            })
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> OsRelease {
        let mut os = OsRelease::default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
            match k.trim() {
                "ID" => os.id = Some(v),
                "VERSION_ID" => os.version_id = Some(v),
                "VERSION_CODENAME" => os.codename = Some(v),
                "NAME" => os.name = Some(v),
                "PRETTY_NAME" => os.pretty_name = Some(v),
                "VERSION" => os.version = Some(v),
                "CPE_NAME" => os.cpe_name = Some(v),
                _ => {}
            }
        }
        os
    }

    /// `debian-12`, `alpine-3.20.1`, or just the id.
    pub fn distro(&self) -> Option<String> {
        match (&self.id, &self.version_id) {
            (Some(id), Some(v)) => Some(format!("{id}-{v}")),
            (Some(id), None) => Some(id.clone()),
            _ => None,
        }
    }
}
