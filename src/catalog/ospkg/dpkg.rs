//! dpkg: `var/lib/dpkg/status` (installed packages), distroless `var/lib/dpkg/status.d/*`
//! (one file per package, with `*.md5sums` listing its files), and
//! `var/lib/dpkg/info/NAME[:ARCH].list` (file lists).
//!
//! purl: `pkg:deb/<os id, default debian>/NAME@VERSION?arch=ARCH&distro=<id>-<version_id>`.

use std::collections::BTreeMap;

use super::{owned_path, qualifiers, OsRelease, Package};
use crate::model::{ComponentKind, Problem, Severity};

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";
const INFO: &str = "var/lib/dpkg/info/";

pub fn wants(path: &str) -> bool {
    path == STATUS
        || (path.starts_with(STATUS_D) && !path[STATUS_D.len()..].contains('/'))
        || (path.starts_with(INFO) && path.ends_with(".list"))
}

pub fn catalog(
    texts: &BTreeMap<&str, &[u8]>,
    os: &OsRelease,
    out: &mut Vec<Package>,
    problems: &mut Vec<Problem>,
) {
    for (&path, &text) in texts {
        let distroless = path.starts_with(STATUS_D) && !path.ends_with(".md5sums");
        if path != STATUS && !distroless {
            continue;
        }
        let text = String::from_utf8_lossy(text);
        let mut unnamed = 0usize;
        for para in paragraphs(&text) {
            let Some(name) = para.get("Package") else {
                unnamed += 1;
                continue;
            };
            // status.d entries have no Status field: they are installed by construction.
            if let Some(status) = para.get("Status") {
                if status.split_whitespace().nth(2) != Some("installed") {
                    continue;
                }
            }
            let version = para.get("Version").cloned().unwrap_or_default();
            let arch = para.get("Architecture").cloned();
            let files = if distroless {
                let sums = format!("{}.md5sums", path);
                texts
                    .get(sums.as_str())
                    .map(|t| md5sums_files(&String::from_utf8_lossy(t)))
                    .unwrap_or_default()
            } else {
                list_files(texts, name, arch.as_deref())
            };
            out.push(Package {
                kind: ComponentKind::DebPackage,
                purl: purl(os, name, &version, arch.as_deref()),
                name: name.clone(),
                version,
                arch,
                license: None,
                maintainer: para.get("Maintainer").cloned(),
                database: format!("/{path}"),
                files,
                source: para.get("Source").map(|s| source_name(s)),
                depends: ["Pre-Depends", "Depends"]
                    .iter()
                    .filter_map(|k| para.get(*k))
                    .flat_map(|v| relation_groups(v))
                    .collect(),
                provides: para
                    .get("Provides")
                    .map(|v| relation_groups(v).into_iter().flatten().collect())
                    .unwrap_or_default(),
            });
        }
        if unnamed > 0 {
            problems.push(Problem {
                path: format!("/{path}"),
                severity: Severity::Warning,
                message: format!(
                    "{unnamed} paragraph(s) without a Package field: damaged dpkg database, skipped"
                ),
            });
        }
    }
}

/// `Source: glibc (2.36-9)` names the source package and, when it differs, its version.
fn source_name(field: &str) -> String {
    field.split_whitespace().next().unwrap_or(field).to_string()
}

/// `libc6 (>= 2.34), libssl3 | libssl1.1, awk:any [amd64]` → `[[libc6], [libssl3,
/// libssl1.1], [awk]]`: version constraints, arch qualifiers and restrictions dropped.
fn relation_groups(field: &str) -> Vec<Vec<String>> {
    field
        .split(',')
        .map(|group| {
            group
                .split('|')
                .filter_map(|alt| {
                    let name = alt
                        .split(|c: char| c.is_whitespace() || c == '(' || c == '[' || c == '<')
                        .find(|s| !s.is_empty())?;
                    let name = name.split(':').next().unwrap_or(name);
                    (!name.is_empty()).then(|| name.to_string())
                })
                .collect::<Vec<String>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

fn purl(os: &OsRelease, name: &str, version: &str, arch: Option<&str>) -> String {
    use crate::purl::encode_segment as enc;
    let namespace = os.id.clone().unwrap_or_else(|| "debian".to_string());
    let distro = os.distro();
    format!(
        "pkg:deb/{}/{}@{}{}",
        enc(&namespace),
        enc(name),
        enc(version),
        qualifiers(&[("arch", arch), ("distro", distro.as_deref())])
    )
}

fn list_files(texts: &BTreeMap<&str, &[u8]>, name: &str, arch: Option<&str>) -> Vec<String> {
    let plain = format!("{INFO}{name}.list");
    let with_arch = arch.map(|a| format!("{INFO}{name}:{a}.list"));
    let text = texts
        .get(plain.as_str())
        .or_else(|| with_arch.as_deref().and_then(|p| texts.get(p)));
    text.map(|t| {
        String::from_utf8_lossy(t)
            .lines()
            .filter(|l| !l.is_empty() && *l != "/.")
            .map(owned_path)
            .collect()
    })
    .unwrap_or_default()
}

fn md5sums_files(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| owned_path(p.trim())))
        .collect()
}

/// RFC 822-style paragraphs; continuation lines (leading space) are appended.
fn paragraphs(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    let mut last_key: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            last_key = None;
        } else if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(v) = last_key.as_ref().and_then(|k| current.get_mut(k)) {
                v.push('\n');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            current.insert(k.to_string(), v.trim().to_string());
            last_key = Some(k.to_string());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_lists() {
        let status = b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
        let list = b"/.\n/lib/x86_64-linux-gnu/libc.so.6\n";
        let os = OsRelease::parse("ID=debian\nVERSION_ID=\"12\"\n");
        let mut texts = BTreeMap::new();
        texts.insert(STATUS, &status[..]);
        texts.insert("var/lib/dpkg/info/libc6:amd64.list", &list[..]);
        let mut out = Vec::new();
        catalog(&texts, &os, &mut out, &mut Vec::new());
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].purl,
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(out[0].files, ["lib/x86_64-linux-gnu/libc.so.6"]);
    }

    #[test]
    fn relations_drop_versions_and_qualifiers() {
        assert_eq!(
            relation_groups("libc6 (>= 2.34), libssl3 | libssl1.1,awk:any [amd64], "),
            [
                vec!["libc6".to_string()],
                vec!["libssl3".into(), "libssl1.1".into()],
                vec!["awk".into()]
            ]
        );
        assert_eq!(source_name("glibc (2.36-9)"), "glibc");
    }
}
