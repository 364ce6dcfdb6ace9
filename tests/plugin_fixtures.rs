//! `assay plugin-check` on the committed fixtures in samples/plugins (no Go toolchain
//! needed). The expected texts are what the fixtures' own host printed when it loaded them
//! (see samples/plugins/README.md); the harness in plugin_harness.rs re-derives such
//! outcomes from fresh builds.

use std::path::{Path, PathBuf};
use std::process::Command;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/plugins")
}

fn assay(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_assay"))
        .current_dir(samples())
        .args(args)
        .output()
        .expect("run assay");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let (code, stdout, stderr) = assay(&all);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (code, value)
}

#[test]
fn matching_plugin_loads_and_old_dependency_fails_with_the_runtime_text() {
    let (code, report) = json(&[
        "plugin-check",
        "--host",
        "host",
        "./greeter.so",
        "./olderrors.so",
    ]);
    assert_eq!(code, 1, "{report:#}");
    let plugins = report["plugins"].as_array().expect("plugins");
    assert_eq!(plugins[0]["outcome"], "LOADS");
    assert_eq!(plugins[0]["pluginpath"], "example.com/plugins/greeter");
    assert_eq!(plugins[0]["table_order"], "relocations");
    assert_eq!(plugins[1]["outcome"], "FAILS");
    assert_eq!(plugins[1]["failed_check"], "package-hashes");
    assert_eq!(
        plugins[1]["error"],
        "plugin.Open(\"./olderrors\"): plugin was built with a different version of package github.com/pkg/errors"
    );
    assert_eq!(plugins[1]["mismatch"]["plugin_module"]["version"], "v0.8.1");
    assert_eq!(
        plugins[1]["mismatch"]["provider_module"]["version"],
        "v0.9.1"
    );
    assert_eq!(
        plugins[1]["hint"],
        "require github.com/pkg/errors v0.9.1 in the plugin's go.mod, as the host does"
    );
}

#[test]
fn exit_zero_when_every_plugin_loads_and_text_output_names_the_verdict() {
    let (code, stdout, _) = assay(&["plugin-check", "--host", "host", "greeter.so"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("LOADS   greeter.so"), "{stdout}");
}

#[test]
fn directory_means_its_so_files_in_name_order() {
    let (_, report) = json(&["plugin-check", "--host", "host", "."]);
    let names: Vec<&str> = report["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["./greeter.so", "./olderrors.so"]);
}

#[test]
fn expect_flags_a_missing_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = dir.path().join("exports.txt");
    std::fs::write(
        &baseline,
        "# greeter API\nGreet\nexample.com/plugins/greeter.Version\nFarewell\n",
    )
    .expect("write baseline");
    let baseline = baseline.to_string_lossy().into_owned();
    let (code, report) = json(&[
        "plugin-check",
        "--host",
        "host",
        "greeter.so",
        "--expect",
        &baseline,
    ]);
    assert_eq!(code, 1);
    let p = &report["plugins"][0];
    assert_eq!(p["failed_check"], "expected-exports");
    assert_eq!(p["missing_exports"], serde_json::json!(["Farewell"]));
    assert_eq!(
        p["error"],
        "plugin: symbol Farewell not found in plugin example.com/plugins/greeter"
    );
}

#[test]
fn plugin_without_section_headers_reads_the_same() {
    // Zero e_shoff/e_shnum/e_shstrndx: only program headers remain, as after sstrip.
    let mut bytes = std::fs::read(samples().join("olderrors.so")).expect("read fixture");
    bytes[0x28..0x30].fill(0); // e_shoff (ELF64)
    bytes[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("noshdr.so");
    std::fs::write(&copy, bytes).expect("write copy");
    let copy = copy.to_string_lossy().into_owned();
    let (code, report) = json(&["plugin-check", "--host", "host", &copy]);
    assert_eq!(code, 1);
    let p = &report["plugins"][0];
    assert_eq!(p["failed_check"], "package-hashes", "{report:#}");
    assert_eq!(p["mismatch"]["package"], "github.com/pkg/errors");
}

#[test]
fn errors_exit_two() {
    let (code, _, stderr) = assay(&["plugin-check", "--host", "missing-host", "greeter.so"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing-host"), "{stderr}");
    let (code, _, stderr) = assay(&["plugin-check", "--host", "build.sh", "greeter.so"]);
    assert_eq!(code, 2, "{stderr}");
}
