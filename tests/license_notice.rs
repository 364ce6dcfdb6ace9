//! NOTICE files on real Go modules (docs/licenses.md, "NOTICE files"). Each module zip is
//! fetched once from the Go module proxy into target/test-cache/goproxy (the proxy's own
//! layout, ~3.3 MB in all) and then served to assay from there as a `file://` GOPROXY. The
//! module's root files are read out of the zip by Python's zipfile, independently of assay.
//!
//! Both paths that share the file rule are checked on every module: the resolver's
//! (`assay license-db build`, what `--licenses=remote` and a site db run) and the
//! generator's (`assay license-db classify` on the unpacked root, what license-db/generate.py
//! and a module cache run); the resolver's path also through a loopback proxy that serves
//! byte ranges (tests/tools/range_server.py), as `--licenses=remote` reads proxy.golang.org. The expected answers were read off each NOTICE by hand and match
//! ScanCode 32.5.0's detections on the same files except where docs/licenses.md says.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use assay::license::table::{Kind, Table};

/// (module, version, expected license, what its NOTICE holds).
const MODULES: &[(&str, &str, &str, &str)] = &[
    // "still covered by their original MIT license" (files ported from libyaml)
    (
        "go.yaml.in/yaml/v4",
        "v4.0.0-rc.7",
        "Apache-2.0 AND MIT",
        "statement",
    ),
    // "Licensed under the BSD 3-Clause License." (spdy/ derived from golang.org/x/net)
    (
        "github.com/moby/spdystream",
        "v0.5.1",
        "Apache-2.0 AND BSD-3-Clause",
        "statement",
    ),
    // an ASF attribution, then the full BSD-3-Clause text of the code it originates from
    (
        "github.com/gocql/gocql",
        "v1.7.0",
        "Apache-2.0 AND BSD-3-Clause",
        "text",
    ),
    // attributions only: copyright lines, "This product includes software developed at …"
    (
        "github.com/aws/aws-sdk-go-v2",
        "v1.48.0",
        "Apache-2.0",
        "attribution",
    ),
    (
        "github.com/coreos/go-systemd/v22",
        "v22.7.0",
        "Apache-2.0",
        "attribution",
    ),
    (
        "github.com/prometheus/client_model",
        "v0.6.3",
        "Apache-2.0",
        "attribution",
    ),
    // export-control text naming apache.org/dev/crypto.html
    (
        "github.com/opencontainers/runc",
        "v1.5.3",
        "Apache-2.0",
        "attribution",
    ),
    // a CNCF CLA note
    (
        "sigs.k8s.io/randfill",
        "v1.0.0",
        "Apache-2.0",
        "attribution",
    ),
    // repeats the module's own license: nothing changes
    (
        "github.com/minio/minio-go/v7",
        "v7.4.1",
        "Apache-2.0",
        "repeat",
    ),
    ("gopkg.in/yaml.v3", "v3.0.1", "MIT AND Apache-2.0", "repeat"),
];

fn escape(p: &str) -> String {
    p.chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['!', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// target/test-cache/goproxy: a GOPROXY directory (`<escaped path>/@v/<version>.zip`).
fn proxy_dir() -> PathBuf {
    common::test_cache("goproxy")
}

fn fetch_once(module: &str, version: &str) -> PathBuf {
    let path = proxy_dir().join(format!("{}/@v/{version}.zip", escape(module)));
    let url = format!(
        "https://proxy.golang.org/{}/@v/{version}.zip",
        escape(module)
    );
    common::download_once(&url, &path)
}

/// The oracle: the zip's root files (names and SHA-256) by Python's zipfile, unpacked into
/// `into` (a module-cache-like directory of root files only).
fn root_files(zip: &Path, module: &str, version: &str, into: &Path) -> BTreeMap<String, String> {
    let script = r#"
import hashlib, json, os, sys, zipfile
path, prefix, into = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
with zipfile.ZipFile(path) as z:
    for name in z.namelist():
        rel = name[len(prefix):] if name.startswith(prefix) else None
        if rel and "/" not in rel:
            data = z.read(name)
            out[rel] = hashlib.sha256(data).hexdigest()
            os.makedirs(into, exist_ok=True)
            open(os.path.join(into, rel), "wb").write(data)
print(json.dumps(out))
"#;
    let out = Command::new(common::require_tool("python3"))
        .args(["-c", script])
        .arg(zip)
        .arg(format!("{module}@{version}/"))
        .arg(into)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    serde_json::from_str(&common::stdout(&out)).unwrap()
}

fn ids(expr: &str) -> Vec<String> {
    let mut v: Vec<String> = expr
        .split([' ', '(', ')'])
        .filter(|t| !t.is_empty() && *t != "AND" && *t != "OR")
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn notice_files_of_real_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let mut oracle = BTreeMap::new();
    let mut dirs = Vec::new();
    for (m, v, _, _) in MODULES {
        let zip = fetch_once(m, v);
        let dir = tmp.path().join("roots").join(format!("{}@{v}", escape(m)));
        let files = root_files(&zip, m, v, &dir);
        let notice = files
            .keys()
            .find(|n| n.to_ascii_lowercase().starts_with("notice"))
            .unwrap_or_else(|| panic!("{m}@{v} has a root NOTICE"));
        oracle.insert(
            dir.display().to_string(),
            (notice.clone(), files[notice].clone()),
        );
        dirs.push(dir);
    }

    // The generator's path (and the module cache's): unpacked roots.
    let mut args = vec!["license-db".to_string(), "classify".to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = common::assay_with(&args, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let classified: Vec<serde_json::Value> = common::stdout(&run)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(classified.len(), MODULES.len());

    // The resolver's path: a site db built through GOPROXY (the cached zips, file://).
    let list = tmp.path().join("packages.txt");
    let lines: Vec<String> = MODULES
        .iter()
        .map(|(m, v, _, _)| format!("go {m}@{v}"))
        .collect();
    std::fs::write(&list, lines.join("\n")).unwrap();
    let db = tmp.path().join("site.db");
    let goproxy = std::ffi::OsString::from(format!("file://{}", proxy_dir().display()));
    let run = common::assay_with(
        &[
            "license-db",
            "build",
            "-o",
            db.to_str().unwrap(),
            "--list",
            list.to_str().unwrap(),
        ],
        &[
            ("GOPROXY", Path::new(&goproxy)),
            ("ASSAY_CACHE_DIR", &tmp.path().join("cache")),
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let table = Table::load(&db).unwrap();

    for ((m, v, want, kind), c) in MODULES.iter().zip(&classified) {
        let (notice, sha) = &oracle[c["dir"].as_str().unwrap()];
        let got = c["expression"].as_str().unwrap_or("");
        assert_eq!(ids(got), ids(want), "{m}@{v} ({kind}): {c}");
        // The NOTICE is evidence, with its digest, like any license file.
        let files = c["files"].as_array().unwrap();
        let ev = files
            .iter()
            .find(|f| f["file"] == notice.as_str())
            .unwrap_or_else(|| panic!("{m}@{v}: {notice} recorded as evidence: {c}"));
        assert_eq!(ev["sha256"], sha.as_str(), "{m}@{v}");
        let stated = ev["expression"].as_str();
        match *kind {
            "attribution" => assert_eq!(stated, None, "{m}@{v}: {c}"),
            _ => assert!(
                stated.is_some(),
                "{m}@{v}: the NOTICE states a license: {c}"
            ),
        }
        let row = table
            .lookup(Kind::Go, m, Some(v))
            .unwrap_or_else(|| panic!("{m}@{v} in the site db"));
        assert_eq!(ids(&row.expression), ids(want), "{m}@{v}: site db");
        assert!(
            row.evidence.iter().any(|e| e == notice),
            "{m}@{v}: {:?}",
            row.evidence
        );
    }

    // The same through an HTTP proxy that serves byte ranges (what `--licenses=remote` reads
    // from proxy.golang.org): the NOTICE comes with the root license entries, never the
    // whole zip.
    let stats = tmp.path().join("stats.jsonl");
    let server = common::range_server(&proxy_dir(), &stats, false);
    let ranged = tmp.path().join("ranged.db");
    let goproxy = std::ffi::OsString::from(format!("http://127.0.0.1:{}", server.1));
    let run = common::assay_with(
        &[
            "license-db",
            "build",
            "-o",
            ranged.to_str().unwrap(),
            "--list",
            list.to_str().unwrap(),
        ],
        &[
            ("GOPROXY", Path::new(&goproxy)),
            ("ASSAY_CACHE_DIR", &tmp.path().join("cache-ranged")),
        ],
    );
    drop(server);
    assert_eq!(run.status.code(), Some(0), "{}", common::stderr(&run));
    let statuses: Vec<serde_json::Value> = std::fs::read_to_string(&stats)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // At least the tail and one entry of every zip, each a range.
    assert!(statuses.len() >= 2 * MODULES.len(), "{statuses:?}");
    assert!(statuses.iter().all(|s| s["status"] == 206), "{statuses:?}");
    let ranged = Table::load(&ranged).unwrap();
    for (m, v, want, _) in MODULES {
        let row = ranged.lookup(Kind::Go, m, Some(v)).unwrap();
        assert_eq!(ids(&row.expression), ids(want), "{m}@{v}: ranged");
    }

    // Without its NOTICE, go-yaml v4 is what its LICENSE says: the NOTICE is what adds MIT.
    let yaml = &dirs[0];
    let notice = yaml.join("NOTICE");
    std::fs::remove_file(&notice).unwrap();
    let run = common::assay_with(&["license-db", "classify", yaml.to_str().unwrap()], &[]);
    let c: serde_json::Value = serde_json::from_str(common::stdout(&run).trim()).unwrap();
    assert_eq!(c["expression"], "Apache-2.0", "{c}");
    // A root with a NOTICE of attributions and no license file has no answer (not a
    // LicenseRef made of the NOTICE).
    let only_notice = tmp.path().join("only-notice");
    std::fs::create_dir_all(&only_notice).unwrap();
    std::fs::copy(dirs[3].join("NOTICE.txt"), only_notice.join("NOTICE.txt")).unwrap();
    let run = common::assay_with(
        &["license-db", "classify", only_notice.to_str().unwrap()],
        &[],
    );
    let c: serde_json::Value = serde_json::from_str(common::stdout(&run).trim()).unwrap();
    assert!(c.get("expression").is_none(), "{c}");
}
