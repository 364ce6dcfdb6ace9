//! Which files of a module (or crate, or package) root are license files: ONE rule, shared by
//! the resolver, the remote fetcher and the license-db generator, so that a license found
//! offline and one found in the db were read from the same files.
//!
//! The names follow pkg.go.dev's list (COPYING, LICENCE, LICENSE with .md/.markdown/.txt/
//! .rst, LICENSE-APACHE, LICENSE-MIT, MIT-LICENSE, UNLICENSE, …) plus the `LICENSE.<what>`
//! and `LICENSE-<what>` forms real modules use for a second license (`LICENSE.libyaml`,
//! `LICENSE.code`, `LICENSE-BSD`, `COPYRIGHT-MUSL`). NOTICE and PATENTS are not license
//! files, but are read with them: a NOTICE for the licenses it clearly states
//! (`super::notice`), a PATENTS file for its grant (see [`is_patents_file`]).

/// What a license file covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LicenseFileKind {
    /// Covers code (the default): part of the component's license.
    Code,
    /// Covers documentation only (`LICENSE.docs`, `LICENSE-documentation`): documentation is
    /// not compiled into a binary, so it is evidence, not part of the binary's license.
    Docs,
}

/// The kind of license file `name` (a file name in the root, any case) is, or `None` when
/// it is not one.
pub fn is_license_file(name: &str) -> Option<LicenseFileKind> {
    let lower = name.to_ascii_lowercase();
    // Source files named after licenses (license.go, copying.py) are code.
    const CODE_EXTENSIONS: &[&str] = &[
        ".go", ".sh", ".py", ".rs", ".c", ".h", ".js", ".ts", ".java", ".rb", ".pl", ".json",
        ".yaml", ".yml", ".toml", ".html", ".tmpl", ".in",
    ];
    if CODE_EXTENSIONS.iter().any(|e| lower.ends_with(e)) {
        return None;
    }
    let stem = [".md", ".markdown", ".txt", ".rst"]
        .iter()
        .find_map(|e| lower.strip_suffix(e))
        .unwrap_or(&lower);
    let base = ["license", "licence", "copying", "copyright", "unlicense"]
        .iter()
        .find(|b| stem == **b);
    if base.is_some() || stem.starts_with("mit-license") {
        return Some(LicenseFileKind::Code);
    }
    // LICENSE.<qualifier>, LICENSE-<qualifier>, LICENSE_<qualifier>, COPYING.<qualifier>,
    // COPYRIGHT-<qualifier> (modernc.org/libc's COPYRIGHT-MUSL: the license of the musl
    // code it carries)
    let qualifier = ["license", "licence", "copying", "copyright"]
        .iter()
        .find_map(|b| {
            let rest = stem.strip_prefix(b)?;
            let q = rest.strip_prefix(['.', '-', '_'])?;
            (!q.is_empty()).then_some(q)
        })?;
    const DOCS: &[&str] = &["docs", "doc", "documentation", "content"];
    if DOCS.contains(&qualifier) {
        Some(LicenseFileKind::Docs)
    } else {
        Some(LicenseFileKind::Code)
    }
}

/// `PATENTS` (any case, optional .md/.txt): an additional patent grant next to a license.
pub fn is_patents_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "patents" | "patents.md" | "patents.txt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        use LicenseFileKind::*;
        for (n, k) in [
            ("LICENSE", Some(Code)),
            ("LICENSE.md", Some(Code)),
            ("COPYING", Some(Code)),
            ("COPYING.LESSER", Some(Code)),
            ("LICENSE-APACHE", Some(Code)),
            ("LICENSE.MIT", Some(Code)),
            ("licence.txt", Some(Code)),
            ("UNLICENSE", Some(Code)),
            ("MIT-LICENSE.txt", Some(Code)),
            ("LICENSE.libyaml", Some(Code)),
            ("LICENSE.code", Some(Code)),
            ("COPYRIGHT-MUSL", Some(Code)),
            ("LICENSE.docs", Some(Docs)),
            ("LICENSE-documentation.md", Some(Docs)),
            ("NOTICE", None),
            ("PATENTS", None),
            ("README.md", None),
            ("license.go", None),
            ("licenses.json", None),
            ("LICENSES", None),
        ] {
            assert_eq!(is_license_file(n), k, "{n}");
        }
        assert!(is_patents_file("PATENTS"));
        assert!(!is_patents_file("LICENSE"));
    }
}
