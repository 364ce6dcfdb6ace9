//! Layers streamed at once: an image of five layers (built here with umoci and skopeo
//! from the Go samples) whose contents repeat across layers, get deleted and replaced, so
//! the first file with a content (tar order across layers) must be the one analysed while
//! several layers are inflated and hashed concurrently. Scanned with one layer and one file
//! at a time (`ASSAY_LAYER_WORKERS=0`) and with 1, 2 and 4 workers: the same bytes. A
//! damaged later layer fails the scan while earlier ones are still being applied.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::image::{
    scan_with_workers, scan_with_workers_ok, skopeo_archives, umoci_config, umoci_init,
    umoci_new_unpacked, umoci_repack,
};
use common::run;

struct Fixture {
    layout: PathBuf,
    oci_archive: PathBuf,
    docker_archive: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(build)
}

fn build() -> Fixture {
    for tool in ["umoci", "skopeo"] {
        common::require_tool(tool);
    }
    let dir = std::env::temp_dir().join(format!("assay-image-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (layout, bundle) = (dir.join("layout"), dir.join("bundle"));
    let image = format!("{}:v1", layout.display());
    let rootfs = bundle.join("rootfs");
    let go = |name: &str| common::samples().join("go").join(name);
    let put = |from: &Path, to: &str| {
        let to = rootfs.join(to);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from, &to).expect("copy sample");
    };
    umoci_init(&layout);
    umoci_new_unpacked(&image, &bundle, true);
    // Layer 1: a base with three programs and the dpkg-less os-release.
    std::fs::create_dir_all(rootfs.join("etc")).expect("mkdir");
    std::fs::write(rootfs.join("etc/os-release"), "ID=test\nVERSION_ID=1\n").expect("write");
    put(&go("hello-linux-amd64"), "usr/bin/hello");
    put(&go("hello-linux-arm64"), "usr/bin/hello-arm");
    put(&go("hello-darwin-arm64"), "usr/bin/hello-mac");
    umoci_repack(&image, &bundle, true);
    // Layer 2: the same contents again at new paths, plus new ones.
    put(&go("hello-linux-amd64"), "opt/a/hello");
    put(&go("hello-linux-386"), "opt/a/hello-386");
    put(&go("hello-linux-amd64-stripped"), "opt/a/hello-stripped");
    umoci_repack(&image, &bundle, true);
    // Layer 3: deletes a base file and replaces one of layer 2 with another content that
    // layer 4 repeats.
    std::fs::remove_file(rootfs.join("usr/bin/hello-mac")).expect("rm");
    put(&go("hello-linux-amd64-vcs"), "opt/a/hello-386");
    put(&go("hello-linux-amd64-trimpath-x"), "opt/b/trim");
    umoci_repack(&image, &bundle, true);
    // Layer 4: copies of everything seen so far, one of them under a deleted path.
    put(&go("hello-linux-amd64-vcs"), "opt/c/vcs");
    put(&go("hello-linux-amd64-trimpath-x"), "opt/c/trim");
    put(&go("hello-darwin-arm64"), "usr/bin/hello-mac");
    put(&go("hello-linux-arm64"), "opt/c/hello-arm");
    umoci_repack(&image, &bundle, true);
    // Layer 5: an opaque-free deletion of a whole directory and one more new content.
    std::fs::remove_dir_all(rootfs.join("opt/b")).expect("rm -r");
    put(&go("hello-linux-amd64-ldflags"), "opt/d/ldflags");
    umoci_repack(&image, &bundle, true);
    umoci_config(&image, "amd64", &[]);
    let (oci_archive, docker_archive) = (dir.join("oci.tar"), dir.join("docker.tar"));
    skopeo_archives(&image, &oci_archive, &docker_archive);
    Fixture {
        layout,
        oci_archive,
        docker_archive,
    }
}

#[test]
fn layers_streamed_at_once_give_the_bytes_of_one_layer_after_the_other() {
    let f = fixture();
    let layout = format!("oci-dir:{}:v1", f.layout.display());
    let oci = format!("oci-archive:{}", f.oci_archive.display());
    let docker = format!("docker-archive:{}", f.docker_archive.display());
    let runs: Vec<Vec<&str>> = vec![
        vec![&layout, "-o", "json", "--scope", "all-layers"],
        vec![&oci, "-o", "spdx-json"],
        vec![&docker, "-o", "json", "--scope", "all-layers"],
    ];
    for args in &runs {
        let sequential = scan_with_workers_ok(args, 0);
        let doc: serde_json::Value = serde_json::from_slice(&sequential).unwrap_or_default();
        if args.contains(&"json") {
            // The fixture does what it says: deletions across layers, copies reused.
            let files = doc["files"].as_array().map_or(0, Vec::len);
            assert_eq!(files, 13, "files (deleted ones included) in {args:?}");
        }
        // Several runs with two workers: scheduling differs from run to run.
        for workers in [1, 2, 2, 2, 4] {
            let got = scan_with_workers_ok(args, workers);
            assert!(
                got == sequential,
                "{args:?}: {workers} workers differ from one layer after the other"
            );
        }
    }
}

#[test]
fn a_damaged_later_layer_fails_the_scan_while_earlier_ones_stream() {
    let f = fixture();
    let copy = f.layout.with_file_name("damaged-layout");
    let _ = std::fs::remove_dir_all(&copy);
    run(Command::new("cp").arg("-r").arg(&f.layout).arg(&copy));
    let listed = scan_with_workers_ok(
        &[&format!("oci-dir:{}:v1", f.layout.display()), "-o", "json"],
        2,
    );
    let doc: serde_json::Value = serde_json::from_slice(&listed).expect("json");
    let layers = doc["subject"]["image"]["platforms"][0]["layers"]
        .as_array()
        .expect("layers");
    assert_eq!(layers.len(), 5);
    let layer = layers[3].as_str().expect("digest").to_string();
    let path = copy
        .join("blobs/sha256")
        .join(layer.trim_start_matches("sha256:"));
    let mut bytes = std::fs::read(&path).expect("blob");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff; // the gzip trailer: the digest cannot match
    std::fs::write(&path, bytes).expect("write");
    for workers in [0, 2] {
        let out = scan_with_workers(&[&format!("oci-dir:{}:v1", copy.display())], workers);
        let stderr = common::stderr(&out);
        assert!(
            out.status.code().is_some_and(|c| c > 1),
            "{workers} workers: exit {:?}",
            out.status.code()
        );
        assert!(out.stdout.is_empty(), "no SBOM on stdout");
        assert!(stderr.contains(&layer), "{stderr}");
    }
}
