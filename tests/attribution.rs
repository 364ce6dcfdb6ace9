//! Auditor outputs: NOTICE, attribution Markdown and HTML; the HTML rendered in headless
//! Chromium.

mod common;

use std::path::Path;
use std::process::Command;

/// Offline: licenses from the bundled license-db only.
fn scan(args: &[&str]) -> std::process::Output {
    common::assay_with(args, &[])
}

const TARGET: &str = "samples/go/hello-linux-amd64";

/// Components of the sample (from assay's JSON), `(name, license expression)`.
fn components() -> Vec<(String, Option<String>)> {
    let out = scan(&["scan", TARGET, "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            let id = c["id"].as_str().unwrap_or_default();
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                v["licenses"][id]["expression"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn write_all(dir: &Path) {
    let spec = |f: &str, n: &str| format!("{f}={}", dir.join(n).display());
    let out = scan(&[
        "scan",
        TARGET,
        "-q",
        "-o",
        &spec("notice", "NOTICE"),
        "-o",
        &spec("attribution-md", "attribution.md"),
        "-o",
        &spec("attribution-html", "attribution.html"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
}

#[test]
fn notice_lists_every_component_and_the_full_license_texts() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_all(dir.path());
    let notice = std::fs::read_to_string(dir.path().join("NOTICE")).expect("NOTICE");
    let comps = components();
    assert!(comps.len() > 3);
    for (name, license) in &comps {
        assert!(
            notice.contains(&format!("\n{name} ")),
            "{name} missing:\n{notice}"
        );
        if let Some(l) = license {
            assert!(notice.contains(&format!("License: {l}")), "{name}: {l}");
        }
    }
    // Every license used has its full text: BSD-3-Clause (uuid, the Go stdlib), BSD-2-Clause.
    let texts = &notice[notice.find("LICENSE TEXTS").expect("texts section")..];
    assert!(texts.contains("\nBSD-3-Clause\nUsed by: "), "{texts}");
    assert!(
        texts.contains("Neither the name of the copyright holder"),
        "{texts}"
    );
    assert!(
        texts.contains("\nBSD-2-Clause\nUsed by: github.com/pkg/errors"),
        "{texts}"
    );

    // `assay licenses -o notice` writes the same document.
    let out = scan(&["licenses", TARGET, "-o", "notice"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out), notice);
}

#[test]
fn attribution_markdown_has_components_evidence_and_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_all(dir.path());
    let md = std::fs::read_to_string(dir.path().join("attribution.md")).expect("md");
    assert!(md.starts_with("# Attribution report: "), "{md}");
    let uuid = md
        .lines()
        .find(|l| l.starts_with("| github.com/google/uuid |"))
        .expect("uuid row");
    assert!(
        // the bundled db names the files and the versions examined (no per-file hashes)
        uuid.contains("BSD-3-Clause") && uuid.contains("LICENSE") && uuid.contains("license-db"),
        "{uuid}"
    );
    assert!(
        md.contains("## Findings") && md.contains("| unknown-license |"),
        "{md}"
    );
    for (name, _) in components() {
        assert!(md.contains(&format!("| {name} |")), "{name}");
    }
}

#[test]
fn attribution_html_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_all(dir.path());
    let html = dir.path().join("attribution.html");
    let text = std::fs::read_to_string(&html).expect("html");
    assert!(text.starts_with("<!DOCTYPE html>") && text.contains("<style>"));
    assert!(!text.contains("<script") && !text.contains("http://") && !text.contains("src="));

    let chromium = common::require_tool("chromium");
    let profile = tempfile::tempdir().expect("profile");
    let png = dir.path().join("attribution.png");
    let base = |cmd: &mut Command| {
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()));
    };
    let url = format!("file://{}", html.display());
    let mut shot = Command::new(&chromium);
    base(&mut shot);
    let out = shot
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,1600")
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "screenshot is {size} bytes");
    if let Ok(keep) = std::env::var("ASSAY_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).expect("keep screenshot");
    }

    let mut dump = Command::new(&chromium);
    base(&mut dump);
    let out = dump
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    for (name, _) in components() {
        assert!(
            dom.contains(&format!("<td>{name}</td>")),
            "{name} not in the DOM"
        );
    }
    assert!(dom.contains("sev-error"), "findings are rendered");
}

#[test]
fn notice_carries_the_license_files_found_with_their_copyright_lines() {
    let cache = tempfile::tempdir().expect("modcache");
    let module = cache.path().join("github.com/google/uuid@v1.6.0");
    std::fs::create_dir_all(&module).expect("mkdir");
    let bsd3 = spdx_bsd3();
    std::fs::write(
        module.join("LICENSE"),
        format!("Copyright (c) 2009,2014 Google Inc. All rights reserved.\n\n{bsd3}"),
    )
    .expect("write LICENSE");
    let out = common::assay_with(
        &["licenses", TARGET, "-o", "notice"],
        &[("GOMODCACHE", cache.path())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let notice = common::stdout(&out);
    let found = &notice[notice
        .find("LICENSE FILES AS FOUND")
        .expect("files section")..];
    assert!(
        found.contains("LICENSE of github.com/google/uuid v1.6.0")
            && found.contains("Copyright (c) 2009,2014 Google Inc."),
        "{found}"
    );
    // The license-db's record for this version, which the cache's file confirms, stays the
    // answer (an SBOM does not depend on the cache); the text found is reproduced.
    assert!(notice.contains("Source:  license-db"), "{notice}");
}

/// The BSD-3-Clause body (as in Go's and uuid's LICENSE files).
fn spdx_bsd3() -> &'static str {
    "Redistribution and use in source and binary forms, with or without modification, are permitted provided that the following conditions are met:\n\n   * Redistributions of source code must retain the above copyright notice, this list of conditions and the following disclaimer.\n   * Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the following disclaimer in the documentation and/or other materials provided with the distribution.\n   * Neither the name of Google Inc. nor the names of its contributors may be used to endorse or promote products derived from this software without specific prior written permission.\n\nTHIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS \"AS IS\" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.\n"
}
