//! `assay check` with every check type: exit codes, findings, and SARIF that passes the
//! SARIF 2.1.0 schema.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// Offline (no module cache, no cargo registry), from the repository root.
fn check(args: &[&str]) -> Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    common::assay_with(&all, &[])
}

/// The sample programs' own example.com modules have no license: not what these tests are about.
const LICENSES_OK: &str = "[licenses]\n[licenses.severity]\nunknown-license = \"warning\"\n";

fn policy(dir: &Path, body: &str) -> String {
    let p = dir.join("assay.toml");
    std::fs::write(&p, format!("{LICENSES_OK}{body}")).expect("write policy");
    p.display().to_string()
}

/// Runs check with `-o sarif=FILE`, validates the log and returns it with the exit code.
fn check_sarif(dir: &Path, policy: &str, targets: &[&str]) -> (Option<i32>, String, Value) {
    let sarif = dir.join("check.sarif");
    let spec = format!("sarif={}", sarif.display());
    let mut args = vec!["--policy", policy, "-o", &spec];
    args.extend_from_slice(targets);
    let out = check(&args);
    assert_ne!(out.status.code(), Some(2), "{}", common::stderr(&out));
    common::validate("sarif", &[&sarif]);
    let log = serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("json");
    (out.status.code(), common::stdout(&out), log)
}

fn results(log: &Value) -> Vec<(String, String, String)> {
    log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap_or_default().to_string(),
                r["level"].as_str().unwrap_or_default().to_string(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn abi_baseline(dir: &Path) {
    let out = common::assay(&[
        "abi",
        "dump",
        "samples/native/elf/libdemo-v1.so",
        "-o",
        &dir.join("libdemo.abi.json").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
}

#[test]
fn license_check_passes_and_fails_with_sarif() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = policy(dir.path(), "");
    let (code, text, log) = check_sarif(dir.path(), &ok, &["samples/go/hello-linux-amd64"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("licenses  ok") && text.contains("result: ok"),
        "{text}"
    );
    // Warnings and notes are still annotations.
    assert!(results(&log)
        .iter()
        .any(|(rule, level, uri)| rule == "license/unknown-license"
            && level == "warning"
            && uri == "samples/go/hello-linux-amd64"));

    let deny = policy(dir.path(), "");
    std::fs::write(&deny, "[licenses]\ndeny = [\"BSD-2-Clause\"]\n").expect("write");
    let (code, text, log) = check_sarif(dir.path(), &deny, &["samples/go/hello-linux-amd64"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("license/license-denied: github.com/pkg/errors@"),
        "{text}"
    );
    assert!(results(&log)
        .iter()
        .any(|(rule, level, _)| rule == "license/license-denied" && level == "error"));
    let rules = log["runs"][0]["tool"]["driver"]["rules"].to_string();
    assert!(rules.contains("abi/removed") && rules.contains("plugin/package-hashes"));
}

#[test]
fn abi_check_against_a_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    abi_baseline(dir.path());
    // Paths in the policy are relative to the policy file; by default every scanned file
    // with the baseline's SONAME (libdemo.so.1) is compared.
    let p = policy(dir.path(), "[abi]\nexpected = \"libdemo.abi.json\"\n");
    let (code, text, log) = check_sarif(dir.path(), &p, &["samples/native/elf/libdemo-v1.so"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("abi       ok"), "{text}");
    assert!(results(&log).is_empty(), "{log}");

    let (code, text, log) = check_sarif(dir.path(), &p, &["samples/native/elf/libdemo-v2.so"]);
    assert_eq!(code, Some(1), "{text}");
    let found = results(&log);
    let v2 = "samples/native/elf/libdemo-v2.so".to_string();
    assert!(
        found.contains(&("abi/removed".into(), "error".into(), v2.clone())),
        "{found:?}"
    );
    assert!(
        found.contains(&("abi/changed".into(), "error".into(), v2)),
        "{found:?}"
    );
    assert!(text.contains("demo_old@@VERS_1"), "{text}");

    // A directory with both: each is compared; `target` picks one.
    let (code, _, log) = check_sarif(dir.path(), &p, &["samples/native/elf"]);
    assert_eq!(code, Some(1));
    assert!(results(&log)
        .iter()
        .all(|(_, _, uri)| uri.ends_with("libdemo-v2.so")));
    let v1 = common::repo().join("samples/native/elf/libdemo-v1.so");
    let p = policy(
        dir.path(),
        &format!(
            "[abi]\nexpected = \"libdemo.abi.json\"\ntarget = \"{}\"\n",
            v1.display()
        ),
    );
    let (code, text, _) = check_sarif(dir.path(), &p, &["samples/native/elf"]);
    assert_eq!(code, Some(0), "{text}");

    // No scanned file provides the library: a finding, not a pass.
    let p = policy(dir.path(), "[abi]\nexpected = \"libdemo.abi.json\"\n");
    let (code, _, log) = check_sarif(dir.path(), &p, &["samples/go/hello-linux-amd64"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        results(&log)
            .iter()
            .filter(|r| r.0 == "abi/missing")
            .count(),
        1
    );

    // An unreadable baseline is an error, not a verdict.
    let p = policy(dir.path(), "[abi]\nexpected = \"no-such.json\"\n");
    let out = check(&["--policy", &p, "samples/native/elf/libdemo-v1.so"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("no-such.json"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn plugin_check_against_a_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = common::samples().join("plugins");
    let host = plugins.join("host").display().to_string();
    // By default every scanned Go plugin, in name order: greeter.so loads, olderrors.so not.
    let p = policy(dir.path(), &format!("[plugins]\nhost = \"{host}\"\n"));
    let (code, text, log) = check_sarif(dir.path(), &p, &["samples/plugins"]);
    assert_eq!(code, Some(1), "{text}");
    let found: Vec<_> = results(&log)
        .into_iter()
        .filter(|r| r.0.starts_with("plugin/"))
        .collect();
    assert_eq!(
        found,
        [(
            "plugin/package-hashes".to_string(),
            "error".to_string(),
            "samples/plugins/olderrors.so".to_string()
        )]
    );
    assert!(
        text.contains("different version of package github.com/pkg/errors"),
        "{text}"
    );

    let p = policy(
        dir.path(),
        &format!(
            "[plugins]\nhost = \"{host}\"\nplugins = [\"{}\"]\n",
            plugins.join("greeter.so").display()
        ),
    );
    let (code, text, _) = check_sarif(dir.path(), &p, &["samples/plugins"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("plugins   ok    1 plugin(s)"), "{text}");

    // A host that is not a Go program is an error.
    let p = policy(
        dir.path(),
        &format!(
            "[plugins]\nhost = \"{}\"\n",
            common::repo()
                .join("samples/native/elf/libdemo-v1.so")
                .display()
        ),
    );
    let out = check(&["--policy", &p, "samples/plugins"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stdout(&out));
}

#[test]
fn every_check_at_once_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    abi_baseline(dir.path());
    let host = common::samples().join("plugins/host").display().to_string();
    let p = policy(
        dir.path(),
        &format!("[abi]\nexpected = \"libdemo.abi.json\"\n[plugins]\nhost = \"{host}\"\n"),
    );
    let out = check(&[
        "--policy",
        &p,
        "-o",
        "json",
        "samples/native/elf/libdemo-v1.so",
        "samples/plugins/greeter.so",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let checks: Vec<(&str, bool)> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["check"].as_str().unwrap_or_default(), c["passed"] == true))
        .collect();
    assert_eq!(
        checks,
        [("licenses", true), ("abi", true), ("plugins", true)]
    );
    assert_eq!(v["passed"], true);

    // Unknown keys in the new sections are errors naming the key.
    let p = policy(dir.path(), "[abi]\nexpected = \"x\"\nbaseline = \"y\"\n");
    let out = check(&["--policy", &p, "samples/plugins/greeter.so"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("baseline"),
        "{}",
        common::stderr(&out)
    );
}
