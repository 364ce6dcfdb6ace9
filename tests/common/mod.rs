//! Helpers shared by the integration tests: run the built `assay`, find the fixtures and the
//! validators that `tests/run.sh` installs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
