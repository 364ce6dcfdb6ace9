//! rpm: the package database in any of its three formats, under `var/lib/rpm` or
//! `usr/lib/sysimage/rpm`: SQLite `rpmdb.sqlite` (Fedora 33+/RHEL 9), Berkeley DB hash
//! `Packages` (RHEL 7/8, [`super::bdb`]) and NDB `Packages.db` (SUSE, [`super::rpm_ndb`]).
//! Each record is a package header ([`super::rpm_header`]), read the same way whatever the
//! format.
//!
//! purl: `pkg:rpm/<os id>/NAME@VERSION-RELEASE?arch=ARCH&distro=<id>-<version_id>&epoch=N`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{bdb, qualifiers, rpm_header, rpm_ndb, sqlite, OsRelease, Package};
use crate::model::{ComponentKind, Problem, Severity};

#[derive(Clone, Copy)]
enum Format {
    Sqlite,
    BerkeleyDb,
    Ndb,
}

const DATABASES: &[(&str, Format)] = &[
    ("var/lib/rpm/rpmdb.sqlite", Format::Sqlite),
    ("usr/lib/sysimage/rpm/rpmdb.sqlite", Format::Sqlite),
    ("var/lib/rpm/Packages", Format::BerkeleyDb),
    ("usr/lib/sysimage/rpm/Packages", Format::BerkeleyDb),
    ("var/lib/rpm/Packages.db", Format::Ndb),
    ("usr/lib/sysimage/rpm/Packages.db", Format::Ndb),
];

pub fn wants(path: &str) -> bool {
    DATABASES.iter().any(|(p, _)| *p == path)
}

/// A database's header blobs, each with the number rpm knows it by; damaged records are
/// messages beside them.
struct Records<'a> {
    blobs: Vec<(u64, Cow<'a, [u8]>)>,
    damaged: Vec<String>,
}

pub fn catalog(
    texts: &BTreeMap<&str, &[u8]>,
    os: &OsRelease,
    out: &mut Vec<Package>,
    problems: &mut Vec<Problem>,
) {
    for &(path, format) in DATABASES {
        let Some(bytes) = texts.get(path) else {
            continue;
        };
        let problem = |message: String| Problem {
            path: format!("/{path}"),
            severity: Severity::Warning,
            message,
        };
        let records = match format {
            Format::Sqlite => sqlite_records(bytes),
            Format::BerkeleyDb => bdb_records(bytes),
            Format::Ndb => ndb_records(bytes),
        };
        let records = match records {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(format!("rpm database unreadable: {e}")));
                continue;
            }
        };
        for message in records.damaged {
            problems.push(problem(format!("rpm database damaged: {message}")));
        }
        for (number, blob) in records.blobs {
            match rpm_header::parse(&blob) {
                Ok(h) => out.push(package(h, os, path)),
                Err(e) => problems.push(problem(format!("package {number}: bad header: {e}"))),
            }
        }
    }
}

fn sqlite_records(bytes: &[u8]) -> Result<Records<'_>, String> {
    let rows = sqlite::Database::open(bytes).and_then(|db| db.table("Packages"))?;
    let mut records = Records {
        blobs: Vec::new(),
        damaged: Vec::new(),
    };
    for (hnum, columns) in rows {
        match columns.into_iter().nth(1) {
            Some(sqlite::Value::Blob(blob)) => records.blobs.push((hnum as u64, blob.into())),
            _ => records
                .damaged
                .push(format!("package {hnum}: no header blob")),
        }
    }
    Ok(records)
}

/// rpm keys `Packages` by the 4-byte header number in the file's byte order; key 0 holds
/// the next free number, not a header, and rpm skips other keys too.
fn bdb_records(bytes: &[u8]) -> Result<Records<'_>, String> {
    let db = bdb::HashDb::open(bytes)?;
    let (pairs, damaged) = db.pairs();
    let mut blobs: Vec<(u64, Cow<'_, [u8]>)> = pairs
        .into_iter()
        .filter_map(|(key, value)| {
            let key: [u8; 4] = key.as_ref().try_into().ok()?;
            let number = if db.big_endian() {
                u32::from_be_bytes(key)
            } else {
                u32::from_le_bytes(key)
            };
            (number != 0).then_some((u64::from(number), value))
        })
        .collect();
    blobs.sort_by_key(|(number, _)| *number);
    Ok(Records { blobs, damaged })
}

fn ndb_records(bytes: &[u8]) -> Result<Records<'_>, String> {
    let (records, damaged) = rpm_ndb::records(bytes)?;
    let mut blobs: Vec<(u64, Cow<'_, [u8]>)> = records
        .into_iter()
        .map(|r| (u64::from(r.index), Cow::Borrowed(r.blob)))
        .collect();
    blobs.sort_by_key(|(number, _)| *number);
    Ok(Records { blobs, damaged })
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
