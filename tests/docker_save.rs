//! Docker Engine 25+ `docker save` archives: an OCI layout (index.json, blobs/sha256) beside
//! the legacy manifest.json. Written here from a umoci image as Docker 25 writes them
//! (tests/data/docker25/save.py); the image's identity must be the manifest digest, the same
//! purl whether the archive is scanned as `docker-archive:`, as `oci-archive:`, or unpacked
//! as `oci-dir:`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::image::{
    skopeo_copy, start_registry, umoci_config, umoci_init, umoci_new_unpacked, umoci_repack,
};
use common::run;
use serde_json::Value;

/// A one-layer umoci image (a program and a text file) in `dir/layout`, tag `v1`.
fn umoci_image(dir: &Path) -> PathBuf {
    common::require_tool("umoci");
    let layout = dir.join("layout");
    let l = format!("{}:v1", layout.display());
    umoci_init(&layout);
    let bundle = dir.join("bundle");
    umoci_new_unpacked(&l, &bundle, true);
    let rootfs = bundle.join("rootfs");
    std::fs::create_dir_all(rootfs.join("usr/bin")).unwrap();
    std::fs::copy("/usr/bin/true", rootfs.join("usr/bin/true")).unwrap();
    std::fs::write(rootfs.join("hello.txt"), "hello\n").unwrap();
    umoci_repack(&l, &bundle, false);
    umoci_config(&l, "amd64", &[]);
    layout
}

/// Writes the Docker 25 archive; returns its path and the manifest digest it records.
fn docker25_save(layout: &Path, repo_tag: &str, out: &Path) -> String {
    run(Command::new("python3")
        .arg(common::repo().join("tests/data/docker25/save.py"))
        .arg(layout)
        .arg("v1")
        .arg(repo_tag)
        .arg(out))
}

fn cyclonedx(target: &str) -> Value {
    cyclonedx_with(target, &[])
}

fn cyclonedx_with(target: &str, extra: &[&str]) -> Value {
    let mut args = vec!["scan", target, "-o", "cyclonedx-json"];
    args.extend(extra);
    let out = common::assay(&args);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    serde_json::from_str(&common::stdout(&out)).unwrap()
}

fn root_purl(bom: &Value) -> String {
    bom["metadata"]["component"]["purl"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn docker25_archive_has_the_manifest_identity_of_every_input() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("docker25");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let layout = umoci_image(&dir);
    let archive = dir.join("app.tar");
    let digest = docker25_save(&layout, "test/app:v1", &archive);
    assert!(digest.starts_with("sha256:"), "{digest}");
    // The same OCI content, unpacked: Docker 25's archive is a layout.
    let unpacked = dir.join("app");
    std::fs::create_dir_all(&unpacked).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked));

    let docker = cyclonedx(&format!("docker-archive:{}", archive.display()));
    let oci_archive = cyclonedx(&format!("oci-archive:{}", archive.display()));
    let oci_dir = cyclonedx(&format!("oci-dir:{}:v1", unpacked.display()));
    let purl = root_purl(&docker);
    let encoded = digest.replace(':', "%3A");
    assert!(
        purl.starts_with(&format!("pkg:oci/app@{encoded}?")),
        "{purl} lacks {digest}"
    );
    // The full reference Docker records (docker.io/test/app) is the repository.
    assert!(
        purl.contains("repository_url=docker.io%2Ftest%2Fapp"),
        "{purl}"
    );
    assert_eq!(root_purl(&oci_archive), purl);
    assert_eq!(root_purl(&oci_dir), purl);
    // Same files, same layers (the blob digests are the uncompressed layers' diff_ids).
    let names = |bom: &Value| -> Vec<String> {
        let mut n: Vec<String> = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&docker), names(&oci_dir));
    assert!(names(&docker).iter().any(|n| n.contains("usr/bin/true")));
    // Pushed to a registry as it is (skopeo --preserve-digests), the image has the same
    // name and version; only repository_url names the registry instead of docker.io.
    let registry = start_registry(&dir.join("registry"), None);
    let host = format!("127.0.0.1:{}", registry.port);
    skopeo_copy(
        &["-q", "--preserve-digests", "--dest-tls-verify=false"],
        &format!("oci:{}:v1", unpacked.display()),
        &format!("docker://{host}/test/app:v1"),
    );
    let pushed = root_purl(&cyclonedx_with(
        &format!("registry:{host}/test/app:v1"),
        &["--insecure-registry"],
    ));
    let without_repository = |p: &str| p.split("&repository_url=").next().unwrap().to_string();
    assert_eq!(without_repository(&pushed), without_repository(&purl));
    assert!(
        pushed.contains(&format!("repository_url={}", host.replace(':', "%3A"))),
        "{pushed}"
    );
    drop(registry);
    // The older format (skopeo's docker-archive has no index.json) keeps the config-digest
    // identity: no version in the purl.
    if Command::new("skopeo").arg("--version").output().is_ok() {
        let legacy = dir.join("legacy.tar");
        skopeo_copy(
            &[],
            &format!("oci:{}:v1", layout.display()),
            &format!("docker-archive:{}:test/app:v1", legacy.display()),
        );
        let legacy = root_purl(&cyclonedx(&format!("docker-archive:{}", legacy.display())));
        assert!(legacy.starts_with("pkg:oci/app?"), "{legacy}");
    }
}

/// A Docker 25 archive whose OCI index does not match its blobs: a clear problem, the image
/// still scanned through manifest.json, the identity back to the config digest.
#[test]
fn docker25_archive_with_a_damaged_index_is_scanned_with_a_problem() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("docker25-bad");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let layout = umoci_image(&dir);
    let good = dir.join("good.tar");
    docker25_save(&layout, "test/app:v1", &good);
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(&good)
        .arg("-C")
        .arg(&tree));
    // The index entry's size no longer matches the manifest blob.
    let index = std::fs::read_to_string(tree.join("index.json")).unwrap();
    let mut value: Value = serde_json::from_str(&index).unwrap();
    value["manifests"][0]["size"] = Value::from(7);
    std::fs::write(tree.join("index.json"), value.to_string()).unwrap();
    let bad = dir.join("bad.tar");
    run(Command::new("tar")
        .arg("-cf")
        .arg(&bad)
        .arg("-C")
        .arg(&tree)
        .arg("."));
    let doc = common::scan_json(&[&format!("docker-archive:{}", bad.display())], 0);
    let problems: Vec<String> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        problems.iter().any(
            |p| p.contains("manifest sha256:") && p.contains("falls back to its config digest")
        ),
        "{problems:#?}"
    );
    assert!(
        doc["subject"]["image"]["digest"].is_null(),
        "{}",
        doc["subject"]
    );
    assert!(doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "./usr/bin/true"));
}
