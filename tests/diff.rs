//! `assay diff`: two builds of the same Go program with a changed dependency, compared as
//! scans, as assay SBOMs of either family, and against another tool's BOM; every output form;
//! exit codes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Builds samples/src/hello with github.com/google/uuid at `uuid_version` into `dir/hello`.
fn build_hello(dir: &Path, uuid_version: &str) -> PathBuf {
    let go = common::require_tool("go");
    let src = dir.join("src");
    std::fs::create_dir_all(dir).expect("mkdir");
    let status = Command::new("cp")
        .arg("-r")
        .arg(common::repo().join("samples/src/hello"))
        .arg(&src)
        .status()
        .expect("cp");
    assert!(status.success());
    let run = |args: &[&str]| {
        let out = Command::new(&go)
            .args(args)
            .current_dir(&src)
            .env("GOFLAGS", "-mod=mod")
            .env("CGO_ENABLED", "0")
            .env("GOTOOLCHAIN", "local")
            .output()
            .expect("run go");
        assert!(
            out.status.success(),
            "go {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "mod",
        "edit",
        &format!("-require=github.com/google/uuid@{uuid_version}"),
    ]);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let out = bin.join("hello");
    run(&[
        "build",
        "-trimpath",
        "-o",
        out.to_str().expect("utf-8 path"),
        ".",
    ]);
    bin
}

struct Builds {
    _tmp: tempfile::TempDir,
    old: PathBuf,
    new: PathBuf,
    dir: PathBuf,
}

fn builds() -> Builds {
    let tmp = tempfile::tempdir().expect("tempdir");
    let old = build_hello(&tmp.path().join("old"), "v1.5.0");
    let new = build_hello(&tmp.path().join("new"), "v1.6.0");
    Builds {
        dir: tmp.path().to_path_buf(),
        _tmp: tmp,
        old,
        new,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn sbom(b: &Builds, target: &Path, format: &str, name: &str) -> PathBuf {
    let path = b.dir.join(name);
    let out = common::assay(&["scan", s(target), "-o", &format!("{format}={}", s(&path))]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    path
}

fn diff(args: &[&str], expect: i32) -> String {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    let out = common::assay(&all);
    assert_eq!(
        out.status.code(),
        Some(expect),
        "assay {all:?}\nstdout:\n{}\nstderr:\n{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    common::stdout(&out)
}

#[test]
fn a_changed_dependency_shows_in_every_form_and_from_every_source() {
    let b = builds();
    let old_spdx = sbom(&b, &b.old, "spdx-json", "old.spdx.json");
    let new_spdx = sbom(&b, &b.new, "spdx-json", "new.spdx.json");
    let old_cdx = sbom(&b, &b.old, "cyclonedx-json", "old.cdx.json");
    let new_cdx = sbom(&b, &b.new, "cyclonedx-json", "new.cdx.json");

    // Text, two scan targets.
    let text = diff(&[s(&b.old), s(&b.new)], 0);
    assert!(
        text.contains("~ github.com/google/uuid v1.5.0 -> v1.6.0"),
        "{text}"
    );
    assert!(text.contains("0 added, 0 removed, 1 changed"), "{text}");

    // JSON, SPDX against SPDX; the same from CycloneDX and across families.
    for (old, new) in [
        (&old_spdx, &new_spdx),
        (&old_cdx, &new_cdx),
        (&old_spdx, &new_cdx),
        (&old_cdx, &b.new),
    ] {
        let json: Value =
            serde_json::from_str(&diff(&[s(old), s(new), "-o", "json"], 0)).expect("json");
        assert_eq!(json["summary"]["changed"], 1, "{json}");
        assert_eq!(json["summary"]["added"], 0, "{json}");
        assert_eq!(json["summary"]["removed"], 0, "{json}");
        let change = &json["changed"][0];
        assert_eq!(change["key"], "pkg:golang/github.com/google/uuid");
        assert_eq!(change["old"], serde_json::json!(["v1.5.0"]));
        assert_eq!(change["new"], serde_json::json!(["v1.6.0"]));
    }

    // Markdown to a file, for a pull-request comment.
    let md_path = b.dir.join("diff.md");
    let printed = diff(
        &[
            s(&old_cdx),
            s(&new_spdx),
            "-o",
            &format!("markdown={}", s(&md_path)),
        ],
        0,
    );
    assert!(printed.is_empty());
    let md = std::fs::read_to_string(&md_path).expect("markdown written");
    assert!(md.starts_with("### assay diff\n"), "{md}");
    assert!(md.contains("| change | component | old | new |\n|---|---|---|---|\n"));
    assert!(
        md.contains("| version | `github.com/google/uuid` | `v1.5.0` | `v1.6.0` |"),
        "{md}"
    );

    // CI gate: only the named kinds of change fail.
    diff(&[s(&old_spdx), s(&new_spdx), "--fail-on", "changed"], 1);
    diff(
        &[s(&old_spdx), s(&new_spdx), "--fail-on", "added,removed"],
        0,
    );
    diff(&[s(&old_spdx), s(&new_spdx), "--fail-on", "any"], 1);

    // The same program against itself, and an SBOM against its own scan: no changes.
    let same = diff(&[s(&old_spdx), s(&b.old), "--fail-on", "any"], 0);
    assert!(same.contains("no changes"), "{same}");
    let same_md = diff(&[s(&new_cdx), s(&new_spdx), "-o", "markdown"], 0);
    assert!(same_md.contains("No changes."), "{same_md}");
}

#[test]
fn another_tools_bom_is_compared_by_purl_with_its_licenses() {
    let b = builds();
    let syft = common::repo().join("tests/data/diff/syft-hello.cdx.json");
    // Syft writes `(devel)` and `go1.26.8` where assay writes no version and `1.26.8`:
    // neither is a change. Syft does not list the local-directory replacement.
    let json: Value =
        serde_json::from_str(&diff(&[s(&syft), s(&b.new), "-o", "json"], 0)).expect("json");
    assert_eq!(json["summary"]["changed"], 1, "{json}");
    assert_eq!(json["changed"][0]["name"], "github.com/google/uuid");
    assert_eq!(json["summary"]["added"], 1, "{json}");
    assert_eq!(json["added"][0]["name"], "example.com/localdep");
    assert_eq!(json["summary"]["removed"], 0, "{json}");
    // assay records no licenses yet: no license change is claimed from silence.
    assert_eq!(json["summary"]["license_changes"], 0, "{json}");

    // Against a hand-written SPDX document that relicenses a dependency and carries a review.
    let spdx = common::repo().join("tests/data/diff/relicensed.spdx.json");
    let json: Value =
        serde_json::from_str(&diff(&[s(&syft), s(&spdx), "-o", "json"], 0)).expect("json");
    assert_eq!(json["summary"]["license_changes"], 1, "{json}");
    let change = &json["license_changes"][0];
    assert_eq!(change["name"], "github.com/google/uuid");
    assert_eq!(change["old"], serde_json::json!(["BSD-3-Clause"]));
    assert_eq!(change["new"], serde_json::json!(["MIT"]));
    assert_eq!(
        json["new_findings"],
        serde_json::json!(["github.com/pkg/errors: license text differs from upstream"])
    );
    let text = diff(&[s(&syft), s(&spdx), "--fail-on", "license"], 1);
    assert!(text.contains("License changed (1)"), "{text}");
    diff(&[s(&syft), s(&spdx), "--fail-on", "findings"], 1);
}

#[test]
fn scan_problems_are_findings() {
    let json: Value = serde_json::from_str(&diff(
        &["samples/go", "samples/corrupt", "-q", "-o", "json"],
        0,
    ))
    .expect("json");
    let findings = json["new_findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f.as_str().unwrap_or("").starts_with("assay:error:")),
        "{json}"
    );
}

#[test]
fn bad_inputs_are_errors_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let good = common::repo().join("tests/data/diff/syft-hello.cdx.json");
    let cases = [
        (dir.path().join("missing.json"), "missing.json"),
        (write("broken.json", "{\"bomFormat\": "), "not valid JSON"),
        (write("other.json", "{\"hello\": 1}"), "neither an SPDX"),
        (write("text.txt", "just text\n"), "no binaries found"),
    ];
    for (path, message) in &cases {
        let out = common::assay(&["diff", s(&good), s(path)]);
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = common::stderr(&out);
        assert!(err.contains(message), "{}: {err}", path.display());
    }
    let out = common::assay(&["diff", s(&good), s(&good), "-o", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("expected one of: text, json, markdown"));
}

#[test]
fn policy_gate_fails_on_a_new_forbidden_license() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, body: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).expect("write");
        p.display().to_string()
    };
    let bom = |extra: &str| {
        format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
                {{"type": "library", "name": "a", "version": "1", "purl": "pkg:golang/a@1",
                  "licenses": [{{"license": {{"id": "MIT"}}}}]}}{extra}]}}"#
        )
    };
    let old = write("old.cdx.json", bom(""));
    let new = write(
        "new.cdx.json",
        bom(
            r#", {"type": "library", "name": "b", "version": "2", "purl": "pkg:golang/b@2",
                  "licenses": [{"license": {"id": "AGPL-3.0-only"}}]}"#,
        ),
    );
    let strict = write("strict.toml", "[licenses]\nallow = [\"MIT\"]\n".into());
    let lax = write(
        "lax.toml",
        "[licenses]\nallow = [\"MIT\", \"AGPL-3.0-only\"]\n".into(),
    );

    let out = common::assay(&["diff", &old, &new, "--policy", &strict]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("new component b@2 is under AGPL-3.0-only"),
        "{}",
        common::stderr(&out)
    );
    let out = common::assay(&["diff", &old, &new, "--policy", &lax]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    // Without --policy the diff only reports.
    let out = common::assay(&["diff", &old, &new]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    // The same document on both sides introduces nothing.
    let out = common::assay(&["diff", &new, &new, "--policy", &strict]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
}
