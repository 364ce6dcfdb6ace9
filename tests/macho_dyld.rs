//! Mach-O dylib resolution in directory scans (src/loader/macho.rs), on a real app tree built
//! here with clang-19 + lld-19 (`samples/macho-app/build.sh`: a program with `@rpath`,
//! `@loader_path` and `@executable_path` dylibs, a framework with its symlinks, a fat program
//! whose slices pick different files, a weak dylib and a missing one, a bundle no program
//! loads).
//!
//! Oracles: the load commands (dylibs in order with their kind, `LC_RPATH`s in order,
//! `LC_ID_DYLIB`, CPU and file type, per fat slice) must equal what `llvm-objdump-19 --macho
//! --private-headers` prints. There is no dyld on this machine: the expected resolutions are
//! derived by hand from dyld's documented rules (`man dyld`, DYNAMIC LIBRARY LOADING:
//! `@executable_path` is the main executable's directory, `@loader_path` the directory of the
//! image holding the load command, `@rpath` each LC_RPATH of the run-path stack of the load
//! chain, a dylib of another architecture is skipped, a missing weak dylib is no error), and
//! a mutated tree (one library removed) must change the answer the way those rules say.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use assay::catalog::native::dyld_facts;
use serde_json::Value;

/// The built tree (`…/App.app`), once per test run.
fn tree() -> &'static Path {
    static TREE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &TREE
        .get_or_init(|| {
            common::require_tool("clang-19");
            common::require_tool("ld64.lld-19");
            let dir = tempfile::tempdir().expect("tempdir");
            let out = Command::new("bash")
                .arg(common::samples().join("macho-app/build.sh"))
                .arg(dir.path())
                .output()
                .expect("run build.sh");
            assert!(
                out.status.success(),
                "build.sh failed:\n{}",
                common::stderr(&out)
            );
            let root = dir.path().join("scan");
            std::fs::create_dir(&root).expect("mkdir");
            std::fs::rename(dir.path().join("App.app"), root.join("App.app")).expect("move");
            (dir, root)
        })
        .1
}

const CONTENTS: &str = "./App.app/Contents";

fn scan(root: &Path) -> Value {
    common::scan_json(&[root.to_str().expect("utf-8 path")], 0)
}

/// (from, to) file names of every DYNAMIC_LINK edge, components by id.
fn edges(doc: &Value) -> BTreeSet<(String, String)> {
    let names: BTreeMap<&str, &str> = doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["name"].as_str().unwrap()))
        .collect();
    doc["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter(|r| r["kind"] == "dynamic-link")
        .map(|r| {
            let name = |id: &str| names.get(id).copied().unwrap_or(id).to_string();
            (
                name(r["from"].as_str().unwrap()),
                name(r["to"].as_str().unwrap()),
            )
        })
        .collect()
}

/// The value of a slice property of a file (`label` `None` for a thin file).
fn slice_props(doc: &Value, file: &str, label: Option<&str>, name: &str) -> Vec<String> {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == file)
        .flat_map(|f| f["slices"].as_array().unwrap())
        .filter(|s| s["label"].as_str() == label)
        .flat_map(|s| s["properties"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["name"] == name)
        .map(|p| p["value"].as_str().unwrap().to_string())
        .collect()
}

fn c(rel: &str) -> String {
    format!("{CONTENTS}/{rel}")
}

#[test]
fn load_commands_match_llvm_objdump() {
    let objdump = common::require_tool("llvm-objdump-19");
    let mut checked = 0;
    for rel in [
        "MacOS/app",
        "MacOS/broken",
        "MacOS/fatapp",
        "lib/libfoo.dylib",
        "lib/libpick.dylib",
        "Frameworks/Bar.framework/Versions/A/Bar",
        "Plugins/plug.bundle",
    ] {
        let path = tree().join("App.app/Contents").join(rel);
        let bytes = std::fs::read(&path).expect("read fixture");
        let images = dyld_facts::read(&bytes);
        assert!(!images.is_empty(), "{rel}: no Mach-O image read");
        for image in images {
            let mut cmd = Command::new(&objdump);
            cmd.args(["--macho", "--private-headers"]);
            if let Some(label) = &image.label {
                // assay labels x86_64 slices `amd64` (GOARCH spelling).
                let arch = if label == "amd64" { "x86_64" } else { label };
                cmd.arg(format!("--arch={arch}"));
            }
            let out = cmd.arg(&path).output().expect("run llvm-objdump");
            assert!(out.status.success(), "{}", common::stderr(&out));
            let oracle = parse_objdump(&common::stdout(&out));
            let ours = Commands {
                cpu: image.cpu,
                filetype: image.filetype,
                id: image.id.clone(),
                rpaths: image.rpaths.clone(),
                dylibs: image
                    .dylibs
                    .iter()
                    .map(|d| (d.kind.command().to_string(), d.name.clone()))
                    .collect(),
            };
            assert_eq!(ours, oracle, "{rel} [{:?}]", image.label);
            assert!(image.problems.is_empty(), "{rel}: {:?}", image.problems);
            checked += 1;
        }
    }
    // Six thin files and the two slices of fatapp.
    assert_eq!(checked, 8);
}

#[derive(Debug, PartialEq, Default)]
struct Commands {
    cpu: u32,
    filetype: u32,
    id: Option<String>,
    rpaths: Vec<String>,
    dylibs: Vec<(String, String)>,
}

/// The load commands as `llvm-objdump --macho --private-headers` prints them.
fn parse_objdump(text: &str) -> Commands {
    let mut out = Commands::default();
    let mut cmd: Option<String> = None;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first().is_some_and(|w| w.starts_with("MH_MAGIC")) {
            out.cpu = match words[1] {
                "ARM64" => 0x0100_000c,
                "X86_64" => 0x0100_0007,
                other => panic!("cputype {other}"),
            };
            out.filetype = match words[4] {
                "EXECUTE" => 2,
                "DYLIB" => 6,
                "BUNDLE" => 8,
                other => panic!("filetype {other}"),
            };
        }
        match words.as_slice() {
            ["cmd", c] => cmd = Some(c.to_string()),
            ["name" | "path", value, "(offset", ..] => {
                let value = value.to_string();
                match cmd.as_deref() {
                    Some("LC_RPATH") => out.rpaths.push(value),
                    Some("LC_ID_DYLIB") => out.id = Some(value),
                    Some(
                        c @ ("LC_LOAD_DYLIB"
                        | "LC_LOAD_WEAK_DYLIB"
                        | "LC_REEXPORT_DYLIB"
                        | "LC_LAZY_LOAD_DYLIB"
                        | "LC_LOAD_UPWARD_DYLIB"),
                    ) => out.dylibs.push((c.to_string(), value)),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn each_dylib_links_the_file_dyld_would_load() {
    let doc = scan(tree());
    let got = edges(&doc);
    let libsystem = "native:/usr/lib/libSystem.B.dylib".to_string();
    let expect = |from: &str, to: &str| {
        assert!(
            got.contains(&(c(from), to.to_string())),
            "missing {from} -> {to}; edges from it: {:#?}",
            got.iter()
                .filter(|(f, _)| *f == c(from))
                .collect::<Vec<_>>()
        );
    };
    // @rpath: the program's first LC_RPATH (@executable_path/../Frameworks) has no libfoo, its
    // second (@loader_path/../lib, the program's own directory) has.
    expect("MacOS/app", &c("lib/libfoo.dylib"));
    expect("MacOS/app", &c("Frameworks/Bar.framework/Versions/A/Bar"));
    // @executable_path: the program's directory.
    expect("MacOS/app", &c("lib/libexe.dylib"));
    // libfoo has no LC_RPATH: its @rpath/libbaz is found through the program's (the run-path
    // stack of the load chain); @loader_path is libfoo's own directory.
    expect("lib/libfoo.dylib", &c("lib/libbaz.dylib"));
    expect("lib/libfoo.dylib", &c("lib/libsib.dylib"));
    // The framework's re-export, also through the program's run paths.
    expect(
        "Frameworks/Bar.framework/Versions/A/Bar",
        &c("lib/libbaz.dylib"),
    );
    // Each slice of the fat program loads the file with its own architecture: arm64 the
    // first rpath's, x86_64 skips it (arm64 only) and takes the second's.
    expect("MacOS/fatapp", &c("Frameworks/libpick.dylib"));
    expect("MacOS/fatapp", &c("lib/libpick.dylib"));
    assert_eq!(
        slice_props(
            &doc,
            &c("MacOS/fatapp"),
            Some("arm64"),
            "assay:dyld:@rpath/libpick.dylib"
        ),
        [c("Frameworks/libpick.dylib")]
    );
    assert_eq!(
        slice_props(
            &doc,
            &c("MacOS/fatapp"),
            Some("amd64"),
            "assay:dyld:@rpath/libpick.dylib"
        ),
        [c("lib/libpick.dylib")]
    );
    // System libraries stay components, marked as the dyld shared cache's.
    expect("MacOS/app", &libsystem);
    let system = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == libsystem.as_str())
        .expect("libSystem component");
    assert!(
        system["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["value"] == "system library, in the dyld shared cache"),
        "{system}"
    );
    // How each was found is recorded.
    assert_eq!(
        slice_props(
            &doc,
            &c("MacOS/app"),
            None,
            "assay:dyld-method:@rpath/libfoo.dylib"
        ),
        [format!(
            "LC_LOAD_DYLIB @rpath = @loader_path/../lib (LC_RPATH of {})",
            c("MacOS/app")
        )]
    );
    // No edge of the program is left pointing at an unresolved @-path component.
    assert!(
        !got.iter()
            .any(|(f, t)| *f == c("MacOS/app") && t.starts_with("native:@")),
        "{got:#?}"
    );

    // The weak dylib is missing: not an error. The missing non-weak one is, for its program,
    // with the run paths tried.
    expect("MacOS/app", "native-missing:@rpath/libweak.dylib");
    expect("MacOS/broken", "native-missing:@rpath/libgone.dylib");
    let findings = doc["loader_findings"].as_array().expect("loader_findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["rule"], "library-not-found");
    assert_eq!(f["file"], c("MacOS/broken").as_str());
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("Library not loaded: @rpath/libgone.dylib"),
        "{f}"
    );
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains(&format!(
            "tried: {CONTENTS}/MacOS/../lib/libgone.dylib (no such file)"
        )),
        "{evidence}"
    );

    // A bundle no scanned program loads: @executable_path and its @rpath are unknown, said so.
    let plug = c("Plugins/plug.bundle");
    let exe = slice_props(
        &doc,
        &plug,
        None,
        "assay:dyld:@executable_path/../lib/libexe.dylib",
    );
    assert!(
        exe.len() == 1 && exe[0].starts_with("unresolved: @executable_path unknown"),
        "{exe:?}"
    );
    // … and its edges stay at the library components instead of a same-named file.
    expect("Plugins/plug.bundle", "native:@rpath/libfoo.dylib");
    expect(
        "Plugins/plug.bundle",
        "native:@executable_path/../lib/libexe.dylib",
    );
}

#[test]
fn a_removed_library_changes_the_answer_as_dyld_would() {
    // Without the arm64 libpick, the arm64 slice finds only the x86_64 one: dyld skips it
    // (incompatible architecture) and the program fails to start.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Command::new("cp")
        .arg("-a")
        .arg(tree().join("App.app"))
        .arg(tmp.path())
        .output()
        .expect("cp");
    assert!(out.status.success());
    std::fs::remove_file(tmp.path().join("App.app/Contents/Frameworks/libpick.dylib")).expect("rm");
    let doc = scan(tmp.path());
    let findings: Vec<&Value> = doc["loader_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == c("MacOS/fatapp").as_str())
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let evidence = findings[0]["evidence"].to_string();
    assert!(
        evidence.contains("libpick.dylib (incompatible architecture)"),
        "{evidence}"
    );
    // The x86_64 slice still loads its library.
    assert!(edges(&doc).contains(&(c("MacOS/fatapp"), c("lib/libpick.dylib"))));
}

#[test]
fn a_file_scanned_alone_predicts_nothing_about_its_neighbours() {
    // Only the program is scanned: its libraries' absence proves nothing.
    let broken = tree().join("App.app/Contents/MacOS/broken");
    let doc = common::scan_json(&[broken.to_str().unwrap()], 0);
    assert_eq!(
        doc["loader_findings"].as_array().map_or(0, Vec::len),
        0,
        "{doc}"
    );
    let name = doc["files"][0]["name"].as_str().unwrap().to_string();
    let value = slice_props(&doc, &name, None, "assay:dyld:@rpath/libgone.dylib");
    assert!(
        value.len() == 1 && value[0].contains("outside the scanned directories"),
        "{value:?}"
    );
}

#[test]
fn check_gates_on_a_missing_dylib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    let root = tree().to_str().unwrap().to_string();
    std::fs::write(&policy, "[loader]\n").unwrap();
    let out = common::assay(&["check", &root, "--policy", policy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stdout(&out));
    assert!(
        common::stdout(&out).contains("loader/library-not-found"),
        "{}",
        common::stdout(&out)
    );
    std::fs::write(&policy, "[loader]\nwarn = [\"library-not-found\"]\n").unwrap();
    let out = common::assay(&["check", &root, "--policy", policy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
}

#[test]
fn damaged_load_commands_never_panic() {
    // Mutated copies of the fat program and the framework: reading them and resolving the
    // result must end (bounded), report what it could read, and never panic.
    let mut rng = common::Rng(0x6d61_6368_6f21);
    let originals: Vec<Vec<u8>> = ["MacOS/fatapp", "Frameworks/Bar.framework/Versions/A/Bar"]
        .iter()
        .map(|rel| std::fs::read(tree().join("App.app/Contents").join(rel)).unwrap())
        .collect();
    for round in 0..300 {
        let mut bytes = originals[round % originals.len()].clone();
        // Damage the headers and load commands (the first 4 KiB), where the names live.
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(4096.min(bytes.len()));
            bytes[at] = rng.next() as u8;
        }
        if round % 7 == 0 {
            bytes.truncate(rng.below(bytes.len()));
        }
        let images = dyld_facts::read(&bytes);
        let scan = assay::scan::DirScan {
            roots: vec![".".into()],
            macho: vec![
                assay::scan::MachoFile {
                    id: "file:./a/app".into(),
                    name: "./a/app".into(),
                    images: images.clone(),
                },
                assay::scan::MachoFile {
                    id: "file:./a/lib".into(),
                    name: "./a/lib".into(),
                    images,
                },
            ],
        };
        let _ = assay::loader::macho::analyse(&scan);
    }
}

#[test]
fn sboms_with_dyld_answers_validate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, _) = common::validated_sboms(tree().to_str().unwrap(), dir.path());
    assert!(
        text.contains("assay:dyld:@rpath/libfoo.dylib"),
        "the answers are in the SBOM"
    );
    assert!(text.contains("Library not loaded: @rpath/libgone.dylib"));
}

/// A real macOS wheel from PyPI (Pillow 13.0.0, arm64: 26 Mach-O files whose bundled dylibs
/// load each other through `@loader_path`), cached under target/test-cache.
const WHEEL: &str = "pillow-13.0.0-cp312-cp312-macosx_11_0_arm64.whl";
const WHEEL_SHA256: &str = "fc481f742ccda20e9ed760b8f978dff50f2a4e9bc253ac167fb0a05b0783ef52";

fn cached_wheel() -> PathBuf {
    let cache = common::test_cache("wheels");
    let wheel = cache.join(WHEEL);
    if !wheel.exists() {
        std::fs::create_dir_all(&cache).expect("mkdir cache");
        let tmp = tempfile::tempdir_in(&cache).expect("tempdir");
        let out = Command::new(common::venv().join("bin/python"))
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
            ])
            .args([
                "--platform",
                "macosx_11_0_arm64",
                "--python-version",
                "3.12",
            ])
            .arg("pillow==13.0.0")
            .arg("--dest")
            .arg(tmp.path())
            .output()
            .expect("run pip download");
        assert!(
            out.status.success(),
            "pip download: {}",
            common::stderr(&out)
        );
        std::fs::rename(tmp.path().join(WHEEL), &wheel).expect("move wheel into the cache");
    }
    let out = Command::new("sha256sum")
        .arg(&wheel)
        .output()
        .expect("sha256sum");
    assert!(
        common::stdout(&out).starts_with(WHEEL_SHA256),
        "{} is not the pinned wheel",
        wheel.display()
    );
    wheel
}

#[test]
fn a_real_macos_wheel_resolves_as_delocate_does() {
    // Oracle: delocate's own resolver (`delocate-listdeps --all --depending`, which expands
    // @loader_path/@rpath itself), with llvm-otool-19 standing in for Apple's otool.
    let wheel = cached_wheel();
    let llvm_otool = common::require_tool("llvm-otool-19");
    let dir = tempfile::tempdir().expect("tempdir");
    let shim = dir.path().join("bin");
    std::fs::create_dir(&shim).unwrap();
    // delocate passes `-m` (no member-name demangling), which llvm-otool does not know.
    let otool = shim.join("otool");
    std::fs::write(
        &otool,
        format!(
            "#!/bin/bash\nargs=()\nfor a in \"$@\"; do [[ $a == -m ]] || args+=(\"$a\"); done\nexec {} \"${{args[@]}}\"\n",
            llvm_otool.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&otool)
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        shim.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(common::venv().join("bin/delocate-listdeps"))
        .args(["--all", "--depending"])
        .arg(&wheel)
        .env("PATH", path)
        .output()
        .expect("run delocate-listdeps (installed by tests/tools/install.sh)");
    assert!(out.status.success(), "{}", common::stderr(&out));
    // "LIB:" then the indented files that depend on it.
    let mut oracle = BTreeSet::new();
    let mut lib = String::new();
    for line in common::stdout(&out).lines() {
        if let Some(dependent) = line.strip_prefix("    ") {
            let to = if lib.starts_with('/') {
                format!("native:{lib}")
            } else {
                format!("./{lib}")
            };
            oracle.insert((format!("./{}", dependent.trim()), to));
        } else if !line.trim().is_empty() {
            lib = line.trim().trim_end_matches(':').to_string();
        }
    }

    let tree = dir.path().join("wheel");
    let out = Command::new(common::venv().join("bin/python"))
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&tree)
        .output()
        .expect("unzip");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let doc = scan(&tree);
    let ours = edges(&doc);
    assert_eq!(ours, oracle, "DYNAMIC_LINK edges vs delocate-listdeps");
    let inside = ours.iter().filter(|(_, to)| to.starts_with("./")).count();
    assert!(inside >= 20 && ours.len() >= 50, "{ours:#?}");
    assert_eq!(doc["loader_findings"].as_array().map_or(0, Vec::len), 0);
}
