//! Oracle: every fixture's Go data equals what `go version -m` reports for the same file.
//!
//! assay's JSON is rendered back into the text `runtime/debug.BuildInfo.String` produces
//! (the format `go version -m` prints) and compared line by line. `go version -m` reads only
//! the first slice of a fat Mach-O; every slice there must match the thin file of its arch.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// `go version -m FILE` as (version, lines without the leading tab, blank lines dropped);
/// `None` when Go says it is not a Go binary.
fn go_version_m(go: &Path, file: &Path) -> Option<(String, Vec<String>)> {
    let out = Command::new(go)
        .args(["version", "-m"])
        .arg(file)
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("run go version -m");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let first = lines.next()?;
    let version = first.rsplit_once(": ")?.1.to_string();
    let body = lines
        .map(|l| l.strip_prefix('\t').unwrap_or(l).to_string())
        .filter(|l| !l.is_empty())
        .collect();
    Some((version, body))
}

/// Go's `strconv.Quote` for the strings build settings contain.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn module_lines(word: &str, m: &Value, lines: &mut Vec<String>) {
    let s = |k: &str| m[k].as_str().unwrap_or("").to_string();
    match m.get("replace") {
        Some(r) => {
            lines.push(format!("{word}\t{}\t{}", s("path"), s("version")));
            module_lines("=>", r, lines);
        }
        None => lines.push(format!(
            "{word}\t{}\t{}\t{}",
            s("path"),
            s("version"),
            s("sum")
        )),
    }
}

/// Renders one slice's `go` object the way `BuildInfo.String` does.
fn render_like_go(go: &Value) -> (String, Vec<String>) {
    let mut lines = Vec::new();
    if let Some(p) = go["path"].as_str() {
        lines.push(format!("path\t{p}"));
    }
    if let Some(main) = go.get("main") {
        module_lines("mod", main, &mut lines);
    }
    for dep in go["deps"].as_array().expect("deps") {
        module_lines("dep", dep, &mut lines);
    }
    for s in go["settings"].as_array().expect("settings") {
        let (k, v) = (
            s["key"].as_str().unwrap_or(""),
            s["value"].as_str().unwrap_or(""),
        );
        let key = if k.is_empty() || k.contains(['=', ' ', '\t', '\r', '\n', '"', '`']) {
            go_quote(k)
        } else {
            k.to_string()
        };
        let value = if v.contains([' ', '\t', '\r', '\n', '"', '`']) {
            go_quote(v)
        } else {
            v.to_string()
        };
        lines.push(format!("build\t{key}={value}"));
    }
    (
        go["go_version"]["raw"].as_str().unwrap_or("").to_string(),
        lines,
    )
}

fn fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["go", "nongo", "plugins"] {
        let Ok(entries) = std::fs::read_dir(common::samples().join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            // `go version -m` does not read `ar` archives (c-archive): checked separately.
            let skip = ["md", "sh", "h", "a"];
            if p.is_file() && !p.extension().is_some_and(|x| skip.iter().any(|s| x == *s)) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn go_data_equals_go_version_m() {
    let go = common::require_tool("go");
    let files = fixtures();
    assert!(
        files.len() >= 12,
        "expected the Go fixtures in samples/go, found {files:?}"
    );
    let (mut compared, mut modules, mut settings, mut non_go) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(common::repo())
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        let doc = common::scan_json(&[&rel], 0);
        let slices = doc["files"][0]["slices"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let oracle = go_version_m(&go, file);
        match (oracle, slices.first().and_then(|s| s.get("go"))) {
            (None, None) => non_go += 1,
            (Some(_), None) => failures.push(format!("{rel}: go reads build info, assay does not")),
            (None, Some(_)) => failures.push(format!("{rel}: assay reports Go data, go does not")),
            (Some((want_version, want)), Some(go_info)) => {
                let (version, got) = render_like_go(go_info);
                if version != want_version || got != want {
                    failures.push(format!(
                        "{rel}: differs\n  go:    {want_version} {want:#?}\n  assay: {version} {got:#?}"
                    ));
                }
                compared += 1;
                modules += go_info["deps"].as_array().map_or(0, |d| d.len())
                    + usize::from(go_info.get("main").is_some());
                settings += go_info["settings"].as_array().map_or(0, |s| s.len());
            }
        }
    }
    eprintln!(
        "go version -m oracle: {compared} Go files agree ({modules} modules, {settings} settings); {non_go} non-Go files agree"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 10, "too few Go fixtures compared: {compared}");
}

#[test]
fn every_fat_slice_matches_its_thin_build() {
    let universal = common::scan_json(&["samples/go/hello-darwin-universal"], 0);
    let slices = universal["files"][0]["slices"]
        .as_array()
        .expect("slices")
        .clone();
    assert_eq!(slices.len(), 2, "both slices scanned");
    let mut by_arch = BTreeMap::new();
    for s in &slices {
        by_arch.insert(
            s["label"].as_str().unwrap_or("").to_string(),
            render_like_go(&s["go"]),
        );
    }
    for (arch, thin) in [
        ("amd64", "samples/go/hello-darwin-amd64"),
        ("arm64", "samples/go/hello-darwin-arm64"),
    ] {
        let doc = common::scan_json(&[thin], 0);
        let want = render_like_go(&doc["files"][0]["slices"][0]["go"]);
        assert_eq!(
            by_arch.get(arch),
            Some(&want),
            "slice {arch} of the fat file"
        );
    }
}

#[test]
fn missing_section_headers_use_the_segment_rule() {
    let with = common::scan_json(&["samples/go/hello-linux-amd64-stripped"], 0);
    let without = common::scan_json(&["samples/go/hello-linux-amd64-nosections"], 0);
    let go_with = &with["files"][0]["slices"][0]["go"];
    let go_without = &without["files"][0]["slices"][0]["go"];
    assert_eq!(go_with["located_by"], "section");
    assert_eq!(go_without["located_by"], "segment");
    assert_eq!(render_like_go(go_with), render_like_go(go_without));
}

#[test]
fn c_archive_build_info_is_read_from_its_go_object() {
    let doc = common::scan_json(&["samples/go/libhello-c-archive.a"], 0);
    let file = &doc["files"][0];
    assert_eq!(file["format"], "ar");
    let go: Vec<&serde_json::Value> = file["slices"]
        .as_array()
        .expect("slices")
        .iter()
        .filter(|s| s.get("go").is_some())
        .collect();
    assert_eq!(go.len(), 1, "exactly the go.o member carries build info");
    assert_eq!(go[0]["label"], "go.o");
    assert_eq!(
        go[0]["go"]["main"]["path"],
        "example.com/assay-sample/cshared"
    );
    let settings = go[0]["go"]["settings"].as_array().expect("settings");
    assert!(settings
        .iter()
        .any(|s| s["key"] == "-buildmode" && s["value"] == "c-archive"));
}

#[test]
fn trimpath_x_version_is_recovered_through_the_symbol_table() {
    let doc = common::scan_json(&["samples/go/hello-linux-amd64-trimpath-x"], 0);
    let go = &doc["files"][0]["slices"][0]["go"];
    let settings = go["settings"].as_array().expect("settings");
    assert!(
        !settings.iter().any(|s| s["key"] == "-ldflags"),
        "-trimpath drops -ldflags"
    );
    assert_eq!(go["recovered_main_version"]["version"], "v2.7.0");
    assert_eq!(go["recovered_main_version"]["method"], "symbol");
    assert_eq!(
        go["recovered_main_version"]["evidence"],
        "main.version=2.7.0"
    );
}
