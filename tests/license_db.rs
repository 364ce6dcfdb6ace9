//! `assay license-db build` against a loopback GOPROXY and crate registry (python3 -m
//! http.server serving the proxy's directory layout), and site dbs used by scans
//! (`--license-db FILE`, `ASSAY_LICENSE_DB`), which win over the bundled db.

mod common;

use std::io::Write;
use std::path::Path;

use assay::license::table::{Fit, Kind, Table};
use common::http_server;

fn module_zip(module: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, body) in files {
            z.start_file(format!("{module}@{version}/{name}"), opts)
                .unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn put_module(root: &Path, escaped: &str, module: &str, version: &str, license: &str) {
    let dir = root.join(escaped).join("@v");
    std::fs::create_dir_all(&dir).unwrap();
    let files = [("LICENSE", license), ("main.go", "package x")];
    std::fs::write(
        dir.join(format!("{version}.zip")),
        module_zip(module, version, &files),
    )
    .unwrap();
}

fn put_crate(root: &Path, name: &str, version: &str, manifest: &str) {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(manifest.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(
        &mut h,
        format!("{name}-{version}/Cargo.toml"),
        manifest.as_bytes(),
    )
    .unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let dir = root.join("crates").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}-{version}.crate")),
        gz.finish().unwrap(),
    )
    .unwrap();
}

fn license_of<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let c = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name}"));
    &c["license"]
}

#[test]
fn build_from_a_private_goproxy_and_crate_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proxy");
    // a private module relicensed between two versions, and one GOPRIVATE excludes
    let private = "corp.example/Platform/lib";
    put_module(
        &root,
        "corp.example/!platform/lib",
        private,
        "v1.0.0",
        "SPDX-License-Identifier: MPL-2.0\n",
    );
    put_module(
        &root,
        "corp.example/!platform/lib",
        private,
        "v1.4.0",
        "SPDX-License-Identifier: MPL-2.0\n",
    );
    put_module(
        &root,
        "corp.example/!platform/lib",
        private,
        "v2.0.0",
        "SPDX-License-Identifier: BUSL-1.1\n",
    );
    put_module(
        &root,
        "corp.example/secret/x",
        "corp.example/secret/x",
        "v1.0.0",
        "SPDX-License-Identifier: MIT\n",
    );
    put_crate(
        &root,
        "corp-crate",
        "0.3.0",
        "[package]\nname = \"corp-crate\"\nversion = \"0.3.0\"\nlicense = \"MIT/Apache-2.0\"\n",
    );
    let server = http_server(&root);
    let base = format!("http://127.0.0.1:{}", server.1);
    let out = tmp.path().join("site.db");
    let list = tmp.path().join("packages.txt");
    std::fs::write(
        &list,
        format!("# private modules\ngo {private}@v1.4.0\ncrate corp-crate@0.3.0\n"),
    )
    .unwrap();
    let cache = tmp.path().join("cache");
    let goproxy = std::ffi::OsString::from(&base);
    let registry = std::ffi::OsString::from(format!("{base}/crates"));
    let run = common::assay_with(
        &[
            "license-db",
            "build",
            "-o",
            out.to_str().unwrap(),
            "--go",
            &format!("{private}@v1.0.0"),
            "--go",
            &format!("{private}@v2.0.0"),
            "--go",
            "corp.example/secret/x@v1.0.0",
            "--list",
            list.to_str().unwrap(),
        ],
        &[
            ("GOPROXY", Path::new(&goproxy)),
            ("GOPRIVATE", Path::new("corp.example/secret")),
            ("ASSAY_CACHE_DIR", &cache),
            ("ASSAY_CRATE_REGISTRY", Path::new(&registry)),
        ],
    );
    let stderr = common::stderr(&run);
    // written, but one package (excluded by GOPRIVATE) has no answer: exit 1, named on stderr
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("corp.example/secret/x@v1.0.0") && stderr.contains("GOPRIVATE"),
        "{stderr}"
    );
    let table = Table::load(&out).unwrap();
    let at = |v: &str| table.lookup(Kind::Go, private, Some(v));
    assert_eq!(at("v1.0.0").unwrap().expression, "MPL-2.0");
    assert_eq!(
        at("v1.2.0").unwrap().fit,
        Fit::InRange,
        "v1.0.0 and v1.4.0 agree"
    );
    assert_eq!(at("v2.0.0").unwrap().expression, "BUSL-1.1");
    assert!(
        at("v1.9.0").is_none(),
        "the license changed between v1.4.0 and v2.0.0"
    );
    let c = table
        .lookup(Kind::Crate, "corp-crate", Some("0.3.0"))
        .unwrap();
    assert_eq!(c.expression, "MIT OR Apache-2.0");
    assert!(table
        .lookup(Kind::Go, "corp.example/secret/x", Some("v1.0.0"))
        .is_none());

    // a second build is served from the cache: the proxy is gone
    drop(server);
    let again = tmp.path().join("again.db");
    let run = common::assay_with(
        &[
            "license-db",
            "build",
            "-o",
            again.to_str().unwrap(),
            "--list",
            list.to_str().unwrap(),
        ],
        &[
            ("GOPROXY", Path::new(&goproxy)),
            ("ASSAY_CACHE_DIR", &cache),
            ("ASSAY_CRATE_REGISTRY", Path::new(&registry)),
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));

    // bad input: nothing to do, an unreadable list, a malformed package name
    for args in [
        vec!["license-db", "build", "-o", "/dev/null"],
        vec![
            "license-db",
            "build",
            "-o",
            "/dev/null",
            "--list",
            "/nonexistent",
        ],
        vec![
            "license-db",
            "build",
            "-o",
            "/dev/null",
            "--go",
            "no-version",
        ],
    ] {
        let run = common::assay_with(&args, &[]);
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(
            common::stderr(&run).starts_with("assay: error:"),
            "{args:?}"
        );
    }
}

#[test]
fn site_db_from_a_scan_wins_over_the_bundled_db() {
    // The sample links github.com/google/uuid v1.6.0 (BSD-3-Clause in the bundled db). A private
    // proxy serves it with another license text: the site db built from the binary must win.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proxy");
    put_module(
        &root,
        "github.com/google/uuid",
        "github.com/google/uuid",
        "v1.6.0",
        "SPDX-License-Identifier: 0BSD\n",
    );
    let server = http_server(&root);
    let goproxy = std::ffi::OsString::from(format!("http://127.0.0.1:{}", server.1));
    let sample = common::samples().join("go/hello-linux-amd64");
    let sample = sample.to_str().unwrap();
    let out = tmp.path().join("site.db");
    let cache = tmp.path().join("cache");
    let run = common::assay_with(
        &["license-db", "build", "-o", out.to_str().unwrap(), sample],
        &[
            ("GOPROXY", Path::new(&goproxy)),
            ("ASSAY_CACHE_DIR", &cache),
        ],
    );
    // the other modules of the binary are not on this proxy: written, exit 1
    assert_eq!(run.status.code(), Some(1), "{}", common::stderr(&run));
    drop(server);

    let licenses = |args: &[&str], env: &[(&str, &Path)]| -> serde_json::Value {
        let mut all = vec!["licenses", sample, "-o", "json"];
        all.extend_from_slice(args);
        let run = common::assay_with(&all, env);
        serde_json::from_slice(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&run)))
    };
    let bundled = licenses(&[], &[]);
    assert_eq!(
        license_of(&bundled, "github.com/google/uuid")["expression"],
        "BSD-3-Clause"
    );
    let site = licenses(&["--license-db", out.to_str().unwrap()], &[]);
    let uuid = license_of(&site, "github.com/google/uuid");
    assert_eq!(uuid["expression"], "0BSD", "{uuid}");
    assert_eq!(uuid["method"], "license-db");
    assert!(
        uuid["location"].as_str().unwrap().contains("site.db"),
        "{uuid}"
    );
    let env = licenses(&[], &[("ASSAY_LICENSE_DB", &out)]);
    assert_eq!(
        license_of(&env, "github.com/google/uuid")["expression"],
        "0BSD"
    );

    // a file that is not a license-db is an error, not a silent fallback
    let run = common::assay_with(&["licenses", sample, "--license-db", sample], &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        common::stderr(&run).contains("license-db"),
        "{}",
        common::stderr(&run)
    );
}
