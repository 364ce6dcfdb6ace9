//! Declared package dependencies resolved to installed packages: each dependency group
//! (alternatives `a | b`) becomes one edge to the first alternative that an installed package
//! is named or provides. A group nothing installed satisfies gets no edge (the database may
//! list a virtual package whose provider is absent; assay does not invent one).

use std::collections::BTreeMap;

use super::Package;

/// `(from id, to id)` pairs, sorted, without self-edges.
pub fn resolve(packages: &[Package]) -> Vec<(String, String)> {
    // Name → providers, own names first so a real package wins over a virtual one.
    let mut by_name: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for p in packages {
        let db = p.database.as_str();
        by_name
            .entry((db, p.name.as_str()))
            .or_default()
            .push(p.id());
    }
    for p in packages {
        let db = p.database.as_str();
        for name in &p.provides {
            by_name.entry((db, name.as_str())).or_default().push(p.id());
        }
    }
    let mut edges = Vec::new();
    for p in packages {
        let from = p.id();
        for group in &p.depends {
            let to = group.iter().find_map(|name| {
                by_name
                    .get(&(p.database.as_str(), name.as_str()))
                    .and_then(|ids| ids.iter().find(|id| **id != from))
            });
            if let Some(to) = to {
                edges.push((from.clone(), to.clone()));
            }
        }
    }
    edges.sort();
    edges.dedup();
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentKind;

    fn pkg(name: &str, depends: &[&[&str]], provides: &[&str]) -> Package {
        Package {
            kind: ComponentKind::DebPackage,
            name: name.to_string(),
            version: "1".to_string(),
            arch: None,
            license: None,
            maintainer: None,
            purl: String::new(),
            database: "/var/lib/dpkg/status".to_string(),
            files: Vec::new(),
            source: None,
            depends: depends
                .iter()
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .collect(),
            provides: provides.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn alternatives_pick_the_first_installed() {
        let pkgs = [
            pkg(
                "curl",
                &[&["libcurl4"], &["missing", "mawk"], &["gone"]],
                &[],
            ),
            pkg("libcurl4", &[&["libcurl4"]], &[]),
            pkg("mawk", &[], &["awk"]),
            pkg("tool", &[&["awk"]], &[]),
        ];
        let edges = resolve(&pkgs);
        assert_eq!(
            edges,
            [
                ("deb:curl:@1".into(), "deb:libcurl4:@1".into()),
                ("deb:curl:@1".into(), "deb:mawk:@1".into()),
                ("deb:tool:@1".into(), "deb:mawk:@1".into()),
            ]
        );
    }
}
