//! apk: `lib/apk/db/installed`. Records are blank-line separated `K:value` lines: `P` name,
//! `V` version, `A` arch, `L` license, `F` a directory, `R` a file in the last `F`.
//!
//! purl: `pkg:apk/<os id, default alpine>/NAME@VERSION?arch=ARCH&distro=<id>-<version_id>`.

use std::collections::BTreeMap;

use super::{qualifiers, OsRelease, Package};
use crate::model::{ComponentKind, Problem};

const INSTALLED: &str = "lib/apk/db/installed";

pub fn wants(path: &str) -> bool {
    path == INSTALLED
}

pub fn catalog(
    texts: &BTreeMap<&str, &[u8]>,
    os: &OsRelease,
    out: &mut Vec<Package>,
    _problems: &mut Vec<Problem>,
) {
    let Some(text) = texts.get(INSTALLED) else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let mut record = Record::default();
    for line in text.lines().chain(std::iter::once("")) {
        if line.is_empty() {
            if let Some(p) = std::mem::take(&mut record).finish(os) {
                out.push(p);
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "P" => record.name = Some(value.to_string()),
            "V" => record.version = Some(value.to_string()),
            "A" => record.arch = Some(value.to_string()),
            "L" => record.license = Some(value.to_string()),
            "m" => record.maintainer = Some(value.to_string()),
            "F" => record.dir = value.to_string(),
            "o" => record.origin = Some(value.to_string()),
            // `D:so:libc.musl-x86_64.so.1 cmd:sh zlib>=1.2 !conflict`: no alternatives in apk.
            "D" => record.depends.extend(
                value
                    .split_whitespace()
                    .filter(|d| !d.starts_with('!'))
                    .map(|d| vec![relation_name(d)]),
            ),
            "p" => record
                .provides
                .extend(value.split_whitespace().map(relation_name)),
            "R" => record.files.push(if record.dir.is_empty() {
                value.to_string()
            } else {
                format!("{}/{value}", record.dir)
            }),
            _ => {}
        }
    }
}

#[derive(Default)]
struct Record {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    license: Option<String>,
    maintainer: Option<String>,
    dir: String,
    files: Vec<String>,
    origin: Option<String>,
    depends: Vec<Vec<String>>,
    provides: Vec<String>,
}

/// `so:libcrypto.so.3=3.1.4-r5`, `zlib>=1.2`, `cmd:sh` → the name before any constraint.
fn relation_name(d: &str) -> String {
    d.split(['=', '<', '>', '~'])
        .next()
        .unwrap_or(d)
        .to_string()
}

impl Record {
    fn finish(self, os: &OsRelease) -> Option<Package> {
        use crate::purl::encode_segment as enc;
        let name = self.name?;
        let version = self.version.unwrap_or_default();
        let namespace = os.id.clone().unwrap_or_else(|| "alpine".to_string());
        let distro = os.distro();
        Some(Package {
            kind: ComponentKind::ApkPackage,
            purl: format!(
                "pkg:apk/{}/{}@{}{}",
                enc(&namespace),
                enc(&name),
                enc(&version),
                qualifiers(&[
                    ("arch", self.arch.as_deref()),
                    ("distro", distro.as_deref())
                ])
            ),
            name,
            version,
            arch: self.arch,
            license: self.license,
            maintainer: self.maintainer,
            database: format!("/{INSTALLED}"),
            files: self.files,
            source: self.origin,
            depends: self.depends,
            provides: self.provides,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_installed() {
        let db = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\nF:bin\nR:busybox\n";
        let mut texts = BTreeMap::new();
        texts.insert(INSTALLED, &db[..]);
        let mut out = Vec::new();
        catalog(
            &texts,
            &OsRelease::parse("ID=alpine\nVERSION_ID=3.19.1"),
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].purl,
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"
        );
        assert_eq!(
            out[0].files,
            ["lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"]
        );
        assert_eq!(out[1].files, ["bin/busybox"]);
        assert_eq!(
            relation_name("so:libcrypto.so.3=3.1.4-r5"),
            "so:libcrypto.so.3"
        );
        assert_eq!(relation_name("zlib>=1.2"), "zlib");
    }
}
