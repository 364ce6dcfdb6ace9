//! rpm header blobs against Debian's `rpm` tool: a package built here with `rpmbuild`, then
//! installed (`--justdb`) into a SQLite rpm database made by `rpm --initdb`. The header
//! parser must read what `rpm -q --qf` prints, from the `.rpm` file and from the database
//! blob; and `assay scan dir:` of a root holding that database ties the package's ELF file
//! to it. The package lists 300 more files so its header spans SQLite overflow pages.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use assay::catalog::ospkg::rpm_header;
use common::rpm::{rpm_sqlite, rpmbuild, sqlite_db_with};
use common::run_raw as run;

const SPEC: &str = "Name: assay-hello
Version: 1.2
Release: 3
Epoch: 4
Summary: test
License: MIT AND Apache-2.0
BuildArch: x86_64
Requires: libc.so.6()(64bit)
Provides: greeting = 1.2
%description
test
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib64 %{buildroot}/usr/share/assay-hello
cp /usr/bin/true %{buildroot}/usr/bin/hello
echo x > %{buildroot}/usr/lib64/data
for i in $(seq 1 300); do echo $i > %{buildroot}/usr/share/assay-hello/file-with-a-long-name-$i; done
%files
/usr/bin/hello
/usr/lib64/data
/usr/share/assay-hello
";

const QF: &str = "%{NAME}\\n%{VERSION}\\n%{RELEASE}\\n%{EPOCH}\\n%{ARCH}\\n%{LICENSE}\\n%{SOURCERPM}\\n[%{REQUIRENAME}\\n]--\\n[%{PROVIDENAME}\\n]--\\n[%{FILENAMES}\\n]";

/// The parsed header printed the way the query format above prints it.
fn as_query(h: &rpm_header::RpmHeader) -> String {
    let mut s = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        h.name,
        h.version,
        h.release,
        h.epoch.map_or("(none)".to_string(), |e| e.to_string()),
        h.arch.as_deref().unwrap_or("(none)"),
        h.license.as_deref().unwrap_or("(none)"),
        h.source_rpm.as_deref().unwrap_or("(none)"),
    );
    for r in &h.requires {
        s.push_str(&format!("{r}\n"));
    }
    s.push_str("--\n");
    for p in &h.provides {
        s.push_str(&format!("{p}\n"));
    }
    s.push_str("--\n");
    for f in &h.files {
        s.push_str(&format!("/{f}\n"));
    }
    s
}

fn build_rpm(dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("SPECS")).unwrap();
    std::fs::write(dir.join("SPECS/hello.spec"), SPEC).unwrap();
    rpmbuild(dir, &dir.join("SPECS/hello.spec"));
    dir.join("RPMS/x86_64/assay-hello-1.2-3.x86_64.rpm")
}

#[test]
fn header_of_a_built_package_and_of_its_sqlite_database_entry_match_rpm() {
    common::require_tool("rpmbuild");
    common::require_tool("python3");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rpm-header");
    let rpm = build_rpm(&dir);
    // Requires the rpmlib() features rpmbuild adds are left out by the parser.
    let truth = run(Command::new("rpm").args(["-qp", "--qf", QF]).arg(&rpm))
        .lines()
        .filter(|l| !l.starts_with("rpmlib("))
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    let bytes = std::fs::read(&rpm).unwrap();
    let header = rpm_header::parse(rpm_header::main_header_of_package(&bytes).unwrap()).unwrap();
    assert_eq!(as_query(&header), truth);
    assert_eq!(header.epoch, Some(4));
    // Two files, a directory with 300 files, and rpmbuild's build-id links.
    assert!(header.files.len() > 303, "{}", header.files.len());
    assert!(header.files.iter().any(|f| f == "usr/bin/hello"));
    assert_eq!(header.files[0], "usr/bin/hello");
    assert_eq!(
        header
            .source_rpm
            .as_deref()
            .and_then(rpm_header::source_name)
            .as_deref(),
        Some("assay-hello")
    );

    // The same header as the SQLite rpm database stores it (Packages.blob).
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    sqlite_db_with(&db, &[&rpm]);
    let blob_file = dir.join("blob");
    run(Command::new("python3").arg("-c").arg(format!(
        "import sqlite3; c = sqlite3.connect('{}'); b = c.execute('select blob from Packages').fetchone()[0]; open('{}', 'wb').write(b)",
        db.join("rpmdb.sqlite").display(),
        blob_file.display()
    )));
    let from_db = rpm_header::parse(&std::fs::read(&blob_file).unwrap()).unwrap();
    let db_truth = run(&mut rpm_sqlite(&db, &["-qa", "--qf", QF]))
        .lines()
        .filter(|l| !l.starts_with("rpmlib("))
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    assert_eq!(as_query(&from_db), db_truth);
}

#[test]
fn sqlite_rpm_database_in_a_root_filesystem() {
    common::require_tool("rpmbuild");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rpm-root");
    let _ = std::fs::remove_dir_all(&dir);
    let rpm = build_rpm(&dir.join("build"));
    let root = dir.join("root");
    let db = root.join("var/lib/rpm");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    sqlite_db_with(&db, &[&rpm]);
    std::fs::copy("/usr/bin/true", root.join("usr/bin/hello")).unwrap();
    let scan = |root: &Path| -> serde_json::Value {
        let out = common::assay(&["scan", &format!("dir:{}", root.display()), "-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let doc = scan(&root);
    let rpms: Vec<&serde_json::Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "rpm-package")
        .collect();
    assert_eq!(rpms.len(), 1, "{rpms:?}");
    assert_eq!(rpms[0]["version"], "1.2-3");
    assert_eq!(
        rpms[0]["purl"],
        "pkg:rpm/assay-hello@1.2-3?arch=x86_64&epoch=4"
    );
    let id = rpms[0]["id"].as_str().unwrap();
    assert!(doc["relationships"].as_array().unwrap().iter().any(|r| {
        r["from"] == id && r["kind"] == "contains" && r["to"] == "file:./usr/bin/hello"
    }));

    // A damaged database is a problem for that database; the files are still scanned.
    let sqlite = db.join("rpmdb.sqlite");
    let mut bytes = std::fs::read(&sqlite).unwrap();
    let half = bytes.len() / 2;
    bytes.truncate(half);
    std::fs::write(&sqlite, bytes).unwrap();
    let doc = scan(&root);
    let problems = doc["problems"].to_string();
    assert!(
        problems.contains("rpm database unreadable") || problems.contains("bad header"),
        "{problems}"
    );
    assert!(doc["files"].to_string().contains("./usr/bin/hello"));
}
