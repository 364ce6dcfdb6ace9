//! Rows of the bundled table read from Debian source packages (license-db/debian.py, the rule
//! in license-db/FORMAT.md): a module the module proxy served no license files for, answered
//! from the upstream tarball Debian packages. A Debian version that names an upstream release
//! is an examined version (confidence at most 0.9); a snapshot names none, so its row must only
//! ever answer as another version, at most 0.7; and a module with its own rows from the proxy
//! never takes a Debian row.

use assay::license::table::{Fit, Kind, Table};

fn bundled() -> Table {
    Table::parse(include_str!("../license-db/packages.tsv"), "bundled").unwrap()
}

#[test]
fn debian_rows_answer_only_as_their_rule_allows() {
    let t = bundled();
    let debian_row = |evidence: &str| evidence.split(',').any(|e| e.starts_with("debian:"));
    let mut modules = std::collections::BTreeMap::<&str, Vec<_>>::new();
    for (kind, row) in t.all_rows() {
        if kind == "go" {
            modules.entry(row.name).or_default().push(row);
        }
    }
    let (mut exact, mut snapshot) = (0, 0);
    for (name, rows) in &modules {
        let from_debian = rows.iter().filter(|r| debian_row(r.evidence)).count();
        if from_debian == 0 {
            continue;
        }
        assert_eq!(
            from_debian,
            rows.len(),
            "{name}: Debian rows beside proxy rows: {rows:?}"
        );
        assert_eq!(rows.len(), 1, "{name}: one Debian package version, one row");
        let row = &rows[0];
        for e in row.evidence.split(',') {
            // debian:SOURCE-PACKAGE DEBIAN-VERSION FILE
            let f: Vec<&str> = e.trim_start_matches("debian:").split(' ').collect();
            assert_eq!(f.len(), 3, "{name}: evidence {e}");
        }
        if row.first.starts_with("v0.0.0-debian.") {
            snapshot += 1;
            for v in [
                "v0.0.0",
                "v0.0.0-20200101000000-0123456789ab",
                "v0.0.0-20990101000000-0123456789ab",
                "v1.2.3",
                row.first.trim_start_matches("v0.0.0-debian."),
            ] {
                let a = t
                    .lookup(Kind::Go, name, Some(v))
                    .expect("a single row answers");
                assert_eq!(a.fit, Fit::OtherVersion, "{name}@{v}");
                assert!(a.confidence <= 0.7, "{name}@{v}: {}", a.confidence);
            }
        } else {
            exact += 1;
            let a = t.lookup(Kind::Go, name, Some(row.first)).unwrap();
            assert_eq!(a.fit, Fit::Exact, "{name}@{}", row.first);
            assert!(a.confidence <= 0.9, "{name}: {}", a.confidence);
        }
    }
    // the fallback is in use: the proxy of the build machine refuses part of the modules
    assert!(
        exact > 0 && snapshot > 0,
        "Debian rows: {exact} exact, {snapshot} snapshots"
    );
}
