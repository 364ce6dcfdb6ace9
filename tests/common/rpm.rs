//! rpm packages and databases for the rpm tests: `rpmbuild`, and SQLite rpm databases made
//! by Debian's `rpm`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use super::run_raw;

/// `rpmbuild -bb SPEC` with its tree in `topdir`, without the post-install steps or a debug
/// package.
pub fn rpmbuild(topdir: &Path, spec: &Path) {
    run_raw(
        Command::new("rpmbuild")
            .arg("--define")
            .arg(format!("_topdir {}", topdir.display()))
            .args(["--define", "__os_install_post %{nil}"])
            .args(["--define", "debug_package %{nil}"])
            .arg("-bb")
            .arg(spec),
    );
}

/// `rpm --dbpath DB --define '_db_backend sqlite' ARGS…`, to be run.
pub fn rpm_sqlite(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("rpm");
    cmd.arg("--dbpath")
        .arg(db)
        .args(["--define", "_db_backend sqlite"])
        .args(args);
    cmd
}

/// A new SQLite rpm database in `db` with `rpms` installed into it (`--justdb`).
pub fn sqlite_db_with(db: &Path, rpms: &[impl AsRef<Path>]) {
    run_raw(&mut rpm_sqlite(db, &["--initdb"]));
    run_raw(
        rpm_sqlite(db, &["-i", "--justdb", "--nodeps", "--noscripts"])
            .args(rpms.iter().map(AsRef::as_ref)),
    );
}
