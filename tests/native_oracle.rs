//! Oracle tests: `assay symbols` and `assay abi diff` against what the reference tools say
//! about the fixtures in samples/native (built by samples/build-native.sh).
//!
//! ELF: readelf -d / --dyn-syms, nm -D. Mach-O: llvm-objdump (LLVM ≥ 16) --macho
//! --exports-trie --dylibs-used --rpaths --bind --lazy-bind --dyld-info. PE: llvm-readobj --coff-exports
//! --coff-imports. ABI: abidiff. A missing tool fails the test: run `bash tests/run.sh`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/native")
        .join(rel);
    assert!(
        path.exists(),
        "fixture {} missing: run `bash samples/build-native.sh`",
        path.display()
    );
    path
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false)
}

/// The first available of `names`, or a failure telling how to install the oracles.
fn tool(names: &[&str]) -> String {
    names
        .iter()
        .find(|n| on_path(n))
        .map(|n| n.to_string())
        .unwrap_or_else(|| {
            panic!(
                "oracle tool {} not found: run `bash tests/run.sh` (it installs binutils, llvm-19, abigail-tools)",
                names.join(" / ")
            )
        })
}

/// LLVM tools from LLVM 16 or newer (older llvm-objdump prints empty export tries).
fn llvm(tool_name: &str) -> String {
    let names: Vec<String> = (16..=22)
        .rev()
        .map(|v| format!("llvm-{tool_name}-{v}"))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    tool(&refs)
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}; run `bash tests/run.sh`"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assay(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .output()
        .expect("run assay");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "assay panicked on {args:?}: {stderr}"
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn symbols_json(path: &Path) -> Value {
    let (code, out) = assay(&["symbols", "-o", "json", path.to_str().unwrap()]);
    assert_eq!(code, 0, "assay symbols {}", path.display());
    serde_json::from_str(&out).expect("assay symbols prints JSON")
}

fn strs(v: &Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    items.into_iter().collect()
}

/// Set equality that prints only the differences (symbol tables are long).
fn assert_same<T: Ord + std::fmt::Debug>(ours: &BTreeSet<T>, theirs: &BTreeSet<T>, what: &str) {
    let only_ours: Vec<&T> = ours.difference(theirs).collect();
    let only_theirs: Vec<&T> = theirs.difference(ours).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "{what}: only in assay: {only_ours:?}; only in the oracle: {only_theirs:?}"
    );
}

/// Decodes readelf's `-U escape` form (`\u00b7`).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 2..i + 6).unwrap_or("");
        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `name@@V` / `name@V` / `name`, as nm and readelf print ELF dynamic symbols.
fn elf_export_name(e: &Value) -> String {
    let name = e["name"].as_str().unwrap_or_default();
    match e["version"].as_str() {
        Some(v) if v != name => {
            let at = if e["default_version"] == Value::Bool(false) {
                "@"
            } else {
                "@@"
            };
            format!("{name}{at}{v}")
        }
        _ => name.to_string(),
    }
}

fn check_elf(rel: &str) -> usize {
    let path = fixture(rel);
    let p = path.to_str().unwrap();
    let ours = symbols_json(&path);
    let mut agreed = 0;

    // Libraries, SONAME, RUNPATH from readelf -d.
    let dynamic = run(&tool(&["readelf"]), &["-d", "-W", p]);
    let bracketed = |tag: &str| -> Vec<String> {
        dynamic
            .lines()
            .filter(|l| l.contains(tag))
            .filter_map(|l| Some(l.split_once('[')?.1.rsplit_once(']')?.0.to_string()))
            .collect()
    };
    assert_eq!(
        strs(&ours, "libraries"),
        bracketed("(NEEDED)"),
        "{rel}: DT_NEEDED"
    );
    agreed += ours["libraries"].as_array().map_or(0, Vec::len);
    let soname = bracketed("(SONAME)");
    assert_eq!(
        ours["id"]["name"].as_str().map(str::to_string),
        soname.first().cloned(),
        "{rel}: SONAME"
    );
    let runpaths: Vec<String> = bracketed("(RUNPATH)")
        .iter()
        .chain(bracketed("(RPATH)").iter())
        .flat_map(|r| r.split(':').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let our_paths: Vec<String> = ours["search_paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["path"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(our_paths, runpaths, "{rel}: RUNPATH/RPATH");

    // Exports with type, binding and size from readelf --dyn-syms.
    // -U escape: readelf otherwise mangles UTF-8 names (Go's `·`); decode \uXXXX below.
    let syms = run(
        &tool(&["readelf"]),
        &["-U", "escape", "--dyn-syms", "-W", p],
    );
    let mut theirs = BTreeSet::new();
    let mut their_imports = BTreeSet::new();
    for line in syms.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 8 || !cols[0].ends_with(':') || cols[0] == "Num:" {
            continue;
        }
        let (size, ty, bind, ndx) = (cols[2], cols[3], cols[4], cols[6]);
        let name = unescape(&cols[7..].join(" "));
        let name = name.as_str();
        if name.is_empty() || bind == "LOCAL" {
            continue;
        }
        if ndx == "UND" {
            // readelf appends the version index: `memcpy@GLIBC_2.14 (4)`.
            let bare = name.rsplit_once(" (").map_or(name, |(n, _)| n);
            their_imports.insert(bare.to_string());
            continue;
        }
        let kind = match ty {
            "FUNC" => "func",
            "OBJECT" => "object",
            "TLS" => "tls",
            "IFUNC" => "ifunc",
            _ => "notype",
        };
        let size: u64 = size.parse().unwrap_or_else(|_| {
            u64::from_str_radix(size.trim_start_matches("0x"), 16).unwrap_or(u64::MAX)
        });
        theirs.insert((
            name.to_string(),
            kind.to_string(),
            bind.to_lowercase(),
            size,
        ));
    }
    let ours_exports: BTreeSet<(String, String, String, u64)> = ours["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                elf_export_name(e),
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["binding"].as_str().unwrap_or_default().to_string(),
                e["size"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_same(
        &ours_exports,
        &theirs,
        &format!("{rel}: exports vs readelf --dyn-syms"),
    );
    agreed += theirs.len();

    // Same export names and versions as nm -D --defined-only.
    let nm_defined: BTreeSet<String> = run(&tool(&["nm"]), &["-D", "--defined-only", p])
        .lines()
        .filter_map(|l| Some(l.splitn(3, ' ').nth(2)?.to_string()))
        .collect();
    let names: BTreeSet<String> = ours_exports.iter().map(|e| e.0.clone()).collect();
    assert_same(
        &names,
        &nm_defined,
        &format!("{rel}: exports vs nm -D --defined-only"),
    );

    // Imports with version requirements from nm -D --undefined-only.
    let nm_undefined: BTreeSet<String> = run(&tool(&["nm"]), &["-D", "--undefined-only", p])
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    let our_imports: BTreeSet<String> = ours["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let name = i["name"].as_str().unwrap_or_default();
            match i["version"].as_str() {
                Some(v) => format!("{name}@{v}"),
                None => name.to_string(),
            }
        })
        .collect();
    assert_same(
        &our_imports,
        &nm_undefined,
        &format!("{rel}: imports vs nm -D --undefined-only"),
    );
    let readelf_imports: BTreeSet<String> = their_imports.iter().map(|n| n.to_string()).collect();
    assert_same(
        &our_imports,
        &readelf_imports,
        &format!("{rel}: imports vs readelf"),
    );
    agreed += our_imports.len();
    agreed
}

#[test]
fn elf_libdemo_matches_readelf_and_nm() {
    let n = check_elf("elf/libdemo-v1.so") + check_elf("elf/libdemo-v2.so");
    eprintln!("ELF libdemo: {n} entries agree with readelf/nm");
}

#[test]
fn elf_glibc_floor_and_go_plugin_exports() {
    let v1 = fixture("go/greeter-v1.so");
    let n = check_elf("go/greeter-v1.so") + check_elf("go/greeter-v2.so");
    eprintln!("ELF Go plugins: {n} entries agree with readelf/nm");
    let ours = symbols_json(&v1);
    // The floor is the highest GLIBC_ node among the imports nm lists.
    let nm = run(
        &tool(&["nm"]),
        &["-D", "--undefined-only", v1.to_str().unwrap()],
    );
    let highest = nm
        .lines()
        .filter_map(|l| l.split("@GLIBC_").nth(1))
        .map(|v| {
            v.split('.')
                .map(|n| n.parse::<u32>().unwrap_or(0))
                .collect::<Vec<_>>()
        })
        .max()
        .expect("plugin imports versioned glibc symbols");
    let floor = ours["version_floors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["library"] == "libc.so.6")
        .expect("glibc floor");
    let want = format!(
        "GLIBC_{}",
        highest
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    );
    assert_eq!(floor["version"], Value::String(want));
    assert_eq!(ours["go_plugin_path"], "example.com/greeter");
    let greet = ours["exports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "example.com/greeter.Greet")
        .expect("Greet exported");
    assert_eq!(greet["signature"], "func(string) string");
}

/// One architecture of the fat libdemo against llvm-objdump and llvm-nm.
fn check_macho(rel: &str, arch_llvm: &str, arch_ours: &str) -> usize {
    let path = fixture(rel);
    let p = path.to_str().unwrap();
    let all = symbols_json(&path);
    let ours = all["slices"]
        .as_array()
        .expect("fat file gives slices")
        .iter()
        .find(|s| s["arch"] == arch_ours)
        .unwrap_or_else(|| panic!("{rel}: no {arch_ours} slice"))
        .clone();
    let arch_arg = format!("--arch={arch_llvm}");
    let text = run(
        &llvm("objdump"),
        &[
            "--macho",
            &arch_arg,
            "--exports-trie",
            "--dylibs-used",
            "--rpaths",
            p,
        ],
    );
    let mut dylibs = Vec::new();
    let mut trie = BTreeSet::new();
    let mut rpaths = Vec::new();
    let mut in_trie = false;
    for line in text.lines().skip(1) {
        if line.starts_with('\t') {
            // `\tNAME (compatibility version C, current version V[, weak|reexport…])`
            let text = line.trim();
            let (name, rest) = text
                .split_once(" (compatibility version ")
                .unwrap_or((text, ""));
            let (compat, rest) = rest.split_once(", current version ").unwrap_or(("", rest));
            let current = rest.split([',', ')']).next().unwrap_or("");
            dylibs.push(format!("{name} {current}/{compat}"));
        } else if line.starts_with("Exports trie:") {
            in_trie = true;
        } else if in_trie && line.starts_with("0x") {
            let name = line.split_whitespace().nth(1).unwrap_or_default();
            trie.insert(name.to_string());
        } else if !line.trim().is_empty() {
            in_trie = false;
            rpaths.push(line.trim().to_string());
        }
    }
    // --dylibs-used lists the dylib's own install name first.
    let with_versions = |l: &Value| {
        format!(
            "{} {}/{}",
            l["name"].as_str().unwrap_or_default(),
            l["version"].as_str().unwrap_or_default(),
            l["compatibility_version"].as_str().unwrap_or_default()
        )
    };
    let mut want_libs = vec![with_versions(&ours["id"])];
    want_libs.extend(
        ours["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .map(with_versions),
    );
    assert_eq!(
        want_libs, dylibs,
        "{rel} {arch_llvm}: dylibs with current/compatibility versions"
    );
    // The load command kind shows as a suffix: `weak` for LC_LOAD_WEAK_DYLIB.
    let weak_in_llvm = text
        .lines()
        .filter(|l| l.starts_with('\t') && l.contains(", weak)"))
        .count();
    let weak_in_ours = ours["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "weak")
        .count();
    assert_eq!(weak_in_ours, weak_in_llvm, "{rel} {arch_llvm}: weak dylibs");
    let ours_exports = set(strs(&ours, "exports"));
    assert!(
        !trie.is_empty(),
        "{rel} {arch_llvm}: llvm-objdump printed an empty trie (LLVM < 16?)"
    );
    assert_eq!(ours_exports, trie, "{rel} {arch_llvm}: exports trie");
    let our_rpaths: Vec<String> = ours["search_paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["path"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(our_rpaths, rpaths, "{rel} {arch_llvm}: LC_RPATH");

    // Imports and the library each binds to: the bind, lazy-bind (LC_DYLD_INFO) and
    // chained-fixup (--dyld-info) tables.
    let binds = run(
        &llvm("objdump"),
        &[
            "--macho",
            &arch_arg,
            "--bind",
            "--lazy-bind",
            "--dyld-info",
            p,
        ],
    );
    let mut theirs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut table = "";
    for line in binds.lines() {
        if line.starts_with("Bind table") {
            table = "bind";
        } else if line.starts_with("Lazy bind table") {
            table = "lazy";
        } else if line.starts_with("dyld information") {
            table = "fixups";
        } else if line.starts_with("Weak bind table") {
            table = "";
        }
        let c: Vec<&str> = line.split_whitespace().collect();
        let row = match (table, c.len()) {
            ("bind", 7) if c[0] != "segment" => Some((c[6], c[5])),
            ("lazy", 5) if c[0] != "segment" => Some((c[4], c[3])),
            ("fixups", 8) if c[4] == "bind" => Some((c[7], c[6])),
            _ => None,
        };
        if let Some((name, lib)) = row {
            theirs.insert((name.to_string(), lib.to_string()));
        }
    }
    let ours_imports: BTreeSet<(String, String)> = ours["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            // llvm-objdump names the library by its short name: libSystem.B.dylib → libSystem.
            let lib = i["library"].as_str().unwrap_or_default();
            let base = lib.rsplit('/').next().unwrap_or(lib);
            let short = base.split('.').next().unwrap_or(base).to_string();
            (i["name"].as_str().unwrap_or_default().to_string(), short)
        })
        .collect();
    assert_same(
        &ours_imports,
        &theirs,
        &format!("{rel} {arch_llvm}: imports vs binds"),
    );
    want_libs.len() + trie.len() + rpaths.len() + theirs.len()
}

#[test]
fn macho_fat_libdemo_matches_llvm_objdump() {
    let mut n = 0;
    for rel in ["macho/libdemo-v1.dylib", "macho/libdemo-v2.dylib"] {
        n += check_macho(rel, "arm64", "arm64");
        n += check_macho(rel, "x86_64", "amd64");
    }
    eprintln!("Mach-O: {n} entries agree with llvm-objdump/llvm-nm");
}

struct CoffTables {
    /// (name, delay)
    libraries: Vec<(String, bool)>,
    /// (library, symbol, delay)
    imports: BTreeSet<(String, String, bool)>,
    /// (ordinal, name, forwarded-to)
    exports: BTreeSet<(u64, String, String)>,
}

fn readobj_coff(path: &str) -> CoffTables {
    let text = run(
        &llvm("readobj"),
        &["--coff-exports", "--coff-imports", path],
    );
    let mut t = CoffTables {
        libraries: Vec::new(),
        imports: BTreeSet::new(),
        exports: BTreeSet::new(),
    };
    let (mut library, mut delay) = (String::new(), false);
    let mut export: Option<(u64, String, String)> = None;
    for line in text.lines() {
        let l = line.trim();
        if l == "Import {" && !line.starts_with("  ") {
            delay = false;
        } else if l == "DelayImport {" {
            delay = true;
        } else if l == "Export {" {
            export = Some((0, String::new(), String::new()));
        } else if let Some(e) = export.as_mut() {
            if let Some(v) = l.strip_prefix("Ordinal: ") {
                e.0 = v.parse().unwrap_or(0);
            } else if let Some(v) = l.strip_prefix("Name:") {
                e.1 = v.trim().to_string();
            } else if let Some(v) = l.strip_prefix("ForwardedTo: ") {
                e.2 = v.to_string();
            } else if l == "}" {
                t.exports.extend(export.take());
            }
        } else if let Some(v) = l.strip_prefix("Name: ") {
            library = v.to_string();
            t.libraries.push((library.clone(), delay));
        } else if let Some(v) = l.strip_prefix("Symbol: ") {
            let name = v.rsplit_once(" (").map_or(v, |(n, _)| n);
            t.imports.insert((library.clone(), name.to_string(), delay));
        }
    }
    t
}

fn check_pe(rel: &str) -> usize {
    let path = fixture(rel);
    let ours = symbols_json(&path);
    let theirs = readobj_coff(path.to_str().unwrap());
    let libs: Vec<(String, bool)> = ours["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap_or_default().to_string(),
                l["kind"] == "delay",
            )
        })
        .collect();
    assert_eq!(libs, theirs.libraries, "{rel}: imported DLLs");
    let imports: BTreeSet<(String, String, bool)> = ours["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["library"].as_str().unwrap_or_default().to_string(),
                i["name"].as_str().unwrap_or_default().to_string(),
                i["delay"] == Value::Bool(true),
            )
        })
        .collect();
    assert_eq!(imports, theirs.imports, "{rel}: imports");
    let exports: BTreeSet<(u64, String, String)> = ours["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let name = e["name"].as_str().unwrap_or_default();
            // An ordinal-only export has no name; assay shows it as `#N`.
            let name = if name.starts_with('#') { "" } else { name };
            let forward = match (e["library"].as_str(), e["target"].as_str()) {
                (Some(lib), Some(t)) => format!("{lib}.{t}"),
                (Some(lib), None) => format!("{lib}.{name}"),
                _ => String::new(),
            };
            (
                e["ordinal"].as_u64().unwrap_or(0),
                name.to_string(),
                forward,
            )
        })
        .collect();
    assert_eq!(exports, theirs.exports, "{rel}: exports");
    libs.len() + imports.len() + exports.len()
}

#[test]
fn pe_dll_and_exe_match_llvm_readobj() {
    let n = check_pe("pe/demo.dll") + check_pe("pe/helper.dll") + check_pe("pe/app.exe");
    eprintln!("PE: {n} entries agree with llvm-readobj");
    let app = symbols_json(&fixture("pe/app.exe"));
    assert!(
        app["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "helper_twice" && i["delay"] == Value::Bool(true)),
        "helper_twice is delay-loaded"
    );
}

/// Symbol names abidiff lists under `[D]`, `[A]` or `[C]` (from the `{sym@@VERS}` suffix or
/// the quoted declaration).
fn abidiff_names(text: &str, marker: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.trim_start().starts_with(marker))
        .filter_map(|l| {
            if let Some(inner) = l.split('{').nth(1) {
                let sym = inner.split('}').next()?;
                return Some(sym.split('@').next()?.to_string());
            }
            // `[C] 'function int demo_scale(int)' at …` / `[C] 'int demo_table[4]' was …`
            let decl = l.split('\'').nth(1)?;
            let before_paren = decl.split('(').next()?;
            let before_bracket = before_paren.split('[').next()?;
            Some(
                before_bracket
                    .split_whitespace()
                    .last()?
                    .trim_start_matches('*')
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn abi_diff_agrees_with_abidiff_on_libdemo() {
    let (v1, v2) = (fixture("elf/libdemo-v1.so"), fixture("elf/libdemo-v2.so"));
    let (p1, p2) = (v1.to_str().unwrap(), v2.to_str().unwrap());
    let reference = run(&tool(&["abidiff"]), &[p1, p2]);
    assert!(
        reference.contains("Functions changes summary"),
        "abidiff output: {reference}"
    );
    let (code, out) = assay(&["abi", "diff", p1, p2, "-o", "json"]);
    assert_eq!(code, 1, "breaking changes give exit 1:\n{out}");
    let diff: Value = serde_json::from_str(&out).expect("JSON diff");
    let slice = &diff["slices"][0];
    let names = |field: &str| -> BTreeSet<String> {
        slice[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["name"]
                    .as_str()
                    .unwrap_or_default()
                    .split('@')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let changed: Vec<&Value> = slice["changed"].as_array().unwrap().iter().collect();
    // abidiff reports a symbol whose version node changed as removed (the old node is gone).
    let version_moved: BTreeSet<String> = changed
        .iter()
        .filter(|c| {
            c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == "version")
        })
        .map(|c| {
            c["name"]
                .as_str()
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let other_changes: BTreeSet<String> = changed
        .iter()
        .map(|c| {
            c["name"]
                .as_str()
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .to_string()
        })
        .filter(|n| !version_moved.contains(n))
        // Signature changes found through DWARF types are reported at the changed type.
        .chain(
            slice["type_changes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["verdict"] != "compatible")
                .flat_map(|t| t["impacted"].as_array().unwrap().iter())
                .map(|i| {
                    i["symbol"]
                        .as_str()
                        .unwrap()
                        .split('@')
                        .next()
                        .unwrap()
                        .to_string()
                }),
        )
        .collect();
    let removed: BTreeSet<String> = names("removed").union(&version_moved).cloned().collect();
    assert_eq!(
        removed,
        abidiff_names(&reference, "[D]"),
        "removed\n{reference}"
    );
    assert_eq!(
        names("added"),
        abidiff_names(&reference, "[A]"),
        "added\n{reference}"
    );
    assert_eq!(
        other_changes,
        abidiff_names(&reference, "[C]"),
        "changed\n{reference}"
    );
    eprintln!(
        "abidiff: {} removed, {} added, {} changed agree",
        removed.len(),
        names("added").len(),
        other_changes.len()
    );

    // Same verdicts through a dumped baseline and an nm-style text baseline.
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("abi.json");
    let (code, _) = assay(&["abi", "dump", p1, "-o", baseline.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, _) = assay(&["abi", "diff", "--expected", baseline.to_str().unwrap(), p1]);
    assert_eq!(code, 0, "a file is compatible with its own baseline");
    let (code, _) = assay(&["abi", "diff", "--expected", baseline.to_str().unwrap(), p2]);
    assert_eq!(code, 1);
    let nm = dir.path().join("expected.txt");
    std::fs::write(&nm, run(&tool(&["nm"]), &["-D", "--defined-only", p1])).unwrap();
    let (code, out) = assay(&["abi", "diff", "--expected", nm.to_str().unwrap(), p2]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("demo_old"), "{out}");
}

#[test]
fn go_plugin_signature_change_is_breaking() {
    let (v1, v2) = (fixture("go/greeter-v1.so"), fixture("go/greeter-v2.so"));
    let (code, out) = assay(&[
        "abi",
        "diff",
        v1.to_str().unwrap(),
        v2.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    let diff: Value = serde_json::from_str(&out).unwrap();
    let changed = &diff["slices"][0]["changed"][0];
    assert_eq!(changed["name"], "example.com/greeter.Greet");
    assert_eq!(changed["fields"][0]["field"], "signature");
    assert_eq!(changed["fields"][0]["new"], "func(string, bool) string");
    assert_eq!(
        diff["slices"][0]["added"][0]["name"],
        "example.com/greeter.Version"
    );
    assert_eq!(diff["slices"][0]["removed"].as_array().unwrap().len(), 0);
}

#[test]
fn usage_errors_exit_2() {
    let v1 = fixture("elf/libdemo-v1.so");
    assert_eq!(assay(&["abi", "diff", v1.to_str().unwrap()]).0, 2);
    assert_eq!(assay(&["symbols", "/nonexistent/file"]).0, 2);
    assert_eq!(
        assay(&["symbols", file!()]).0,
        2,
        "a source file is not a binary"
    );
}

#[test]
fn scan_puts_dynamic_links_in_the_sboms() {
    let dir = tempfile::tempdir().unwrap();
    for rel in ["pe/app.exe", "pe/demo.dll", "elf/libdemo-v1.so"] {
        let src = fixture(rel);
        std::fs::copy(&src, dir.path().join(src.file_name().unwrap())).unwrap();
    }
    let target = dir.path().to_str().unwrap();
    let (code, out) = assay(&["scan", target, "-o", "json"]);
    assert_eq!(code, 0, "{out}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let links: BTreeSet<(String, String)> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "dynamic-link")
        .map(|r| {
            (
                r["from"].as_str().unwrap().into(),
                r["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    // demo.dll is in the scan: the edge points at its file; helper.dll is not: a component.
    assert!(
        links.contains(&("file:./app.exe".into(), "file:./demo.dll".into())),
        "{links:?}"
    );
    assert!(
        links.contains(&("file:./app.exe".into(), "native:helper.dll".into())),
        "{links:?}"
    );
    assert!(links.contains(&("file:./libdemo-v1.so".into(), "native:libc.so.6".into())));
    let libdemo = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "./libdemo-v1.so")
        .unwrap();
    let props = &libdemo["slices"][0]["properties"];
    assert!(
        props
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "assay:native:glibc-floor" && p["value"] == "2.14"),
        "{props}"
    );

    let (code, spdx) = assay(&["scan", target, "-o", "spdx-json"]);
    assert_eq!(code, 0);
    let spdx: Value = serde_json::from_str(&spdx).unwrap();
    let dynamic = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DYNAMIC_LINK")
        .count();
    assert_eq!(
        dynamic,
        links.len(),
        "every dynamic link is an SPDX DYNAMIC_LINK"
    );
    let libc = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libc.so.6")
        .expect("libc.so.6 package");
    assert!(
        libc.get("externalRefs").is_none(),
        "no purl for a native library: {libc}"
    );

    let (code, cdx) = assay(&["scan", target, "-o", "cyclonedx-json"]);
    assert_eq!(code, 0);
    let cdx: Value = serde_json::from_str(&cdx).unwrap();
    let app_deps = cdx["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "file:./app.exe")
        .unwrap();
    assert!(app_deps["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "file:./demo.dll"));
}

#[test]
fn stripped_go_plugin_still_has_type_strings() {
    let dir = tempfile::tempdir().unwrap();
    let stripped = dir.path().join("greeter-v2-stripped.so");
    let status = Command::new(tool(&["strip"]))
        .args(["--strip-all", "-o", stripped.to_str().unwrap()])
        .arg(fixture("go/greeter-v2.so"))
        .status()
        .expect("run strip");
    assert!(status.success());
    let nm = run(&tool(&["nm"]), &[stripped.to_str().unwrap()]);
    assert!(!nm.contains("go:plugin.tabs"), "strip left .symtab behind");
    let ours = symbols_json(&stripped);
    let signature = |name: &str| {
        ours["exports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["signature"].clone())
    };
    assert_eq!(
        signature("example.com/greeter.Greet"),
        Some(Value::String("func(string, bool) string".into()))
    );
    assert_eq!(
        signature("example.com/greeter.Count"),
        Some(Value::String("*int".into()))
    );
    assert_eq!(
        signature("example.com/greeter.Version"),
        Some(Value::String("func() string".into()))
    );
}
