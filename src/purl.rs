//! Package URLs (purl spec): only the parts assay emits.

/// Percent-encodes one purl segment: everything but ASCII alphanumerics and `.-_~`.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `pkg:golang/<namespace>/<name>@<version>`, the module path split on `/` with each
/// segment encoded and case preserved (Go module paths are case-sensitive).
pub fn golang(module_path: &str, version: Option<&str>) -> String {
    let path: Vec<String> = module_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(encode_segment)
        .collect();
    let mut purl = format!("pkg:golang/{}", path.join("/"));
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        purl.push('@');
        purl.push_str(&encode_segment(v));
    }
    purl
}

/// `pkg:<type>/<name>@<version>` for single-segment types (`cargo`, `generic`).
pub fn simple(purl_type: &str, name: &str, version: Option<&str>) -> String {
    let mut purl = format!("pkg:{purl_type}/{}", encode_segment(name));
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        purl.push('@');
        purl.push_str(&encode_segment(v));
    }
    purl
}

/// `pkg:cargo/<name>@<version>`.
pub fn cargo(name: &str, version: Option<&str>) -> String {
    simple("cargo", name, version)
}

/// `pkg:generic/<name>@<version>`, for libraries and tools with no package ecosystem.
pub fn generic(name: &str, version: Option<&str>) -> String {
    simple("generic", name, version)
}

#[cfg(test)]
mod tests {
    #[test]
    fn golang_purls_keep_case_and_encode_versions() {
        assert_eq!(
            super::golang("github.com/BurntSushi/toml", Some("v1.3.2")),
            "pkg:golang/github.com/BurntSushi/toml@v1.3.2"
        );
        assert_eq!(
            super::golang("github.com/x/y", Some("v2.0.0+incompatible")),
            "pkg:golang/github.com/x/y@v2.0.0%2Bincompatible"
        );
        assert_eq!(
            super::golang("stdlib", Some("1.23.4")),
            "pkg:golang/stdlib@1.23.4"
        );
        assert_eq!(
            super::golang("example.com/m", None),
            "pkg:golang/example.com/m"
        );
    }
}
