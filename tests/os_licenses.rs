//! OS packages get their licenses: every dpkg package of a real Debian bookworm root
//! (tests/tools/debian-root.sh) against its copyright file as Debian's own parser
//! (python3-debian, tests/tools/deb-copyright-oracle.py) reads it.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

/// Debian short names whose SPDX id is not in doubt (DEP-5 specification); other names
/// (custom ones such as `BSD-3-clause-GENERIC`, `public-domain`) are checked for presence.
fn standard(name: &str) -> Option<String> {
    let n = name.to_ascii_lowercase();
    let gnu = |fam: &str, v: &str, plus: bool| {
        let v = if v.contains('.') {
            v.to_string()
        } else {
            format!("{v}.0")
        };
        format!("{fam}-{v}-{}", if plus { "or-later" } else { "only" })
    };
    let (base, plus) = n
        .strip_suffix('+')
        .map(|b| (b, true))
        .unwrap_or((&n, false));
    for fam in ["lgpl", "gpl"] {
        if let Some(v) = base.strip_prefix(&format!("{fam}-")) {
            if v.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return Some(gnu(&fam.to_ascii_uppercase(), v, plus));
            }
        }
    }
    if plus {
        return None;
    }
    Some(
        match base {
            "expat" | "mit" => "MIT",
            "bsd-2-clause" => "BSD-2-Clause",
            "bsd-3-clause" => "BSD-3-Clause",
            "bsd-4-clause" => "BSD-4-Clause",
            "apache-2.0" => "Apache-2.0",
            "isc" => "ISC",
            "cc0-1.0" => "CC0-1.0",
            "zlib" => "Zlib",
            _ => return None,
        }
        .to_string(),
    )
}

#[test]
fn debian_packages_take_the_licenses_of_their_copyright_files() {
    let python = common::require_tool("/usr/bin/python3");
    let root = Command::new("bash")
        .arg(common::repo().join("tests/tools/debian-root.sh"))
        .arg("base")
        .output()
        .unwrap();
    assert!(root.status.success(), "{}", common::stderr(&root));
    let root = String::from_utf8(root.stdout).unwrap().trim().to_string();
    let oracle = Command::new(&python)
        .arg(common::repo().join("tests/tools/deb-copyright-oracle.py"))
        .arg(&root)
        .output()
        .unwrap();
    assert!(oracle.status.success(), "{}", common::stderr(&oracle));
    let truth: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&oracle.stdout).unwrap();
    let doc = common::scan_json(&[&format!("dir:{root}")], 0);
    let mut ours: BTreeMap<String, (Option<String>, String)> = BTreeMap::new();
    for c in doc["components"].as_array().unwrap() {
        if c["kind"] != "deb-package" {
            continue;
        }
        let id = c["id"].as_str().unwrap();
        let lic = &doc["licenses"][id];
        ours.insert(
            c["name"].as_str().unwrap().to_string(),
            (
                lic["expression"].as_str().map(str::to_string),
                lic["source"].as_str().unwrap_or("").to_string(),
            ),
        );
    }
    let (mut with_license, mut equal) = (0usize, 0usize);
    let mut wrong = Vec::new();
    for (pkg, t) in &truth {
        let names: Vec<&str> = t["names"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        if names.is_empty() {
            continue;
        }
        with_license += 1;
        let Some((Some(expr), source)) = ours.get(pkg) else {
            wrong.push(format!("{pkg}: nothing (truth {names:?})"));
            continue;
        };
        let units: Vec<String> =
            assay::license::expr::LicenseExpr::parse(expr, assay::license::db::bundled())
                .map(|e| e.units().iter().map(|u| u.license.clone()).collect())
                .unwrap_or_default();
        // Every standard name's id is there, and no more licenses than the file names.
        // A free-text file names /usr/share/common-licenses/GPL-2 while its notice may say
        // "or later": there, only the GNU family and version must agree.
        let dep5 = t["dep5"].as_bool().unwrap_or(false);
        let gnu_base = |id: &str| {
            id.trim_end_matches("-only")
                .trim_end_matches("-or-later")
                .to_string()
        };
        let missing: Vec<String> = names
            .iter()
            .filter_map(|n| standard(n))
            .filter(|id| {
                if dep5 {
                    !units.contains(id)
                } else {
                    !units.iter().any(|u| gnu_base(u) == gnu_base(id))
                }
            })
            .collect();
        let mut distinct = units.clone();
        distinct.sort();
        distinct.dedup();
        if source == "package-database" && missing.is_empty() && distinct.len() <= names.len() {
            equal += 1;
        } else {
            wrong.push(format!(
                "{pkg}: {expr} (truth {names:?}, missing {missing:?})"
            ));
        }
    }
    let share = equal as f64 / with_license.max(1) as f64;
    eprintln!(
        "Debian packages: {equal} of {with_license} equal to their copyright files ({share:.3})"
    );
    for w in &wrong {
        eprintln!("  {w}");
    }
    assert!(with_license >= 50, "a minbase root has dozens of packages");
    assert!(share >= 0.97, "{share:.3}: {wrong:#?}");
    // The unknown-license message for a Debian package no longer speaks of Go module caches.
    for f in doc["findings"].as_array().unwrap() {
        let text = f["explanation"].as_str().unwrap_or("");
        if f["rule"] == "unknown-license" && text.contains("Debian package") {
            assert!(!text.contains("module cache"), "{text}");
        }
    }
    // Packages of a root filesystem are separate programs aggregated on one medium, not
    // linked into each other: GPL packages raise no copyleft-linking finding, and no finding
    // is stated twice.
    let findings = doc["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule"] == "attribution-required"),
        "GPL packages still need their notices"
    );
    for f in findings {
        assert_ne!(f["rule"], "strong-copyleft-linked", "{f}");
        assert_ne!(f["rule"], "weak-copyleft-static", "{f}");
    }
    let mut texts: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
    let n = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), n, "a finding is stated twice");
}
