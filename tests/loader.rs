//! The loader model against the real loaders. A real Debian bookworm root (mmdebstrap,
//! `tests/tools/debian-root.sh`), a musl root made from Debian's `musl` package, and an OCI
//! image (umoci) of a small glibc root get programs compiled here (tests/data/loader/build.sh):
//! each program is run with `chroot ROOT /PROG` and the loader's own verdict (its message)
//! must match assay's prediction for that program, case by case.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::image::{
    copy_root, umoci_config, umoci_init, umoci_new_unpacked, umoci_repack, umoci_unpack,
};
use common::run;
use serde_json::Value;

struct Fixture {
    /// The bookworm root with the programs added.
    glibc: PathBuf,
    musl: PathBuf,
    /// The musl root as an image with [`MUSL_ENV`] (tag `v1`).
    musl_layout: PathBuf,
    /// Small glibc image root (also unpacked from the image, for chroot) and its layout.
    image_rootfs: PathBuf,
    layout: PathBuf,
    /// A root with an ld.so.conf include cycle and a symlink loop.
    bad: PathBuf,
    /// The static helper that runs a program with loader variables (`envexec VAR=V /PROG`).
    envexec: PathBuf,
}

/// The `Env` of the layout's `env` tag (the `v1` image with a loader environment).
const IMAGE_ENV: &[&str] = &[
    "LD_LIBRARY_PATH=/opt/envlib",
    "LD_PRELOAD=libpre.so libnopre.so",
];

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(build)
}

/// The `Env` of the musl image.
const MUSL_ENV: &[&str] = &["LD_LIBRARY_PATH=/opt/envlib"];

/// Where each program goes inside a root.
const PROGRAMS: &[(&str, &str)] = &[
    ("ok", "opt/t/ok"),
    ("needs-yaml", "opt/t/needs-yaml"),
    ("needs-glibc238", "opt/t/needs-glibc238"),
    ("needs-libm238", "opt/t/needs-libm238"),
    ("origin", "opt/app/bin/origin"),
    ("off-path", "opt/t/off-path"),
    ("stale-cache", "opt/t/stale-cache"),
    ("undef-lazy", "opt/t/undef-lazy"),
    ("undef-now", "opt/t/undef-now"),
    ("musl-hello", "opt/t/musl-hello"),
    ("env-lib", "opt/t/env-lib"),
    ("tokens", "opt/t/tokens"),
    ("env-order", "opt/t/env-order"),
];

/// glibc-hwcaps programs (bookworm root only): what they load depends on the CPU level.
const HWCAPS_PROGRAMS: &[(&str, &str)] = &[
    ("hwcaps", "opt/t/hwcaps"),
    ("hwcaps-only", "opt/t/hwcaps-only"),
];

/// Libraries that go into a glibc root: (built file, path in the root).
const LIBS: &[(&str, &str)] = &[
    ("libown.so", "opt/app/lib/libown.so"),
    ("libhidden.so", "opt/hidden/libhidden.so"),
    ("libstale.so.1", "usr/local/lib/libstale.so.1"),
    ("libundef.so.1", "usr/lib/x86_64-linux-gnu/libundef.so.1"),
    ("libenv.so", "opt/envlib/libenv.so"),
    ("libpre.so", "opt/envlib/libpre.so"),
    ("libord.so", "opt/rp/libord.so"),
    ("libord-bad.so", "opt/envlib/libord.so"),
    // RUNPATH /opt/tok/$LIB and /opt/plat/$PLATFORM, as glibc expands them on Debian amd64.
    ("libtok.so", "opt/tok/lib/x86_64-linux-gnu/libtok.so"),
    ("libplat.so", "opt/plat/x86_64/libplat.so"),
];

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(to);
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {from:?} -> {to:?}: {e}"));
}

fn symlink(target: &str, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(at);
    std::os::unix::fs::symlink(target, at).unwrap();
}

fn install(root: &Path, built: &Path) {
    for (name, at) in PROGRAMS {
        copy(&built.join("bin").join(name), &root.join(at));
    }
    for (name, at) in LIBS {
        copy(&built.join("lib").join(name), &root.join(at));
    }
}

fn build() -> Fixture {
    for tool in ["gcc", "musl-gcc", "mmdebstrap", "umoci", "chroot"] {
        common::require_tool(tool);
    }
    let repo = common::repo();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("loader");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let built = tmp.join("build");
    run(Command::new("bash")
        .arg(repo.join("tests/data/loader/build.sh"))
        .arg(&built));

    // The cached bookworm root is this test's own (name `loader`): the programs are
    // (re)installed into it; nothing runs ldconfig, so /usr/local/lib stays out of the cache.
    let glibc = PathBuf::from(run(Command::new("bash")
        .arg(repo.join("tests/tools/debian-root.sh"))
        .arg("loader")));
    install(&glibc, &built);
    for (name, at) in HWCAPS_PROGRAMS {
        copy(&built.join("bin").join(name), &glibc.join(at));
    }
    for at in ["opt/hw", "opt/hw/glibc-hwcaps/x86-64-v3"] {
        copy(
            &built.join("lib/libhw.so.1"),
            &glibc.join(at).join("libhw.so.1"),
        );
    }
    copy(
        &built.join("lib/libhwonly.so.1"),
        &glibc.join("opt/hw/glibc-hwcaps/x86-64-v2/libhwonly.so.1"),
    );

    // musl root: Debian's musl package as installed on this machine (tests/run.sh).
    let musl = tmp.join("musl-root");
    copy(
        Path::new("/usr/lib/x86_64-linux-musl/libc.so"),
        &musl.join("usr/lib/x86_64-linux-musl/libc.so"),
    );
    symlink("usr/lib", &musl.join("lib"));
    symlink(
        "x86_64-linux-musl/libc.so",
        &musl.join("usr/lib/ld-musl-x86_64.so.1"),
    );
    copy(
        Path::new("/etc/ld-musl-x86_64.path"),
        &musl.join("etc/ld-musl-x86_64.path"),
    );
    for (name, at) in PROGRAMS {
        if ["ok", "musl-hello"].contains(name) {
            copy(&built.join("bin").join(name), &musl.join(at));
        }
    }
    copy(
        &built.join("bin/musl-order"),
        &musl.join("opt/t/musl-order"),
    );
    copy(&built.join("lib/libmx.so"), &musl.join("opt/rp/libmx.so"));
    copy(
        &built.join("lib/libmx-bad.so"),
        &musl.join("opt/envlib/libmx.so"),
    );
    // The musl root as an image whose config sets LD_LIBRARY_PATH.
    let musl_layout = tmp.join("musl-layout");
    let ml = |t: &str| format!("{}:{t}", musl_layout.display());
    umoci_init(&musl_layout);
    let musl_bundle = tmp.join("musl-bundle");
    umoci_new_unpacked(&ml("v1"), &musl_bundle, false);
    copy_root(&musl, &musl_bundle.join("rootfs"));
    umoci_repack(&ml("v1"), &musl_bundle, false);
    let env: Vec<&str> = MUSL_ENV.iter().flat_map(|e| ["--config.env", e]).collect();
    umoci_config(&ml("v1"), "amd64", &env);

    // A distroless-style glibc image: the loader, libc, libm, the loader's configuration.
    let small = tmp.join("small-root");
    for f in [
        "usr/lib/x86_64-linux-gnu/libc.so.6",
        "usr/lib/x86_64-linux-gnu/libm.so.6",
        "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "etc/ld.so.cache",
        "etc/ld.so.conf",
        "etc/ld.so.conf.d/libc.conf",
        "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
    ] {
        copy(&glibc.join(f), &small.join(f));
    }
    symlink("usr/lib", &small.join("lib"));
    symlink("usr/lib64", &small.join("lib64"));
    symlink(
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        &small.join("usr/lib64/ld-linux-x86-64.so.2"),
    );
    install(&small, &built);
    let layout = tmp.join("layout");
    let l = |t: &str| format!("{}:{t}", layout.display());
    umoci_init(&layout);
    let bundle = tmp.join("bundle");
    umoci_new_unpacked(&l("v1"), &bundle, false);
    copy_root(&small, &bundle.join("rootfs"));
    umoci_repack(&l("v1"), &bundle, false);
    umoci_config(&l("v1"), "amd64", &[]);
    // The same image with a loader environment in its config (tag `env`).
    let mut config = Command::new("umoci");
    config.args(["config", "--image", &l("v1"), "--tag", "env"]);
    for e in IMAGE_ENV {
        config.arg("--config.env").arg(e);
    }
    run(&mut config);
    // The oracle runs what the image holds: unpacked again from the layout.
    let unpacked = tmp.join("unpacked");
    umoci_unpack(&l("v1"), &unpacked, false);

    // Bad input: an include cycle and a symlink loop where the loader looks.
    let bad = tmp.join("bad-root");
    copy_root(&small, &bad);
    std::fs::write(
        bad.join("etc/ld.so.conf.d/loop.conf"),
        "include /etc/ld.so.conf\n",
    )
    .unwrap();
    // Directories that climb above the root or are relative (ldconfig, run in a chroot,
    // resolves the first inside the root and cannot stat the second).
    std::fs::write(
        bad.join("etc/ld.so.conf.d/escape.conf"),
        "/../../../opt/app/lib\nrelative/dir\n",
    )
    .unwrap();
    symlink(
        "libyaml-0.so.2.loop",
        &bad.join("usr/lib/x86_64-linux-gnu/libyaml-0.so.2"),
    );
    symlink(
        "libyaml-0.so.2",
        &bad.join("usr/lib/x86_64-linux-gnu/libyaml-0.so.2.loop"),
    );

    Fixture {
        glibc,
        musl,
        musl_layout,
        image_rootfs: unpacked.join("rootfs"),
        layout,
        bad,
        envexec: built.join("tools/envexec"),
    }
}

/// What the real loader did with one program.
#[derive(Debug, PartialEq)]
enum Verdict {
    Loads,
    /// exec failed: the interpreter is missing.
    NoInterpreter,
    LibraryNotFound(String),
    VersionMissing(String),
    Undefined(String),
}

/// Runs `/PROGRAM` in a chroot of the root, with `/proc` mounted as in any container (glibc
/// reads `/proc/self/exe` for the program's `$ORIGIN`), in a private mount namespace.
fn oracle(root: &Path, program: &str) -> (Verdict, String) {
    oracle_env(root, program, &[])
}

/// [`oracle`] with loader variables set for the program only (through the static
/// `envexec`, copied into the oracle's root as `/.envexec`; the scanned image lacks it).
fn oracle_env(root: &Path, program: &str, env: &[&str]) -> (Verdict, String) {
    std::fs::create_dir_all(root.join("proc")).unwrap();
    let mut argv: Vec<String> = Vec::new();
    if !env.is_empty() {
        copy(&fixture().envexec, &root.join(".envexec"));
        argv.push("/.envexec".into());
        argv.extend(env.iter().map(|e| e.to_string()));
    }
    argv.push(format!("/{program}"));
    let out = Command::new("timeout")
        .args([
            "20",
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
        ])
        .arg("mount -t proc proc \"$1/proc\" && r=$1 && shift && exec chroot \"$r\" \"$@\"")
        .arg("sh")
        .arg(root)
        .args(&argv)
        .output()
        .expect("run chroot");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let after = |marker: &str, end: &[char]| -> Option<String> {
        let rest = &stderr[stderr.find(marker)? + marker.len()..];
        Some(rest.split(end).next().unwrap_or("").trim().to_string())
    };
    let verdict = if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok" {
        Verdict::Loads
    } else if let Some(lib) = after("error while loading shared libraries: ", &[':'])
        .or_else(|| after("Error loading shared library ", &[':']))
    {
        Verdict::LibraryNotFound(lib)
    } else if let Some(v) = after("version `", &['\'']) {
        Verdict::VersionMissing(v)
    } else if let Some(s) = after("undefined symbol: ", &[',', '\n']) {
        Verdict::Undefined(s)
    } else if let Some(line) = stderr
        .lines()
        .find(|l| l.starts_with("Error relocating ") && l.ends_with(": symbol not found"))
    {
        // musl: `Error relocating /prog: sym: symbol not found`.
        let s = line.trim_end_matches(": symbol not found");
        Verdict::Undefined(s.rsplit(": ").next().unwrap_or("").to_string())
    } else if stderr.contains("failed to run command") && stderr.contains("No such file") {
        Verdict::NoInterpreter
    } else {
        panic!(
            "unrecognised loader outcome for {program}: {:?} {stderr}",
            out.status
        );
    };
    (verdict, stderr.trim().to_string())
}

fn findings_for<'a>(doc: &'a Value, program: &str) -> Vec<&'a Value> {
    let name = format!("./{program}");
    doc["loader_findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["file"] == name.as_str()).collect())
        .unwrap_or_default()
}

fn has(findings: &[&Value], rule: &str, text: &str) -> bool {
    findings
        .iter()
        .any(|f| f["rule"] == rule && f["message"].as_str().unwrap_or("").contains(text))
}

/// Runs every program of a root and compares assay's prediction with the loader's verdict;
/// returns the verdicts for the caller's own expectations.
fn compare(root: &Path, doc: &Value, programs: &[&str]) -> Vec<(String, Verdict)> {
    compare_env(root, doc, programs, &[])
}

/// [`compare`] under a loader environment: a preload glibc cannot open is an error line
/// the program survives; assay must predict exactly those (`preload-not-found`).
fn compare_env(
    root: &Path,
    doc: &Value,
    programs: &[&str],
    env: &[&str],
) -> Vec<(String, Verdict)> {
    let mut verdicts = Vec::new();
    for program in programs {
        let (verdict, message) = oracle_env(root, program, env);
        let all = findings_for(doc, program);
        let (preload, got): (Vec<&Value>, Vec<&Value>) = all
            .into_iter()
            .partition(|f| f["rule"] == "preload-not-found");
        for line in message.lines().filter(|l| l.contains("from LD_PRELOAD")) {
            assert!(
                preload.iter().any(|f| f["message"] == line),
                "{program}: the loader says {line:?}; assay predicts {preload:#?}"
            );
        }
        assert_eq!(
            preload.len(),
            message.matches("from LD_PRELOAD").count(),
            "{program}: {message}; {preload:#?}"
        );
        let ok = match &verdict {
            Verdict::Loads => got.is_empty(),
            Verdict::NoInterpreter => has(&got, "interpreter-missing", ""),
            Verdict::LibraryNotFound(lib) => has(&got, "library-not-found", lib),
            Verdict::VersionMissing(v) => has(&got, "symbol-version-missing", v),
            Verdict::Undefined(s) => has(&got, "undefined-symbol", s),
        };
        assert!(
            ok,
            "{program}: the loader says {verdict:?} ({message}); assay predicts {got:#?}"
        );
        eprintln!(
            "{program}: loader: {message:?}; assay: {:?}",
            got.iter()
                .map(|f| f["message"].as_str().unwrap_or(""))
                .collect::<Vec<_>>()
        );
        verdicts.push((program.to_string(), verdict));
    }
    verdicts
}

fn verdict_of<'a>(verdicts: &'a [(String, Verdict)], program: &str) -> &'a Verdict {
    &verdicts
        .iter()
        .find(|(p, _)| p.ends_with(program))
        .unwrap()
        .1
}

fn glibc_programs() -> Vec<&'static str> {
    PROGRAMS.iter().map(|(_, at)| *at).collect()
}

/// The fixture does what it claims: each program fails (or loads) as designed.
fn expect_designed_verdicts(v: &[(String, Verdict)]) {
    assert_eq!(verdict_of(v, "/ok"), &Verdict::Loads);
    assert_eq!(verdict_of(v, "/origin"), &Verdict::Loads);
    assert_eq!(
        verdict_of(v, "needs-yaml"),
        &Verdict::LibraryNotFound("libyaml-0.so.2".into())
    );
    assert_eq!(
        verdict_of(v, "needs-glibc238"),
        &Verdict::VersionMissing("GLIBC_2.38".into())
    );
    assert_eq!(
        verdict_of(v, "needs-libm238"),
        &Verdict::VersionMissing("GLIBC_2.38".into())
    );
    assert_eq!(
        verdict_of(v, "off-path"),
        &Verdict::LibraryNotFound("libhidden.so".into())
    );
    assert_eq!(
        verdict_of(v, "stale-cache"),
        &Verdict::LibraryNotFound("libstale.so.1".into())
    );
    assert_eq!(
        verdict_of(v, "undef-lazy"),
        &Verdict::Undefined("undef_fn".into())
    );
    assert_eq!(
        verdict_of(v, "undef-now"),
        &Verdict::Undefined("undef_fn".into())
    );
    assert_eq!(verdict_of(v, "musl-hello"), &Verdict::NoInterpreter);
    assert_eq!(
        verdict_of(v, "env-lib"),
        &Verdict::LibraryNotFound("libenv.so".into())
    );
    assert_eq!(verdict_of(v, "/tokens"), &Verdict::Loads);
    assert_eq!(verdict_of(v, "env-order"), &Verdict::Loads);
}

fn severity(doc: &Value, program: &str, rule: &str) -> String {
    findings_for(doc, program)
        .iter()
        .find(|f| f["rule"] == rule)
        .map(|f| f["severity"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

fn has_edge(doc: &Value, from: &str, to: &str) -> bool {
    doc["relationships"].as_array().unwrap().iter().any(|r| {
        r["from"] == format!("file:./{from}").as_str()
            && r["kind"] == "dynamic-link"
            && r["to"] == to
    })
}

#[test]
fn bookworm_root_predictions_match_the_real_loader() {
    let f = fixture();
    let target = format!("dir:{}", f.glibc.display());
    let doc = common::scan_json(&[&target], 0);
    let verdicts = compare(&f.glibc, &doc, &glibc_programs());
    expect_designed_verdicts(&verdicts);
    // Binding mode decides the severity of an undefined symbol.
    assert_eq!(
        severity(&doc, "opt/t/undef-now", "undefined-symbol"),
        "error"
    );
    assert_eq!(
        severity(&doc, "opt/t/undef-lazy", "undefined-symbol"),
        "warning"
    );
    // The musl program in a glibc root: interpreter missing, and the family named.
    assert!(has(
        &findings_for(&doc, "opt/t/musl-hello"),
        "libc-family-mismatch",
        "musl program in a glibc root"
    ));
    // DT_NEEDED → the file the loader picks: $ORIGIN RUNPATH, usrmerge symlinks.
    assert!(has_edge(
        &doc,
        "opt/app/bin/origin",
        "file:./opt/app/lib/libown.so"
    ));
    assert!(has_edge(
        &doc,
        "opt/t/ok",
        "file:./usr/lib/x86_64-linux-gnu/libc.so.6"
    ));
    // A library off the loader path is not found, even though a file of that name exists.
    assert!(has_edge(
        &doc,
        "opt/t/off-path",
        "native-missing:libhidden.so"
    ));
    assert!(!has_edge(
        &doc,
        "opt/t/off-path",
        "file:./opt/hidden/libhidden.so"
    ));
    let stale = findings_for(&doc, "opt/t/stale-cache");
    assert!(
        stale.iter().any(|f| f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("ldconfig not run"))),
        "{stale:#?}"
    );
    // Debian's own programs all load: no finding outside the test programs.
    let others: Vec<&Value> = doc["loader_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["file"].as_str().unwrap().starts_with("./opt/"))
        .collect();
    assert!(others.is_empty(), "{others:#?}");
}

/// Every program Debian installs: each DT_NEEDED edge points at a file the loader itself
/// lists (`ld.so --list`, run in the root) for that program.
#[test]
fn bookworm_edges_are_what_ld_so_lists() {
    let f = fixture();
    let target = format!("dir:{}", f.glibc.display());
    let doc = common::scan_json(&[&target], 0);
    let mut checked = 0;
    for file in doc["files"].as_array().unwrap() {
        let name = file["name"].as_str().unwrap();
        if !(name.starts_with("./usr/bin/") || name.starts_with("./usr/sbin/")) {
            continue;
        }
        // `NAME => PATH (addr)` and the loader's own `PATH (addr)` line, each path
        // canonicalised by the root's own readlink.
        let script = r#"set -e
list=$(/lib64/ld-linux-x86-64.so.2 --list "$1")
echo "$list" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p' |
  while read -r p; do readlink -f "$p"; done"#;
        let out = Command::new("chroot")
            .arg(&f.glibc)
            .args(["sh", "-c", script, "sh", &name[1..]])
            .output()
            .unwrap();
        if !out.status.success() {
            continue; // static, or not an ELF program
        }
        let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if listed.is_empty() {
            continue; // statically linked (`not a dynamic executable`)
        }
        let edges: Vec<&str> = doc["relationships"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["from"] == file["id"] && r["kind"] == "dynamic-link")
            .map(|r| r["to"].as_str().unwrap())
            .collect();
        assert!(!edges.is_empty(), "{name}: no DT_NEEDED edge");
        for to in edges {
            let path = to.strip_prefix("file:.").unwrap_or(to);
            assert!(
                listed.iter().any(|l| l == path),
                "{name}: assay links {to}; ld.so lists {listed:?}"
            );
        }
        checked += 1;
    }
    assert!(checked > 200, "only {checked} programs checked");
}

fn verdicts_order(root: &Path, doc: &Value, env: &[&str]) -> Vec<(String, Verdict)> {
    compare_env(root, doc, &["opt/t/musl-order"], env)
}

#[test]
fn musl_root_predictions_match_the_real_loader() {
    let f = fixture();
    let target = format!("dir:{}", f.musl.display());
    let doc = common::scan_json(&[&target], 0);
    let verdicts = compare(&f.musl, &doc, &["opt/t/ok", "opt/t/musl-hello"]);
    assert_eq!(verdict_of(&verdicts, "musl-hello"), &Verdict::Loads);
    assert_eq!(verdict_of(&verdicts, "/ok"), &Verdict::NoInterpreter);
    assert!(has(
        &findings_for(&doc, "opt/t/ok"),
        "libc-family-mismatch",
        "glibc program in a musl root"
    ));
    // Without an environment, musl-order finds libmx.so through its RUNPATH.
    assert_eq!(
        verdict_of(&verdicts_order(&f.musl, &doc, &[]), "musl-order"),
        &Verdict::Loads
    );
    // With the image's LD_LIBRARY_PATH, searched before RUNPATH, the other libmx.so loads.
    let image = common::scan_json(&[&format!("oci-dir:{}:v1", f.musl_layout.display())], 0);
    assert_eq!(
        verdict_of(&verdicts_order(&f.musl, &image, MUSL_ENV), "musl-order"),
        &Verdict::Undefined("mx_fn".into())
    );
    assert!(has_edge(
        &image,
        "opt/t/musl-order",
        "file:./opt/envlib/libmx.so"
    ));
    // musl answers libc.so itself: the edge goes to its libc file.
    assert!(has_edge(
        &doc,
        "opt/t/musl-hello",
        "file:./usr/lib/x86_64-linux-musl/libc.so"
    ));
}

#[test]
fn oci_image_predictions_match_the_real_loader() {
    let f = fixture();
    let target = format!("oci-dir:{}:v1", f.layout.display());
    let doc = common::scan_json(&[&target], 0);
    let verdicts = compare(&f.image_rootfs, &doc, &glibc_programs());
    expect_designed_verdicts(&verdicts);
    // The finding travels in every SBOM format, as an annotation of the program.
    for (format, needle) in [
        ("spdx-json", "assay:loader: error library-not-found"),
        ("spdx-tag-value", "assay:loader: error library-not-found"),
        ("cyclonedx-json", "assay:loader: error library-not-found"),
        ("cyclonedx-xml", "assay:loader: error library-not-found"),
        ("spdx3-json", "assay:loader: error library-not-found"),
    ] {
        let out = common::assay(&["scan", &target, "-o", format]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            common::stderr(&out)
        );
        let text = common::stdout(&out);
        assert!(text.contains(needle), "{format} lacks the loader finding");
        assert!(text.contains("libyaml-0.so.2"), "{format}");
    }
    // With the findings in, the SBOMs still pass the official validators.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("loader-sboms");
    std::fs::create_dir_all(&dir).unwrap();
    for (format, file) in [
        ("spdx-json", "image.spdx.json"),
        ("cyclonedx-json", "image.cdx.json"),
        ("spdx-tag-value", "image.spdx"),
        ("cyclonedx-xml", "image.cdx.xml"),
    ] {
        let path = dir.join(file);
        let out = common::assay(&[
            "scan",
            &target,
            "-o",
            &format!("{format}={}", path.display()),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        common::validate(format, &[&path]);
    }
    // The table shows them.
    let table = common::stdout(&common::assay(&["scan", &target]));
    assert!(table.contains("LOADER"), "{table}");
    assert!(table.contains("symbol-version-missing"), "{table}");
}

#[test]
fn check_gate_fails_on_loader_errors_with_sarif() {
    let f = fixture();
    let target = format!("oci-dir:{}:v1", f.layout.display());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("loader-check");
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("assay.toml");
    std::fs::write(&policy, "[loader]\nignore = [\"undefined-symbol\"]\n").unwrap();
    let sarif = dir.join("out.sarif");
    let out = common::assay(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        &target,
        "-o",
        &format!("sarif={}", sarif.display()),
        "-o",
        "table",
    ]);
    let table = common::stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{table}{}",
        common::stderr(&out)
    );
    assert!(table.contains("loader/library-not-found"), "{table}");
    assert!(table.contains("loader/symbol-version-missing"), "{table}");
    assert!(
        !table.contains("loader/undefined-symbol"),
        "ignored rule reported: {table}"
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "loader/interpreter-missing"));
    // Downgraded to warnings, the same findings pass the gate.
    std::fs::write(
        &policy,
        "[loader]\nwarn = [\"library-not-found\", \"symbol-version-missing\", \"interpreter-missing\", \"libc-family-mismatch\", \"undefined-symbol\"]\n",
    )
    .unwrap();
    let out = common::assay(&["check", "--policy", policy.to_str().unwrap(), &target]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    // An unknown rule is a policy error.
    std::fs::write(&policy, "[loader]\nignore = [\"no-such-rule\"]\n").unwrap();
    let out = common::assay(&["check", "--policy", policy.to_str().unwrap(), &target]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn include_cycles_and_symlink_loops_are_problems_and_the_rest_is_scanned() {
    let f = fixture();
    let target = format!("dir:{}", f.bad.display());
    let doc = common::scan_json(&[&target], 0);
    let problems = doc["problems"].as_array().unwrap();
    let texts: Vec<String> = problems
        .iter()
        .map(|p| format!("{} {}", p["path"], p["message"]))
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("include cycle")),
        "{texts:#?}"
    );
    for want in [
        "/../../../opt/app/lib climbs above the root: resolved inside it",
        "relative directory relative/dir",
    ] {
        assert!(texts.iter().any(|t| t.contains(want)), "{want}: {texts:#?}");
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains("libyaml-0.so.2") && t.contains("symlink loop")),
        "{texts:#?}"
    );
    // The loader agrees: the loop is not a library (ELOOP), so libyaml is not found.
    let (verdict, message) = oracle(&f.bad, "opt/t/needs-yaml");
    assert_eq!(
        verdict,
        Verdict::LibraryNotFound("libyaml-0.so.2".into()),
        "{message}"
    );
    assert!(has(
        &findings_for(&doc, "opt/t/needs-yaml"),
        "library-not-found",
        "libyaml-0.so.2"
    ));
    // Everything else is still resolved and checked.
    assert!(findings_for(&doc, "opt/t/ok").is_empty());
    assert!(has_edge(
        &doc,
        "opt/app/bin/origin",
        "file:./opt/app/lib/libown.so"
    ));
}

/// The image's loader properties (`subject.image.platforms[0].loader`) as `name=value`.
fn loader_properties(doc: &Value) -> Vec<String> {
    doc["subject"]["image"]["platforms"][0]["loader"]
        .as_array()
        .map(|a| a.iter().map(common::name_value).collect())
        .unwrap_or_default()
}

fn evidence_of(doc: &Value, program: &str, rule: &str) -> Vec<String> {
    findings_for(doc, program)
        .iter()
        .filter(|f| f["rule"] == rule)
        .flat_map(|f| f["evidence"].as_array().unwrap().iter())
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

/// An image whose config sets `LD_LIBRARY_PATH` and `LD_PRELOAD`: every program run with
/// that environment (the loader's messages, including its LD_PRELOAD error lines) matches
/// assay's prediction, and the environment is stated as the evidence.
#[test]
fn image_env_predictions_match_the_real_loader() {
    let f = fixture();
    let target = format!("oci-dir:{}:env", f.layout.display());
    let doc = common::scan_json(&[&target], 0);
    let v = compare_env(&f.image_rootfs, &doc, &glibc_programs(), IMAGE_ENV);
    // What the environment changes, as designed: LD_LIBRARY_PATH finds libenv.so; the
    // preloaded libpre.so defines undef_fn, so neither undef program fails any more.
    assert_eq!(verdict_of(&v, "env-lib"), &Verdict::Loads);
    assert_eq!(verdict_of(&v, "undef-now"), &Verdict::Loads);
    assert_eq!(verdict_of(&v, "undef-lazy"), &Verdict::Loads);
    // LD_LIBRARY_PATH before RUNPATH: its libord.so, without ord_fn, is the one loaded.
    assert_eq!(
        verdict_of(&v, "env-order"),
        &Verdict::Undefined("ord_fn".into())
    );
    assert!(has_edge(
        &doc,
        "opt/t/env-order",
        "file:./opt/envlib/libord.so"
    ));
    assert_eq!(
        verdict_of(&v, "needs-yaml"),
        &Verdict::LibraryNotFound("libyaml-0.so.2".into())
    );
    assert!(has_edge(
        &doc,
        "opt/t/env-lib",
        "file:./opt/envlib/libenv.so"
    ));
    let props = loader_properties(&doc);
    for want in [
        "env:LD_LIBRARY_PATH=/opt/envlib",
        "env:LD_PRELOAD=libpre.so libnopre.so",
        "resolved-by:LD_LIBRARY_PATH=libenv.so=/opt/envlib/libenv.so",
    ] {
        assert!(props.iter().any(|p| p == want), "{want} not in {props:#?}");
    }
    let evidence = evidence_of(&doc, "opt/t/needs-yaml", "library-not-found");
    assert!(
        evidence
            .iter()
            .any(|e| e == "LD_LIBRARY_PATH=/opt/envlib (image config Env)"),
        "{evidence:#?}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("searched /opt/envlib:")),
        "{evidence:#?}"
    );
    // The same layers without the environment: libenv.so is not found.
    let plain = common::scan_json(&[&format!("oci-dir:{}:v1", f.layout.display())], 0);
    assert!(has(
        &findings_for(&plain, "opt/t/env-lib"),
        "library-not-found",
        "libenv.so"
    ));
    assert!(!loader_properties(&plain)
        .iter()
        .any(|p| p.starts_with("env:")));
    // The SBOMs carry the environment as image properties.
    let out = common::assay(&["scan", &target, "-o", "cyclonedx-json"]);
    let text = common::stdout(&out);
    assert!(
        text.contains("assay:image:loader:env:LD_LIBRARY_PATH"),
        "{}",
        &text[..text.len().min(2000)]
    );
}

/// `$LIB`/`$PLATFORM` in RUNPATH and `glibc-hwcaps` subdirectories, against the bookworm
/// loader; for hwcaps the oracle is that loader held to the baseline CPU level
/// (`ld.so --glibc-hwcaps-mask none`), the level assay assumes and states.
#[test]
fn tokens_and_hwcaps_match_the_loader_at_baseline() {
    let f = fixture();
    let target = format!("dir:{}", f.glibc.display());
    let doc = common::scan_json(&[&target], 0);
    // The tokens program loads (bookworm_root_predictions… runs it); its edges go where
    // glibc expanded $LIB and $PLATFORM.
    let ld = "/lib64/ld-linux-x86-64.so.2";
    let list = run(Command::new("chroot")
        .arg(&f.glibc)
        .args([ld, "--list", "/opt/t/tokens"]));
    for lib in [
        "/opt/tok/lib/x86_64-linux-gnu/libtok.so",
        "/opt/plat/x86_64/libplat.so",
    ] {
        assert!(list.contains(&format!("=> {lib} (")), "{list}");
        assert!(
            has_edge(&doc, "opt/t/tokens", &format!("file:.{lib}")),
            "{lib}"
        );
    }
    // Baseline: the plain directory's copy, and the variant named as not picked.
    let list = run(Command::new("chroot").arg(&f.glibc).args([
        ld,
        "--glibc-hwcaps-mask",
        "none",
        "--list",
        "/opt/t/hwcaps",
    ]));
    assert!(list.contains("=> /opt/hw/libhw.so.1 ("), "{list}");
    assert!(has_edge(&doc, "opt/t/hwcaps", "file:./opt/hw/libhw.so.1"));
    assert!(findings_for(&doc, "opt/t/hwcaps").is_empty());
    let props = loader_properties(&doc);
    assert!(
        props.iter().any(|p| p.starts_with("cpu-level=baseline")),
        "{props:#?}"
    );
    assert!(
        props.iter().any(|p| p
            .starts_with("hwcaps-variant-not-picked=/opt/hw/glibc-hwcaps/x86-64-v3/libhw.so.1 ")),
        "{props:#?}"
    );
    // A library only in a hwcaps subdirectory: the baseline loader fails as predicted.
    let out = Command::new("chroot")
        .arg(&f.glibc)
        .args([ld, "--glibc-hwcaps-mask", "none", "/opt/t/hwcaps-only"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error while loading shared libraries: libhwonly.so.1"),
        "{stderr}"
    );
    assert!(has(
        &findings_for(&doc, "opt/t/hwcaps-only"),
        "library-not-found",
        "libhwonly.so.1"
    ));
    let evidence = evidence_of(&doc, "opt/t/hwcaps-only", "library-not-found");
    assert!(
        evidence.iter().any(|e| e.contains(
            "only glibc-hwcaps variants exist (/opt/hw/glibc-hwcaps/x86-64-v2/libhwonly.so.1)"
        )),
        "{evidence:#?}"
    );
    // On a CPU of level x86-64-v2 (as ld.so --help reports this one), the loader finds it.
    let help = run(Command::new("chroot").arg(&f.glibc).args([ld, "--help"]));
    if help.contains("x86-64-v2 (supported, searched)") {
        let (verdict, message) = oracle(&f.glibc, "opt/t/hwcaps-only");
        assert_eq!(verdict, Verdict::Loads, "{message}");
    }
}
