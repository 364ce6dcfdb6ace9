//! `--licenses=remote` for Rust crates, on real crates: each crate's `.crate` archive is
//! fetched once from static.crates.io into target/test-cache/crates (crates.io's download
//! layout) and served from there by a loopback static server (tests/tools/range_server.py,
//! which logs every request). The truth is each crate's own Cargo.toml read by Python's
//! tarfile + tomllib, independently of assay.
//!
//! The binary is the committed cargo-auditable sample (samples/beyond/rust-hello-auditable)
//! with its `.dep-v0` section replaced by objcopy with a dependency list naming these crates.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// Real crates: encoding_rs and unicode-ident were relicensed between these versions
/// (`Apache-2.0 OR MIT` → `(Apache-2.0 OR MIT) AND BSD-3-Clause`; `MIT OR Apache-2.0` →
/// `(MIT OR Apache-2.0) AND Unicode-3.0`); ring 0.16.20 names a `license-file`.
const CRATES: &[(&str, &str)] = &[
    ("encoding_rs", "0.8.28"),
    ("encoding_rs", "0.8.35"),
    ("unicode-ident", "1.0.5"),
    ("unicode-ident", "1.0.19"),
    ("ring", "0.16.20"),
];

fn cache() -> PathBuf {
    common::test_cache("crates")
}

/// `<cache>/NAME/NAME-VERSION.crate`, downloaded once.
fn fetch_once(name: &str, version: &str) -> PathBuf {
    let path = cache().join(format!("{name}/{name}-{version}.crate"));
    let url = format!("https://static.crates.io/crates/{name}/{name}-{version}.crate");
    common::download_once(&url, &path)
}

/// The oracle: `package.license`, else `license-file:PATH`, from the archive by Python.
fn manifest_license(archive: &Path, name: &str, version: &str) -> String {
    let script = r#"
import sys, tarfile, tomllib
path, root = sys.argv[1], sys.argv[2]
with tarfile.open(path, "r:gz") as t:
    m = tomllib.loads(t.extractfile(root + "/Cargo.toml").read().decode())["package"]
print(m["license"] if "license" in m else "license-file:" + m["license-file"])
"#;
    let out = Command::new(common::require_tool("python3"))
        .args(["-c", script])
        .arg(archive)
        .arg(format!("{name}-{version}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::stdout(&out).trim().to_string()
}

/// The sample binary with a `.dep-v0` listing `crates` (plus its own root crate).
fn auditable_binary(dir: &Path, crates: &[(&str, &str)]) -> PathBuf {
    let mut packages: Vec<Value> = crates
        .iter()
        .map(|(n, v)| json!({"name": n, "version": v, "source": "crates.io"}))
        .collect();
    packages
        .push(json!({"name": "rust-hello", "version": "0.3.1", "source": "local", "root": true}));
    packages.sort_by_key(|p| (p["name"].to_string(), p["version"].to_string()));
    let root = packages.iter().position(|p| p["root"] == true).unwrap();
    let deps: Vec<usize> = (0..packages.len()).filter(|i| *i != root).collect();
    packages[root]["dependencies"] = json!(deps);
    let audit = json!({"packages": packages, "format": 1}).to_string();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(audit.as_bytes()).unwrap();
    let section = dir.join("dep-v0");
    std::fs::write(&section, z.finish().unwrap()).unwrap();
    let out = dir.join("rust-app");
    let st = Command::new(common::require_tool("objcopy"))
        .arg(format!("--update-section=.dep-v0={}", section.display()))
        .arg(common::samples().join("beyond/rust-hello-auditable"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// Paths the server was asked for, in order.
fn requests(stats: &Path) -> Vec<(String, u64)> {
    std::fs::read_to_string(stats)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["path"].as_str().unwrap().to_string(),
                v["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `assay licenses BIN -o json --licenses remote`: component name@version → license, and
/// the warnings (one per line) with stderr.
/// What the bundled license-db answers for `name@version` offline: its method
/// (`license-db` when it examined this version, `license-db-range` inside a range) and
/// expression. Remote mode checks every answer but an examined version's.
fn bundled(name: &str, version: &str) -> Option<(String, String)> {
    let out = common::assay(&["license-db", "lookup", &format!("crate {name}@{version}")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    Some((
        v["method"].as_str()?.to_string(),
        v["expression"].as_str()?.to_string(),
    ))
}

fn licenses(
    bin: &Path,
    env: &[(&str, &Path)],
    extra: &[&str],
) -> (BTreeMap<String, Value>, String) {
    let mut args = vec![
        "licenses",
        bin.to_str().unwrap(),
        "-o",
        "json",
        "--licenses",
        "remote",
    ];
    args.extend_from_slice(extra);
    let out = common::assay_with(&args, env);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        common::stderr(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let map = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "rust-crate" || c["kind"] == "rust-root-crate")
        .map(|c| {
            (
                format!(
                    "{}@{}",
                    c["name"].as_str().unwrap(),
                    c["version"].as_str().unwrap()
                ),
                c["license"].clone(),
            )
        })
        .collect();
    // With `-o json` the warnings are the document's problems.
    let problems = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}: {}\n",
                p["path"].as_str().unwrap_or(""),
                p["message"].as_str().unwrap_or("")
            )
        })
        .collect::<String>();
    (map, problems + &common::stderr(&out))
}

#[test]
fn remote_mode_reads_each_crates_own_manifest_once() {
    let tmp = tempfile::tempdir().unwrap();
    for (n, v) in CRATES {
        fetch_once(n, v);
    }
    let bin = auditable_binary(tmp.path(), CRATES);
    let stats = tmp.path().join("stats.jsonl");
    let server = common::range_server(&cache(), &stats, false);
    let registry = PathBuf::from(format!("http://127.0.0.1:{}", server.1));
    let assay_cache = tmp.path().join("assay-cache");
    let env = [
        ("ASSAY_CRATE_REGISTRY", registry.as_path()),
        ("ASSAY_CACHE_DIR", assay_cache.as_path()),
        ("GOPROXY", Path::new("off")),
    ];
    let (found, stderr) = licenses(&bin, &env, &[]);
    let mut fetched = Vec::new();
    for (n, v) in CRATES {
        let truth = manifest_license(&fetch_once(n, v), n, v);
        let lic = &found[&format!("{n}@{v}")];
        if lic["source"] == "crate-download" {
            fetched.push(format!("{n}@{v}"));
            assert_eq!(
                lic["location"],
                format!("{}/{n}/{n}-{v}.crate", registry.display()),
                "{lic}"
            );
            match truth.strip_prefix("license-file:") {
                None => {
                    // `MIT/Apache-2.0` is read as an OR; these crates write SPDX already.
                    assert_eq!(lic["expression"], truth.as_str(), "{n}@{v}: {lic}");
                    assert_eq!(lic["method"], "cargo-manifest");
                }
                Some(file) => {
                    assert!(lic["expression"].is_string(), "{n}@{v}: {lic}");
                    let ev = lic["evidence"].as_array().unwrap();
                    assert!(ev.iter().any(|e| e["file"] == file), "{lic}");
                }
            }
        } else {
            // Not fetched: the license-db examined this very version (or a range around it).
            assert!(
                ["license-db", "license-db-range"].contains(&lic["method"].as_str().unwrap()),
                "{n}@{v}: {lic}"
            );
        }
    }
    eprintln!("fetched: {fetched:?}\n{stderr}");
    // Every version the bundled db did not examine itself (a range answer at most) is read
    // from the crate's own manifest: both sides of each relicensing.
    for (n, v) in [
        ("encoding_rs", "0.8.28"),
        ("encoding_rs", "0.8.35"),
        ("unicode-ident", "1.0.5"),
    ] {
        let examined = bundled(n, v).is_some_and(|(m, _)| m == "license-db");
        assert_eq!(
            fetched.contains(&format!("{n}@{v}")),
            !examined,
            "{n}@{v}: fetched {fetched:?}; the bundled db examined it: {examined}"
        );
    }
    assert!(
        !fetched.is_empty(),
        "no crate was fetched: pick versions the bundled db did not examine"
    );
    assert_ne!(
        found["encoding_rs@0.8.28"]["expression"],
        found["encoding_rs@0.8.35"]["expression"]
    );
    // The local root crate is never asked for; every request is a .crate that was fetched.
    let asked = requests(&stats);
    assert_eq!(asked.len(), fetched.len(), "{asked:?}");
    assert!(asked
        .iter()
        .all(|(p, s)| p.ends_with(".crate") && *s == 200));
    assert!(!asked.iter().any(|(p, _)| p.contains("rust-hello")));
    // The cache holds the manifest (and license files), not the crate.
    let cached = assay_cache.join("crate-licenses/encoding_rs@0.8.35");
    assert!(cached.join("Cargo.toml").is_file() && cached.join(".complete").is_file());
    assert!(!cached.join("src").exists());

    // A second run fetches nothing and answers the same.
    let (again, _) = licenses(&bin, &env, &[]);
    assert_eq!(again, found);
    assert_eq!(requests(&stats).len(), asked.len());
}

#[test]
fn remote_mode_checks_a_license_db_guess_against_the_crates_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let (n, old, new) = ("encoding_rs", "0.8.28", "0.8.35");
    fetch_once(n, old);
    fetch_once(n, new);
    // A site db that examined 0.8.28 only: for 0.8.35 it can only guess from another version.
    let site = tmp.path().join("site.db");
    std::fs::write(
        &site,
        format!(
            "assay-license-db 1\n# test\nexpressions 1\nApache-2.0 OR MIT\nrows 1\n\
             crate\t{n}\t{old}\t{old}\t0\t0.95\t\tCargo.toml\n"
        ),
    )
    .unwrap();
    let bin = auditable_binary(tmp.path(), &[(n, old), (n, new)]);
    let stats = tmp.path().join("stats.jsonl");
    let server = common::range_server(&cache(), &stats, false);
    let registry = PathBuf::from(format!("http://127.0.0.1:{}", server.1));
    let assay_cache = tmp.path().join("assay-cache");
    let env = [
        ("ASSAY_CRATE_REGISTRY", registry.as_path()),
        ("ASSAY_CACHE_DIR", assay_cache.as_path()),
        ("ASSAY_LICENSE_DB", site.as_path()),
    ];
    let (found, stderr) = licenses(&bin, &env, &[]);
    // The examined version: the site db's answer, nothing fetched for it.
    assert_eq!(
        found[&format!("{n}@{old}")]["expression"],
        "Apache-2.0 OR MIT"
    );
    assert_eq!(found[&format!("{n}@{old}")]["source"], "license-db");
    // The guess for the other version does not hold: the manifest answers, with a warning.
    let lic = &found[&format!("{n}@{new}")];
    assert_eq!(
        lic["expression"],
        manifest_license(&fetch_once(n, new), n, new).as_str()
    );
    assert_eq!(lic["source"], "crate-download");
    assert!(
        stderr.contains(&format!("{n}@{new}"))
            && stderr.contains("does not hold for this version: its Cargo.toml says"),
        "{stderr}"
    );
    let asked = requests(&stats);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].0.ends_with(&format!("{n}-{new}.crate")));
}

#[test]
fn a_registry_that_fails_or_hangs_leaves_a_warning_naming_the_crate() {
    let tmp = tempfile::tempdir().unwrap();
    fetch_once("encoding_rs", "0.8.28");
    let bin = auditable_binary(
        tmp.path(),
        &[
            ("encoding_rs", "0.8.28"),
            ("no-such-crate-assay", "0.0.1"),
            ("itoa", "1.0.18"),
        ],
    );
    // 1. A registry without the crate (404) and one that is down: a warning each.
    let stats = tmp.path().join("stats.jsonl");
    let server = common::range_server(&cache(), &stats, false);
    let registry = PathBuf::from(format!("http://127.0.0.1:{}", server.1));
    let (found, stderr) = licenses(
        &bin,
        &[
            ("ASSAY_CRATE_REGISTRY", registry.as_path()),
            ("ASSAY_CACHE_DIR", &tmp.path().join("c1")),
        ],
        &[],
    );
    assert!(
        stderr.contains("no-such-crate-assay@0.0.1") && stderr.contains("answers 404"),
        "{stderr}"
    );
    assert!(found["no-such-crate-assay@0.0.1"]["expression"].is_null());
    // The rest resolves: encoding_rs from the registry, itoa from the bundled db.
    assert_eq!(found["encoding_rs@0.8.28"]["source"], "crate-download");
    assert_eq!(found["itoa@1.0.18"]["source"], "license-db");
    drop(server);

    // 2. A registry that accepts connections and never answers: a timeout per crate asked.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Never accepted: the kernel completes the handshake, nobody ever answers.
    let registry = PathBuf::from(format!("http://127.0.0.1:{port}"));
    let start = std::time::Instant::now();
    let (found, stderr) = licenses(
        &bin,
        &[
            ("ASSAY_CRATE_REGISTRY", registry.as_path()),
            ("ASSAY_CACHE_DIR", &tmp.path().join("c2")),
            ("ASSAY_HTTP_TIMEOUT", Path::new("1")),
        ],
        &[],
    );
    assert!(start.elapsed().as_secs() < 4, "bounded by the timeout");
    for c in ["encoding_rs@0.8.28", "no-such-crate-assay@0.0.1"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(c) && l.contains("timed out")),
            "{c}: {stderr}"
        );
    }
    assert!(found["no-such-crate-assay@0.0.1"]["expression"].is_null());
    // An answer the registry could not check stays the db's (a range around it), or none.
    let db = bundled("encoding_rs", "0.8.28").map(|(_, e)| e);
    assert_eq!(
        found["encoding_rs@0.8.28"]["expression"].as_str(),
        db.as_deref()
    );
    assert_eq!(found["itoa@1.0.18"]["source"], "license-db");
    // Nothing is cached from a failure.
    assert!(!tmp
        .path()
        .join("c2/crate-licenses/encoding_rs@0.8.28")
        .exists());
    drop(listener);
}

/// A real crate that names a `license-file` (ring 0.16.20: `license-file = "LICENSE"`, a text
/// combining ISC, OpenSSL and SSLeay terms): the file kept is byte-for-byte the archive's, as
/// Python's tarfile reads it, and the answer classifies it.
#[test]
fn a_license_file_crate_is_read_from_the_stream() {
    let (n, v) = ("ring", "0.16.20");
    let archive = fetch_once(n, v);
    assert_eq!(manifest_license(&archive, n, v), "license-file:LICENSE");
    let tmp = tempfile::tempdir().unwrap();
    let f = assay::license::crate_fetch::CrateFetcher::new(
        assay::license::crate_fetch::CrateFetchConfig {
            registry: format!("file://{}", cache().display()),
            custom_registry: true,
            cache_dir: tmp.path().join("crate-licenses"),
            timeout: std::time::Duration::from_secs(5),
        },
    )
    .unwrap();
    let (dir, _) = f.unpacked(n, v).unwrap();
    let out = Command::new(common::require_tool("python3"))
        .args([
            "-c",
            "import sys, tarfile; sys.stdout.buffer.write(tarfile.open(sys.argv[1]).extractfile(sys.argv[2]).read())",
        ])
        .arg(&archive)
        .arg(format!("{n}-{v}/LICENSE"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read(dir.join("LICENSE")).unwrap(), out.stdout);
    // Only what the answer needs: the manifest and the license file, no sources.
    let mut kept: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    kept.sort();
    assert!(
        kept.len() <= 4 && kept.contains(&"Cargo.toml".to_string()),
        "{kept:?}"
    );
    assert!(!dir.join("src").exists() && !dir.join("crypto").exists());
    let lic = f
        .license(n, v, assay::license::db::bundled())
        .unwrap()
        .unwrap();
    assert_eq!(lic.source, assay::license::LicenseSource::CrateDownload);
    assert!(lic.evidence.iter().any(|e| e.file == "LICENSE"), "{lic:?}");
    assert!(lic.expression.is_some(), "{lic:?}");
    eprintln!("ring 0.16.20: {:?} ({})", lic.expression, lic.method);
}
