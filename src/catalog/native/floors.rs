//! Version floors: the newest version node a file requires from each versioned library.
//! `memcpy@GLIBC_2.14` and `stat@GLIBC_2.33` together mean "needs glibc ≥ 2.33".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ImportedSymbol;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VersionFloor {
    pub library: String,
    /// The highest version node required, e.g. `GLIBC_2.34`.
    pub version: String,
}

/// Computes the floors from imported symbol versions. Nodes are compared within one prefix
/// (`GLIBC_`, `GLIBCXX_`, `OPENSSL_`…) by their dotted numbers; nodes without numbers
/// (`GLIBC_PRIVATE`) impose no floor.
pub fn version_floors(imports: &[ImportedSymbol]) -> Vec<VersionFloor> {
    let mut best: BTreeMap<(String, String), (Vec<u64>, String)> = BTreeMap::new();
    for import in imports {
        let Some(version) = &import.version else {
            continue;
        };
        let Some((prefix, numbers)) = split_version(version) else {
            continue;
        };
        let library = import.library.clone().unwrap_or_default();
        let key = (library, prefix.to_string());
        match best.get(&key) {
            Some((current, _)) if *current >= numbers => {}
            _ => {
                best.insert(key, (numbers, version.clone()));
            }
        }
    }
    best.into_iter()
        .map(|((library, _), (_, version))| VersionFloor { library, version })
        .collect()
}

/// `GLIBC_2.34` → (`GLIBC_`, [2, 34]); `None` when no dotted number follows the prefix.
fn split_version(node: &str) -> Option<(&str, Vec<u64>)> {
    let start = node.find(|c: char| c.is_ascii_digit())?;
    let (prefix, rest) = node.split_at(start);
    let numbers: Option<Vec<u64>> = rest.split('.').map(|p| p.parse().ok()).collect();
    Some((prefix, numbers?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(library: &str, version: &str) -> ImportedSymbol {
        ImportedSymbol {
            name: "x".into(),
            library: Some(library.into()),
            version: Some(version.into()),
            ordinal: None,
            weak: false,
            delay: false,
        }
    }

    #[test]
    fn numeric_not_lexical_order() {
        let floors = version_floors(&[
            import("libc.so.6", "GLIBC_2.2.5"),
            import("libc.so.6", "GLIBC_2.14"),
            import("libc.so.6", "GLIBC_PRIVATE"),
            import("libc.so.6", "GLIBC_2.3.4"),
            import("libstdc++.so.6", "GLIBCXX_3.4.29"),
            import("libstdc++.so.6", "CXXABI_1.3"),
        ]);
        let got: Vec<(&str, &str)> = floors
            .iter()
            .map(|f| (f.library.as_str(), f.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("libc.so.6", "GLIBC_2.14"),
                ("libstdc++.so.6", "CXXABI_1.3"),
                ("libstdc++.so.6", "GLIBCXX_3.4.29")
            ]
        );
    }
}
