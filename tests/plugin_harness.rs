//! Ground truth for `assay plugin-check`: builds a host and a matrix of plugins with the Go
//! toolchain on this machine (modules through the proxy), loads them for real with the
//! loader in `tests/plugin-harness/loader` (plugin.Open each argument, one line per plugin),
//! and asserts assay's verdict and error text equal the real outcome, case by case.
//!
//! Builds are cached under `target/plugin-harness/` keyed by a hash of the sources and the
//! build command, so reruns only load and compare. Each case runs in its own process: some
//! failures are fatal runtime throws, not errors.
//!
//! Run: `cargo test --test plugin_harness -- --nocapture` (prints the case table).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use assay::plugin::{self, Outcome, PluginInput, Verdict};
use sha2::{Digest, Sha256};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// One build: output file name, source directory (relative to the harness tree), extra
/// environment, and `go build` flags.
struct Build {
    out: &'static str,
    dir: &'static str,
    env: &'static [(&'static str, &'static str)],
    flags: &'static [&'static str],
}

const PLUGIN: &str = "-buildmode=plugin";

#[rustfmt::skip]
const BUILDS: &[Build] = &[
    Build { out: "host", dir: "loader", env: &[], flags: &["-trimpath"] },
    Build { out: "host-alt", dir: "loader", env: &[], flags: &["-trimpath", "-tags", "alt"] },
    Build { out: "host-nocgo", dir: "loader", env: &[("CGO_ENABLED", "0")], flags: &["-trimpath"] },
    Build { out: "host-noplugin", dir: "noplugin-loader", env: &[], flags: &["-trimpath"] },
    Build { out: "greeter.so", dir: "plugins/greeter", env: &[], flags: &["-trimpath", PLUGIN] },
    Build { out: "greeter-stripped.so", dir: "plugins/greeter", env: &[], flags: &["-trimpath", "-ldflags=-s -w", PLUGIN] },
    Build { out: "greeter-race.so", dir: "plugins/greeter", env: &[], flags: &["-trimpath", "-race", PLUGIN] },
    Build { out: "greeter-notrim.so", dir: "plugins/greeter", env: &[], flags: &[PLUGIN] },
    Build { out: "greeter-go1.25.so", dir: "plugins/greeter", env: &[("GOTOOLCHAIN", "go1.25.5")], flags: &["-trimpath", PLUGIN] },
    Build { out: "greeter-go1.26.7.so", dir: "plugins/greeter", env: &[("GOTOOLCHAIN", "go1.26.7")], flags: &["-trimpath", PLUGIN] },
    Build { out: "olderrors.so", dir: "plugins/olderrors", env: &[], flags: &["-trimpath", PLUGIN] },
    Build { out: "olderrorsuuid.so", dir: "plugins/olderrorsuuid", env: &[], flags: &["-trimpath", PLUGIN] },
    Build { out: "uuidold.so", dir: "plugins/uuidold", env: &[], flags: &["-trimpath", PLUGIN] },
    Build { out: "uuidnew.so", dir: "plugins/uuidnew", env: &[], flags: &["-trimpath", PLUGIN] },
];

/// A case: host, plugins in load order (file names in the output directory; a `./` in
/// front makes another spelling of the same real path), and what the case is about.
struct Case {
    name: &'static str,
    host: &'static str,
    plugins: &'static [&'static str],
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { name: "identical builds", host: "host", plugins: &["greeter.so"] },
    Case { name: "pkg/errors v0.8.1 in plugin, v0.9.1 in host", host: "host", plugins: &["olderrors.so"] },
    Case { name: "-trimpath on the host only", host: "host", plugins: &["greeter-notrim.so"] },
    Case { name: "-race on the plugin only", host: "host", plugins: &["greeter-race.so"] },
    Case { name: "-tags alt on the host only", host: "host-alt", plugins: &["greeter.so"] },
    Case { name: "host without package plugin", host: "host-noplugin", plugins: &["greeter.so"] },
    Case { name: "CGO_ENABLED=0 host", host: "host-nocgo", plugins: &["greeter.so"] },
    Case { name: "same plugin twice (same real path)", host: "host", plugins: &["greeter.so", "./greeter.so"] },
    Case { name: "copy of a loaded plugin (same pluginpath)", host: "host", plugins: &["greeter.so", "copy-of-greeter.so"] },
    Case { name: "hard link to a loaded plugin", host: "host", plugins: &["greeter.so", "hardlink-to-greeter.so"] },
    Case { name: "failed plugin opened again", host: "host", plugins: &["olderrors.so", "./olderrors.so"] },
    Case { name: "two plugins, uuid v1.5.0 then v1.6.0", host: "host", plugins: &["uuidold.so", "uuidnew.so"] },
    Case { name: "rejected plugin still provides uuid v1.6.0", host: "host", plugins: &["olderrorsuuid.so", "uuidold.so"] },
    Case { name: "-s -w stripped plugin", host: "host", plugins: &["greeter-stripped.so"] },
    Case { name: "plugin from go1.25.5", host: "host", plugins: &["greeter-go1.25.so"] },
    Case { name: "go1.25.5 plugin after another plugin", host: "host", plugins: &["greeter.so", "greeter-go1.25.so"] },
    Case { name: "plugin from go1.26.7 (other patch release)", host: "host", plugins: &["greeter-go1.26.7.so"] },
];

fn go() -> PathBuf {
    match Command::new("go").arg("version").output() {
        Ok(o) if o.status.success() => PathBuf::from("go"),
        _ => panic!(
            "the plugin harness needs the Go toolchain (`go` on PATH, with cgo and a C compiler); \
             install Go or run the fixture tests only: cargo test --test plugin_fixtures"
        ),
    }
}

fn harness_sources() -> PathBuf {
    Path::new(MANIFEST).join("tests/plugin-harness")
}

fn work_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(MANIFEST).join("target"));
    target.join("plugin-harness")
}

/// Copies the Go sources to `dst` (go.sum files are written there, not in the repo) and
/// returns a hash of their contents.
fn copy_sources(src: &Path, dst: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(src)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for file in files {
        let rel = file.strip_prefix(src).expect("walked under src");
        let bytes = std::fs::read(&file).expect("read harness source");
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update(&bytes);
        let target = dst.join(rel);
        std::fs::create_dir_all(target.parent().expect("has parent")).expect("mkdir");
        if std::fs::read(&target).ok().as_deref() != Some(&bytes[..]) {
            std::fs::write(&target, &bytes).expect("write source copy");
        }
    }
    format!("{:x}", hasher.finalize())
}

fn build_all(go: &Path) -> PathBuf {
    let work = work_dir();
    let src = work.join("src");
    let out = work.join("out");
    std::fs::create_dir_all(&out).expect("create harness output dir");
    let sources_hash = copy_sources(&harness_sources(), &src);
    let go_version = Command::new(go)
        .arg("version")
        .output()
        .expect("go version")
        .stdout;
    for build in BUILDS {
        let key = format!(
            "{sources_hash} {} {:?} {:?} {}",
            build.dir,
            build.env,
            build.flags,
            String::from_utf8_lossy(&go_version).trim()
        );
        let target = out.join(build.out);
        let stamp = out.join(format!("{}.stamp", build.out));
        if target.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&key) {
            continue;
        }
        let mut cmd = Command::new(go);
        cmd.current_dir(src.join(build.dir))
            .arg("build")
            .args(build.flags)
            .arg("-o")
            .arg(&target)
            .arg(".")
            .env("GOFLAGS", "-mod=mod -buildvcs=false")
            .env("GOTOOLCHAIN", "local");
        for (k, v) in build.env {
            cmd.env(k, v);
        }
        let started = std::time::Instant::now();
        let result = cmd.output().expect("run go build");
        assert!(
            result.status.success(),
            "go build {} failed:\n{}",
            build.out,
            String::from_utf8_lossy(&result.stderr)
        );
        eprintln!("built {} in {:.1?}", build.out, started.elapsed());
        std::fs::write(&stamp, key).expect("write stamp");
    }
    // A byte-for-byte copy: another file with the same pluginpath.
    std::fs::copy(out.join("greeter.so"), out.join("copy-of-greeter.so")).expect("copy plugin");
    // Another name for the same inode: dlopen hands back the object already loaded.
    let link = out.join("hardlink-to-greeter.so");
    let _ = std::fs::remove_file(&link);
    std::fs::hard_link(out.join("greeter.so"), &link).expect("hard link plugin");
    out
}

/// What really happened to one plugin.
#[derive(Debug, Clone, PartialEq)]
enum Real {
    Ok,
    Error(String),
    /// The process died (a runtime throw) while opening this plugin.
    Crashed(String),
    /// The process died earlier.
    NotReached,
}

fn load_for_real(out: &Path, case: &Case) -> Vec<Real> {
    let args: Vec<String> = case.plugins.iter().map(|p| plugin_arg(out, p)).collect();
    let result = Command::new(out.join(case.host))
        .args(&args)
        .output()
        .expect("run loader");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let fatal = String::from_utf8_lossy(&result.stderr)
        .lines()
        .find(|l| l.starts_with("fatal error:") || l.starts_with("panic:"))
        .unwrap_or("(no message)")
        .to_string();
    (0..args.len())
        .map(|i| match lines.get(i) {
            Some(&"OK") => Real::Ok,
            Some(line) => Real::Error(line.to_string()),
            None if i == lines.len() && !result.status.success() => Real::Crashed(fatal.clone()),
            None => Real::NotReached,
        })
        .collect()
}

/// Absolute paths, so the loader and assay see the same names; `./x` becomes `<out>/./x`.
fn plugin_arg(out: &Path, plugin: &str) -> String {
    format!("{}/{plugin}", out.display())
}

fn predict(out: &Path, case: &Case) -> Vec<Verdict> {
    let host = plugin::image::read(&out.join(case.host)).expect("read host");
    let inputs: Vec<PluginInput> = case
        .plugins
        .iter()
        .map(|p| {
            let name = plugin_arg(out, p);
            let image = plugin::image::read(Path::new(&name)).expect("read plugin");
            PluginInput { name, image }
        })
        .collect();
    plugin::predict(&host, &inputs, None)
}

/// Ground truth for "can this host call plugin.Open at all": whether its symbol table, per
/// `go tool nm`, has any function of package plugin (plugin.Open itself is inlined).
fn links_plugin_open(go: &Path, host: &Path) -> bool {
    let nm = Command::new(go)
        .args(["tool", "nm"])
        .arg(host)
        .output()
        .expect("go tool nm");
    assert!(nm.status.success(), "go tool nm {} failed", host.display());
    String::from_utf8_lossy(&nm.stdout)
        .lines()
        .any(|l| l.contains(" T plugin."))
}

/// Agreement rule: LOADS ⇔ OK; an error line must equal assay's error text exactly; a crash
/// (undefined behaviour) must be predicted as FAILS without a claimed text.
fn agrees(real: &Real, verdict: &Verdict, host_links_plugin: bool) -> bool {
    match real {
        // A host without package plugin can only dlopen: "OK" there is not plugin.Open.
        Real::Ok if !host_links_plugin => {
            verdict.outcome == Outcome::Fails && verdict.error.is_none()
        }
        Real::Ok => verdict.outcome == Outcome::Loads,
        Real::Error(text) => {
            verdict.outcome == Outcome::Fails
                && match &verdict.error {
                    Some(e) => e == text,
                    None => verdict.failed_check == Some(plugin::Check::Toolchain),
                }
        }
        Real::Crashed(_) => verdict.outcome == Outcome::Fails && verdict.error.is_none(),
        Real::NotReached => true,
    }
}

#[test]
fn assay_agrees_with_real_plugin_loads() {
    let go = go();
    let started = std::time::Instant::now();
    let out = build_all(&go);
    eprintln!("builds ready in {:.1?}", started.elapsed());

    let mut rows = Vec::new();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for case in CASES {
        let real = load_for_real(&out, case);
        let verdicts = predict(&out, case);
        let host_links_plugin = links_plugin_open(&go, &out.join(case.host));
        for ((plugin, real), verdict) in case.plugins.iter().zip(&real).zip(&verdicts) {
            if *real == Real::NotReached {
                continue;
            }
            compared += 1;
            let ok = agrees(real, verdict, host_links_plugin);
            let real_text = match real {
                Real::Ok if !host_links_plugin => "OK (raw dlopen; no plugin.Open)".to_string(),
                Real::Ok => "OK".to_string(),
                Real::Error(e) => e.replace(&format!("{}/", out.display()), ""),
                Real::Crashed(m) => format!("crash: {m}"),
                Real::NotReached => unreachable!(),
            };
            let predicted = format!(
                "{}{}",
                verdict.outcome.as_str(),
                verdict
                    .error
                    .as_ref()
                    .map(|e| format!(": {}", e.replace(&format!("{}/", out.display()), "")))
                    .unwrap_or_else(|| verdict
                        .failed_check
                        .map(|c| format!(" [{c:?}]"))
                        .unwrap_or_default())
            );
            rows.push((case.name, *plugin, real_text.clone(), predicted.clone(), ok));
            if !ok {
                disagreements.push(format!(
                    "{}: {plugin}: real {real_text:?}, assay {predicted:?}\n  {:?}",
                    case.name, verdict
                ));
            }
        }
    }
    let mut by_case: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        *by_case.entry(row.0).or_default() += 1;
    }
    println!(
        "\n{:<46} {:<22} {:<5} real / assay",
        "case", "plugin", "agree"
    );
    for (case, plugin, real, predicted, ok) in &rows {
        println!(
            "{case:<46} {plugin:<22} {:<5} {real}\n{:<75} {predicted}",
            if *ok { "yes" } else { "NO" },
            ""
        );
    }
    println!(
        "\n{} of {compared} plugin loads agree across {} cases ({:.1?})",
        compared - disagreements.len(),
        by_case.len(),
        started.elapsed()
    );
    assert!(
        disagreements.is_empty(),
        "assay disagrees with the real loader:\n{}",
        disagreements.join("\n")
    );
}
