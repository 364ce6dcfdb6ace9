//! Beyond Go build info: Rust crates, C/C++ build metadata, Go without build info, wasm and
//! UPX, each checked against an independent answer (the audit JSON decoded here, `readelf`,
//! `go version -m`, `upx -d`, the zlib headers) and rendered in both SBOM formats.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn beyond(name: &str) -> PathBuf {
    common::samples().join("beyond").join(name)
}

fn scan(path: &Path) -> Value {
    let p = path.to_str().expect("utf-8 path");
    common::scan_json(&[p], 0)
}

fn components(doc: &Value) -> Vec<Value> {
    doc["components"].as_array().cloned().unwrap_or_default()
}

fn prop<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

fn slice_prop<'a>(doc: &'a Value, name: &str) -> Option<&'a str> {
    doc["files"][0]["slices"][0]["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

fn of_kind(doc: &Value, kind: &str) -> Vec<Value> {
    components(doc)
        .into_iter()
        .filter(|c| c["kind"] == kind)
        .collect()
}

fn run(tool: &str, args: &[&str]) -> String {
    let exe = common::require_tool(tool);
    let out = Command::new(exe).args(args).output().expect("run tool");
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `.dep-v0` section decoded here, independently of assay: objcopy + flate2 + serde_json.
fn audit_json(path: &Path) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let dump = dir.path().join("dep-v0");
    run(
        "objcopy",
        &[
            &format!("--dump-section=.dep-v0={}", dump.display()),
            path.to_str().unwrap(),
            dir.path().join("copy").to_str().unwrap(),
        ],
    );
    let compressed = std::fs::read(&dump).expect("dumped section");
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_string(&mut json)
        .expect("zlib");
    serde_json::from_str(&json).expect("audit JSON")
}

/// (name, version) of every crate the audit data lists.
fn audited_crates(audit: &Value) -> BTreeSet<(String, String)> {
    audit["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn crates_found(doc: &Value) -> BTreeSet<(String, String)> {
    components(doc)
        .into_iter()
        .filter(|c| c["kind"] == "rust-crate" || c["kind"] == "rust-root-crate")
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn cargo_auditable_crates_and_edges_match_the_section_decoded_independently() {
    for file in ["rust-hello-auditable", "rust-hello-auditable-stripped"] {
        let path = beyond(file);
        let audit = audit_json(&path);
        let doc = scan(&path);
        assert_eq!(crates_found(&doc), audited_crates(&audit), "{file}");

        // The real edges: every dependency index becomes a DEPENDS_ON between the two ids.
        let packages = audit["packages"].as_array().unwrap();
        let id_of = |i: usize| -> String {
            let name = packages[i]["name"].as_str().unwrap();
            let version = packages[i]["version"].as_str().unwrap();
            components(&doc)
                .into_iter()
                .find(|c| c["name"] == name && c["version"] == version)
                .and_then(|c| c["id"].as_str().map(str::to_string))
                .expect("component for crate")
        };
        let edges: BTreeSet<(String, String)> = doc["relationships"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "depends-on")
            .map(|r| {
                (
                    r["from"].as_str().unwrap().to_string(),
                    r["to"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut expected = 0;
        for (i, p) in packages.iter().enumerate() {
            for d in p["dependencies"].as_array().into_iter().flatten() {
                let d = d.as_u64().unwrap() as usize;
                assert!(edges.contains(&(id_of(i), id_of(d))), "edge {i}->{d}");
                expected += 1;
            }
        }
        assert!(expected >= 2, "the fixture has real edges");

        let root = of_kind(&doc, "rust-root-crate");
        assert_eq!(root.len(), 1);
        assert_eq!(root[0]["name"], "rust-hello");
        assert_eq!(prop(&root[0], "assay:rust:source"), Some("local"));
        for c in of_kind(&doc, "rust-crate") {
            assert_eq!(prop(&c, "assay:method"), Some("cargo-auditable"));
            assert_eq!(prop(&c, "assay:confidence"), Some("high"));
            assert_eq!(prop(&c, "assay:rust:source"), Some("crates.io"));
            let purl = format!(
                "pkg:cargo/{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            );
            assert_eq!(c["purl"], purl.as_str());
        }
    }
}

#[test]
fn crates_are_inferred_from_dwarf_and_from_panic_paths_after_stripping() {
    let audit = audit_json(&beyond("rust-hello-auditable"));
    let mut deps = audited_crates(&audit);
    deps.retain(|(n, _)| n != "rust-hello");
    for (file, method) in [
        ("rust-hello-dwarf", "dwarf-path"),
        ("rust-hello-stripped", "panic-location"),
    ] {
        let doc = scan(&beyond(file));
        assert_eq!(crates_found(&doc), deps, "{file}");
        for c in of_kind(&doc, "rust-crate") {
            let methods = prop(&c, "assay:method").unwrap();
            assert!(methods.contains(method), "{file}: {methods}");
            assert_eq!(prop(&c, "assay:confidence"), Some("medium"));
        }
    }
}

#[test]
fn rustc_version_matches_readelf_comment() {
    let path = beyond("rust-hello-stripped");
    let comment = run("readelf", &["-p", ".comment", path.to_str().unwrap()]);
    let at = comment.find("rustc version ").expect("rustc in .comment") + 14;
    let version: String = comment[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let doc = scan(&path);
    let std = of_kind(&doc, "rust-stdlib");
    assert_eq!(std.len(), 1);
    assert_eq!(std[0]["version"], version.as_str());
    assert!(prop(&std[0], "assay:rust:rustc-commit").is_some());
}

#[test]
fn c_producer_comment_build_id_and_package_note_match_readelf() {
    let path = beyond("c-hello-dwarf");
    let p = path.to_str().unwrap();
    let doc = scan(&path);

    // DWARF producer: compiler, version and flags as readelf prints DW_AT_producer.
    let info = run("readelf", &["--debug-dump=info", p]);
    let line = info
        .lines()
        .find(|l| l.contains("DW_AT_producer"))
        .expect("producer");
    let producer = line.rsplit(": ").next().unwrap().trim();
    let mut words = producer.splitn(4, ' ');
    let (_gnu, lang, version, flags) = (
        words.next().unwrap(),
        words.next().unwrap(),
        words.next().unwrap(),
        words.next().unwrap(),
    );
    let gcc = of_kind(&doc, "compiler");
    assert_eq!(gcc.len(), 1);
    assert_eq!(gcc[0]["name"], "gcc");
    assert_eq!(gcc[0]["version"], version);
    assert_eq!(prop(&gcc[0], "assay:compiler:languages"), Some(lang));
    assert_eq!(prop(&gcc[0], "assay:compiler:flags"), Some(flags));
    assert_eq!(
        prop(&gcc[0], "assay:method"),
        Some("comment,dwarf-producer")
    );

    // `.comment` as readelf dumps it.
    let comment = run("readelf", &["-p", ".comment", p]);
    let gcc_line = comment
        .lines()
        .find_map(|l| l.find("GCC: ").map(|i| l[i..].trim().to_string()))
        .expect("GCC line");
    assert_eq!(slice_prop(&doc, "assay:comment"), Some(gcc_line.as_str()));

    // Build-id and the package note as readelf --notes prints them.
    let notes = run("readelf", &["--notes", p]);
    let build_id = notes
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: "))
        .expect("build id");
    assert_eq!(slice_prop(&doc, "assay:build-id"), Some(build_id));
    let json = notes
        .lines()
        .find_map(|l| l.trim().strip_prefix("Packaging Metadata: "))
        .expect("package note");
    let note: Value = serde_json::from_str(json).expect("note JSON");
    let pkg = of_kind(&doc, "os-package");
    assert_eq!(pkg.len(), 1);
    assert_eq!(pkg[0]["name"], note["name"]);
    assert_eq!(pkg[0]["version"], note["version"]);
    assert_eq!(
        pkg[0]["purl"],
        format!(
            "pkg:deb/debian/{}@{}?arch={}",
            note["name"].as_str().unwrap(),
            note["version"].as_str().unwrap(),
            note["architecture"].as_str().unwrap()
        )
        .as_str()
    );

    // Stripped: DWARF gone, `.comment` and the notes stay.
    let stripped = scan(&beyond("c-hello-stripped"));
    let gcc = of_kind(&stripped, "compiler");
    assert_eq!(prop(&gcc[0], "assay:method"), Some("comment"));
    assert_eq!(of_kind(&stripped, "os-package").len(), 1);
}

#[test]
fn statically_linked_zlib_is_recognised_with_the_version_it_reports_at_run_time() {
    // The static program prints `zlibVersion()`: the library's own answer.
    let out = Command::new(beyond("c-zlib-static"))
        .output()
        .expect("run the static zlib fixture (x86-64 Linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let version = stdout
        .strip_prefix("zlib ")
        .and_then(|r| r.split(':').next())
        .expect("zlib <version>: …");
    let doc = scan(&beyond("c-zlib-static"));
    let libs = of_kind(&doc, "static-library");
    assert_eq!(libs.len(), 1, "{libs:?}");
    assert_eq!(libs[0]["name"], "zlib");
    assert_eq!(libs[0]["version"], version);
    assert_eq!(
        libs[0]["purl"],
        format!("pkg:generic/zlib@{version}").as_str()
    );
    assert_eq!(
        prop(&libs[0], "assay:method"),
        Some("embedded-version-string")
    );
    // Not in a program that does not link it.
    assert!(of_kind(&scan(&beyond("c-hello-dwarf")), "static-library").is_empty());
}

/// Copies the Go fixture with its build info wiped the way a patched linker would leave
/// it: no `.go.buildinfo` section name, no blob magic.
fn go_without_build_info(dir: &Path) -> PathBuf {
    wipe_build_info(dir, "hello-linux-amd64", ".go.buildinfo")
}

fn wipe_build_info(dir: &Path, fixture: &str, section: &str) -> PathBuf {
    let mut data = std::fs::read(common::samples().join("go").join(fixture)).expect("fixture");
    let magic = b"\xff Go buildinf:";
    let at = data
        .windows(magic.len())
        .position(|w| w == magic)
        .expect("blob");
    data[at..at + 32].fill(0);
    // PE section names are not NUL-terminated strings in a table: rename where found.
    let name = section.as_bytes();
    if let Some(at) = data.windows(name.len()).position(|w| w == name) {
        data[at + 1..at + name.len()].fill(b'x');
    }
    let out = dir.join(format!("{fixture}-no-buildinfo"));
    std::fs::write(&out, data).expect("write");
    out
}

#[test]
fn go_without_build_info_is_recognised_by_its_pclntab() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = go_without_build_info(dir.path());
    // The oracle no longer sees it; assay still does.
    let go = common::require_tool("go");
    let oracle = Command::new(go)
        .args(["version", "-m"])
        .arg(&path)
        .output()
        .expect("go version");
    assert!(!String::from_utf8_lossy(&oracle.stdout).contains("\tdep\t"));
    let original = run(
        "go",
        &[
            "version",
            "-m",
            common::samples()
                .join("go/hello-linux-amd64")
                .to_str()
                .unwrap(),
        ],
    );
    let go_version = original.split_whitespace().nth(1).unwrap();

    let doc = scan(&path);
    assert_eq!(slice_prop(&doc, "assay:go:detected-by"), Some("pclntab"));
    assert_eq!(slice_prop(&doc, "assay:go:version"), Some(go_version));
    let std = components(&doc)
        .into_iter()
        .find(|c| c["kind"] == "go-stdlib")
        .expect("stdlib");
    assert_eq!(std["version"], go_version.trim_start_matches("go"));
    // Every module recovered is one the original build info lists (its required version:
    // source paths name the module before replacement).
    let mut found = 0;
    for m in components(&doc)
        .into_iter()
        .filter(|c| c["kind"] == "go-module")
    {
        let line = format!(
            "\t{}\t{}",
            m["name"].as_str().unwrap(),
            m["version"].as_str().unwrap_or("")
        );
        assert!(original.contains(&line), "{line} not in\n{original}");
        assert!(prop(&m, "assay:method").unwrap().starts_with("pclntab"));
        found += 1;
    }
    assert!(found >= 2, "modules recovered: {found}");
    // Reported, not silent.
    assert!(doc["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("without build info"));

    // PE (no pclntab section: found by its magic), Mach-O and 32-bit ELF give the same.
    let modules = |d: &Value| -> BTreeSet<(String, String)> {
        components(d)
            .into_iter()
            .filter(|c| c["kind"] == "go-module" || c["kind"] == "go-stdlib")
            .map(|c| {
                (
                    c["name"].as_str().unwrap().into(),
                    c["version"].as_str().unwrap_or("").into(),
                )
            })
            .collect()
    };
    for (fixture, section, located) in [
        ("hello-windows-amd64.exe", ".go.buildinfo", "magic-scan"),
        ("hello-darwin-arm64", "__go_buildinfo", "section"),
        ("hello-linux-386", ".go.buildinfo", "section"),
    ] {
        let other = scan(&wipe_build_info(dir.path(), fixture, section));
        assert_eq!(modules(&other), modules(&doc), "{fixture}");
        assert_eq!(
            slice_prop(&other, "assay:go:pclntab-located-by"),
            Some(located),
            "{fixture}"
        );
    }
}

#[test]
fn go_wasm_module_carries_the_same_modules_as_the_native_build() {
    // `go version -m` cannot read wasm: the native build of the same source is the oracle.
    let native = scan(&common::samples().join("go/hello-linux-amd64"));
    let wasm = scan(&beyond("hello-wasip1.wasm"));
    assert_eq!(wasm["files"][0]["format"], "wasm");
    let ids = |d: &Value| -> BTreeSet<(String, String)> {
        components(d)
            .into_iter()
            .filter(|c| c["kind"] == "go-module" || c["kind"] == "go-stdlib")
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["version"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(ids(&wasm), ids(&native));
    assert_eq!(
        slice_prop(&wasm, "assay:wasm:import-modules"),
        Some("wasi_snapshot_preview1")
    );
    let go = &wasm["files"][0]["slices"][0]["go"];
    assert_eq!(go["located_by"], "wasm-modinfo-sentinels");
    let producers = of_kind(&wasm, "compiler");
    assert!(producers.iter().any(|c| c["name"] == "Go cmd/compile"));
}

#[test]
fn new_catalogers_render_valid_spdx_and_cyclonedx() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let (s, c) = common::validated_sboms("samples/beyond", out_dir.path());
    for needle in [
        "pkg:cargo/semver@",
        "pkg:cargo/rust-hello@",
        "pkg:generic/zlib@",
        "pkg:deb/debian/hello-c@",
        "assay:method=panic-location",
        "assay:method=cargo-auditable",
        "assay:packer=UPX",
        "wasm-producers-section",
    ] {
        assert!(s.contains(needle), "SPDX lacks {needle}");
        let cdx_needle = needle.rsplit('=').next().unwrap();
        assert!(c.contains(cdx_needle), "CycloneDX lacks {cdx_needle}");
    }
    // Compilers have no purl: rendered without one, still valid.
    let cdx_doc: Value = serde_json::from_str(&c).unwrap();
    let gcc = cdx_doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "gcc")
        .expect("gcc");
    assert!(gcc.get("purl").is_none());

    // Go without build info, on its own (the tree it is in is temporary).
    let dir = tempfile::tempdir().expect("tempdir");
    go_without_build_info(dir.path());
    let (s, c) = common::validated_sboms(dir.path().to_str().unwrap(), out_dir.path());
    assert!(s.contains("assay:method=pclntab-file-path"));
    assert!(c.contains("pclntab-file-path"));
}

/// `upx -d` into a temporary file: the oracle for in-memory unpacking.
fn upx_decompressed(packed: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join(format!(
        "{}.unpacked",
        packed.file_name().unwrap().to_string_lossy()
    ));
    run(
        "upx",
        &[
            "-q",
            "-d",
            "-o",
            out.to_str().unwrap(),
            packed.to_str().unwrap(),
        ],
    );
    std::fs::read(out).expect("upx -d output")
}

#[test]
fn upx_elf_and_macho_unpack_in_memory_to_exactly_what_upx_d_gives() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, format) in [
        ("go-hello-upx-nrv2b", "ELF"),
        ("go-hello-upx-nrv2e", "ELF"),
        ("go-hello-upx-lzma", "ELF"),
        ("c-zlib-static-upx-nrv2b", "ELF"),
        ("c-zlib-static-upx-nrv2d", "ELF"),
        ("c-zlib-static-upx-nrv2e", "ELF"),
        ("c-zlib-static-upx-lzma", "ELF"),
        ("go-hello-upx-nrv2e-darwin", "Mach-O"),
    ] {
        let packed = beyond(file);
        let data = std::fs::read(&packed).expect("fixture");
        let expected = upx_decompressed(&packed, dir.path());
        let info = assay::upx::detect(&data).expect("detected as UPX");
        assert_eq!(info.format, format);
        let got = if format == "ELF" {
            assay::upx::unpack_elf(&data)
        } else {
            assay::upx::unpack_macho(&data)
        }
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(got.len(), expected.len(), "{file}: size");
        let first_diff = got.iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "{file}: first differing byte");
    }
}

/// Components as (name, version), the file-scoped id suffixes aside.
fn component_set(doc: &Value) -> BTreeSet<(String, String, String)> {
    components(doc)
        .into_iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn packed_files_report_what_upx_d_output_reports_and_say_they_were_packed() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, method) in [
        ("go-hello-upx-nrv2b", "NRV2B_LE32"),
        ("go-hello-upx-nrv2e-darwin", "NRV2E_LE32"),
        ("go-hello-upx-nrv2e", "NRV2E_LE32"),
        ("go-hello-upx-lzma", "LZMA"),
        ("c-zlib-static-upx-nrv2b", "NRV2B_LE32"),
        ("c-zlib-static-upx-lzma", "LZMA"),
    ] {
        let packed = beyond(file);
        let plain = dir.path().join(format!("{file}.plain"));
        std::fs::write(&plain, upx_decompressed(&packed, dir.path())).unwrap();
        let from_packed = scan(&packed);
        let from_plain = scan(&plain);
        assert_eq!(
            component_set(&from_packed),
            component_set(&from_plain),
            "{file}"
        );
        assert!(!component_set(&from_packed).is_empty());
        assert_eq!(slice_prop(&from_packed, "assay:packer"), Some("UPX"));
        assert_eq!(slice_prop(&from_packed, "assay:upx:method"), Some(method));
        assert_eq!(slice_prop(&from_plain, "assay:packer"), None);
        // The file itself is still the packed one (its own hashes and format).
        assert_eq!(
            from_packed["files"][0]["format"],
            from_plain["files"][0]["format"]
        );
        assert_ne!(
            from_packed["files"][0]["sha256"],
            from_plain["files"][0]["sha256"]
        );
    }
    // PE: the section image is decompressed (not rebuilt into a PE); the Go build info in
    // it gives the same modules as the unpacked file (`upx -d`), with a warning saying so.
    let packed = beyond("go-hello-upx-lzma.exe");
    let plain = dir.path().join("go-hello.exe");
    std::fs::write(&plain, upx_decompressed(&packed, dir.path())).unwrap();
    let pe = scan(&packed);
    assert_eq!(slice_prop(&pe, "assay:packer"), Some("UPX"));
    assert_eq!(slice_prop(&pe, "assay:upx:method"), Some("LZMA"));
    // Imports are not compared: the packed PE's import table is the UPX stub's, and the
    // program's own is only in the rebuilt file, which assay does not make for PE.
    let without_imports = |doc: &Value| {
        let mut set = component_set(doc);
        set.retain(|c| c.0 != "native-library");
        set
    };
    assert_eq!(without_imports(&pe), without_imports(&scan(&plain)));
    assert!(component_set(&pe).iter().all(|c| c.0 != "native-library"));
    assert!(pe["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not rebuilt"));
}

#[test]
fn bomb_sized_and_malformed_packed_files_are_refused_with_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = std::fs::read(beyond("c-zlib-static-upx-nrv2e")).unwrap();
    let magic = data.windows(4).position(|w| w == b"UPX!").unwrap();

    let mut bomb = data.clone();
    bomb[magic + 12..magic + 16].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let bomb_path = dir.path().join("bomb");
    std::fs::write(&bomb_path, &bomb).unwrap();
    let err = assay::upx::unpack_elf(&bomb).unwrap_err();
    assert!(err.contains("refused"), "{err}");

    let mut broken = data.clone();
    let first_block = magic + 20 + 12;
    for b in &mut broken[first_block + 200..first_block + 400] {
        *b = 0xff;
    }
    let broken_path = dir.path().join("broken");
    std::fs::write(&broken_path, &broken).unwrap();
    let truncated_path = dir.path().join("truncated");
    std::fs::write(&truncated_path, &data[..data.len() / 2]).unwrap();

    for path in [&bomb_path, &broken_path, &truncated_path] {
        let doc = common::scan_json(&[path.to_str().unwrap()], 1);
        let msg = doc["problems"][0]["message"].as_str().unwrap();
        assert!(
            msg.starts_with("UPX-packed ELF cannot be unpacked"),
            "{msg}"
        );
        assert_eq!(slice_prop(&doc, "assay:packer"), Some("UPX"));
    }
}

/// A wasm custom section's payload, read here independently of assay.
fn wasm_custom_section(data: &[u8], wanted: &str) -> Option<Vec<u8>> {
    fn leb(d: &[u8], at: &mut usize) -> usize {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let b = d[*at];
            *at += 1;
            v |= ((b & 0x7f) as usize) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    assert_eq!(&data[..4], b"\0asm");
    let mut at = 8;
    while at < data.len() {
        let id = data[at];
        at += 1;
        let len = leb(data, &mut at);
        let end = at + len;
        if id == 0 {
            let mut p = at;
            let n = leb(data, &mut p);
            if &data[p..p + n] == wanted.as_bytes() {
                return Some(data[p + n..end].to_vec());
            }
        }
        at = end;
    }
    None
}

#[test]
fn rust_wasm_auditable_section_matches_independent_decoding() {
    let path = beyond("rust-wasm-auditable.wasm");
    let data = std::fs::read(&path).expect("fixture");
    let section = wasm_custom_section(&data, ".dep-v0").expect(".dep-v0 custom section");
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(&section[..])
        .read_to_string(&mut json)
        .expect("zlib");
    let audit: Value = serde_json::from_str(&json).expect("audit JSON");
    let doc = scan(&path);
    assert_eq!(doc["files"][0]["format"], "wasm");
    assert_eq!(crates_found(&doc), audited_crates(&audit));
    let root = of_kind(&doc, "rust-root-crate");
    assert_eq!(root[0]["name"], "rust-wasm-hello");
    assert_eq!(prop(&root[0], "assay:method"), Some("cargo-auditable-wasm"));
    // rustc's producers section names the compiler.
    let rustc = of_kind(&doc, "compiler");
    assert!(rustc.iter().any(|c| c["name"] == "rustc"), "{rustc:?}");
    assert_eq!(
        slice_prop(&doc, "assay:wasm:language").map(|l| l.starts_with("Rust")),
        Some(true)
    );
}

#[test]
fn damaged_copies_of_every_new_fixture_never_panic() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(common::samples().join("beyond"))
        .expect("fixtures")
        .map(|e| e.unwrap().path())
        .filter(|p| !(p.extension().is_some_and(|e| e == "md") || p.ends_with("SHA256SUMS")))
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let len = data.len();
        for cut in [64, 1024, len / 3, len / 2, len - 1] {
            let _ = assay::catalog::analyze::analyze(&name, &data[..cut.min(len)]);
        }
        // Deterministic damage spread over the file: every byte of a window set to 0xff.
        for k in 1..8 {
            let mut damaged = data.clone();
            let at = len / 8 * k;
            for b in &mut damaged[at..(at + 64).min(len)] {
                *b = 0xff;
            }
            let _ = assay::catalog::analyze::analyze(&name, &damaged);
        }
    }
}
