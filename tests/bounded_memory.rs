//! Memory is bounded by design, not by the input: a 1.5 MB gzip layer holding one 1.5 GB
//! file that starts with an ELF header (a decompression bomb) is scanned with tens of MiB
//! of anonymous memory, as the kernel reports it for the child process (not assay's own
//! accounting): the file is spilled to a mapped temporary file. It is still listed, with
//! the digest of all of its bytes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::Digest;

const BOMB_SIZE: u64 = 1536 << 20;

/// Zeros after an ELF identification, streamed (never held in memory here either).
struct Bomb {
    left: u64,
    started: bool,
}

impl Read for Bomb {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        buf[..n].fill(0);
        if !self.started && n >= 7 {
            buf[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
            self.started = true;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A writer that hashes what passes through (the layer's diff_id and digest).
struct Hashing<W: Write> {
    inner: W,
    sha: sha2::Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn put_blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let digest = hex(&sha2::Sha256::digest(bytes));
    std::fs::write(layout.join("blobs/sha256").join(&digest), bytes).unwrap();
    (format!("sha256:{digest}"), bytes.len())
}

/// The OCI layout, built once and cached under target/ (a few seconds to gzip 1.5 GB).
/// Returns the layout and the bomb file's SHA-256.
fn bomb_layout() -> (PathBuf, String) {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bomb-layout-v1");
    let layout = root.join("layout");
    let digest_file = root.join("bomb.sha256");
    if let Ok(d) = std::fs::read_to_string(&digest_file) {
        return (layout, d);
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();

    // Layer: gzip(tar(usr/bin/bomb)), hashed on the way (uncompressed: diff_id).
    let gz_path = root.join("layer.tar.gz");
    let gz_file = std::fs::File::create(&gz_path).unwrap();
    let gz = flate2::write::GzEncoder::new(gz_file, flate2::Compression::default());
    let mut tar_hash = Hashing {
        inner: gz,
        sha: sha2::Sha256::new(),
    };
    let file_sha = {
        let mut builder = tar::Builder::new(&mut tar_hash);
        let mut header = tar::Header::new_gnu();
        header.set_size(BOMB_SIZE);
        header.set_mode(0o755);
        header.set_entry_type(tar::EntryType::Regular);
        // Hash the file as the tar builder reads it.
        struct Tee<'a>(Bomb, &'a mut sha2::Sha256);
        impl Read for Tee<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.read(buf)?;
                self.1.update(&buf[..n]);
                Ok(n)
            }
        }
        let mut sha = sha2::Sha256::new();
        builder
            .append_data(
                &mut header,
                "usr/bin/bomb",
                Tee(
                    Bomb {
                        left: BOMB_SIZE,
                        started: false,
                    },
                    &mut sha,
                ),
            )
            .unwrap();
        builder.finish().unwrap();
        hex(&sha.finalize())
    };
    let diff_id = format!("sha256:{}", hex(&tar_hash.sha.clone().finalize()));
    tar_hash.inner.finish().unwrap();
    let layer = std::fs::read(&gz_path).unwrap();
    assert!(layer.len() < 4 << 20, "layer is {} bytes", layer.len());
    let (layer_digest, layer_size) = put_blob(&layout, &layer);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let (config_digest, config_size) = put_blob(&layout, config.to_string().as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": layer_size}],
    });
    let (manifest_digest, manifest_size) = put_blob(&layout, manifest.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": manifest_size,
                       "annotations": {"org.opencontainers.image.ref.name": "v1"}}],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let _ = std::fs::remove_file(&gz_path);
    std::fs::write(&digest_file, &file_sha).unwrap();
    (layout, file_sha)
}

/// Runs the command to completion; returns (exit code, stdout, peak anonymous memory in
/// KiB sampled from /proc/PID/status every few ms, peak RSS in KiB from wait4's rusage).
///
/// Both are reported; the anonymous peak is the bound asserted: pages of a mapped spill
/// file are page cache (reclaimable, and counted in RSS once a cataloger reads them),
/// while a buffered copy of the file is anonymous memory the kernel cannot take back.
// The child is reaped by wait4 (for its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut std::process::Command) -> (i32, Vec<u8>, u64, i64) {
    let out_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bomb-scan.json");
    let out_file = std::fs::File::create(&out_path).unwrap();
    let child = cmd
        .stdout(out_file)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn assay");
    let pid = child.id() as libc::pid_t;
    let status_path = format!("/proc/{pid}/status");
    let mut anon_peak = 0u64;
    let mut status = 0;
    // SAFETY: plain FFI calls with valid pointers; the child is reaped here, not by `Child`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            let anon = text
                .lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            anon_peak = anon_peak.max(anon.unwrap_or(0));
        }
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert_eq!(r, 0, "wait4");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (
        code,
        std::fs::read(&out_path).unwrap(),
        anon_peak,
        usage.ru_maxrss,
    )
}

#[test]
fn a_decompression_bomb_layer_is_scanned_in_bounded_memory() {
    let (layout, file_sha) = bomb_layout();
    let (code, out, anon_kib, rss_kib) = run_measured(
        std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
            .args(["scan", "-q", "--no-cache", "-o", "cyclonedx-json"])
            .arg(format!("oci-dir:{}:v1", layout.display()))
            .env("SOURCE_DATE_EPOCH", "1700000000"),
    );
    assert!(code == 0 || code == 1, "exit code {code}");
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("CycloneDX JSON");
    let bomb = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("usr/bin/bomb"))
        })
        .unwrap_or_else(|| panic!("the bomb is listed: {doc}"));
    let sha256 = bomb["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["alg"] == "SHA-256")
        .unwrap();
    assert_eq!(
        sha256["content"],
        file_sha.as_str(),
        "digest of the whole file"
    );
    // The file alone is 1536 MiB; before spilling, it was all anonymous memory (peak RSS
    // ~1.54 GB). Now it is a mapped temporary file; what assay allocates stays small.
    eprintln!(
        "bomb scan: peak anonymous {} MiB, peak RSS {} MiB (mapped spill file included)",
        anon_kib / 1024,
        rss_kib / 1024
    );
    assert!(anon_kib > 0, "the child's memory was sampled");
    assert!(
        anon_kib < 160 * 1024,
        "peak anonymous memory {} MiB for a 1.5 GB file",
        anon_kib / 1024
    );
}
