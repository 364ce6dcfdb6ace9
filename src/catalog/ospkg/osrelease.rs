//! `/etc/os-release` (or `/usr/lib/os-release`): the distribution, for purl namespaces and
//! the `distro` qualifier.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct OsRelease {
    pub id: Option<String>,
    pub version_id: Option<String>,
    pub codename: Option<String>,
}

impl OsRelease {
    pub fn find(texts: &BTreeMap<&str, &[u8]>) -> OsRelease {
        let text = texts
            .get("etc/os-release")
            .or_else(|| texts.get("usr/lib/os-release"));
        text.map(|t| OsRelease::parse(&String::from_utf8_lossy(t)))
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> OsRelease {
        let mut os = OsRelease::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
            match k.trim() {
                "ID" => os.id = Some(v),
                "VERSION_ID" => os.version_id = Some(v),
                "VERSION_CODENAME" => os.codename = Some(v),
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
