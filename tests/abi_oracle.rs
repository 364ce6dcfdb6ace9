//! Oracle matrix for the type-aware `assay abi diff`: every case in tests/data/abi (a C or
//! C++ source whose `V1` and `V2` builds differ in one ABI aspect) is built by gcc/g++ `-g`
//! as a shared library and as a relocatable object, and diffed by assay and by libabigail's
//! `abidiff --leaf-changes-only --impacted-interfaces`. Both must agree on whether the ABI
//! changed (abidiff exit bits 4/8 ⇔ assay exit 1) and on the set of impacted exported
//! symbols; the few deliberate differences are listed in `KNOWN_DIFFERENCES` with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::Value;

/// Cases where assay's verdict differs from abidiff's exit status on purpose.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "added_function",
        "abidiff sets its ABI-change bit for an added function; a new exported symbol is compatible for existing callers",
    ),
    (
        "cxx_virtual_reordered",
        "abidiff lists only the reordered methods as impacted; assay also lists measure(Shape*), \
         whose callers dispatch through the reordered vtable (abidiff lists it for an added virtual)",
    ),
];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/abi")
}

fn need(tool: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok();
    assert!(
        found,
        "oracle tool {tool} not found: run `bash tests/run.sh` (gcc, g++, abigail-tools, binutils)"
    );
}

/// Runs `jobs` on the machine's cores.
fn parallel<T: Sync, R: Send>(jobs: Vec<T>, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2)
        * 2;
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let r = work(job);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("job ran"))
        .collect()
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Builds `<case>.<V>.o` (gcc -g -fPIC -c) and `<case>.<V>.so` from it.
fn build(source: &Path, out: &Path, variant: &str) {
    let name = source.file_stem().unwrap().to_str().unwrap();
    let cxx = source.extension().is_some_and(|e| e == "cc");
    let compiler = if cxx { "g++" } else { "gcc" };
    let object = out.join(format!("{name}.{variant}.o"));
    let (code, _, err) = run(Command::new(compiler)
        .args(["-g", "-O0", "-fPIC", &format!("-D{variant}"), "-c"])
        .arg(source)
        .arg("-o")
        .arg(&object));
    assert_eq!(code, 0, "{compiler} {}: {err}", source.display());
    let mut link = Command::new(compiler);
    link.arg("-shared")
        .arg(&object)
        .arg("-o")
        .arg(out.join(format!("{name}.{variant}.so")));
    if name == "symbol_version_change" {
        // The version node is the change: VERS_1 in v1, VERS_2 in v2.
        let script = out.join(format!("{name}.{variant}.map"));
        let node = if variant == "V1" { "VERS_1" } else { "VERS_2" };
        std::fs::write(&script, format!("{node} {{ global: *; }};\n")).unwrap();
        link.arg(format!("-Wl,--version-script={}", script.display()));
    }
    let (code, _, err) = run(&mut link);
    assert_eq!(code, 0, "link {name}.{variant}: {err}");
}

/// Cases also linked as a Mach-O dylib with a `.dSYM` (the DWARF of a dylib lives there);
/// the others are diffed as Mach-O objects only, to keep the matrix within its CI budget.
fn with_dylib(case: &str) -> bool {
    case.starts_with("cxx_") || case.starts_with("config_v2") || case == "pointer_chain"
}

/// Builds the same case for arm64 macOS with clang (Mach-O-style DWARF, which abidiff cannot
/// read): `<case>.<V>.macho.o`, and for [`with_dylib`] cases `<case>.<V>.dylib` with its
/// `.dSYM` from dsymutil.
fn build_macho(source: &Path, out: &Path, variant: &str) {
    let name = source.file_stem().unwrap().to_str().unwrap();
    let object = out.join(format!("{name}.{variant}.macho.o"));
    let (code, _, err) = run(Command::new("clang-19")
        .args([
            "-target",
            "arm64-apple-macos11",
            "-ffreestanding",
            "-g",
            "-O0",
        ])
        .arg(format!("-D{variant}"))
        .arg("-c")
        .arg(source)
        .arg("-o")
        .arg(&object));
    assert_eq!(code, 0, "clang {}: {err}", source.display());
    if !with_dylib(name) {
        return;
    }
    let dylib = out.join(format!("{name}.{variant}.dylib"));
    let (code, _, err) = run(Command::new("clang-19")
        .args([
            "-target",
            "arm64-apple-macos11",
            "-nostdlib",
            "-shared",
            "-fuse-ld=lld",
        ])
        .args([
            "-Wl,-undefined,dynamic_lookup",
            "-Wl,-install_name,@rpath/lib.dylib",
        ])
        .arg(&object)
        .arg("-o")
        .arg(&dylib));
    assert_eq!(code, 0, "ld64.lld {name}.{variant}: {err}");
    let (code, _, err) = run(Command::new("dsymutil-19").arg(&dylib));
    assert_eq!(code, 0, "dsymutil {name}.{variant}: {err}");
}

/// The function or variable name in an abidiff declaration: `function int f(config*)` →
/// `f`, `method virtual Shape::~Shape(int)` → `Shape::~Shape`, `int table[4]` → `table`.
fn declared_name(decl: &str) -> Option<String> {
    let head = decl.split('(').next()?.split('[').next()?;
    Some(
        head.split_whitespace()
            .last()?
            .trim_start_matches(['*', '&'])
            .to_string(),
    )
}

/// Symbols abidiff reports as removed, changed or impacted by a leaf change.
fn abidiff_impacted(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_impacted = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.ends_with("impacted interface:") || trimmed.ends_with("impacted interfaces:") {
            in_impacted = true;
            continue;
        }
        if in_impacted {
            if trimmed.is_empty() || !line.starts_with("    ") {
                in_impacted = false;
            } else if let Some(n) = declared_name(trimmed) {
                out.insert(n);
                continue;
            }
        }
        if trimmed.starts_with("[D]") || trimmed.starts_with("[C]") {
            let name = match line.split('{').nth(1).and_then(|s| s.split('}').next()) {
                Some(sym) => sym.split('@').next().map(str::to_string),
                None => line.split('\'').nth(1).and_then(declared_name),
            };
            out.extend(name);
        }
    }
    out
}

/// Symbols assay reports as removed, changed or impacted (compatible changes excluded).
fn assay_impacted(diff: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Mach-O names carry the C underscore (`_config_apply`, `__ZN5Shape4areaEv`).
    let macho = diff["slices"][0]["arch"] == "arm64";
    let strip = |s: &str| {
        let s = s.split('@').next().unwrap_or(s);
        match macho {
            true => s.strip_prefix('_').unwrap_or(s).to_string(),
            false => s.to_string(),
        }
    };
    for slice in diff["slices"].as_array().unwrap() {
        for s in slice["removed"].as_array().unwrap() {
            out.insert(strip(s["name"].as_str().unwrap()));
        }
        for c in slice["changed"].as_array().unwrap() {
            // abidiff never reports vtable/typeinfo objects; their change shows at the class.
            let name = c["name"].as_str().unwrap();
            if c["breaking"] == Value::Bool(true) && !name.starts_with("_ZT") {
                out.insert(strip(name));
            }
        }
        for t in slice["type_changes"].as_array().into_iter().flatten() {
            if t["verdict"] == "compatible" {
                continue;
            }
            for i in t["impacted"].as_array().unwrap() {
                out.insert(strip(i["symbol"].as_str().unwrap()));
            }
        }
    }
    out
}

/// Demangles C++ names (one c++filt run) and reduces them to `Class::method`.
fn normalise(names: &BTreeSet<String>) -> BTreeSet<String> {
    let list: Vec<&String> = names.iter().collect();
    let input = list
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut child = Command::new("c++filt")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("c++filt (binutils)");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| declared_name(l).or_else(|| Some(l.to_string())))
        .filter(|l| !l.is_empty())
        .collect()
}

struct Outcome {
    case: String,
    kind: &'static str,
    abidiff_code: i32,
    assay_code: i32,
    verdict: String,
    theirs: BTreeSet<String>,
    ours: BTreeSet<String>,
    text: String,
}

#[test]
fn abi_diff_matrix_agrees_with_abidiff() {
    for tool in [
        "gcc",
        "g++",
        "abidiff",
        "c++filt",
        "clang-19",
        "dsymutil-19",
    ] {
        need(tool);
    }
    let started = std::time::Instant::now();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("abi-oracle");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "cc"))
        .collect();
    sources.sort();
    assert!(
        sources.len() >= 40,
        "the matrix has at least 40 change kinds"
    );
    let builds: Vec<(PathBuf, &str)> = sources
        .iter()
        .flat_map(|s| [(s.clone(), "V1"), (s.clone(), "V2")])
        .collect();
    parallel(builds, |(s, v)| {
        build(s, &out, v);
        // Mach-O has no symbol versions: that case is ELF-only.
        if !s.ends_with("symbol_version_change.c") {
            build_macho(s, &out, v);
        }
    });
    let built = started.elapsed();

    let pairs: Vec<(String, &'static str)> = sources
        .iter()
        .flat_map(|s| {
            let n = s.file_stem().unwrap().to_str().unwrap().to_string();
            let mut kinds = vec![(n.clone(), "so"), (n.clone(), "o")];
            if with_dylib(&n) {
                kinds.push((n.clone(), "dylib"));
            }
            if n != "symbol_version_change" {
                kinds.push((n, "macho.o"));
            }
            kinds
        })
        .collect();
    let outcomes = parallel(pairs, |(case, kind)| {
        let old = out.join(format!("{case}.V1.{kind}"));
        let new = out.join(format!("{case}.V2.{kind}"));
        let kind: &'static str = kind;
        // abidiff reads ELF only: Mach-O builds are held to its verdict on the ELF library.
        let elf = |v: &str| match kind {
            "dylib" | "macho.o" => out.join(format!("{case}.{v}.so")),
            _ => out.join(format!("{case}.{v}.{kind}")),
        };
        let (abidiff_code, reference, _) = run(Command::new("abidiff")
            .args(["--leaf-changes-only", "--impacted-interfaces"])
            .arg(elf("V1"))
            .arg(elf("V2")));
        assert!(
            abidiff_code & 3 == 0,
            "abidiff failed on {case}.{kind}: {reference}"
        );
        let (assay_code, json, err) = run(Command::new(env!("CARGO_BIN_EXE_assay"))
            .args(["abi", "diff", "-o", "json"])
            .arg(&old)
            .arg(&new));
        assert!(
            assay_code == 0 || assay_code == 1,
            "assay failed on {case}.{kind}: {err}"
        );
        let (_, text, _) = run(Command::new(env!("CARGO_BIN_EXE_assay"))
            .args(["abi", "diff"])
            .arg(&old)
            .arg(&new));
        let diff: Value = serde_json::from_str(&json).expect("JSON diff");
        Outcome {
            case: case.clone(),
            kind,
            abidiff_code,
            assay_code,
            verdict: diff["verdict"].as_str().unwrap_or_default().to_string(),
            theirs: normalise(&abidiff_impacted(&reference)),
            ours: normalise(&assay_impacted(&diff)),
            text,
        }
    });

    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES.iter().copied().collect();
    let (mut status_agree, mut set_agree, mut breaking_where_incompatible) = (0, 0, 0);
    let mut failures = Vec::new();
    for o in &outcomes {
        let theirs_changed = o.abidiff_code & 12 != 0;
        let ours_changed = o.assay_code == 1;
        if theirs_changed == ours_changed {
            status_agree += 1;
        } else if !known.contains_key(o.case.as_str()) {
            failures.push(format!(
                "{}.{}: abidiff exit {} but assay exit {} ({})\n{}",
                o.case, o.kind, o.abidiff_code, o.assay_code, o.verdict, o.text
            ));
        }
        if o.abidiff_code & 8 != 0 && o.verdict == "breaking" {
            breaking_where_incompatible += 1;
        }
        if o.abidiff_code & 8 != 0 && o.verdict != "breaking" {
            failures.push(format!(
                "{}.{}: abidiff says incompatible, assay {}",
                o.case, o.kind, o.verdict
            ));
        }
        if o.theirs == o.ours {
            set_agree += 1;
        } else if !known.contains_key(o.case.as_str()) {
            failures.push(format!(
                "{}.{}: impacted symbols differ: abidiff {:?}, assay {:?}\n{}",
                o.case, o.kind, o.theirs, o.ours, o.text
            ));
        }
    }
    let incompatible = outcomes.iter().filter(|o| o.abidiff_code & 8 != 0).count();
    eprintln!(
        "abi oracle: {} pairs ({} cases: ELF .so/.o, Mach-O .dylib+dSYM/.o); change/no-change agreement {status_agree}/{n}; \
         impacted-symbol sets equal {set_agree}/{n}; breaking where abidiff says incompatible \
         {breaking_where_incompatible}/{incompatible}; build {:.1}s, total {:.1}s",
        outcomes.len(),
        sources.len(),
        built.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        n = outcomes.len(),
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // A dumped baseline carries the types: layout drift is caught without the old binary,
    // and the baseline round-trips to the same verdict. An old-style baseline (names only)
    // still reads, with a note that only symbols were compared.
    let v1 = out.join("config_v2_insert_middle.V1.so");
    let v2 = out.join("config_v2_insert_middle.V2.so");
    let baseline = out.join("config.abi.json");
    let assay =
        |args: &[&std::ffi::OsStr]| run(Command::new(env!("CARGO_BIN_EXE_assay")).args(args));
    let (code, _, err) = assay(&[
        "abi".as_ref(),
        "dump".as_ref(),
        v1.as_os_str(),
        "-o".as_ref(),
        baseline.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let dumped: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(
        dumped["slices"][0]["types"]["struct config_v2"]["members"][1]["offset_bits"],
        64
    );
    let expected = |file: &Path| {
        assay(&[
            "abi".as_ref(),
            "diff".as_ref(),
            "--expected".as_ref(),
            baseline.as_os_str(),
            file.as_os_str(),
        ])
    };
    assert_eq!(expected(&v1).0, 0, "a build matches its own baseline");
    let (code, text, _) = expected(&v2);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("member 'timestamp' offset changed from 64 to 192 bits"),
        "{text}"
    );
    let names = out.join("config.names.txt");
    std::fs::write(&names, "config_apply\nconfig_stamp\nconfig_version\n").unwrap();
    let (code, text, _) = assay(&[
        "abi".as_ref(),
        "diff".as_ref(),
        "--expected".as_ref(),
        names.as_os_str(),
        v2.as_os_str(),
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("no DWARF type information in the old ABI"),
        "{text}"
    );

    // The design notes' case, in the words abidiff uses.
    let config = outcomes
        .iter()
        .find(|o| o.case == "config_v2_insert_middle" && o.kind == "so")
        .unwrap();
    assert!(
        config
            .text
            .contains("member 'timestamp' offset changed from 64 to 192 bits")
            && config.text.contains("impacts config_apply")
            && config.verdict == "breaking",
        "{}",
        config.text
    );
}

/// Corrupted DWARF (bytes of `.debug_info` / `.debug_abbrev` / `.debug_str` overwritten,
/// references redirected into cycles) must give partial types, never a panic or a hang.
#[test]
fn corrupt_dwarf_gives_partial_types_not_panics() {
    use object::{Object, ObjectSection};
    need("gcc");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("abi-corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    let so = dir.join("list.so");
    let (code, _, err) = run(Command::new("gcc")
        .args(["-g", "-shared", "-fPIC", "-DV2", "-o"])
        .arg(&so)
        .arg(data_dir().join("self_referential_list.c"))
        .arg(data_dir().join("config_v2_insert_middle.c")));
    assert_eq!(code, 0, "{err}");
    let original = std::fs::read(&so).unwrap();
    let ranges: Vec<(usize, usize)> = {
        let file = object::File::parse(&*original).unwrap();
        [".debug_info", ".debug_abbrev", ".debug_str"]
            .iter()
            .filter_map(|n| file.section_by_name(n))
            .filter_map(|s| s.file_range())
            .map(|(o, l)| (o as usize, l as usize))
            .collect()
    };
    assert_eq!(ranges.len(), 3, "gcc -g wrote the debug sections");
    let started = std::time::Instant::now();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut partial, mut runs) = (0, 0);
    for round in 0..1500 {
        let mut bytes = original.clone();
        let (start, len) = ranges[round % ranges.len()];
        for _ in 0..1 + (rand() % 4) {
            let at = start + (rand() as usize % len.max(1));
            bytes[at] = rand() as u8;
        }
        let Ok(file) = object::File::parse(&*bytes) else {
            continue;
        };
        runs += 1;
        if let Ok(types) = assay::abi::baseline::image_types(&file) {
            if !types.partial.is_empty() {
                partial += 1;
            }
        }
    }
    eprintln!(
        "corrupt DWARF: {runs} mutants read, {partial} with partial-types notes, {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(partial > 0, "some mutants must be reported as partial");
    assert!(
        started.elapsed().as_secs() < 120,
        "type reader too slow on corrupt input"
    );
}
