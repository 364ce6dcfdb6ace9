//! cargo-auditable's `.dep-v0` data: zlib-compressed JSON listing every crate in the build,
//! with its source, kind and dependency edges (indices into the same list).
//! Format: <https://github.com/rust-secure-code/cargo-auditable/blob/master/PARSING.md>.

use std::io::Read;

use object::{Object, ObjectSection};
use serde::Deserialize;

/// The section name in ELF and PE, and the section name inside `__DATA` in Mach-O.
pub const SECTION: &str = ".dep-v0";
/// Real dependency lists are tens of kilobytes; anything past this is a decompression bomb.
pub const MAX_DECOMPRESSED: u64 = 8 * 1024 * 1024;
/// More crates than any real build has.
const MAX_PACKAGES: usize = 50_000;

#[derive(Debug, Clone, Deserialize)]
pub struct AuditData {
    pub packages: Vec<AuditPackage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuditPackage {
    pub name: String,
    pub version: String,
    /// `crates.io`, `git`, `local`, `registry` or `other`.
    #[serde(default = "unknown_source")]
    pub source: String,
    /// `runtime` (linked) or `build` (build scripts and proc-macros only).
    #[serde(default = "runtime_kind")]
    pub kind: String,
    #[serde(default)]
    pub dependencies: Vec<usize>,
    #[serde(default)]
    pub root: bool,
}

fn unknown_source() -> String {
    "other".into()
}

fn runtime_kind() -> String {
    "runtime".into()
}

/// The compressed `.dep-v0` bytes of an object image, if it has them.
pub fn section_bytes<'data>(file: &object::File<'data>) -> Option<&'data [u8]> {
    let section = file.section_by_name(SECTION)?;
    section.data().ok()
}

/// Decompresses (bounded) and parses the audit data; checks every dependency index.
pub fn decode(compressed: &[u8]) -> Result<AuditData, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cargo-auditable data: cannot decompress: {e}"))?;
    if json.len() as u64 > MAX_DECOMPRESSED {
        return Err(format!(
            "cargo-auditable data refused: decompresses to more than {MAX_DECOMPRESSED} bytes"
        ));
    }
    let data: AuditData = serde_json::from_slice(&json)
        .map_err(|e| format!("cargo-auditable data: malformed JSON: {e}"))?;
    if data.packages.len() > MAX_PACKAGES {
        return Err(format!(
            "cargo-auditable data lists {} crates (more than {MAX_PACKAGES})",
            data.packages.len()
        ));
    }
    for (i, p) in data.packages.iter().enumerate() {
        if let Some(bad) = p.dependencies.iter().find(|&&d| d >= data.packages.len()) {
            return Err(format!(
                "cargo-auditable data: crate {i} ({}) depends on index {bad}, but there are {} crates",
                p.name,
                data.packages.len()
            ));
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decodes_packages_and_edges() {
        let json = br#"{"packages":[{"name":"a","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"b","version":"1.0.0","source":"crates.io","kind":"build"}]}"#;
        let d = decode(&zlib(json)).unwrap();
        assert_eq!(d.packages.len(), 2);
        assert!(d.packages[0].root);
        assert_eq!(d.packages[0].dependencies, vec![1]);
        assert_eq!(d.packages[1].kind, "build");
        assert_eq!(d.packages[0].kind, "runtime");
    }

    #[test]
    fn refuses_bombs_and_bad_indices() {
        let bomb = zlib(&vec![b' '; (MAX_DECOMPRESSED + 10) as usize]);
        assert!(decode(&bomb).unwrap_err().contains("refused"));
        let bad = zlib(br#"{"packages":[{"name":"a","version":"1.0.0","dependencies":[7]}]}"#);
        assert!(decode(&bad).unwrap_err().contains("index 7"));
        assert!(decode(b"not zlib").is_err());
    }
}
