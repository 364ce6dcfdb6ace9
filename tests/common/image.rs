//! Image building for the image tests: OCI layouts made with umoci, copies with skopeo, and
//! Debian's `docker-registry` on loopback.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, require_tool, run};

/// `umoci init --layout LAYOUT`.
pub fn umoci_init(layout: &Path) {
    run(Command::new("umoci").args(["init", "--layout"]).arg(layout));
}

/// `umoci new --image IMAGE` (IMAGE is `LAYOUT:TAG`), then the empty image unpacked into
/// `bundle` (`--rootless` when asked).
pub fn umoci_new_unpacked(image: &str, bundle: &Path, rootless: bool) {
    run(Command::new("umoci").args(["new", "--image", image]));
    umoci_unpack(image, bundle, rootless);
}

/// `umoci unpack [--rootless] --image IMAGE BUNDLE`.
pub fn umoci_unpack(image: &str, bundle: &Path, rootless: bool) {
    let mut cmd = Command::new("umoci");
    cmd.arg("unpack");
    if rootless {
        cmd.arg("--rootless");
    }
    run(cmd.args(["--image", image]).arg(bundle));
}

/// `umoci repack [--refresh-bundle] --image IMAGE BUNDLE`: the bundle's changes as a layer.
pub fn umoci_repack(image: &str, bundle: &Path, refresh_bundle: bool) {
    let mut cmd = Command::new("umoci");
    cmd.arg("repack");
    if refresh_bundle {
        cmd.arg("--refresh-bundle");
    }
    run(cmd.args(["--image", image]).arg(bundle));
}

/// `umoci config --image IMAGE --architecture ARCH --os linux EXTRA…`.
pub fn umoci_config(image: &str, arch: &str, extra: &[&str]) {
    run(Command::new("umoci")
        .args([
            "config",
            "--image",
            image,
            "--architecture",
            arch,
            "--os",
            "linux",
        ])
        .args(extra));
}

/// Copies the contents of `from` into `to` as `cp -a FROM/. TO` does.
pub fn copy_root(from: &Path, to: &Path) {
    run(Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to));
}

/// `skopeo copy FLAGS… SOURCE DEST`.
pub fn skopeo_copy(flags: &[&str], source: &str, dest: &str) {
    run(Command::new("skopeo")
        .arg("copy")
        .args(flags)
        .arg(source)
        .arg(dest));
}

/// The image `LAYOUT:TAG` (`image`) written as an OCI archive (tag `v1`) and as a
/// docker-archive tagged `test/app:v1`.
pub fn skopeo_archives(image: &str, oci_archive: &Path, docker_archive: &Path) {
    let source = format!("oci:{image}");
    skopeo_copy(
        &["-q"],
        &source,
        &format!("oci-archive:{}:v1", oci_archive.display()),
    );
    skopeo_copy(
        &["-q"],
        &source,
        &format!("docker-archive:{}:test/app:v1", docker_archive.display()),
    );
}

/// Pushes `source` to a registry without TLS verification: `skopeo copy -q
/// --dest-tls-verify=false EXTRA… SOURCE DEST`.
pub fn push(source: &str, dest: &str, extra: &[&str]) {
    let mut flags = vec!["-q", "--dest-tls-verify=false"];
    flags.extend_from_slice(extra);
    skopeo_copy(&flags, source, dest);
}

/// A `docker-registry` process on loopback, killed on drop.
pub struct Registry {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `docker-registry` with its storage in `dir/storage` and its configuration in
/// `dir/config.yml`; plain HTTP, or HTTPS with htpasswd basic auth given `(cert, key,
/// htpasswd)`.
pub fn start_registry(dir: &Path, tls: Option<(&Path, &Path, &Path)>) -> Registry {
    let port = free_port();
    std::fs::create_dir_all(dir.join("storage")).unwrap();
    let mut config = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        dir.join("storage").display()
    );
    if let Some((cert, key, htpasswd)) = tls {
        config.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\nauth:\n  htpasswd:\n    realm: assay-test\n    path: {}\n",
            cert.display(),
            key.display(),
            htpasswd.display()
        ));
    }
    let config_path = dir.join("config.yml");
    std::fs::write(&config_path, config).unwrap();
    let child = Command::new(require_tool("docker-registry"))
        .arg("serve")
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start docker-registry");
    let registry = Registry { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "docker-registry did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    registry
}

/// `assay scan ARGS --no-cache` with `workers` layer-analysis threads (`ASSAY_LAYER_WORKERS`;
/// 0: on the reading thread, one layer and one file after the other).
pub fn scan_with_workers(args: &[&str], workers: usize) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("scan")
        .args(args)
        .arg("--no-cache")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("ASSAY_LAYER_WORKERS", workers.to_string())
        .current_dir(super::repo())
        .output()
        .expect("run assay")
}

/// Its standard output, after checking the scan succeeded.
pub fn scan_with_workers_ok(args: &[&str], workers: usize) -> Vec<u8> {
    let out = scan_with_workers(args, workers);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?} ({workers} workers): {}",
        super::stderr(&out)
    );
    out.stdout
}
