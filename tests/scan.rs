//! `assay scan` end to end: SBOMs pass the official validators, output is deterministic,
//! the graph follows the identity rules, bad input is reported without losing the rest.

mod common;

use std::path::Path;

use serde_json::Value;

fn components(doc: &Value) -> Vec<Value> {
    doc["components"].as_array().cloned().unwrap_or_default()
}

fn find<'a>(list: &'a [Value], key: &str, value: &str) -> Vec<&'a Value> {
    list.iter().filter(|c| c[key] == value).collect()
}

#[test]
fn sboms_of_all_samples_pass_the_official_validators() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spdx = dir.path().join("samples.spdx.json");
    let cdx = dir.path().join("samples.cdx.json");
    let out = common::assay(&[
        "scan",
        "samples",
        "-o",
        &format!("spdx-json={}", spdx.display()),
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
        "-q",
    ]);
    // samples/ includes the corrupted corpus: a partial scan, exit 1, outputs still written.
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    common::validate("spdx-json", &[&spdx]);
    common::validate("cyclonedx-json", &[&cdx]);

    // The problems are in the documents, not only on stderr.
    let cdx_doc: Value = serde_json::from_slice(&std::fs::read(&cdx).expect("read")).expect("json");
    let notes = cdx_doc["annotations"]
        .as_array()
        .expect("annotations present");
    assert!(notes
        .iter()
        .any(|a| a["text"].as_str().unwrap_or("").contains("assay:error")));
    let spdx_doc: Value =
        serde_json::from_slice(&std::fs::read(&spdx).expect("read")).expect("json");
    let text = spdx_doc.to_string();
    assert!(
        text.contains("assay:error"),
        "SPDX carries the errors as annotations"
    );
}

#[test]
fn sbom_of_one_clean_binary_passes_validators() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spdx = dir.path().join("one.spdx.json");
    let cdx = dir.path().join("one.cdx.json");
    let out = common::assay(&[
        "scan",
        "samples/go/hello-linux-amd64-ldflags",
        "-o",
        &format!("spdx-json={}", spdx.display()),
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    common::validate("spdx-json", &[&spdx]);
    common::validate("cyclonedx-json", &[&cdx]);
}

#[test]
fn output_is_byte_identical_across_runs() {
    for format in ["json", "spdx-json", "cyclonedx-json", "table"] {
        let a = common::assay(&["scan", "samples/go", "-o", format]);
        let b = common::assay(&["scan", "samples/go", "-o", format]);
        assert_eq!(a.status.code(), Some(0), "{}", common::stderr(&a));
        assert!(!a.stdout.is_empty());
        assert!(
            a.stdout == b.stdout,
            "{format} output differs between two runs"
        );
    }
    // And the timestamp comes from SOURCE_DATE_EPOCH.
    let doc = common::scan_json(&["samples/go/hello-linux-amd64"], 0);
    assert_eq!(doc["created"], "2023-11-14T22:13:20Z");
}

#[test]
fn shared_modules_are_one_component_with_many_occurrences() {
    let doc = common::scan_json(&["samples/go"], 0);
    let comps = components(&doc);
    let uuid = find(&comps, "name", "github.com/google/uuid");
    assert_eq!(uuid.len(), 1, "one uuid component, not one per binary");
    let go_files = doc["summary"]["go_binaries"].as_u64().expect("count");
    let occurrences = uuid[0]["occurrences"]
        .as_array()
        .expect("occurrences")
        .len() as u64;
    assert!(
        occurrences >= 10 && occurrences <= go_files,
        "{occurrences} of {go_files}"
    );
    assert_eq!(uuid[0]["purl"], "pkg:golang/github.com/google/uuid@v1.6.0");
    let stdlib = find(&comps, "name", "stdlib");
    assert_eq!(stdlib.len(), 1);
    assert!(stdlib[0]["purl"]
        .as_str()
        .unwrap_or("")
        .starts_with("pkg:golang/stdlib@1."));
}

#[test]
fn devel_main_modules_stay_with_their_binary() {
    let doc = common::scan_json(
        &[
            "samples/go/hello-linux-amd64",
            "samples/go/hello-linux-arm64",
        ],
        0,
    );
    let comps = components(&doc);
    let mains = find(&comps, "kind", "go-main-module");
    assert_eq!(
        mains.len(),
        2,
        "two (devel) main modules with the same path are not merged"
    );
    for m in mains {
        assert_eq!(m["occurrences"].as_array().map(Vec::len), Some(1));
    }
}

#[test]
fn replaced_modules_are_what_was_linked_with_pedigree() {
    let doc = common::scan_json(&["samples/go/hello-linux-amd64"], 0);
    let comps = components(&doc);
    let errors = find(&comps, "name", "github.com/pkg/errors");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["version"], "v0.8.1",
        "the replacement is what was linked"
    );
    assert_eq!(
        errors[0]["ancestors"][0]["version"], "v0.9.1",
        "the original is kept"
    );
    let local = find(&comps, "name", "example.com/localdep");
    assert_eq!(local.len(), 1);
    // A directory replacement keeps the version its `require` line records, and that
    // original as pedigree, as real replacements do (`go version -m`: `v0.0.0 => ./localdep`).
    assert_eq!(
        local[0]["version"], "v0.0.0",
        "the recorded version is kept"
    );
    assert_eq!(local[0]["ancestors"][0]["version"], "v0.0.0");
    assert!(local[0]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "assay:go:replaced-by-directory" && p["value"] == "./localdep"));

    let cdx = common::assay(&[
        "scan",
        "samples/go/hello-linux-amd64",
        "-o",
        "cyclonedx-json",
    ]);
    let cdx: Value = serde_json::from_slice(&cdx.stdout).expect("json");
    let comps = components(&cdx);
    let errors = find(&comps, "name", "github.com/pkg/errors");
    assert_eq!(
        errors[0]["pedigree"]["ancestors"][0]["purl"],
        "pkg:golang/github.com/pkg/errors@v0.9.1"
    );
    let local = find(&comps, "name", "example.com/localdep");
    assert_eq!(
        local[0]["pedigree"]["ancestors"][0]["purl"],
        "pkg:golang/example.com/localdep@v0.0.0"
    );
}

#[test]
fn devel_versions_are_recovered_with_their_method_and_never_invented() {
    let ldflags = common::scan_json(&["samples/go/hello-linux-amd64-ldflags"], 0);
    let go = &ldflags["files"][0]["slices"][0]["go"];
    assert_eq!(go["recovered_main_version"]["version"], "v1.4.2");
    assert_eq!(go["recovered_main_version"]["method"], "ldflags-x");

    let vcs = common::scan_json(&["samples/go/hello-linux-amd64-vcs"], 0);
    let go = &vcs["files"][0]["slices"][0]["go"];
    let has_vcs = go["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .any(|s| s["key"] == "vcs.revision");
    assert!(has_vcs, "the vcs fixture records vcs.revision");
    let main_version = go["main"]["version"].as_str().unwrap_or("");
    if main_version == "(devel)" {
        assert_eq!(go["recovered_main_version"]["method"], "vcs-pseudo-version");
    }

    // A plain -trimpath build without -X or VCS data keeps no version.
    let plain = common::scan_json(&["samples/go/hello-linux-amd64-stripped"], 0);
    assert!(plain["files"][0]["slices"][0]["go"]
        .get("recovered_main_version")
        .is_none());
    let main = find(&components(&plain), "kind", "go-main-module")[0].clone();
    assert!(main.get("version").is_none());
}

#[test]
fn spdx_relationships_carry_the_graph() {
    let out = common::assay(&["scan", "samples/go/hello-linux-amd64", "-o", "spdx-json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let rels = doc["relationships"].as_array().expect("relationships");
    let kinds: std::collections::BTreeSet<&str> = rels
        .iter()
        .filter_map(|r| r["relationshipType"].as_str())
        .collect();
    for k in ["DESCRIBES", "CONTAINS", "DEPENDS_ON", "STATIC_LINK"] {
        assert!(kinds.contains(k), "missing {k}: {kinds:?}");
    }
    let file = &doc["files"][0];
    assert_eq!(file["checksums"].as_array().map(Vec::len), Some(2));
    let notes = file["annotations"]
        .as_array()
        .expect("build settings as annotations");
    assert!(notes.iter().any(|n| n["comment"]
        .as_str()
        .unwrap_or("")
        .starts_with("assay:go:build:GOARCH=")));
}

#[test]
fn corrupted_inputs_give_errors_not_panics_and_lose_nothing_else() {
    let corrupt = common::samples().join("corrupt");
    let entries: Vec<_> = std::fs::read_dir(&corrupt)
        .expect("samples/corrupt")
        .flatten()
        .collect();
    assert!(entries.len() >= 6, "corrupted corpus present");
    // What each corrupted file must give: an error (exit 1), or a clean result where Go's own
    // reader accepts the file too (bad pointer-size byte in the inline format) or where the
    // bytes are not a binary at all.
    let must_fail = [
        "elf-buildinfo-bad-ptrsize-oldfmt",
        "elf-buildinfo-huge-varint",
        "elf-buildinfo-truncated",
        "elf-truncated-4k",
        "macho-fat-1000-slices",
        "pe-truncated-section-table.exe",
    ];
    let must_pass = [
        "elf-buildinfo-bad-ptrsize",
        "elf-buildinfo-only-valid",
        "buildinfo-magic-only",
        "empty.exe",
    ];
    for e in &entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let out = common::assay(&["scan", e.path().to_str().expect("utf-8"), "-o", "json"]);
        let code = out.status.code();
        assert!(
            !common::stderr(&out).contains("panicked"),
            "{name} panicked"
        );
        if must_fail.contains(&name.as_str()) {
            assert_eq!(
                code,
                Some(1),
                "{name} must be reported as an error:\n{}",
                common::stderr(&out)
            );
            assert!(
                common::stderr(&out).contains(&name),
                "{name}: the error names the file"
            );
        } else if must_pass.contains(&name.as_str()) {
            assert_eq!(code, Some(0), "{name}: {}", common::stderr(&out));
        } else {
            panic!("{name}: new corrupted sample without an expectation in this test");
        }
    }
    // A directory mixing the corrupted corpus with a good binary still yields the good one.
    let dir = tempfile::tempdir().expect("tempdir");
    for e in &entries {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
    }
    std::fs::copy(
        common::samples().join("go/hello-linux-amd64"),
        dir.path().join("good"),
    )
    .expect("copy");
    let doc = common::scan_json(&[dir.path().to_str().expect("utf-8")], 1);
    let good = doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["name"] == "./good")
        .cloned();
    assert!(good.is_some_and(|g| g["slices"][0]["go"]["go_version"]["raw"].is_string()));
    assert_eq!(
        doc["summary"]["errors"].as_u64(),
        Some(must_fail.len() as u64),
        "{}",
        doc["problems"]
    );
}

#[test]
fn loops_special_files_and_unreadable_entries_are_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::copy(
        common::samples().join("go/hello-linux-386"),
        root.join("bin"),
    )
    .expect("copy");
    std::os::unix::fs::symlink(root, root.join("loop")).expect("symlink");
    std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).expect("symlink");
    let fifo = root.join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let doc = common::scan_json(&[root.to_str().expect("utf-8")], 0);
    assert_eq!(doc["summary"]["binaries"], 1);
    let problems = doc["problems"].to_string();
    assert!(problems.contains("symlink loop"), "{problems}");
    assert!(problems.contains("named pipe"), "{problems}");
    assert!(problems.contains("dangling"), "{problems}");
}

#[test]
fn exit_codes_are_the_documented_ones() {
    let missing = common::assay(&["scan", "does/not/exist"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(common::stderr(&missing).contains("does/not/exist"));
    let bad_format = common::assay(&["scan", "samples/go", "-o", "yaml"]);
    assert_eq!(bad_format.status.code(), Some(2));
    assert!(common::stderr(&bad_format).contains("unknown output format"));
    let two_stdout = common::assay(&["scan", "samples/go", "-o", "json", "-o", "spdx-json"]);
    assert_eq!(two_stdout.status.code(), Some(2));
    let ok = common::assay(&["scan", "samples/go"]);
    assert_eq!(ok.status.code(), Some(0));
    let version = common::assay(&["--version"]);
    assert!(common::stdout(&version).starts_with("assay "));
    let unwritable = common::assay(&["scan", "samples/go", "-o", "json=/nonexistent-dir/x.json"]);
    assert_eq!(unwritable.status.code(), Some(2));
}

#[test]
fn names_are_relative_to_the_scan_root_and_formats_are_detected_by_magic() {
    let doc = common::scan_json(&["samples/go"], 0);
    let files = doc["files"].as_array().expect("files");
    let names: Vec<&str> = files.iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(names.iter().all(|n| n.starts_with("./")), "{names:?}");
    let format_of = |n: &str| {
        files
            .iter()
            .find(|f| f["name"] == n)
            .map(|f| f["format"].clone())
    };
    assert_eq!(
        format_of("./hello-windows-amd64.exe"),
        Some(Value::from("PE"))
    );
    assert_eq!(
        format_of("./hello-darwin-universal"),
        Some(Value::from("Mach-O-fat"))
    );
    assert_eq!(format_of("./hello-linux-ppc64"), Some(Value::from("ELF")));
    let ppc = files
        .iter()
        .find(|f| f["name"] == "./hello-linux-ppc64")
        .expect("ppc64");
    assert_eq!(ppc["slices"][0]["platform"]["endian"], "big");
    // A renamed copy is still recognised: magic bytes, not extensions.
    let dir = tempfile::tempdir().expect("tempdir");
    let renamed = dir.path().join("notes.txt");
    std::fs::copy(Path::new("samples/go/hello-windows-amd64.exe"), &renamed).unwrap_or_else(|_| {
        std::fs::copy(
            common::samples().join("go/hello-windows-amd64.exe"),
            &renamed,
        )
        .expect("copy")
    });
    let doc = common::scan_json(&[renamed.to_str().expect("utf-8")], 0);
    assert_eq!(doc["files"][0]["format"], "PE");
}
