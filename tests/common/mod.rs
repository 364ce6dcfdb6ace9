//! Helpers shared by the integration tests: run the built `assay`, find the fixtures and the
//! validators that `tests/run.sh` installs.
#![allow(dead_code)]

pub mod image;
pub mod rpm;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> PathBuf {
    repo().join("samples")
}

/// Runs `assay` with a fixed SOURCE_DATE_EPOCH so outputs are comparable.
pub fn assay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        // No persistent cache unless a test passes `--cache DIR` (the layer cache would
        // otherwise answer for a deliberately damaged blob it has already seen).
        .env("ASSAY_NO_CACHE", "1")
        .current_dir(repo())
        .output()
        .expect("run assay")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `assay` hermetically for license work: a fixed SOURCE_DATE_EPOCH, and no Go module
/// cache or cargo registry unless the test supplies its own in `env`
/// (e.g. `[("GOMODCACHE", dir)]`), so results never depend on this machine's caches.
pub fn assay_with(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assay"));
    cmd.args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("GOMODCACHE", "/nonexistent-gomodcache")
        .env("CARGO_HOME", "/nonexistent-cargo-home")
        .current_dir(repo());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run assay")
}

/// `assay scan … -o json` parsed; panics with stderr when the exit code is not `expect`.
pub fn scan_json(targets: &[&str], expect: i32) -> serde_json::Value {
    let mut args = vec!["scan"];
    args.extend_from_slice(targets);
    args.extend_from_slice(&["-o", "json"]);
    let out = assay(&args);
    assert_eq!(
        out.status.code(),
        Some(expect),
        "exit code; stderr:\n{}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("assay JSON parses")
}

/// The virtualenv with the official validators (installed by `tests/tools/install.sh`).
pub fn venv() -> PathBuf {
    std::env::var_os("ASSAY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"))
}

/// Validates SBOM files with the official validators; panics with their messages.
pub fn validate(format: &str, files: &[&Path]) {
    let python = venv().join("bin/python");
    assert!(
        python.exists(),
        "validators are not installed at {}: run `bash tests/run.sh` (it installs them)",
        python.display()
    );
    let out = Command::new(python)
        .arg(repo().join("tests/tools/validate_sbom.py"))
        .arg(format)
        .args(files)
        .output()
        .expect("run validator");
    assert!(
        out.status.success(),
        "{format} validation failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fails with a hint when a tool the tests need is missing.
pub fn require_tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "`{name}` is not installed: run `bash tests/run.sh` (it installs what the tests need)"
        )
    })
}

/// xorshift64*: a deterministic generator for mutation tests, so a failure reproduces from
/// its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Runs a command that must succeed (panics with its output otherwise); its stdout as it is.
pub fn run_raw(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`run_raw`], its stdout trimmed.
pub fn run(cmd: &mut Command) -> String {
    run_raw(cmd).trim().to_string()
}

/// A port on loopback that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (up to 5 s) until something listens on the loopback `port`.
pub fn wait_for(port: u16) {
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server on {port} did not start");
}

/// A server process on loopback `port`, killed and waited for on drop.
pub struct Server(pub Child, pub u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `cmd` (output discarded) as the server on `port` and waits until it listens; the
/// process is killed also when it never starts listening.
pub fn serve_on(cmd: &mut Command, port: u16) -> Server {
    let server = Server(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        port,
    );
    wait_for(port);
    server
}

/// `python3 -m http.server` serving `root` on a free loopback port.
pub fn http_server(root: &Path) -> Server {
    let port = free_port();
    serve_on(
        Command::new(require_tool("python3"))
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .current_dir(root),
        port,
    )
}

/// `tests/tools/range_server.py` serving `root` on a free port; its per-request log is
/// `stats`.
pub fn range_server(root: &Path, stats: &Path, ignore_ranges: bool) -> Server {
    let port = free_port();
    let mut cmd = Command::new(require_tool("python3"));
    cmd.arg(repo().join("tests/tools/range_server.py"))
        .arg(root)
        .arg(port.to_string())
        .arg(stats);
    if ignore_ranges {
        cmd.arg("--ignore-ranges");
    }
    serve_on(&mut cmd, port)
}

/// Scans `target` into both SBOM formats in `dir` (`out.spdx.json`, `out.cdx.json`),
/// validates them, returns their text.
pub fn validated_sboms(target: &str, dir: &Path) -> (String, String) {
    let spdx = dir.join("out.spdx.json");
    let cdx = dir.join("out.cdx.json");
    let out = assay(&[
        "scan",
        target,
        "-o",
        &format!("spdx-json={}", spdx.display()),
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    validate("spdx-json", &[&spdx]);
    validate("cyclonedx-json", &[&cdx]);
    (
        std::fs::read_to_string(&spdx).unwrap(),
        std::fs::read_to_string(&cdx).unwrap(),
    )
}

/// A `{"name": …, "value": …}` property as `name=value`.
pub fn name_value(p: &serde_json::Value) -> String {
    format!(
        "{}={}",
        p["name"].as_str().unwrap(),
        p["value"].as_str().unwrap()
    )
}

/// `target/test-cache/SUB` (or `$ASSAY_TEST_CACHE/SUB`): real artifacts the tests fetch once.
pub fn test_cache(sub: &str) -> PathBuf {
    std::env::var_os("ASSAY_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/test-cache"))
        .join(sub)
}

/// `path`, downloaded from `url` with curl the first time (through a `.part` file renamed
/// into place, so an interrupted download is never taken for the file).
pub fn download_once(url: &str, path: &Path) -> PathBuf {
    if path.is_file() {
        return path.to_path_buf();
    }
    std::fs::create_dir_all(path.parent().expect("a cache path has a parent")).unwrap();
    let tmp = path.with_extension("part");
    let st = Command::new(require_tool("curl"))
        .args(["-fsSL", "--retry", "3", "-o"])
        .arg(&tmp)
        .arg(url)
        .status()
        .unwrap();
    assert!(st.success(), "download {url}");
    std::fs::rename(&tmp, path).unwrap();
    path.to_path_buf()
}
