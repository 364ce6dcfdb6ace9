//! Licenses: classifier precision/recall on real license files, one test per rule, policy and
//! commands end to end, SBOMs with licenses through the official validators, and the remote
//! mode against a real HTTP server on loopback.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use assay::binary::Format;
use assay::license::db::bundled;
use assay::license::expr::LicenseExpr;
use assay::license::policy::Policy;
use assay::license::rules::evaluate;
use assay::license::{ComponentLicense, Finding, FindingSeverity, LicenseSource};
use assay::model::{
    Component, ComponentKind, FileNode, GraphBuilder, RelationshipKind, Subject, ROOT_ID,
};
use common::{free_port, http_server, range_server, wait_for, Server};

// ---------------------------------------------------------------------------------------
// Classifier

#[test]
fn classifier_precision_and_recall() {
    let dir = common::repo().join("tests/data/licenses");
    let expected = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
    let (mut labelled, mut predicted, mut correct) = (0, 0, 0);
    let mut misses = Vec::new();
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (file, want) = line.split_once('\t').expect("file<TAB>expression");
        let text = std::fs::read(dir.join(file)).unwrap();
        let got =
            assay::license::classify::classify_text(&String::from_utf8_lossy(&text), bundled());
        labelled += 1;
        if let Some(got) = &got.expression {
            predicted += 1;
            // Compare as expressions: operand order inside AND/OR does not matter.
            if same_expression(got, want) {
                correct += 1;
                continue;
            }
        }
        misses.push(format!("{file}: want {want}, got {:?}", got.expression));
    }
    let precision = correct as f64 / predicted.max(1) as f64;
    let recall = correct as f64 / labelled as f64;
    eprintln!(
        "classifier on {labelled} labelled files: precision {precision:.3}, recall {recall:.3}"
    );
    for m in &misses {
        eprintln!("  miss: {m}");
    }
    assert!(labelled >= 60, "the labelled set has at least 60 files");
    assert!(
        precision >= 0.95,
        "precision {precision:.3}; misses: {misses:#?}"
    );
    assert!(recall >= 0.95, "recall {recall:.3}; misses: {misses:#?}");
}

fn same_expression(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        let e = LicenseExpr::parse(s, bundled()).unwrap();
        let mut u: Vec<String> = e.units().iter().map(|u| u.to_string()).collect();
        u.sort();
        (u, s.contains(" OR "))
    };
    norm(a) == norm(b)
}

// ---------------------------------------------------------------------------------------
// Rules: a product binary `./app` statically linking its main module and dependencies.

struct Product {
    builder: GraphBuilder,
    licenses: BTreeMap<String, ComponentLicense>,
}

impl Product {
    fn new(main_license: Option<&str>) -> Product {
        let mut builder = GraphBuilder::default();
        builder.add_file(FileNode {
            id: FileNode::id_for("./app"),
            name: "./app".into(),
            size: 1,
            checksums: None,
            format: Format::Elf,
            slices: Vec::new(),
        });
        let mut p = Product {
            builder,
            licenses: BTreeMap::new(),
        };
        p.add(
            "example.com/app",
            ComponentKind::GoMainModule,
            main_license,
            1.0,
            None,
        );
        p
    }

    fn add(
        &mut self,
        name: &str,
        kind: ComponentKind,
        expr: Option<&str>,
        confidence: f32,
        linked: Option<RelationshipKind>,
    ) -> String {
        let id = format!("go:{name}");
        self.builder.add_component(Component {
            id: id.clone(),
            kind,
            name: name.into(),
            version: Some("v1.0.0".into()),
            purl: format!("pkg:golang/{name}@v1.0.0"),
            ancestors: Vec::new(),
            properties: Vec::new(),
            occurrences: vec!["./app".into()],
        });
        let file = FileNode::id_for("./app");
        match kind {
            ComponentKind::GoMainModule => {
                self.builder
                    .relate(&file, RelationshipKind::StaticLink, &id)
            }
            _ => {
                self.builder
                    .relate("go:example.com/app", RelationshipKind::DependsOn, &id);
                if let Some(k) = linked {
                    self.builder.relate(&file, k, &id);
                }
            }
        }
        self.licenses.insert(
            id.clone(),
            ComponentLicense {
                expression: expr.map(String::from),
                source: if expr.is_some() {
                    LicenseSource::LicenseDb
                } else {
                    LicenseSource::NotFound
                },
                location: None,
                confidence,
                method: "test".into(),
                evidence: Vec::new(),
                extracted: Vec::new(),
                file_texts: Vec::new(),
            },
        );
        id
    }

    fn dep(mut self, name: &str, expr: &str) -> Product {
        self.add(name, ComponentKind::GoModule, Some(expr), 1.0, None);
        self
    }

    fn findings(self, policy: &str, outbound: Option<&str>) -> Vec<Finding> {
        let doc = self.builder.finish(
            Subject {
                name: "app".into(),
                targets: vec!["app".into()],
                image: None,
            },
            "2024-01-01T00:00:00Z".into(),
        );
        let policy = Policy::parse(policy, bundled()).unwrap();
        let outbound = outbound.map(|o| LicenseExpr::parse(o, bundled()).unwrap());
        evaluate(&doc, &self.licenses, &policy, outbound.as_ref(), bundled())
    }
}

fn has(findings: &[Finding], rule: &str, severity: FindingSeverity) -> bool {
    findings
        .iter()
        .any(|f| f.rule == rule && f.severity == severity)
}

fn rules_of(findings: &[Finding]) -> Vec<&str> {
    findings
        .iter()
        .filter(|f| f.rule != "attribution-required")
        .map(|f| f.rule)
        .collect()
}

#[test]
fn rule_unknown_license() {
    let mut p = Product::new(Some("MIT"));
    p.add(
        "example.com/nolicense",
        ComponentKind::GoModule,
        None,
        0.0,
        None,
    );
    p.add(
        "example.com/unsure",
        ComponentKind::GoModule,
        Some("MIT"),
        0.5,
        None,
    );
    let f = p.findings("", Some("MIT"));
    let unknown: Vec<_> = f.iter().filter(|f| f.rule == "unknown-license").collect();
    assert_eq!(unknown.len(), 2, "{f:#?}");
    // Chain and explanation are filled.
    assert_eq!(
        unknown[0].chain[0],
        format!("{ROOT_ID} -contains-> file:./app")
    );
    assert!(unknown[0].explanation.len() > 80);
}

#[test]
fn rule_strong_copyleft_linked_into_permissive_product() {
    let f = Product::new(Some("MIT"))
        .dep("example.com/gpl", "GPL-3.0-only")
        .findings("", Some("MIT"));
    let hit = f
        .iter()
        .find(|f| f.rule == "strong-copyleft-linked")
        .expect("finding");
    assert_eq!(hit.severity, FindingSeverity::Error);
    assert_eq!(hit.components, vec!["go:example.com/gpl"]);
    assert_eq!(
        hit.chain,
        vec![
            "root -contains-> file:./app",
            "file:./app -static-link-> go:example.com/app",
            "go:example.com/app -depends-on-> go:example.com/gpl"
        ]
    );
    // A GPL-3.0 product may contain it.
    let f = Product::new(Some("GPL-3.0-only"))
        .dep("example.com/gpl", "GPL-3.0-only")
        .findings("", Some("GPL-3.0-only"));
    assert!(!rules_of(&f).contains(&"strong-copyleft-linked"), "{f:#?}");
}

#[test]
fn rule_network_copyleft_downgraded_for_gpl3_products() {
    let f = Product::new(None)
        .dep("example.com/agpl", "AGPL-3.0-only")
        .findings("", Some("Apache-2.0"));
    assert!(
        has(&f, "network-copyleft", FindingSeverity::Error),
        "{f:#?}"
    );
    let f = Product::new(None)
        .dep("example.com/agpl", "AGPL-3.0-only")
        .findings("", Some("GPL-3.0-or-later"));
    assert!(
        has(&f, "network-copyleft", FindingSeverity::Warning),
        "{f:#?}"
    );
}

#[test]
fn rule_gpl2_only_conflicts() {
    let f = Product::new(None)
        .dep("example.com/gpl2", "GPL-2.0-only")
        .dep("example.com/apache", "Apache-2.0")
        .dep("example.com/mpl", "MPL-2.0")
        .findings("", Some("GPL-2.0-only"));
    let conflicts: Vec<_> = f
        .iter()
        .filter(|f| f.rule == "gpl2-only-conflict")
        .collect();
    assert!(
        conflicts
            .iter()
            .any(|c| c.components == vec!["go:example.com/gpl2", "go:example.com/apache"]),
        "{f:#?}"
    );
    assert!(
        !conflicts
            .iter()
            .any(|c| c.components.contains(&"go:example.com/mpl".to_string())),
        "MPL-2.0 is fine: {f:#?}"
    );
    // Apache-2.0 WITH LLVM-exception is GPL-2.0 compatible (our override of OSADL).
    let f = Product::new(None)
        .dep("example.com/gpl2", "GPL-2.0-only")
        .dep("example.com/llvm", "Apache-2.0 WITH LLVM-exception")
        .findings("", Some("GPL-2.0-only"));
    assert!(!rules_of(&f).contains(&"gpl2-only-conflict"), "{f:#?}");
}

#[test]
fn rule_or_later_upgrade() {
    let f = Product::new(None)
        .dep("example.com/gpl2plus", "GPL-2.0-or-later")
        .dep("example.com/apache", "Apache-2.0")
        .findings("", Some("GPL-2.0-or-later"));
    assert!(
        has(&f, "or-later-upgrade", FindingSeverity::Warning),
        "{f:#?}"
    );
    assert!(!rules_of(&f).contains(&"gpl2-only-conflict"));
}

#[test]
fn rule_weak_copyleft_linked_statically_not_dynamically() {
    let f = Product::new(Some("MIT"))
        .dep("example.com/lgpl", "LGPL-2.1-only")
        .findings("", Some("MIT"));
    assert!(
        has(&f, "weak-copyleft-static", FindingSeverity::Warning),
        "{f:#?}"
    );
    let mut p = Product::new(Some("MIT"));
    p.add(
        "libfoo.so",
        ComponentKind::GoModule,
        Some("LGPL-2.1-only"),
        1.0,
        Some(RelationshipKind::DynamicLink),
    );
    let f = p.findings("", Some("MIT"));
    assert!(!rules_of(&f).contains(&"weak-copyleft-static"), "{f:#?}");
}

#[test]
fn rule_exceptions_downgrade() {
    let f = Product::new(Some("MIT"))
        .dep(
            "example.com/cp",
            "GPL-2.0-only WITH Classpath-exception-2.0",
        )
        .findings("", Some("MIT"));
    assert!(
        has(&f, "linking-exception", FindingSeverity::Info),
        "{f:#?}"
    );
    assert!(!rules_of(&f).contains(&"strong-copyleft-linked"), "{f:#?}");
    let f = Product::new(Some("MIT"))
        .dep(
            "example.com/juju",
            "LGPL-3.0-only WITH LGPL-3.0-linking-exception",
        )
        .findings("", Some("MIT"));
    assert!(!rules_of(&f).contains(&"weak-copyleft-static"), "{f:#?}");
}

#[test]
fn rule_source_available_and_non_commercial() {
    let f = Product::new(Some("MIT"))
        .dep("github.com/hashicorp/terraform", "BUSL-1.1")
        .dep("example.com/nc", "CC-BY-NC-4.0")
        .findings("", None);
    assert_eq!(
        f.iter()
            .filter(|f| f.rule == "source-available" && f.severity == FindingSeverity::Error)
            .count(),
        2,
        "{f:#?}"
    );
}

#[test]
fn rule_ambiguous_detection() {
    let mut p = Product::new(Some("MIT"));
    p.add(
        "example.com/fuzzy",
        ComponentKind::GoModule,
        Some("MIT"),
        0.85,
        None,
    );
    let f = p.findings("", Some("MIT"));
    assert!(
        has(&f, "ambiguous-detection", FindingSeverity::Warning),
        "{f:#?}"
    );
}

#[test]
fn rule_attribution_required_including_go_stdlib() {
    let mut p = Product::new(Some("MIT"));
    p.add(
        "stdlib",
        ComponentKind::GoStdlib,
        Some("BSD-3-Clause"),
        1.0,
        Some(RelationshipKind::StaticLink),
    );
    let f = p.findings("", Some("MIT"));
    let a: Vec<_> = f
        .iter()
        .filter(|f| f.rule == "attribution-required")
        .collect();
    assert!(
        a.iter()
            .any(|f| f.components == vec!["go:stdlib"] && f.explanation.contains("PATENTS")),
        "{f:#?}"
    );
    assert!(a.iter().all(|f| f.severity == FindingSeverity::Info));
}

#[test]
fn rule_incompatible_with_copyleft_outbound() {
    // OSADL: EPL-2.0 may not be included in a GPL-3.0 work.
    let f = Product::new(None)
        .dep("example.com/epl", "EPL-2.0")
        .findings("", Some("GPL-3.0-only"));
    assert!(
        has(&f, "incompatible-with-outbound", FindingSeverity::Error),
        "{f:#?}"
    );
}

#[test]
fn policy_allow_deny_exceptions_and_severity_overrides() {
    let policy = r#"
[licenses]
allow = ["MIT", "Apache-2.0", "BSD-3-Clause"]
deny = ["GPL-3.0-only"]
[licenses.severity]
weak-copyleft-static = "error"
[[licenses.exceptions]]
name = "example.com/mpl"
allow = ["MPL-2.0"]
"#;
    let f = Product::new(Some("MIT"))
        .dep("example.com/gpl", "GPL-3.0-only")
        .dep("example.com/isc", "ISC")
        .dep("example.com/mpl", "MPL-2.0")
        .findings(policy, None);
    assert!(f
        .iter()
        .any(|f| f.rule == "license-denied" && f.components == vec!["go:example.com/gpl"]));
    assert!(f
        .iter()
        .any(|f| f.rule == "license-not-allowed" && f.components == vec!["go:example.com/isc"]));
    assert!(
        !f.iter()
            .any(|f| f.rule == "license-not-allowed" && f.components == vec!["go:example.com/mpl"]),
        "{f:#?}"
    );
    assert!(
        has(&f, "weak-copyleft-static", FindingSeverity::Error),
        "override: {f:#?}"
    );
}

#[test]
fn expressions_or_any_branch_and_all_with_one_unit() {
    let allow = "[licenses]\nallow = [\"MIT\"]\n";
    // OR: passes with one allowed branch, and the branch chosen avoids the copyleft finding.
    let f = Product::new(Some("MIT"))
        .dep("example.com/dual", "GPL-3.0-only OR MIT")
        .findings(allow, Some("MIT"));
    assert!(rules_of(&f).is_empty(), "{f:#?}");
    // AND: needs all.
    let f = Product::new(Some("MIT"))
        .dep("example.com/both", "GPL-3.0-only AND MIT")
        .findings(allow, Some("MIT"));
    assert!(
        rules_of(&f).contains(&"license-not-allowed")
            && rules_of(&f).contains(&"strong-copyleft-linked"),
        "{f:#?}"
    );
    // WITH is one unit: allowing GPL-2.0-only does not allow it with an exception, and back.
    let f = Product::new(Some("MIT"))
        .dep(
            "example.com/cp",
            "GPL-2.0-only WITH Classpath-exception-2.0",
        )
        .findings(
            "[licenses]\nallow = [\"MIT\", \"GPL-2.0-only\"]\n",
            Some("MIT"),
        );
    assert!(rules_of(&f).contains(&"license-not-allowed"), "{f:#?}");
    let f = Product::new(Some("MIT"))
        .dep(
            "example.com/cp",
            "GPL-2.0-only WITH Classpath-exception-2.0",
        )
        .findings(
            "[licenses]\nallow = [\"MIT\", \"GPL-2.0-only WITH Classpath-exception-2.0\"]\n",
            Some("MIT"),
        );
    assert!(!rules_of(&f).contains(&"license-not-allowed"), "{f:#?}");
}

// ---------------------------------------------------------------------------------------
// Commands and SBOMs on the samples (offline: an empty module cache, the bundled db only).

fn assay_offline(args: &[&str]) -> std::process::Output {
    common::assay_with(args, &[])
}

#[test]
fn rust_crates_take_the_license_of_their_registry_manifest() {
    // A cargo registry with the fixture's two crates: one declaring `license` in the old
    // `A/B` form, one pointing at a `license-file`.
    let home = tempfile::tempdir().unwrap();
    let index = home
        .path()
        .join("registry/src/index.crates.io-1949cf8c6b5b557f");
    let semver = index.join("semver-1.0.28");
    let itoa = index.join("itoa-1.0.18");
    std::fs::create_dir_all(&semver).unwrap();
    std::fs::create_dir_all(&itoa).unwrap();
    std::fs::write(
        semver.join("Cargo.toml"),
        "[package]\nname = \"semver\"\nversion = \"1.0.28\"\nlicense = \"MIT/Apache-2.0\"\n",
    )
    .unwrap();
    std::fs::write(
        itoa.join("Cargo.toml"),
        "[package]\nname = \"itoa\"\nversion = \"1.0.18\"\nlicense-file = \"LICENSE-MIT\"\n",
    )
    .unwrap();
    std::fs::write(
        itoa.join("LICENSE-MIT"),
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the \"Software\"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.\n",
    )
    .unwrap();
    let out = common::assay_with(
        &[
            "licenses",
            "samples/beyond/rust-hello-auditable",
            "-o",
            "json",
        ],
        &[("CARGO_HOME", home.path())],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lic = |name: &str| {
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["license"].clone())
            .unwrap_or_else(|| panic!("{name} listed"))
    };
    // semver: the registry agrees with the db's record for this version, which stays the
    // answer (the same on a machine without the registry).
    assert_eq!(lic("semver")["expression"], "MIT OR Apache-2.0");
    assert_eq!(lic("semver")["source"], "license-db");
    // itoa: the fixture's manifest disagrees with the db (MIT only): the crate's own files
    // win, with a warning naming it.
    assert_eq!(lic("itoa")["expression"], "MIT");
    assert_eq!(lic("itoa")["source"], "cargo-registry");
    assert!(v.to_string().contains("license-db says MIT OR Apache-2.0"));
    assert_eq!(lic("rust-std")["expression"], "MIT OR Apache-2.0");
    // Build tools are evidence, not shipped code: no verdict, no finding.
    let findings = v["findings"].to_string();
    assert!(!findings.contains("rustc"), "{findings}");
}

#[test]
fn scan_sboms_carry_licenses_and_pass_the_validators() {
    let tmp = tempfile::tempdir().unwrap();
    let spdx = tmp.path().join("s.spdx.json");
    let cdx = tmp.path().join("s.cdx.json");
    let out = assay_offline(&[
        "scan",
        "samples/go",
        "-q",
        "-o",
        &format!("spdx-json={}", spdx.display()),
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap();
    let uuid = s["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "github.com/google/uuid")
        .unwrap();
    assert_eq!(uuid["licenseDeclared"], "BSD-3-Clause");
    assert_eq!(uuid["licenseConcluded"], "BSD-3-Clause");
    let stdlib = s["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "stdlib")
        .unwrap();
    assert_eq!(stdlib["licenseConcluded"], "BSD-3-Clause");
    let c: serde_json::Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    let uuid = c["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "github.com/google/uuid")
        .unwrap();
    assert_eq!(uuid["licenses"][0]["license"]["id"], "BSD-3-Clause");
    assert_eq!(
        uuid["licenses"][0]["license"]["acknowledgement"],
        "declared"
    );
    assert_eq!(
        uuid["licenses"][1]["license"]["acknowledgement"],
        "concluded"
    );
    // Findings are carried (unknown licenses of the sample's own example.com modules).
    assert!(c["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["text"]
            .as_str()
            .unwrap()
            .contains("assay:finding: error unknown-license")));
    common::validate("spdx-json", &[&spdx]);
    common::validate("cyclonedx-json", &[&cdx]);
}

#[test]
fn licenses_command_lists_source_and_confidence_then_findings() {
    let out = assay_offline(&["licenses", "samples/go/hello-linux-amd64"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(
        text.contains("COMPONENT") && text.contains("SOURCE") && text.contains("CONFIDENCE"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("github.com/google/uuid")
            && l.contains("BSD-3-Clause")
            && l.contains("license-db")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("stdlib") && l.contains("go-stdlib")),
        "{text}"
    );
    assert!(text.contains("unknown-license"), "{text}");
}

#[test]
fn check_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    // The sample's own modules have no license: clarify them, allow what the rest uses.
    let ok = write(
        "ok.toml",
        r#"
[licenses]
allow = ["BSD-3-Clause", "BSD-2-Clause", "MIT"]
[licenses.severity]
unknown-license = "warning"
"#,
    );
    let out = assay_offline(&["check", "--policy", &ok, "samples/go/hello-linux-amd64"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    let deny = write(
        "deny.toml",
        "[licenses]\ndeny = [\"BSD-2-Clause\"]\n[licenses.severity]\nunknown-license = \"info\"\n",
    );
    let out = assay_offline(&["check", "--policy", &deny, "samples/go/hello-linux-amd64"]);
    assert_eq!(out.status.code(), Some(1));
    let text = common::stdout(&out);
    assert!(
        text.contains("license-denied")
            && text.contains("github.com/pkg/errors")
            && text.contains("BSD-2-Clause"),
        "{text}"
    );
    let bad = write("bad.toml", "[licenses]\nallowed = []\n");
    let out = assay_offline(&["check", "--policy", &bad, "samples/go/hello-linux-amd64"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("allowed"),
        "{}",
        common::stderr(&out)
    );
    let out = assay_offline(&[
        "check",
        "--outbound-license",
        "NOT A LICENSE ((",
        "samples/go/hello-linux-amd64",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn module_cache_and_local_sources_come_first() {
    let tmp = tempfile::tempdir().unwrap();
    // A module cache with a license that differs from the license-db's, to see it is used.
    let dir = tmp.path().join("cache/github.com/google/uuid@v1.6.0");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("LICENSE"), "SPDX-License-Identifier: MIT\n").unwrap();
    let cache = tmp.path().join("cache");
    let uuid = uuid_with_module_cache(&cache);
    assert_eq!(uuid["license"]["expression"], "MIT");
    assert_eq!(uuid["license"]["source"], "module-cache");
    assert_eq!(uuid["license"]["evidence"][0]["file"], "LICENSE");
    assert_eq!(
        uuid["license"]["evidence"][0]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn share_of_sample_modules_with_a_license_offline() {
    let out = assay_offline(&["licenses", "samples/go", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let comps = v["components"].as_array().unwrap();
    let with = comps
        .iter()
        .filter(|c| c["license"]["expression"].is_string())
        .count();
    // Go modules and the stdlib; native libraries outside the scan carry no license.
    let public: Vec<_> = comps
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:golang/"))
        })
        .filter(|c| !c["name"].as_str().unwrap().starts_with("example.com/"))
        .collect();
    let public_with = public
        .iter()
        .filter(|c| c["license"]["expression"].is_string())
        .count();
    eprintln!("samples: {with}/{} components have a license offline; {public_with}/{} outside example.com", comps.len(), public.len());
    assert_eq!(
        public_with,
        public.len(),
        "every public module and the stdlib get a license offline"
    );
}

// ---------------------------------------------------------------------------------------
// Remote: a GOPROXY directory layout served by python3 -m http.server on loopback.

fn module_zip(module: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, body) in files {
            z.start_file(format!("{module}@{version}/{name}"), opts)
                .unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// Accepts connections and never answers.
fn silent_server() -> Server {
    let port = free_port();
    let script = format!(
        "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',{port}));s.listen(8)\nconns=[]\nwhile True:\n  c,_=s.accept();conns.append(c)\n"
    );
    let child = std::process::Command::new(common::require_tool("python3"))
        .args(["-c", &script])
        .spawn()
        .unwrap();
    wait_for(port);
    Server(child, port)
}

fn fetcher(
    goproxy: &str,
    cache: &Path,
    no_proxy: &[&str],
) -> assay::license::remote::RemoteFetcher {
    use assay::license::remote::*;
    RemoteFetcher::new(RemoteConfig {
        proxies: parse_goproxy(goproxy),
        no_proxy: no_proxy.iter().map(|s| s.to_string()).collect(),
        cache_dir: cache.to_path_buf(),
        timeout: std::time::Duration::from_secs(2),
    })
    .unwrap()
}

#[test]
fn remote_mode_against_a_loopback_goproxy() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proxy");
    let module = "example.com/Upper/lib";
    let dir = root.join("example.com/!upper/lib/@v");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("v1.2.0.zip"),
        module_zip(
            module,
            "v1.2.0",
            &[
                ("LICENSE", "SPDX-License-Identifier: MPL-2.0\n"),
                ("sub/LICENSE", "GPL"),
                ("main.go", "package lib"),
            ],
        ),
    )
    .unwrap();
    let server = http_server(&root);
    let good = format!("http://127.0.0.1:{}", server.1);

    // 200: the root license file only (not sub/LICENSE, not code), then served from the cache.
    let cache = tmp.path().join("cache");
    let f = fetcher(&good, &cache, &[]);
    let (files, url) = f.license_files(module, "v1.2.0").unwrap();
    assert_eq!(
        files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        vec!["LICENSE"]
    );
    assert!(
        url.ends_with("/example.com/!upper/lib/@v/v1.2.0.zip"),
        "{url}"
    );
    let lic =
        assay::license::resolve::from_files(&files, LicenseSource::ModuleProxy, url, bundled());
    assert_eq!(lic.expression.as_deref(), Some("MPL-2.0"));
    drop(server);
    let (_, from) = f.license_files(module, "v1.2.0").unwrap();
    assert!(
        from.starts_with(&cache.display().to_string()),
        "cached: {from}"
    );

    // 404 on the first proxy of a comma list falls through to the next.
    let server = http_server(&root);
    let empty = tempfile::tempdir().unwrap();
    let empty_server = http_server(empty.path());
    let list = format!(
        "http://127.0.0.1:{},http://127.0.0.1:{}",
        empty_server.1, server.1
    );
    let f = fetcher(&list, &tmp.path().join("cache2"), &[]);
    assert!(f.license_files(module, "v1.2.0").is_ok());
    // 404 everywhere: not found.
    let f = fetcher(
        &format!("http://127.0.0.1:{}", empty_server.1),
        &tmp.path().join("cache3"),
        &[],
    );
    assert!(matches!(
        f.license_files(module, "v1.2.0"),
        Err(assay::license::remote::FetchError::NotFound)
    ));

    // A timeout is an error on a comma list, but a pipe list falls through.
    let silent = silent_server();
    let slow = format!("http://127.0.0.1:{}", silent.1);
    let f = fetcher(
        &format!("{slow},{}", good.clone()),
        &tmp.path().join("cache4"),
        &[],
    );
    let err = f.license_files(module, "v1.2.0").unwrap_err().to_string();
    assert!(err.contains("timed out"), "{err}");
    let f = fetcher(
        &format!("{slow}|http://127.0.0.1:{}", server.1),
        &tmp.path().join("cache5"),
        &[],
    );
    assert!(f.license_files(module, "v1.2.0").is_ok());

    // off, direct and GONOPROXY/GOPRIVATE.
    let f = fetcher("off", &tmp.path().join("cache6"), &[]);
    assert!(f
        .license_files(module, "v1.2.0")
        .unwrap_err()
        .to_string()
        .contains("off"));
    let f = fetcher("direct", &tmp.path().join("cache6"), &[]);
    assert!(f
        .license_files(module, "v1.2.0")
        .unwrap_err()
        .to_string()
        .contains("direct"));
    let f = fetcher(
        &format!("http://127.0.0.1:{}", server.1),
        &tmp.path().join("cache6"),
        &["example.com/Upper"],
    );
    assert!(f
        .license_files(module, "v1.2.0")
        .unwrap_err()
        .to_string()
        .contains("GONOPROXY"));
}

#[test]
fn remote_mode_end_to_end_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proxy");
    let dir = root.join("example.com/assay-sample/hello/@v");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("v1.4.2.zip"),
        module_zip(
            "example.com/assay-sample/hello",
            "v1.4.2",
            &[("LICENSE", "SPDX-License-Identifier: Apache-2.0\n")],
        ),
    )
    .unwrap();
    let server = http_server(&root);
    let run = |mode: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
            .args([
                "licenses",
                "samples/go/hello-linux-amd64-ldflags",
                "-o",
                "json",
                "--licenses",
                mode,
            ])
            .env("GOMODCACHE", "/nonexistent-gomodcache")
            .env("GOPROXY", format!("http://127.0.0.1:{}", server.1))
            .env("ASSAY_CACHE_DIR", tmp.path().join("cache"))
            .current_dir(common::repo())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "example.com/assay-sample/hello")
            .unwrap()["license"]
            .clone()
    };
    // Offline never touches the network.
    assert_eq!(run("offline")["source"], "not-found");
    let lic = run("remote");
    assert_eq!(lic["source"], "module-proxy", "{lic}");
    assert_eq!(lic["expression"], "Apache-2.0");
    assert!(lic["location"]
        .as_str()
        .unwrap()
        .ends_with("/example.com/assay-sample/hello/@v/v1.4.2.zip"));
}

#[test]
fn license_refs_and_compound_expressions_pass_the_validators() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let uuid = cache.join("github.com/google/uuid@v1.6.0");
    let errors = cache.join("github.com/pkg/errors@v0.8.1");
    std::fs::create_dir_all(&uuid).unwrap();
    std::fs::create_dir_all(&errors).unwrap();
    std::fs::write(
        uuid.join("LICENSE"),
        "You may use this only on Tuesdays, and must send us a postcard.\n",
    )
    .unwrap();
    std::fs::write(
        errors.join("LICENSE"),
        "SPDX-License-Identifier: MIT OR Apache-2.0\n",
    )
    .unwrap();
    let spdx = tmp.path().join("s.spdx.json");
    let cdx = tmp.path().join("s.cdx.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["scan", "samples/go/hello-linux-amd64", "-q"])
        .arg("-o")
        .arg(format!("spdx-json={}", spdx.display()))
        .arg("-o")
        .arg(format!("cyclonedx-json={}", cdx.display()))
        .env("GOMODCACHE", &cache)
        .current_dir(common::repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap();
    let pkg = |name: &str| {
        s["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    let declared = pkg("github.com/google/uuid")["licenseDeclared"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(declared.starts_with("LicenseRef-assay-"), "{declared}");
    assert_eq!(
        pkg("github.com/google/uuid")["licenseConcluded"],
        "NOASSERTION"
    );
    let extracted = s["hasExtractedLicensingInfos"].as_array().unwrap();
    assert!(extracted.iter().any(|e| e["licenseId"] == declared.as_str()
        && e["extractedText"].as_str().unwrap().contains("Tuesdays")));
    assert_eq!(
        pkg("github.com/pkg/errors")["licenseConcluded"],
        "MIT OR Apache-2.0"
    );
    let c: serde_json::Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    let comp = |name: &str| {
        c["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        comp("github.com/pkg/errors")["licenses"][0]["expression"],
        "MIT OR Apache-2.0"
    );
    assert_eq!(
        comp("github.com/google/uuid")["licenses"][0]["license"]["name"],
        declared.as_str()
    );
    common::validate("spdx-json", &[&spdx]);
    common::validate("cyclonedx-json", &[&cdx]);
}

// ---------------------------------------------------------------------------------------
// Nothing machine-local: the same SBOM bytes whether or not the module cache holds a module
// the license-db knows (the cache is filled from the modules' real license files).

#[test]
fn sboms_are_the_same_with_and_without_a_filled_module_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("gomodcache");
    let data = common::repo().join("tests/data/licenses");
    for (module, file) in [
        (
            "github.com/google/uuid@v1.6.0",
            "github.com_google_uuid@v1.6.0__LICENSE",
        ),
        (
            "github.com/pkg/errors@v0.8.1",
            "github.com_pkg_errors@v0.8.1__LICENSE",
        ),
    ] {
        let dir = cache.join(module);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(data.join(file), dir.join("LICENSE")).unwrap();
    }
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = |gomodcache: &Path, tag: &str| {
        let spdx = tmp.path().join(format!("{tag}.spdx.json"));
        let cdx = tmp.path().join(format!("{tag}.cdx.json"));
        let json = tmp.path().join(format!("{tag}.json"));
        let out = common::assay_with(
            &[
                "scan",
                "samples/go/hello-linux-amd64",
                "-q",
                "-o",
                &format!("spdx-json={}", spdx.display()),
                "-o",
                &format!("cyclonedx-json={}", cdx.display()),
                "-o",
                &format!("json={}", json.display()),
            ],
            &[("GOMODCACHE", gomodcache)],
        );
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        [spdx, cdx, json].map(|p| std::fs::read(p).unwrap())
    };
    let without = run(&empty, "empty");
    let with = run(&cache, "filled");
    for (i, name) in ["spdx-json", "cyclonedx-json", "json"].iter().enumerate() {
        assert!(
            without[i] == with[i],
            "{name} differs with a filled module cache"
        );
    }
    // The answer is the db's portable record, and the cache really was read: a cache whose
    // file disagrees changes the answer (and says so).
    let text = String::from_utf8_lossy(&with[2]);
    assert!(
        !text.contains(&tmp.path().display().to_string()),
        "no local paths"
    );
    let uuid = uuid_with_module_cache(&cache);
    assert_eq!(uuid["license"]["expression"], "BSD-3-Clause");
    assert_eq!(uuid["license"]["source"], "license-db");
    std::fs::write(
        cache.join("github.com/google/uuid@v1.6.0/LICENSE"),
        "SPDX-License-Identifier: MIT\n",
    )
    .unwrap();
    let changed = run(&cache, "changed");
    let text = String::from_utf8_lossy(&changed[2]);
    assert!(text.contains("the license-db says BSD-3-Clause"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Remote reads only byte ranges of a module zip, and checks the db's guesses.

/// (requests, bytes sent, statuses) from a range server's log.
fn served(stats: &Path) -> (usize, u64, Vec<u64>) {
    let text = std::fs::read_to_string(stats).unwrap_or_default();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        lines.len(),
        lines.iter().map(|l| l["bytes"].as_u64().unwrap()).sum(),
        lines
            .iter()
            .map(|l| l["status"].as_u64().unwrap())
            .collect(),
    )
}

/// A module zip as large as real ones: 4 MB of incompressible code first, then a deflated
/// LICENSE, a nested license and an oversized COPYING (2 MB: not read).
fn big_module_zip(module: &str, version: &str, license: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let noise: Vec<u8> = (0..4 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        z.start_file(format!("{module}@{version}/blob.go"), stored)
            .unwrap();
        z.write_all(&noise).unwrap();
        z.start_file(format!("{module}@{version}/LICENSE"), deflated)
            .unwrap();
        z.write_all(license.as_bytes()).unwrap();
        z.start_file(format!("{module}@{version}/sub/LICENSE"), deflated)
            .unwrap();
        z.write_all(b"SPDX-License-Identifier: GPL-3.0-only\n")
            .unwrap();
        z.start_file(format!("{module}@{version}/COPYING"), deflated)
            .unwrap();
        z.write_all(&vec![b'a'; 2 << 20]).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn remote_reads_only_byte_ranges_of_a_module_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proxy");
    let module = "example.com/big/lib";
    let dir = root.join("example.com/big/lib/@v");
    std::fs::create_dir_all(&dir).unwrap();
    let zip = big_module_zip(module, "v1.0.0", "SPDX-License-Identifier: MPL-2.0\n");
    std::fs::write(dir.join("v1.0.0.zip"), &zip).unwrap();

    let stats = tmp.path().join("stats.jsonl");
    let server = range_server(&root, &stats, false);
    let url = format!("http://127.0.0.1:{}", server.1);
    let f = fetcher(&url, &tmp.path().join("cache"), &[]);
    let (files, _) = f.license_files(module, "v1.0.0").unwrap();
    assert_eq!(
        files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        vec!["LICENSE"],
        "the root LICENSE only: not sub/LICENSE, not the 2 MB COPYING"
    );
    assert_eq!(files[0].1, b"SPDX-License-Identifier: MPL-2.0\n");
    let (requests, bytes, statuses) = served(&stats);
    eprintln!(
        "ranged: {requests} requests, {bytes} bytes of a {} byte zip",
        zip.len()
    );
    assert!(statuses.iter().all(|s| *s == 206), "{statuses:?}");
    // The tail (≤ 64 KiB + 22, holding the central directory here), then the LICENSE's
    // local header and data.
    assert_eq!(requests, 3, "{statuses:?}");
    assert!(bytes < 70_000 && bytes * 50 < zip.len() as u64, "{bytes}");
    // A second run is served from the persistent cache: no request at all.
    let f = fetcher(&url, &tmp.path().join("cache"), &[]);
    f.license_files(module, "v1.0.0").unwrap();
    assert_eq!(served(&stats).0, requests);
    drop(server);

    // A server that ignores ranges: the whole zip, once, bounded.
    let stats = tmp.path().join("stats-whole.jsonl");
    let server = range_server(&root, &stats, true);
    let f = fetcher(
        &format!("http://127.0.0.1:{}", server.1),
        &tmp.path().join("cache-whole"),
        &[],
    );
    let (files, _) = f.license_files(module, "v1.0.0").unwrap();
    assert_eq!(files.len(), 1);
    let (requests, bytes, statuses) = served(&stats);
    assert_eq!((requests, statuses), (1, vec![200]));
    assert_eq!(bytes, zip.len() as u64);

    // Not a zip, and a truncated one: an error naming the module, no panic.
    std::fs::write(dir.join("v1.0.1.zip"), b"not a zip at all").unwrap();
    std::fs::write(dir.join("v1.0.2.zip"), &zip[zip.len() - 30..]).unwrap();
    let server = range_server(&root, &tmp.path().join("s2.jsonl"), false);
    let f = fetcher(
        &format!("http://127.0.0.1:{}", server.1),
        &tmp.path().join("cache-bad"),
        &[],
    );
    for v in ["v1.0.1", "v1.0.2"] {
        let err = f.license_files(module, v).unwrap_err().to_string();
        assert!(err.contains(&format!("{module}/@v/{v}.zip")), "{err}");
    }
    // A zip bomb: the central directory says the 2 MB COPYING is 100 bytes; inflating stops at
    // 1 MiB with an error.
    let mut bomb = big_module_zip(module, "v1.0.3", "MIT");
    let name = format!("{module}@v1.0.3/COPYING");
    let at = bomb
        .windows(name.len())
        .rposition(|w| w == name.as_bytes())
        .unwrap();
    let entry = at - 46;
    assert_eq!(&bomb[entry..entry + 4], b"PK\x01\x02");
    bomb[entry + 24..entry + 28].copy_from_slice(&100u32.to_le_bytes());
    std::fs::write(dir.join("v1.0.3.zip"), &bomb).unwrap();
    let err = f.license_files(module, "v1.0.3").unwrap_err().to_string();
    assert!(err.contains("COPYING inflates beyond"), "{err}");
}

#[test]
fn remote_mode_verifies_a_license_db_answer_for_another_version() {
    let tmp = tempfile::tempdir().unwrap();
    // A site db that examined v1.0.0 only (MIT): for v1.4.2 it can only guess.
    let site = tmp.path().join("site.db");
    std::fs::write(
        &site,
        "assay-license-db 1\n# test\nexpressions 1\nMIT\nrows 1\n\
         go\texample.com/assay-sample/hello\tv1.0.0\tv1.0.0\t0\t1.00\t\tLICENSE\n",
    )
    .unwrap();
    let root = tmp.path().join("proxy");
    let dir = root.join("example.com/assay-sample/hello/@v");
    std::fs::create_dir_all(&dir).unwrap();
    // The exact version is Apache-2.0: the guess does not hold.
    std::fs::write(
        dir.join("v1.4.2.zip"),
        big_module_zip(
            "example.com/assay-sample/hello",
            "v1.4.2",
            "SPDX-License-Identifier: Apache-2.0\n",
        ),
    )
    .unwrap();
    let stats = tmp.path().join("stats.jsonl");
    let server = range_server(&root, &stats, false);
    let run = |mode: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
            .args([
                "licenses",
                "samples/go/hello-linux-amd64-ldflags",
                "-o",
                "json",
                "--licenses",
                mode,
                "--license-db",
            ])
            .arg(&site)
            .env("GOMODCACHE", "/nonexistent-gomodcache")
            .env("GOPROXY", format!("http://127.0.0.1:{}", server.1))
            .env("ASSAY_CACHE_DIR", tmp.path().join("cache"))
            .current_dir(common::repo())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let lic = v["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "example.com/assay-sample/hello")
            .unwrap()["license"]
            .clone();
        (
            lic,
            format!("{}{}", common::stderr(&out), common::stdout(&out)),
        )
    };
    let (lic, _) = run("offline");
    assert_eq!(lic["expression"], "MIT");
    assert_eq!(lic["method"], "license-db-other-version");
    assert_eq!(served(&stats).0, 0, "offline never touches the network");
    let (lic, stderr) = run("remote");
    assert_eq!(lic["expression"], "Apache-2.0", "{lic}");
    assert_eq!(lic["source"], "module-proxy");
    assert!(
        stderr.contains("does not hold for this version"),
        "{stderr}"
    );
    // Ranges of the zip (the sample's other example.com modules are simply not on the proxy).
    let (_, _, statuses) = served(&stats);
    assert!(
        statuses.iter().all(|s| [206, 404].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 206).count(), 3);
    // Cached by name@version: the second run reads nothing of the zip again (modules the
    // proxy does not have are asked again: a miss is not a result).
    run("remote");
    let (_, _, statuses) = served(&stats);
    assert_eq!(statuses.iter().filter(|s| **s == 206).count(), 3);
}

#[test]
fn remote_mode_falls_back_to_the_nearest_served_version() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proxy");
    let dir = root.join("example.com/assay-sample/hello/@v");
    std::fs::create_dir_all(&dir).unwrap();
    // The proxy does not serve v1.4.2 (the sample's version); it lists v1.4.0 and v1.5.0.
    std::fs::write(dir.join("list"), "v1.3.0\nv1.4.0\nv1.5.0\n").unwrap();
    std::fs::write(
        dir.join("v1.4.0.zip"),
        module_zip(
            "example.com/assay-sample/hello",
            "v1.4.0",
            &[("LICENSE", "SPDX-License-Identifier: BSD-2-Clause\n")],
        ),
    )
    .unwrap();
    let server = range_server(&root, &tmp.path().join("stats.jsonl"), false);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args([
            "licenses",
            "samples/go/hello-linux-amd64-ldflags",
            "-o",
            "json",
            "--licenses",
            "remote",
        ])
        .env("GOMODCACHE", "/nonexistent-gomodcache")
        .env("GOPROXY", format!("http://127.0.0.1:{}", server.1))
        .env("ASSAY_CACHE_DIR", tmp.path().join("cache"))
        .current_dir(common::repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lic = &v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "example.com/assay-sample/hello")
        .unwrap()["license"];
    assert_eq!(lic["expression"], "BSD-2-Clause", "{lic}");
    let method = lic["method"].as_str().unwrap();
    assert!(
        method.starts_with(
            "module-proxy-nearest-version: v1.4.0, as the proxy does not serve v1.4.2"
        ),
        "{method}"
    );
    assert!(lic["confidence"].as_f64().unwrap() <= 0.851);
}

/// `assay licenses` on the Go sample with GOMODCACHE set: the component entry of
/// github.com/google/uuid.
fn uuid_with_module_cache(cache: &std::path::Path) -> serde_json::Value {
    let out = common::assay_with(
        &["licenses", "samples/go/hello-linux-amd64", "-o", "json"],
        &[("GOMODCACHE", cache)],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "github.com/google/uuid")
        .cloned()
        .expect("uuid in the sample")
}
