//! rpm's Berkeley DB `Packages` and NDB `Packages.db` databases against rpm itself.
//!
//! Berkeley DB: the packages of samples/rpmdb/specs/ are built with `rpmbuild` and installed
//! (`--justdb`) into a SQLite rpm database; their installed header blobs are loaded into hash
//! databases by Berkeley DB's own `db5.3_load` (page sizes 512, 4096 and 65536, both byte
//! orders), and rpm's `bdb_ro` backend is the oracle: assay must list what `rpm -qa --qf`
//! prints, and the same packages as from the SQLite database.
//!
//! NDB: Debian's rpm has no ndb backend, so samples/rpmdb/build-ndb.sh builds rpm 4.18 with
//! it and commits the database and that rpm's `-qa` output, which assay must reproduce.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use assay::catalog::ospkg::{self, rpm_header, Package};
use common::rpm::{rpmbuild, sqlite_db_with};
use common::run_raw as run;

/// The query samples/rpmdb/build-ndb.sh uses for rpm-qa.txt.
const QF: &str = "%{NAME}\\n%{EPOCH}\\n%{VERSION}-%{RELEASE}\\n%{ARCH}\\n%{LICENSE}\\n%{SOURCERPM}\\n[%{REQUIRENAME}\\n]--\\n[%{PROVIDENAME}\\n]--\\n[%{FILENAMES}\\n]==\\n";

/// rpm's `-qa --qf QF` output as records sorted by name, with what assay does not keep
/// taken out: `rpmlib(…)` requires, and the source rpm reduced to its package name.
fn oracle(text: &str) -> Vec<String> {
    let mut records: Vec<String> = text
        .split("==\n")
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.lines()
                .enumerate()
                .filter(|(_, l)| !l.starts_with("rpmlib("))
                .map(|(i, l)| match i {
                    5 => rpm_header::source_name(l).unwrap_or_default() + "\n",
                    _ => format!("{l}\n"),
                })
                .collect()
        })
        .collect();
    records.sort();
    records
}

/// assay's packages printed the way [`oracle`] leaves rpm's output.
fn as_query(packages: &[Package]) -> Vec<String> {
    let mut records: Vec<String> = packages
        .iter()
        .map(|p| {
            let epoch = p
                .purl
                .split(['?', '&'])
                .find_map(|q| q.strip_prefix("epoch="))
                .unwrap_or("(none)");
            let mut s = format!(
                "{}\n{epoch}\n{}\n{}\n{}\n{}\n",
                p.name,
                p.version,
                p.arch.as_deref().unwrap_or("(none)"),
                p.license.as_deref().unwrap_or("(none)"),
                p.source.as_deref().unwrap_or(""),
            );
            for alternatives in &p.depends {
                s.push_str(&format!("{}\n", alternatives.join("|")));
            }
            s.push_str("--\n");
            for provide in &p.provides {
                s.push_str(&format!("{provide}\n"));
            }
            s.push_str("--\n");
            for f in &p.files {
                s.push_str(&format!("/{f}\n"));
            }
            s
        })
        .collect();
    records.sort();
    records
}

/// Runs the package catalogers over one database file placed at `path`.
fn catalog(path: &str, bytes: &[u8]) -> (Vec<Package>, Vec<String>) {
    let texts = BTreeMap::from([(path, bytes)]);
    let (packages, problems) = ospkg::catalog(&texts);
    (packages, problems.into_iter().map(|p| p.message).collect())
}

fn build_rpms(dir: &Path) -> Vec<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    let specs = common::repo().join("samples/rpmdb/specs");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(specs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    specs.sort();
    for spec in &specs {
        rpmbuild(dir, spec);
    }
    let mut rpms = Vec::new();
    for arch in std::fs::read_dir(dir.join("RPMS")).unwrap() {
        for rpm in std::fs::read_dir(arch.unwrap().path()).unwrap() {
            rpms.push(rpm.unwrap().path());
        }
    }
    rpms.sort();
    assert_eq!(rpms.len(), specs.len());
    rpms
}

/// Berkeley DB's `db_dump` text for rpm's `Packages`: key 0 holds the next header number,
/// then each header keyed by its number, in the given byte order.
const DUMP: &str = r#"
import sqlite3, sys
db, out, big = sys.argv[1], sys.argv[2], sys.argv[3] == "4321"
rows = sqlite3.connect(db).execute("select hnum, blob from Packages order by hnum").fetchall()
key = lambda n: n.to_bytes(4, "big" if big else "little").hex()
with open(out, "w") as f:
    f.write("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n")
    f.write(" %s\n %s\n" % (key(0), key(rows[-1][0] + 1)))
    for hnum, blob in rows:
        f.write(" %s\n %s\n" % (key(hnum), blob.hex()))
    f.write("DATA=END\n")
"#;

#[test]
fn berkeley_db_packages_match_rpm_bdb_ro_and_the_sqlite_database() {
    common::require_tool("rpmbuild");
    common::require_tool("python3");
    common::require_tool("db5.3_load");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rpm-bdb");
    let _ = std::fs::remove_dir_all(&dir);
    let rpms = build_rpms(&dir.join("build"));

    let sqlite_dir = dir.join("sqlite");
    std::fs::create_dir_all(&sqlite_dir).unwrap();
    sqlite_db_with(&sqlite_dir, &rpms);
    let sqlite_bytes = std::fs::read(sqlite_dir.join("rpmdb.sqlite")).unwrap();
    let (from_sqlite, problems) = catalog("var/lib/rpm/rpmdb.sqlite", &sqlite_bytes);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(from_sqlite.len(), 3);

    for (page_size, order) in [("512", "1234"), ("4096", "4321"), ("65536", "1234")] {
        let case = dir.join(format!("bdb-{page_size}-{order}"));
        std::fs::create_dir_all(&case).unwrap();
        let dump = case.join("dump.txt");
        run(Command::new("python3")
            .args(["-c", DUMP])
            .arg(sqlite_dir.join("rpmdb.sqlite"))
            .arg(&dump)
            .arg(order));
        let packages = case.join("Packages");
        let _ = std::fs::remove_file(&packages);
        run(Command::new("db5.3_load")
            .args(["-t", "hash", "-c"])
            .arg(format!("db_pagesize={page_size}"))
            .arg("-c")
            .arg(format!("db_lorder={order}"))
            .arg("-f")
            .arg(&dump)
            .arg(&packages));
        let truth = run(Command::new("rpm").arg("--dbpath").arg(&case).args([
            "--define",
            "_db_backend bdb_ro",
            "-qa",
            "--qf",
            QF,
        ]));
        let bytes = std::fs::read(&packages).unwrap();
        let (from_bdb, problems) = catalog("var/lib/rpm/Packages", &bytes);
        assert!(problems.is_empty(), "{page_size}/{order}: {problems:?}");
        assert_eq!(as_query(&from_bdb), oracle(&truth), "{page_size}/{order}");
        // Same packages, files, licenses and dependencies as from the SQLite database.
        let without_db = |ps: &[Package]| {
            ps.iter()
                .map(|p| Package {
                    database: String::new(),
                    ..p.clone()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(without_db(&from_bdb), without_db(&from_sqlite));
        assert!(from_bdb.iter().any(|p| p.files.len() > 300));
    }

    // In a root filesystem: the package owns its ELF file; a damaged database is a problem
    // for that database and the files are still scanned.
    let root = dir.join("root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::copy("/usr/bin/true", root.join("usr/bin/hello")).unwrap();
    let packages = root.join("var/lib/rpm/Packages");
    std::fs::copy(dir.join("bdb-512-1234/Packages"), &packages).unwrap();
    let doc = scan(&root);
    let rpms = rpm_components(&doc);
    assert_eq!(rpms.len(), 3, "{rpms:?}");
    assert!(owns(
        &doc,
        "pkg:rpm/assay-hello@1.2-3?arch=x86_64&epoch=4",
        "./usr/bin/hello"
    ));

    let bytes = std::fs::read(&packages).unwrap();
    std::fs::write(&packages, &bytes[..bytes.len() / 2]).unwrap();
    let doc = scan(&root);
    let problems = doc["problems"].to_string();
    assert!(problems.contains("rpm database damaged"), "{problems}");
    assert!(rpm_components(&doc).len() < 3);
    assert!(doc["files"].to_string().contains("./usr/bin/hello"));
}

fn scan(root: &Path) -> serde_json::Value {
    let out = common::assay(&["scan", &format!("dir:{}", root.display()), "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rpm_components(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "rpm-package")
        .cloned()
        .collect()
}

/// Whether the component with this purl `contains` the file.
fn owns(doc: &serde_json::Value, purl: &str, file: &str) -> bool {
    let Some(id) = rpm_components(doc)
        .iter()
        .find(|c| c["purl"] == purl)
        .and_then(|c| c["id"].as_str().map(str::to_string))
    else {
        return false;
    };
    doc["relationships"].as_array().unwrap().iter().any(|r| {
        r["from"] == id.as_str() && r["kind"] == "contains" && r["to"] == format!("file:{file}")
    })
}

#[test]
fn ndb_packages_match_rpm_with_the_ndb_backend() {
    let dir = common::repo().join("samples/rpmdb/ndb");
    let bytes = std::fs::read(dir.join("Packages.db")).unwrap();
    let truth = std::fs::read_to_string(dir.join("rpm-qa.txt")).unwrap();
    let (packages, problems) = catalog("usr/lib/sysimage/rpm/Packages.db", &bytes);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(packages.len(), 3);
    assert_eq!(as_query(&packages), oracle(&truth));

    // One damaged blob: a problem naming it, the other packages still listed.
    let mut damaged = bytes.clone();
    let at = damaged.len() - 100;
    damaged[at] ^= 0x55;
    let (packages, problems) = catalog("usr/lib/sysimage/rpm/Packages.db", &damaged);
    assert_eq!(packages.len(), 2, "{problems:?}");
    assert!(problems[0].contains("checksum mismatch"), "{problems:?}");
    // Truncated inside the slot page: unreadable, no panic.
    let (packages, problems) = catalog("usr/lib/sysimage/rpm/Packages.db", &bytes[..3000]);
    assert!(packages.is_empty());
    assert!(
        problems[0].contains("rpm database unreadable"),
        "{problems:?}"
    );

    // Through the image pipeline, at SUSE's path.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rpm-ndb-root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("usr/lib/sysimage/rpm")).unwrap();
    std::fs::write(root.join("usr/lib/sysimage/rpm/Packages.db"), &bytes).unwrap();
    let doc = scan(&root);
    let names: Vec<String> = rpm_components(&doc)
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

/// A measurement, not run by CI (no such databases are committed): every Berkeley DB
/// `DIR/*/Packages` under `$ASSAY_RPMDB_REAL` (e.g. real CentOS 5–8 databases) against rpm's
/// `bdb_ro` backend, and every NDB `DIR/*/Packages.db` against the rpm named by
/// `$ASSAY_NDB_RPM` (one built with `--enable-ndb`, see samples/rpmdb/build-ndb.sh; such a
/// database can be made from a Berkeley DB one with `rpmdb --exportdb` | `--importdb`).
/// Prints one line per database.
/// `ASSAY_RPMDB_REAL=DIR cargo test --release --test rpm_databases -- --ignored --nocapture`
#[test]
#[ignore = "needs real rpm databases in $ASSAY_RPMDB_REAL"]
fn real_databases_match_rpm() {
    let root = PathBuf::from(std::env::var_os("ASSAY_RPMDB_REAL").expect("ASSAY_RPMDB_REAL"));
    let ndb_rpm = std::env::var_os("ASSAY_NDB_RPM").map(PathBuf::from);
    let mut cases: Vec<(PathBuf, &str, PathBuf, &str)> = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("Packages").is_file() {
            cases.push((dir.clone(), "Packages", "rpm".into(), "bdb_ro"));
        }
        if let (true, Some(rpm)) = (dir.join("Packages.db").is_file(), &ndb_rpm) {
            cases.push((dir, "Packages.db", rpm.clone(), "ndb"));
        }
    }
    cases.sort();
    assert!(!cases.is_empty());
    let mut failed = Vec::new();
    for (dir, file, rpm, backend) in cases {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let started = std::time::Instant::now();
        let (packages, problems) = catalog(&format!("var/lib/rpm/{file}"), &bytes);
        let took = started.elapsed();
        let truth = run(Command::new(rpm)
            .arg("--dbpath")
            .arg(&dir)
            .arg("--define")
            .arg(format!("_db_backend {backend}"))
            .args(["-qa", "--qf", QF]));
        let expected = oracle(&truth);
        let got = as_query(&packages);
        let same = got.iter().zip(&expected).filter(|(a, b)| a == b).count();
        let files: usize = packages.iter().map(|p| p.files.len()).sum();
        println!(
            "{}/{file}: {} bytes, rpm {} packages, assay {} ({} identical records, {files} files), {} problems, {:.1} ms",
            dir.file_name().unwrap().to_string_lossy(),
            bytes.len(),
            expected.len(),
            got.len(),
            same,
            problems.len(),
            took.as_secs_f64() * 1000.0
        );
        if got != expected || !problems.is_empty() {
            failed.push(dir.join(file));
        }
    }
    assert!(failed.is_empty(), "{failed:?}");
}
