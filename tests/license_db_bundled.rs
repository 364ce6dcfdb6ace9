//! The bundled package table (license-db/packages.tsv) on modules and crates whose license
//! changed between versions. The oracle is the projects' own published relicensing (HashiCorp's
//! move to BUSL-1.1 in August 2023: Vault 1.15.0, Terraform 1.6.0; sigs.k8s.io/yaml's fork
//! under Apache-2.0 in v1.4.0; base64's dual licence from 0.6.0), not the generator: a version on one
//! side of a change must never be answered with the license of the other side, and a version
//! inside an unexamined gap around a change gets no answer at all.

use assay::license::db::semver_cmp;
use assay::license::table::{Fit, Kind, Table};

fn bundled() -> Table {
    Table::parse(include_str!("../license-db/packages.tsv"), "bundled").unwrap()
}

/// `(expression, fit)` or `None`.
fn at(t: &Table, kind: Kind, name: &str, v: &str) -> Option<(String, Fit)> {
    t.lookup(kind, name, Some(v)).map(|a| (a.expression, a.fit))
}

/// Up to `last_old` the license is `old`, from `first_new` on `new` (between them the public
/// record does not say which prerelease first carried the new text): every examined version
/// and a few probes either get their side's license or (only inside a gap around the change)
/// nothing; the versions named in `must` are answered.
fn relicensed(
    kind: Kind,
    name: &str,
    (last_old, first_new): (&str, &str),
    (old, new): (&str, &str),
    must: &[&str],
) {
    let t = bundled();
    let rows = t.rows(kind, name);
    assert!(
        rows.iter().any(|r| r.expression == old) && rows.iter().any(|r| r.expression == new),
        "{name}: both sides of the change examined: {rows:?}"
    );
    let mut probes: Vec<&str> = rows.iter().flat_map(|r| [r.first, r.last]).collect();
    probes.extend_from_slice(must);
    for v in probes {
        let want = if semver_cmp(v, last_old).is_le() {
            old
        } else if semver_cmp(v, first_new).is_ge() {
            new
        } else {
            continue; // inside the window: either side is possible
        };
        match at(&t, kind, name, v) {
            Some((got, fit)) => assert_eq!(got, want, "{name}@{v} ({fit:?})"),
            None => assert!(!must.contains(&v), "{name}@{v}: no answer"),
        }
    }
    // no row spans the change: one of each side's license, none reaching across
    for r in &rows {
        let before = semver_cmp(r.last, first_new).is_lt();
        let after = semver_cmp(r.first, last_old).is_gt();
        assert!(before || after, "{name}: row {r:?} spans the change");
    }
}

#[test]
fn vault_mpl_then_busl() {
    relicensed(
        Kind::Go,
        "github.com/hashicorp/vault",
        ("v1.14.99", "v1.15.0"),
        ("MPL-2.0", "BUSL-1.1"),
        // the proxy lists no release between v1.1.2 and v1.21.4: that gap stays unanswered
        &[],
    );
}

#[test]
fn terraform_mpl_then_busl() {
    relicensed(
        Kind::Go,
        "github.com/hashicorp/terraform",
        ("v1.5.7", "v1.6.0"),
        ("MPL-2.0", "BUSL-1.1"),
        &["v1.5.7", "v1.6.6"],
    );
}

#[test]
fn sigs_k8s_yaml_then_apache() {
    relicensed(
        Kind::Go,
        "sigs.k8s.io/yaml",
        ("v1.3.0", "v1.4.0"),
        // v1.4.0's LICENSE: Apache-2.0 for the fork, then go-yaml's MIT and BSD notices (the
        // classifier writes the ANDs of one file sorted)
        (
            "BSD-3-Clause AND MIT",
            "Apache-2.0 AND BSD-3-Clause AND MIT",
        ),
        &["v1.3.0", "v1.4.0"],
    );
}

#[test]
fn base64_crate_mit_then_dual() {
    relicensed(
        Kind::Crate,
        "base64",
        ("0.5.2", "0.6.0"),
        ("MIT", "MIT OR Apache-2.0"),
        &["0.5.2", "0.6.0", "0.21.7"],
    );
}

/// Rows of one package never overlap and are in version order (the lookup scans them in
/// order and stops at the first that contains the version).
#[test]
fn rows_of_a_package_are_ordered_and_disjoint() {
    let t = bundled();
    let mut last: Option<(&str, &str)> = None;
    let mut bad = Vec::new();
    for (kind, row) in t.all_rows() {
        if kind == "text" {
            continue;
        }
        assert!(semver_cmp(row.first, row.last).is_le(), "{row:?}");
        if let Some((name, prev_last)) = last {
            if name == row.name && semver_cmp(prev_last, row.first).is_ge() {
                bad.push(format!("{kind} {} {prev_last} >= {}", row.name, row.first));
            }
        }
        last = Some((row.name, row.last));
    }
    assert!(bad.is_empty(), "overlapping rows: {bad:?}");
}
