//! SARIF output and the GitHub Actions workflow shipped in docs/ci.md.

mod common;

use std::process::Command;

use serde_json::Value;

#[test]
fn sarif_of_scan_problems_passes_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("scan.sarif");
    let out = common::assay(&[
        "scan",
        "samples",
        "-q",
        "-o",
        &format!("sarif={}", sarif.display()),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    common::validate("sarif", &[&sarif]);

    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).expect("read")).expect("json");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["ruleId"], "assay/unreadable-binary");
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri");
        // Locations are where the file is from the working directory, so code scanning finds it.
        assert!(uri.starts_with("samples/"), "{uri}");
        assert!(
            common::repo().join(uri).exists() || uri.contains('%'),
            "{uri} does not exist"
        );
    }

    // A clean scan is a valid log with no results.
    let clean = dir.path().join("clean.sarif");
    let out = common::assay(&[
        "scan",
        "samples/go/hello-linux-amd64",
        "-o",
        &format!("sarif={}", clean.display()),
    ]);
    assert_eq!(out.status.code(), Some(0));
    common::validate("sarif", &[&clean]);
    let log: Value = serde_json::from_slice(&std::fs::read(&clean).expect("read")).expect("json");
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

fn workflow() -> String {
    std::fs::read_to_string(common::repo().join("examples/github-actions/assay.yml"))
        .expect("workflow")
}

#[test]
fn the_documented_workflow_is_the_example_file_and_a_valid_github_workflow() {
    let readme = std::fs::read_to_string(common::repo().join("docs/ci.md")).expect("docs/ci.md");
    assert!(
        readme.contains(&format!("```yaml\n{}```", workflow())),
        "docs/ci.md's workflow differs from examples/github-actions/assay.yml"
    );
    let check = common::venv().join("bin/check-jsonschema");
    assert!(
        check.exists(),
        "check-jsonschema is not installed: run `bash tests/run.sh`"
    );
    let out = Command::new(check)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(common::repo().join("examples/github-actions/assay.yml"))
        .output()
        .expect("check-jsonschema");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_workflows_scan_step_runs() {
    // Every `-o FORMAT=FILE` of the workflow's `assay scan` step, run against a sample.
    let wf = workflow();
    let start = wf.find("assay scan dist/").expect("scan step");
    let step: Vec<&str> = wf[start..]
        .lines()
        .take_while(|l| l.trim_end().ends_with('\\') || l.contains("-o "))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["scan".to_string(), "samples/go".into(), "-q".into()];
    for line in &step {
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            if w == "-o" {
                let spec = words.next().expect("-o value");
                let (format, file) = spec.split_once('=').expect("FORMAT=FILE");
                args.push("-o".into());
                args.push(format!("{format}={}", dir.path().join(file).display()));
            }
        }
    }
    assert!(
        args.len() > 8,
        "the scan step writes several formats: {step:?}"
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::assay(&args);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
}
