//! rpm: the SQLite database (`rpmdb.sqlite`, Fedora 33+/RHEL 9, under `var/lib/rpm` or
//! `usr/lib/sysimage/rpm`). Each row's blob is a package header ([`super::rpm_header`]).
//! Berkeley DB `Packages` and NDB `Packages.db` are not read yet.
//!
//! purl: `pkg:rpm/<os id>/NAME@VERSION-RELEASE?arch=ARCH&distro=<id>-<version_id>&epoch=N`.

use std::collections::BTreeMap;

use super::{qualifiers, rpm_header, sqlite, OsRelease, Package};
use crate::model::{ComponentKind, Problem, Severity};

const SQLITE: &[&str] = &[
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];

pub fn wants(path: &str) -> bool {
    SQLITE.contains(&path)
}

pub fn catalog(
    texts: &BTreeMap<&str, &[u8]>,
    os: &OsRelease,
    out: &mut Vec<Package>,
    problems: &mut Vec<Problem>,
) {
    for path in SQLITE {
        let Some(bytes) = texts.get(path) else {
            continue;
        };
        let problem = |message: String| Problem {
            path: format!("/{path}"),
            severity: Severity::Warning,
            message,
        };
        let rows = match sqlite::Database::open(bytes).and_then(|db| db.table("Packages")) {
            Ok(rows) => rows,
            Err(e) => {
                problems.push(problem(format!("rpm database unreadable: {e}")));
                continue;
            }
        };
        for (hnum, columns) in rows {
            let Some(sqlite::Value::Blob(blob)) = columns.get(1) else {
                problems.push(problem(format!("package {hnum}: no header blob")));
                continue;
            };
            match rpm_header::parse(blob) {
                Ok(h) => out.push(package(h, os, path)),
                Err(e) => problems.push(problem(format!("package {hnum}: bad header: {e}"))),
            }
        }
    }
}

fn package(h: rpm_header::RpmHeader, os: &OsRelease, path: &str) -> Package {
    use crate::purl::encode_segment as enc;
    let version = if h.release.is_empty() {
        h.version.clone()
    } else {
        format!("{}-{}", h.version, h.release)
    };
    let namespace = os
        .id
        .as_deref()
        .map(|id| format!("{}/", enc(id)))
        .unwrap_or_default();
    let epoch = h.epoch.map(|e| e.to_string());
    let distro = os.distro();
    Package {
        kind: ComponentKind::RpmPackage,
        purl: format!(
            "pkg:rpm/{namespace}{}@{}{}",
            enc(&h.name),
            enc(&version),
            qualifiers(&[
                ("arch", h.arch.as_deref()),
                ("distro", distro.as_deref()),
                ("epoch", epoch.as_deref()),
            ])
        ),
        source: h.source_rpm.as_deref().and_then(rpm_header::source_name),
        depends: h.requires.iter().map(|r| vec![r.clone()]).collect(),
        provides: h.provides.clone(),
        name: h.name,
        version,
        arch: h.arch,
        license: h.license,
        // Not read from the header yet (RPMTAG_PACKAGER / RPMTAG_VENDOR).
        maintainer: None,
        database: format!("/{path}"),
        files: h.files,
    }
}
