//! xbps (Void Linux): `var/db/xbps/pkgdb-0.38.plist` maps package names to their metadata
//! (`pkgver` = `NAME-VERSION_REVISION`, `architecture`, `license`, `state`); file lists are
//! in `var/db/xbps/.NAME-files.plist` (`files`, `links`, `conf_files` arrays of `file`).
//!
//! purl: xbps has no registered purl type, so assay writes the generic type with the
//! distribution as namespace: `pkg:generic/void/NAME@VERSION_REVISION?arch=ARCH&distro=void`.

use std::collections::BTreeMap;

use super::{owned_path, plist, qualifiers, OsRelease, Package};
use crate::model::{ComponentKind, Problem, Severity};

const DIR: &str = "var/db/xbps/";

pub fn wants(path: &str) -> bool {
    path.strip_prefix(DIR).is_some_and(|name| {
        !name.contains('/')
            && ((name.starts_with("pkgdb-") && name.ends_with(".plist"))
                || (name.starts_with('.') && name.ends_with("-files.plist")))
    })
}

pub fn catalog(
    texts: &BTreeMap<&str, &[u8]>,
    os: &OsRelease,
    out: &mut Vec<Package>,
    problems: &mut Vec<Problem>,
) {
    for (&path, &text) in texts {
        let Some(name) = path.strip_prefix(DIR) else {
            continue;
        };
        if !name.starts_with("pkgdb-") {
            continue;
        }
        let db = match plist::parse(&String::from_utf8_lossy(text)) {
            Ok(plist::Value::Dict(d)) => d,
            Ok(_) => continue,
            Err(e) => {
                problems.push(Problem {
                    path: format!("/{path}"),
                    severity: Severity::Warning,
                    message: format!("xbps package database unreadable: {e}"),
                });
                continue;
            }
        };
        for (pkgname, meta) in &db {
            if pkgname.starts_with('_') {
                continue; // xbps keeps internal keys like `_XBPS_ALTERNATIVES_`
            }
            let state = meta.get("state").and_then(|s| s.as_str());
            if state.is_some_and(|s| s != "installed") {
                continue;
            }
            let Some(pkgver) = meta.get("pkgver").and_then(|v| v.as_str()) else {
                continue;
            };
            let version = pkgver
                .strip_prefix(pkgname.as_str())
                .and_then(|v| v.strip_prefix('-'))
                .unwrap_or(pkgver)
                .to_string();
            let arch = meta
                .get("architecture")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let files = files_of(texts, pkgname);
            let distro = os.id.clone().unwrap_or_else(|| "void".to_string());
            use crate::purl::encode_segment as enc;
            out.push(Package {
                kind: ComponentKind::XbpsPackage,
                purl: format!(
                    "pkg:generic/{}/{}@{}{}",
                    enc(&distro),
                    enc(pkgname),
                    enc(&version),
                    qualifiers(&[("arch", arch.as_deref()), ("distro", Some(distro.as_str()))])
                ),
                name: pkgname.clone(),
                version,
                arch,
                license: meta
                    .get("license")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                maintainer: meta
                    .get("maintainer")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                database: format!("/{path}"),
                files,
                source: meta
                    .get("sourcepkg")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                depends: strings(meta.get("run_depends"))
                    .map(|d| vec![xbps_name(d)])
                    .collect(),
                provides: strings(meta.get("provides")).map(xbps_name).collect(),
            });
        }
    }
}

fn strings(v: Option<&plist::Value>) -> impl Iterator<Item = &str> {
    let items = match v {
        Some(plist::Value::Array(items)) => items.as_slice(),
        _ => &[],
    };
    items.iter().filter_map(|i| i.as_str())
}

/// `glibc>=2.36_1`, `libcurl<8`, `foo-1.0_1` (a pkgver) → the package name.
fn xbps_name(d: &str) -> String {
    if let Some(i) = d.find(['<', '>', '=', '~']) {
        return d[..i].to_string();
    }
    // pkgver form: the version follows the last `-` and contains `_` (the revision).
    match d.rsplit_once('-') {
        Some((name, version)) if version.contains('_') && !name.is_empty() => name.to_string(),
        _ => d.to_string(),
    }
}

fn files_of(texts: &BTreeMap<&str, &[u8]>, pkgname: &str) -> Vec<String> {
    let path = format!("{DIR}.{pkgname}-files.plist");
    let Some(text) = texts.get(path.as_str()) else {
        return Vec::new();
    };
    let Ok(list) = plist::parse(&String::from_utf8_lossy(text)) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for key in ["files", "links", "conf_files"] {
        if let Some(plist::Value::Array(items)) = list.get(key) {
            files.extend(
                items
                    .iter()
                    .filter_map(|i| i.get("file").and_then(|f| f.as_str()))
                    .map(owned_path),
            );
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_names() {
        assert_eq!(xbps_name("glibc>=2.36_1"), "glibc");
        assert_eq!(xbps_name("libcurl<8"), "libcurl");
        assert_eq!(xbps_name("ca-certificates-20230311_1"), "ca-certificates");
        assert_eq!(xbps_name("run-parts"), "run-parts");
    }
}
