//! Crates inferred without cargo-auditable data, from the source paths cargo leaves behind:
//! `…/.cargo/registry/src/<index>/<name>-<version>/…` and `…/.cargo/git/checkouts/<repo>-<hash>/<rev>/…`.
//! They appear in DWARF line tables and in panic-location strings in read-only data; the
//! latter survive stripping.

use memchr::memmem;

/// Where a crate's source lived when it was compiled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum CrateSource {
    /// A registry (`index.crates.io-…` or the older `github.com-…` is crates.io).
    Registry { index: String },
    /// A git checkout; the version is not in the path, the short revision is.
    Git { repo: String, rev: String },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathCrate {
    pub name: String,
    /// `None` for git checkouts (the directory names a revision, not a version).
    pub version: Option<String>,
    pub source: CrateSource,
}

impl CrateSource {
    pub fn is_crates_io(&self) -> bool {
        matches!(self, CrateSource::Registry { index } if index.starts_with("index.crates.io-") || index.starts_with("github.com-"))
    }
}

const REGISTRY: &[&[u8]] = &[b".cargo/registry/src/", b".cargo\\registry\\src\\"];
const GIT: &[&[u8]] = &[b".cargo/git/checkouts/", b".cargo\\git\\checkouts\\"];
/// Path components are short; a longer run is not a path.
const MAX_COMPONENT: usize = 200;

/// Every crate named by a cargo source path anywhere in `bytes`.
pub fn crates_in(bytes: &[u8], out: &mut Vec<PathCrate>) {
    for marker in REGISTRY {
        for at in memmem::find_iter(bytes, marker) {
            let rest = &bytes[at + marker.len()..];
            let Some((index, rest)) = component(rest) else {
                continue;
            };
            let Some((dir, _)) = component(rest) else {
                continue;
            };
            if let Some((name, version)) = split_name_version(&dir) {
                out.push(PathCrate {
                    name,
                    version: Some(version),
                    source: CrateSource::Registry { index },
                });
            }
        }
    }
    for marker in GIT {
        for at in memmem::find_iter(bytes, marker) {
            let rest = &bytes[at + marker.len()..];
            let Some((checkout, rest)) = component(rest) else {
                continue;
            };
            let Some((rev, _)) = component(rest) else {
                continue;
            };
            // `<repo>-<16 hex hash>`: the repository name is the crate name's best guess.
            let repo = match checkout.rsplit_once('-') {
                Some((r, h)) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => r,
                _ => checkout.as_str(),
            };
            out.push(PathCrate {
                name: repo.to_string(),
                version: None,
                source: CrateSource::Git {
                    repo: repo.to_string(),
                    rev,
                },
            });
        }
    }
}

/// One path component terminated by `/` or `\`, made of the characters cargo uses.
fn component(bytes: &[u8]) -> Option<(String, &[u8])> {
    let end = bytes
        .iter()
        .take(MAX_COMPONENT + 1)
        .position(|&b| b == b'/' || b == b'\\')?;
    let c = &bytes[..end];
    if c.is_empty()
        || !c
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
    {
        return None;
    }
    Some((String::from_utf8_lossy(c).into_owned(), &bytes[end + 1..]))
}

/// `serde_json-1.0.100` → (`serde_json`, `1.0.100`): the version starts at the first `-`
/// followed by `<digits>.`, since crate names may contain `-` but not start a part with a
/// version.
pub fn split_name_version(dir: &str) -> Option<(String, String)> {
    let bytes = dir.as_bytes();
    for (i, _) in dir.match_indices('-') {
        let rest = &bytes[i + 1..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest.get(digits) == Some(&b'.') && i > 0 {
            return Some((dir[..i].to_string(), dir[i + 1..].to_string()));
        }
    }
    None
}

/// The rustc version in `rustc version 1.91.0 (f8297e351 2025-10-28)` (`.comment`, or inside
/// a DWARF producer `clang LLVM (rustc version …)`).
pub fn rustc_version(text: &str) -> Option<String> {
    let at = text.find("rustc version ")? + "rustc version ".len();
    let v: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect();
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

/// The compiler commit in standard-library panic paths `/rustc/<40 hex>/library/…`.
pub fn rustc_commit(bytes: &[u8]) -> Option<String> {
    for at in memmem::find_iter(bytes, b"/rustc/") {
        let hash = bytes.get(at + 7..at + 47)?;
        if hash.iter().all(|b| b.is_ascii_hexdigit())
            && bytes.get(at + 47..at + 56) == Some(b"/library/")
        {
            return Some(String::from_utf8_lossy(hash).into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names_with_dashes() {
        assert_eq!(
            split_name_version("serde_json-1.0.100"),
            Some(("serde_json".into(), "1.0.100".into()))
        );
        assert_eq!(
            split_name_version("wasm-bindgen-0.2.90-alpha.1"),
            Some(("wasm-bindgen".into(), "0.2.90-alpha.1".into()))
        );
        assert_eq!(split_name_version("no-version"), None);
    }

    #[test]
    fn finds_registry_and_git_paths_in_raw_bytes() {
        let bytes = b"\0xx/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/semver-1.0.28/src/parse.rsattempt\0C:\\Users\\u\\.cargo\\git\\checkouts\\mycrate-0123456789abcdef\\a1b2c3d\\src\\lib.rs";
        let mut out = Vec::new();
        crates_in(bytes, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].name, "semver");
        assert_eq!(out[0].version.as_deref(), Some("1.0.28"));
        assert!(out[0].source.is_crates_io());
        assert_eq!(out[1].name, "mycrate");
        assert_eq!(
            out[1].source,
            CrateSource::Git {
                repo: "mycrate".into(),
                rev: "a1b2c3d".into()
            }
        );
    }

    #[test]
    fn reads_rustc_versions() {
        assert_eq!(
            rustc_version("clang LLVM (rustc version 1.91.0 (f8297e351 2025-10-28))").as_deref(),
            Some("1.91.0")
        );
        assert_eq!(rustc_version("GCC: (Debian 12.2.0-14) 12.2.0"), None);
    }
}
