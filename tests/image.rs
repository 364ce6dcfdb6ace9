//! Container images end to end, with real parts: images built here with umoci and skopeo
//! from `tests/data/image/rootfs` plus real binaries, Debian's `docker-registry` on loopback
//! (plain HTTP, and HTTPS with a test CA and htpasswd basic auth), and a small loopback
//! proxy in front of it that injects faults. Missing tools fail the tests with a hint to run
//! `bash tests/run.sh`.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::image::{
    push, skopeo_archives, skopeo_copy, start_registry, umoci_config, umoci_init,
    umoci_new_unpacked, umoci_repack,
};
use common::run;
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Fixtures

struct Fixture {
    dir: PathBuf,
    /// OCI layout with tags `v1` (amd64, two layers: the second deletes usr/bin/gone),
    /// `arm` (arm64) and `multi` (an index of both).
    layout: PathBuf,
    /// The rootfs as unpacked (for `dir:`), without the deleted file.
    rootfs: PathBuf,
    oci_archive: PathBuf,
    docker_archive: PathBuf,
}

/// The fixture's scan targets.
impl Fixture {
    /// The amd64 image of the OCI layout (tag `v1`).
    fn v1(&self) -> String {
        format!("oci-dir:{}:v1", self.layout.display())
    }
    /// The index of both platforms (tag `multi`).
    fn multi(&self) -> String {
        format!("oci-dir:{}:multi", self.layout.display())
    }
    fn oci_archive(&self) -> String {
        format!("oci-archive:{}", self.oci_archive.display())
    }
    fn docker_archive(&self) -> String {
        format!("docker-archive:{}", self.docker_archive.display())
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

fn build_fixture() -> Fixture {
    for tool in [
        "umoci",
        "skopeo",
        "gcc",
        "docker-registry",
        "openssl",
        "htpasswd",
    ] {
        common::require_tool(tool);
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("image-fixtures");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("fixture dir");
    let layout = dir.join("layout");
    let bundle = dir.join("bundle");
    let rootfs = bundle.join("rootfs");
    let l = |tag: &str| format!("{}:{tag}", layout.display());

    umoci_init(&layout);
    umoci_new_unpacked(&l("v1"), &bundle, true);

    // Layer 1: package databases, the Go sample, a C program and its shared library, and a
    // file the next layer deletes.
    copy_tree(&common::repo().join("tests/data/image/rootfs"), &rootfs);
    for d in ["usr/bin", "usr/lib", "usr/sbin"] {
        std::fs::create_dir_all(rootfs.join(d)).expect("mkdir");
    }
    std::fs::copy(
        common::samples().join("go/hello-linux-amd64"),
        rootfs.join("usr/bin/hello"),
    )
    .expect("copy Go sample");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("greet.c"),
        "const char *greeting(void) { return \"hi\"; }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("main.c"),
        "#include <stdio.h>\nconst char *greeting(void);\nint main(void) { puts(greeting()); return 0; }\n",
    )
    .unwrap();
    let lib = rootfs.join("usr/lib/libgreet.so.1");
    run(Command::new("gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o"])
        .arg(&lib)
        .arg(src.join("greet.c")));
    run(Command::new("gcc")
        .arg("-o")
        .arg(rootfs.join("usr/bin/greet"))
        .arg(src.join("main.c"))
        .arg(&lib)
        .arg("-Wl,-rpath,/usr/lib"));
    for copy in ["usr/bin/gone", "usr/bin/xtool", "usr/sbin/apk-tool"] {
        std::fs::copy(rootfs.join("usr/bin/greet"), rootfs.join(copy)).expect("copy C binary");
    }
    // A hard link: the layer stores it as a link entry, which must still be reported.
    std::fs::hard_link(
        rootfs.join("usr/bin/hello"),
        rootfs.join("usr/bin/hello-again"),
    )
    .expect("hard link");
    umoci_repack(&l("v1"), &bundle, true);
    // Layer 2: deletes usr/bin/gone (a whiteout).
    std::fs::remove_file(rootfs.join("usr/bin/gone")).expect("rm");
    umoci_repack(&l("v1"), &bundle, false);
    umoci_config(
        &l("v1"),
        "amd64",
        &[
            "--config.label",
            "org.opencontainers.image.title=assay-test",
            "--config.label",
            "org.example.team=sbom",
        ],
    );

    // An arm64 image of the Go sample, then an index holding both platforms.
    let arm_bundle = dir.join("arm-bundle");
    umoci_new_unpacked(&l("arm"), &arm_bundle, true);
    std::fs::create_dir_all(arm_bundle.join("rootfs/usr/bin")).expect("mkdir");
    std::fs::copy(
        common::samples().join("go/hello-linux-arm64"),
        arm_bundle.join("rootfs/usr/bin/hello"),
    )
    .expect("copy");
    umoci_repack(&l("arm"), &arm_bundle, false);
    umoci_config(&l("arm"), "arm64", &[]);
    add_multi_platform_index(&layout);

    let oci_archive = dir.join("app-oci.tar");
    let docker_archive = dir.join("app-docker.tar");
    skopeo_archives(&l("v1"), &oci_archive, &docker_archive);
    Fixture {
        dir,
        layout,
        rootfs,
        oci_archive,
        docker_archive,
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    assay::hash::sha256_hex(bytes)
}

/// Writes an image index blob listing the `v1` (amd64) and `arm` (arm64) manifests and tags
/// it `multi` in the layout's index.json.
fn add_multi_platform_index(layout: &Path) {
    let index_path = layout.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let by_tag = |tag: &str| -> Value {
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
            .cloned()
            .unwrap_or_else(|| panic!("tag {tag} in index.json"))
    };
    let entry = |tag: &str, arch: &str| {
        let d = by_tag(tag);
        serde_json::json!({
            "mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
            "platform": {"os": "linux", "architecture": arch},
        })
    };
    let nested = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry("v1", "amd64"), entry("arm", "arm64")],
    });
    let bytes = serde_json::to_vec(&nested).unwrap();
    let hex = sha256_hex(&bytes);
    std::fs::write(layout.join("blobs/sha256").join(&hex), &bytes).unwrap();
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{hex}"),
            "size": bytes.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi"},
        }));
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
}

// ---------------------------------------------------------------------------------------
// Helpers

fn scan(args: &[&str], expect: i32) -> Value {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    let out = common::assay(&all);
    assert_eq!(
        out.status.code(),
        Some(expect),
        "assay {all:?}; stderr:\n{}",
        common::stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("assay JSON")
}

fn file_names(doc: &Value) -> Vec<String> {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

fn purls(doc: &Value) -> Vec<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect()
}

fn has_edge(doc: &Value, from: &str, kind: &str, to: &str) -> bool {
    doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["from"] == from && r["kind"] == kind && r["to"] == to)
}

fn failing(args: &[&str]) -> (String, String) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "spdx-json"]);
    let out = common::assay(&all);
    assert_eq!(
        out.status.code(),
        Some(2),
        "assay {all:?} should fail; stderr:\n{}",
        common::stderr(&out)
    );
    (common::stdout(&out), common::stderr(&out))
}

/// Everything the reference image should give, whatever the source kind.
fn check_reference_image(doc: &Value) {
    let names = file_names(doc);
    for f in [
        "./usr/bin/hello",
        "./usr/bin/hello-again",
        "./usr/bin/greet",
        "./usr/lib/libgreet.so.1",
        "./usr/bin/xtool",
        "./usr/sbin/apk-tool",
    ] {
        assert!(names.contains(&f.to_string()), "{f} in {names:?}");
    }
    assert!(
        !names.contains(&"./usr/bin/gone".to_string()),
        "deleted file listed: {names:?}"
    );
    let purls = purls(doc);
    for p in [
        "pkg:deb/debian/hello-go@1.2.3-1?arch=amd64&distro=debian-12",
        "pkg:deb/debian/libgreet1@1%3A0.9%2Bdfsg-2?arch=amd64&distro=debian-12",
        "pkg:deb/debian/greet@0.9-2?arch=amd64&distro=debian-12",
        "pkg:deb/debian/tzdata-lite@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
        "pkg:apk/debian/apk-tool@2.14.0-r5?arch=x86_64&distro=debian-12",
        "pkg:generic/debian/xtool@1.4_2?arch=x86_64&distro=debian",
        "pkg:golang/github.com/google/uuid@v1.6.0",
    ] {
        assert!(purls.contains(&p.to_string()), "{p} in {purls:?}");
    }
    assert!(
        !purls.iter().any(|p| p.contains("removed-pkg")),
        "deinstalled package listed"
    );
    // The hard link carries the same Go modules, with its own file-scoped main module.
    let main_ids: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "go-main-module")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        main_ids
            .iter()
            .any(|i| i.ends_with("#./usr/bin/hello-again")),
        "{main_ids:?}"
    );
    // Packages CONTAIN the binaries they own.
    assert!(has_edge(
        doc,
        "deb:hello-go:amd64@1.2.3-1",
        "contains",
        "file:./usr/bin/hello"
    ));
    assert!(has_edge(
        doc,
        "deb:libgreet1:amd64@1:0.9+dfsg-2",
        "contains",
        "file:./usr/lib/libgreet.so.1"
    ));
    assert!(has_edge(
        doc,
        "apk:apk-tool:x86_64@2.14.0-r5",
        "contains",
        "file:./usr/sbin/apk-tool"
    ));
    assert!(has_edge(
        doc,
        "xbps:xtool:x86_64@1.4_2",
        "contains",
        "file:./usr/bin/xtool"
    ));
    // DT_NEEDED names resolve to the library file inside the image (by SONAME for now).
    assert!(has_edge(
        doc,
        "file:./usr/bin/greet",
        "dynamic-link",
        "file:./usr/lib/libgreet.so.1"
    ));
    // Every file records the layer that provides it, one of the image's layers.
    let image = &doc["subject"]["image"];
    let layers: Vec<&Value> = image["platforms"][0]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(layers.len(), 2, "{image}");
    let origin = &image["files"]["file:./usr/bin/hello"];
    assert!(layers.contains(&&origin["layer"]), "{origin}");
    assert_eq!(image["platforms"][0]["platform"], "linux/amd64");
    assert_eq!(image["platforms"][0]["labels"]["org.example.team"], "sbom");
}

// ---------------------------------------------------------------------------------------
// Local sources

#[test]
fn oci_layout_gives_the_squashed_view_with_layers_and_packages() {
    let f = fixture();
    let doc = scan(&[&f.v1()], 0);
    check_reference_image(&doc);
    assert!(doc["subject"]["image"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let budget = doc["subject"]["image"]["largest_buffered_bytes"]
        .as_u64()
        .unwrap();
    let hello = std::fs::metadata(common::samples().join("go/hello-linux-amd64"))
        .unwrap()
        .len();
    assert_eq!(
        budget, hello,
        "the largest buffered file is the largest candidate"
    );
}

#[test]
fn all_layers_scope_marks_deleted_files() {
    let f = fixture();
    let doc = scan(&[&f.v1(), "--scope", "all-layers"], 0);
    assert!(file_names(&doc).contains(&"./usr/bin/gone".to_string()));
    let image = &doc["subject"]["image"];
    let gone = &image["files"]["file:./usr/bin/gone"];
    assert_eq!(
        gone["deleted_by"], image["platforms"][0]["layers"][1],
        "{gone}"
    );
    assert_eq!(gone["layer"], image["platforms"][0]["layers"][0], "{gone}");
    assert!(image["files"]["file:./usr/bin/hello"]
        .get("deleted_by")
        .is_none());
}

#[test]
fn archives_and_rootfs_give_the_same_inventory_as_the_layout() {
    let f = fixture();
    let layout = scan(&[&f.v1()], 0);
    let oci = scan(&[&f.oci_archive()], 0);
    let docker = scan(&[&f.docker_archive()], 0);
    check_reference_image(&oci);
    check_reference_image(&docker);
    assert_eq!(file_names(&oci), file_names(&layout));
    assert_eq!(purls(&docker), purls(&layout));
    assert_eq!(docker["subject"]["image"]["source"], "docker-archive");

    // zstd-compressed layers (docker-archive above has uncompressed ones, the layout gzip).
    let zstd = f.dir.join("zstd-layout");
    let _ = std::fs::remove_dir_all(&zstd);
    skopeo_copy(
        &["-q", "--dest-compress-format", "zstd"],
        &format!("oci:{}:v1", f.layout.display()),
        &format!("oci:{}:v1", zstd.display()),
    );
    let zstd_doc = scan(&[&format!("oci-dir:{}:v1", zstd.display())], 0);
    assert_eq!(file_names(&zstd_doc), file_names(&layout));

    let dir = scan(&[&format!("dir:{}", f.rootfs.display())], 0);
    assert_eq!(file_names(&dir), file_names(&layout));
    assert_eq!(purls(&dir), purls(&layout));
}

#[test]
fn image_sboms_pass_the_official_validators() {
    let f = fixture();
    let out_dir = f.dir.join("sboms");
    std::fs::create_dir_all(&out_dir).unwrap();
    for (name, args) in [
        (
            "single",
            vec![f.v1(), "--scope".into(), "all-layers".into()],
        ),
        ("multi", vec![f.multi(), "--all-platforms".into()]),
    ] {
        let spdx = out_dir.join(format!("{name}.spdx.json"));
        let cdx = out_dir.join(format!("{name}.cdx.json"));
        let tag_value = out_dir.join(format!("{name}.spdx"));
        let cdx_xml = out_dir.join(format!("{name}.cdx.xml"));
        let mut all: Vec<String> = vec!["scan".into()];
        all.extend(args);
        all.extend([
            "-o".into(),
            format!("spdx-json={}", spdx.display()),
            "-o".into(),
            format!("cyclonedx-json={}", cdx.display()),
            "-o".into(),
            format!("spdx-tag-value={}", tag_value.display()),
            "-o".into(),
            format!("cyclonedx-xml={}", cdx_xml.display()),
        ]);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let out = common::assay(&all);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        common::validate("spdx-json", &[&spdx]);
        common::validate("cyclonedx-json", &[&cdx]);
        common::validate("spdx-tag-value", &[&tag_value]);
        common::validate("cyclonedx-xml", &[&cdx_xml]);
        let bom: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
        assert_eq!(bom["metadata"]["component"]["type"], "container");
        assert!(bom["metadata"]["component"]["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:oci/"));
    }
}

#[test]
fn multi_platform_index_picks_a_platform_or_scans_all() {
    let f = fixture();
    let target = f.multi();
    let arm = scan(&[&target, "--platform", "linux/arm64"], 0);
    assert_eq!(
        arm["subject"]["image"]["platforms"][0]["platform"],
        "linux/arm64"
    );
    assert_eq!(
        arm["files"][0]["slices"][0]["platform"]["arch"], "arm64",
        "{}",
        arm["files"]
    );

    let all = scan(&[&target, "--all-platforms"], 0);
    let images: Vec<&Value> = all["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "container-image")
        .collect();
    assert_eq!(images.len(), 2, "{images:?}");
    assert!(has_edge(&all, "root", "contains", "image:linux/arm64"));
    assert!(has_edge(
        &all,
        "image:linux/arm64",
        "contains",
        "file:linux/arm64:./usr/bin/hello"
    ));
    assert!(file_names(&all).contains(&"linux/amd64:./usr/bin/greet".to_string()));

    let (stdout, stderr) = failing(&[&target, "--platform", "linux/s390x"]);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("no image for platform linux/s390x") && stderr.contains("linux/arm64"),
        "{stderr}"
    );
}

/// A copy of the layout whose first layer blob is damaged by `damage`.
fn damaged_layout(name: &str, damage: impl Fn(&mut Vec<u8>)) -> (PathBuf, String) {
    let f = fixture();
    let copy = f.dir.join(name);
    let _ = std::fs::remove_dir_all(&copy);
    run(Command::new("cp").arg("-r").arg(&f.layout).arg(&copy));
    let doc = scan(&[&f.v1()], 0);
    let layer = doc["subject"]["image"]["platforms"][0]["layers"][0]
        .as_str()
        .unwrap()
        .to_string();
    let path = copy
        .join("blobs/sha256")
        .join(layer.trim_start_matches("sha256:"));
    let mut bytes = std::fs::read(&path).unwrap();
    damage(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
    (copy, layer)
}

#[test]
fn a_layer_with_the_wrong_digest_fails_the_scan_naming_the_blob() {
    let (copy, layer) = damaged_layout("wrong-digest", |b| {
        let last = b.len() - 1;
        b[last] ^= 0xff; // the gzip trailer: decompression may succeed, the digest cannot
    });
    let (stdout, stderr) = failing(&[&format!("oci-dir:{}:v1", copy.display())]);
    assert!(stdout.is_empty(), "no SBOM on stdout");
    assert!(stderr.contains(&layer), "{stderr}");
    assert!(
        stderr.contains("mismatch") || stderr.contains("corrupt"),
        "{stderr}"
    );
}

#[test]
fn a_truncated_layer_fails_the_scan_naming_the_blob() {
    let (copy, layer) = damaged_layout("truncated", |b| b.truncate(b.len() / 2));
    let (stdout, stderr) = failing(&[&format!("oci-dir:{}:v1", copy.display())]);
    assert!(stdout.is_empty());
    assert!(stderr.contains(&layer), "{stderr}");
}

#[test]
fn a_missing_manifest_blob_is_a_clear_error() {
    let f = fixture();
    let copy = f.dir.join("missing-manifest");
    let _ = std::fs::remove_dir_all(&copy);
    run(Command::new("cp").arg("-r").arg(&f.layout).arg(&copy));
    let index: Value =
        serde_json::from_slice(&std::fs::read(copy.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(
        copy.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    let tag = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
        .as_str()
        .unwrap();
    let (_, stderr) = failing(&[&format!("oci-dir:{}:{tag}", copy.display())]);
    assert!(
        stderr.contains(&digest) && stderr.contains("missing"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// Registries

#[test]
fn plain_http_registry_with_retries_and_faults() {
    let f = fixture();
    let dir = f.dir.join("registry-plain");
    let _ = std::fs::remove_dir_all(&dir);
    let registry = start_registry(&dir, None);
    let host = format!("127.0.0.1:{}", registry.port);
    push(
        &format!("oci:{}:v1", f.layout.display()),
        &format!("docker://{host}/test/app:v1"),
        &[],
    );
    push(
        &format!("oci:{}:multi", f.layout.display()),
        &format!("docker://{host}/test/multi:v1"),
        &["--all"],
    );

    let doc = scan(
        &[
            &format!("registry:{host}/test/app:v1"),
            "--insecure-registry",
        ],
        0,
    );
    check_reference_image(&doc);
    let digest = doc["subject"]["image"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    // Pinned by digest gives the same image.
    let pinned = scan(
        &[
            &format!("registry:{host}/test/app@{digest}"),
            "--insecure-registry",
        ],
        0,
    );
    assert_eq!(file_names(&pinned), file_names(&doc));
    // A manifest list from the registry.
    let arm = scan(
        &[
            &format!("registry:{host}/test/multi:v1"),
            "--insecure-registry",
            "--platform",
            "linux/arm64",
        ],
        0,
    );
    assert_eq!(
        arm["subject"]["image"]["platforms"][0]["platform"],
        "linux/arm64"
    );

    // Missing manifest: a clear error, nothing written.
    let (stdout, stderr) = failing(&[
        &format!("registry:{host}/test/app:nope"),
        "--insecure-registry",
    ]);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("404") && stderr.contains("test/app:nope"),
        "{stderr}"
    );

    // 500 then 429 on the manifest, then success: retried.
    let proxy = FaultProxy::start(
        registry.port,
        Fault::FailFirst {
            path: "/manifests/",
            statuses: vec![500, 429],
        },
    );
    let out = common::assay(&[
        "scan",
        &format!("registry:127.0.0.1:{}/test/app:v1", proxy.port),
        "--insecure-registry",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("500") && stderr.contains("429") && stderr.contains("retrying"),
        "{stderr}"
    );

    // Blobs redirected elsewhere (blob storage): followed.
    let proxy = FaultProxy::start(registry.port, Fault::Redirect { path: "/blobs/" });
    let redirected = scan(
        &[
            &format!("registry:127.0.0.1:{}/test/app:v1", proxy.port),
            "--insecure-registry",
        ],
        0,
    );
    assert_eq!(file_names(&redirected), file_names(&doc));

    // A blob cut short or altered in transit: error naming the blob, no SBOM.
    let layer = doc["subject"]["image"]["platforms"][0]["layers"][0]
        .as_str()
        .unwrap()
        .to_string();
    for fault in [
        Fault::Truncate {
            path: layer.clone(),
        },
        Fault::Corrupt {
            path: layer.clone(),
        },
    ] {
        let proxy = FaultProxy::start(registry.port, fault);
        let (stdout, stderr) = failing(&[
            &format!("registry:127.0.0.1:{}/test/app:v1", proxy.port),
            "--insecure-registry",
        ]);
        assert!(stdout.is_empty());
        assert!(stderr.contains(&layer), "{stderr}");
    }

    // Always 503: gives up after a bounded number of attempts.
    let proxy = FaultProxy::start(
        registry.port,
        Fault::FailFirst {
            path: "/manifests/",
            statuses: vec![503; 50],
        },
    );
    let (_, stderr) = failing(&[
        &format!("registry:127.0.0.1:{}/test/app:v1", proxy.port),
        "--insecure-registry",
    ]);
    assert!(stderr.contains("gave up after 5 attempts"), "{stderr}");
}

#[test]
fn https_registry_with_test_ca_and_basic_auth() {
    let f = fixture();
    let dir = f.dir.join("registry-tls");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A CA and a leaf it signs (rustls rejects a self-signed leaf).
    let p = |n: &str| dir.join(n).display().to_string();
    run(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=assay test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]));
    run(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &p("leaf.key"),
        "-out",
        &p("leaf.csr"),
        "-subj",
        "/CN=127.0.0.1",
    ]));
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(Command::new("openssl").args([
        "x509",
        "-req",
        "-in",
        &p("leaf.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-out",
        &p("leaf.pem"),
        "-days",
        "2",
        "-extfile",
        &p("leaf.ext"),
    ]));
    let htpasswd = Command::new("htpasswd")
        .args(["-Bbn", "tester", "s3cret"])
        .output()
        .expect("htpasswd");
    assert!(htpasswd.status.success());
    std::fs::write(dir.join("htpasswd"), &htpasswd.stdout).unwrap();
    let registry = start_registry(
        &dir,
        Some((
            &dir.join("leaf.pem"),
            &dir.join("leaf.key"),
            &dir.join("htpasswd"),
        )),
    );
    let host = format!("127.0.0.1:{}", registry.port);
    push(
        &format!("oci:{}:v1", f.layout.display()),
        &format!("docker://{host}/test/app:v1"),
        &["--dest-creds", "tester:s3cret"],
    );

    let target = format!("registry:{host}/test/app:v1");
    let ca = p("ca.pem");
    // Credentials from flags.
    let doc = scan(
        &[
            &target,
            "--ca-cert",
            &ca,
            "--registry-username",
            "tester",
            "--registry-password",
            "s3cret",
        ],
        0,
    );
    check_reference_image(&doc);
    // Credentials from Docker's config.json.
    let docker_config = dir.join("docker");
    std::fs::create_dir_all(&docker_config).unwrap();
    let auth = base64_encode(b"tester:s3cret");
    std::fs::write(
        docker_config.join("config.json"),
        format!("{{\"auths\":{{\"{host}\":{{\"auth\":\"{auth}\"}}}}}}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["scan", &target, "--ca-cert", &ca, "-o", "json"])
        .env("DOCKER_CONFIG", &docker_config)
        .env_remove("ASSAY_REGISTRY_USERNAME")
        .env_remove("ASSAY_REGISTRY_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    // No credentials: a clear error.
    let empty = dir.join("no-docker");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["scan", &target, "--ca-cert", &ca])
        .env("DOCKER_CONFIG", &empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("credentials"),
        "{}",
        common::stderr(&out)
    );
    // Without the CA the certificate is not trusted.
    let (_, stderr) = failing(&[
        &target,
        "--registry-username",
        "tester",
        "--registry-password",
        "s3cret",
    ]);
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
}

fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------------------
// A loopback HTTP proxy in front of the real registry that injects faults.

#[derive(Clone)]
enum Fault {
    /// Answer the first requests whose path contains `path` with these statuses.
    FailFirst {
        path: &'static str,
        statuses: Vec<u16>,
    },
    /// Redirect requests whose path contains `path` to the registry itself (like blob
    /// storage on another host).
    Redirect { path: &'static str },
    /// Send only half of the body of responses whose path contains `path`.
    Truncate { path: String },
    /// Flip a byte in the middle of the body of responses whose path contains `path`.
    Corrupt { path: String },
}

struct FaultProxy {
    port: u16,
}

impl FaultProxy {
    fn start(upstream: u16, fault: Fault) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let failed = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let fault = fault.clone();
                let failed = failed.clone();
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, &fault, &failed);
                });
            }
        });
        FaultProxy { port }
    }
}

fn serve(
    mut client: TcpStream,
    upstream: u16,
    fault: &Fault,
    failed: &AtomicUsize,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let head = read_head(&mut client)?;
    let request = String::from_utf8_lossy(&head).into_owned();
    let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
    if let Fault::FailFirst { path: p, statuses } = fault {
        if path.contains(p) {
            let n = failed.fetch_add(1, Ordering::SeqCst);
            if let Some(status) = statuses.get(n) {
                let extra = if *status == 429 {
                    "Retry-After: 0\r\n"
                } else {
                    ""
                };
                write!(client, "HTTP/1.1 {status} Injected\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n")?;
                return Ok(());
            }
        }
    }
    if let Fault::Redirect { path: p } = fault {
        if path.contains(p) {
            write!(
                client,
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{upstream}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
            return Ok(());
        }
    }
    // One request per connection keeps the relay simple.
    let mut lines: Vec<&str> = request
        .trim_end()
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream))?;
    upstream.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes())?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response)?;
    let body_start = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(response.len());
    let body_len = response.len() - body_start;
    match fault {
        Fault::Truncate { path: p } if path.contains(p.as_str()) && body_len > 0 => {
            client.write_all(&response[..body_start + body_len / 2])?;
        }
        Fault::Corrupt { path: p } if path.contains(p.as_str()) && body_len > 0 => {
            response[body_start + body_len / 2] ^= 0x55;
            client.write_all(&response)?;
        }
        _ => client.write_all(&response)?,
    }
    Ok(())
}

fn read_head(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
        if head.len() > 64 << 10 {
            break;
        }
    }
    Ok(head)
}

// ---------------------------------------------------------------------------------------
// The per-layer-blob cache

fn layer_entries(cache: &Path) -> Vec<PathBuf> {
    cache_entries(cache, "image-layers")
}

/// The entry files of one cache namespace (`image-layers`, `image-documents`), sorted.
fn cache_entries(cache: &Path, namespace: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(cache.join(namespace))
        .into_iter()
        .flatten()
        .flatten()
    {
        out.extend(
            std::fs::read_dir(shard.path())
                .unwrap()
                .flatten()
                .map(|f| f.path()),
        );
    }
    out.sort();
    out
}

/// `assay scan ARGS` with `--cache DIR` (or `--no-cache`): its stdout, exit code 0 required.
fn scan_bytes(args: &[&str], cache: Option<&Path>) -> Vec<u8> {
    let mut all = vec!["scan".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    match cache {
        Some(dir) => all.extend(["--cache".to_string(), dir.display().to_string()]),
        None => all.push("--no-cache".to_string()),
    }
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = common::assay(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{all:?}: {}",
        common::stderr(&out)
    );
    out.stdout
}

#[test]
fn layer_cache_gives_the_same_sbom_cold_warm_and_without() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let v1 = f.v1();
    let multi = f.multi();
    let docker = f.docker_archive();
    let runs: Vec<Vec<&str>> = vec![
        vec![&v1, "-o", "spdx-json"],
        vec![&v1, "-o", "cyclonedx-json"],
        vec![&v1, "-o", "json", "--scope", "all-layers"],
        vec![&multi, "-o", "json", "--all-platforms"],
        vec![&docker, "-o", "json"],
    ];
    for args in &runs {
        let without = scan_bytes(args, None);
        let cold = scan_bytes(args, Some(&cache));
        let warm = scan_bytes(args, Some(&cache));
        same(&without, &cold);
        same(&cold, &warm);
    }
    // v1's two layers, the same two under the docker-archive's diff_ids, and the
    // arm64 layer plus the amd64 ones again under the `linux/...:` name prefix.
    let stored = layer_entries(&cache);
    assert!(stored.len() >= 5, "{stored:?}");

    // A hit replays the layer without reading the blob: a damaged copy of a blob whose
    // (verified) manifest digest is cached still scans, while without the cache it fails.
    let (copy, _) = damaged_layout("cached-damaged", |b| b.truncate(b.len() / 2));
    let damaged = format!("oci-dir:{}:v1", copy.display());
    // The same inventory (the documents differ only in the target's name).
    let inventory = |bytes: Vec<u8>| {
        let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
        doc["subject"]["name"] = Value::Null;
        doc["subject"]["targets"] = Value::Null;
        doc["subject"]["image"]["name"] = Value::Null;
        doc
    };
    let reference = scan_bytes(&[&v1, "-o", "spdx-json"], None);
    let reference_doc = inventory(scan_bytes(&[&v1, "-o", "json"], None));
    assert!(inventory(scan_bytes(&[&damaged, "-o", "json"], Some(&cache))) == reference_doc);
    let (stdout, _) = failing(&[&damaged, "--no-cache"]);
    assert!(stdout.is_empty());

    // Truncated and corrupted entries are dropped and rebuilt, never used: the layers', and
    // the per-image documents' (which would answer for the damaged copy without them).
    let documents = cache_entries(&cache, "image-documents");
    assert!(!documents.is_empty());
    for (i, entry) in stored.iter().chain(&documents).enumerate() {
        let mut bytes = std::fs::read(entry).unwrap();
        if i % 2 == 0 {
            bytes.truncate(bytes.len() / 2);
        } else {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x01;
        }
        std::fs::write(entry, bytes).unwrap();
    }
    let (stdout, _) = failing(&[&damaged, "--cache", &cache.display().to_string()]);
    assert!(
        stdout.is_empty(),
        "a damaged entry must not stand in for the blob"
    );
    same(
        &scan_bytes(&[&v1, "-o", "spdx-json"], Some(&cache)),
        &reference,
    );
    // Rebuilt from the good blob: the damaged copy is answered from the cache again.
    assert!(inventory(scan_bytes(&[&damaged, "-o", "json"], Some(&cache))) == reference_doc);
}

#[test]
fn concurrent_scans_share_the_layer_cache_safely() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let v1 = f.v1();
    let reference = scan_bytes(&[&v1, "-o", "json"], None);
    // Three scans at once, all storing the same entries.
    let outputs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..3)
            .map(|_| s.spawn(|| scan_bytes(&[&v1, "-o", "json"], Some(&cache))))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for out in &outputs {
        same(out, &reference);
    }
    assert_eq!(layer_entries(&cache).len(), 2);
    assert_eq!(cache_entries(&cache, "image-documents").len(), 1);
    same(&scan_bytes(&[&v1, "-o", "json"], Some(&cache)), &reference);
}

// ---------------------------------------------------------------------------------------
// The per-image document cache

/// `assay scan ARGS --cache DIR` with extra environment variables; stdout and exit code.
fn scan_cached_with(args: &[&str], cache: &Path, env: &[(&str, &Path)]) -> (Vec<u8>, i32) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    let dir = cache.display().to_string();
    all.extend_from_slice(&["--cache", &dir]);
    let out = common::assay_with(&all, env);
    (out.stdout, out.status.code().unwrap_or(-1))
}

/// Without a cache, cold and warm: the same bytes, for every output and option that
/// changes the image's document; options never share an entry, and what runs after the
/// image pipeline (licenses, with or without a module cache) runs on a hit too.
#[test]
fn image_cache_gives_the_same_bytes_and_never_a_wrong_entry() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let v1 = f.v1();
    let multi = f.multi();
    let docker = f.docker_archive();
    let oci_archive = f.oci_archive();
    // One cache for all: each run's warm scan follows others' entries for the same image.
    let runs: Vec<Vec<&str>> = vec![
        vec![&v1, "-o", "spdx-json"],
        vec![&v1, "-o", "cyclonedx-json"],
        vec![&v1, "-o", "json"],
        vec![&v1, "-o", "json", "--scope", "all-layers"],
        vec![&v1, "-o", "json", "--platform", "linux/arm64"],
        vec![&multi, "-o", "json", "--all-platforms"],
        vec![&multi, "-o", "json", "--platform", "linux/arm64"],
        vec![&docker, "-o", "json"],
        vec![&docker, "-o", "json", "--all-platforms"],
        vec![&oci_archive, "-o", "cyclonedx-json"],
        vec![&v1, "-o", "json", "--licenses", "off"],
    ];
    let mut distinct = std::collections::BTreeSet::new();
    for args in &runs {
        let without = scan_bytes(args, None);
        let cold = scan_bytes(args, Some(&cache));
        let warm = scan_bytes(args, Some(&cache));
        same(&without, &cold);
        same(&cold, &warm);
        distinct.insert(without);
    }
    assert_eq!(distinct.len(), runs.len(), "every run's output is its own");
    // One document per image and options that change it; outputs and --licenses share.
    assert_eq!(cache_entries(&cache, "image-documents").len(), 8);

    // The module cache is read after a hit as without one.
    let module = tmp.path().join("gomod/github.com/google/uuid@v1.6.0");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("LICENSE"), "Copyright (c) 2009 Google Inc.\n\nRedistribution and use in source and binary forms, with or without modification, are permitted.\n").unwrap();
    let gomod = tmp.path().join("gomod");
    let env: [(&str, &Path); 1] = [("GOMODCACHE", &gomod)];
    let args = [v1.as_str(), "-o", "json"];
    let plain = scan_cached_with(&args, &cache, &[]);
    let filled = scan_cached_with(&args, &cache, &env);
    let mut no_cache = vec!["scan", "--no-cache"];
    no_cache.extend_from_slice(&args);
    let reference = common::assay_with(&no_cache, &env);
    assert_eq!((filled.1, plain.1), (0, 0));
    same(&filled.0, &reference.stdout);
    assert!(filled.0 != plain.0, "the module cache's license file shows");
}

/// A hit answers without any layer: with the layer blobs and the layer cache gone, only the
/// document cache can answer. A damaged document entry is never used, and is rebuilt.
#[test]
fn image_cache_answers_without_layers_and_rebuilds_damaged_entries() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let copy = tmp.path().join("layout");
    run(Command::new("cp").arg("-r").arg(&f.layout).arg(&copy));
    let target = format!("oci-dir:{}:v1", copy.display());
    let reference = scan_bytes(&[&target, "-o", "spdx-json"], None);
    same(
        &scan_bytes(&[&target, "-o", "spdx-json"], Some(&cache)),
        &reference,
    );
    let entries = cache_entries(&cache, "image-documents");
    assert_eq!(entries.len(), 1);
    let entry = std::fs::read(&entries[0]).unwrap();

    let doc = scan(&[&target], 0);
    let layers: Vec<PathBuf> = doc["subject"]["image"]["platforms"][0]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let hex = l.as_str().unwrap().trim_start_matches("sha256:");
            copy.join("blobs/sha256").join(hex)
        })
        .collect();
    let saved: Vec<Vec<u8>> = layers.iter().map(|p| std::fs::read(p).unwrap()).collect();
    layers.iter().for_each(|p| std::fs::remove_file(p).unwrap());
    std::fs::remove_dir_all(cache.join("image-layers")).unwrap();
    same(
        &scan_bytes(&[&target, "-o", "spdx-json"], Some(&cache)),
        &reference,
    );

    for damage in [0, 1] {
        let mut bytes = entry.clone();
        if damage == 0 {
            bytes.truncate(bytes.len() / 2);
        } else {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x01;
        }
        std::fs::write(&entries[0], &bytes).unwrap();
        let (stdout, _) = failing(&[&target, "--cache", &cache.display().to_string()]);
        assert!(
            stdout.is_empty(),
            "a damaged entry must not stand in for the layers"
        );
        assert!(!entries[0].exists(), "the damaged entry is dropped");
    }
    // Rebuilt, byte for byte, by the next scan that reads the layers.
    for (p, bytes) in layers.iter().zip(&saved) {
        std::fs::write(p, bytes).unwrap();
    }
    same(
        &scan_bytes(&[&target, "-o", "spdx-json"], Some(&cache)),
        &reference,
    );
    assert_eq!(std::fs::read(&entries[0]).unwrap(), entry);
}

/// Byte-identical outputs; on a difference, the first differing line.
fn same(got: &[u8], want: &[u8]) {
    if got != want {
        let (g, w) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
        let at = g.lines().zip(w.lines()).position(|(a, b)| a != b);
        let line = |s: &str| at.and_then(|i| s.lines().nth(i)).unwrap_or("").to_string();
        panic!(
            "outputs differ at line {at:?}:\n got: {}\nwant: {}",
            line(&g),
            line(&w)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Layer files analysed by a pool of workers

/// The fixture's first layer holds six binaries, three copies of one content, a hard link
/// to a binary and a file the next layer deletes: analysed on the reader thread, each file
/// is applied before the next is read; with workers, analyses finish in any order while
/// later entries (the link, the copies) are read, and are applied in tar order. Same bytes
/// either way, for outputs that record per-file facts and deletions.
#[test]
fn one_or_several_analysis_workers_give_the_same_bytes() {
    let f = fixture();
    let v1 = f.v1();
    let docker = f.docker_archive();
    let runs: Vec<Vec<&str>> = vec![
        vec![&v1, "-o", "spdx-json"],
        vec![&v1, "-o", "json", "--scope", "all-layers"],
        vec![&docker, "-o", "cyclonedx-json"],
    ];
    for args in &runs {
        let sequential = common::image::scan_with_workers_ok(args, 0);
        for workers in [1, 2, 4] {
            same(
                &common::image::scan_with_workers_ok(args, workers),
                &sequential,
            );
        }
    }
}
