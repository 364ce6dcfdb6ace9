//! Package ownership and image identity against real Debian content: a bookworm root built
//! from Debian's archive by `tests/tools/debian-root.sh` (minbase + curl, openssl,
//! ca-certificates), scanned as `dir:` and as an OCI image made from it with umoci (a second
//! layer deletes an owned binary and adds an unowned one). The truth is dpkg's own database
//! (`dpkg-query --admindir`) and the kernel's path resolution inside the root (`dpkg -S`
//! style: each listed path's directory canonicalised on disk). The image and the root are
//! cached under target/test-cache.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::image::{
    copy_root, push, skopeo_archives, start_registry, umoci_config, umoci_init, umoci_new_unpacked,
    umoci_repack,
};
use common::{run, run_raw};
use serde_json::Value;

struct Fixture {
    root: PathBuf,
    /// OCI layout directory `app` with tag `v1`.
    layout: PathBuf,
    oci_archive: PathBuf,
    docker_archive: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

/// The file the second layer deletes (dpkg: package `openssl`) and the one it adds (unowned).
const DELETED: &str = "usr/bin/openssl";
const ADDED: &str = "usr/local/bin/fetch";

fn build_fixture() -> Fixture {
    for tool in ["umoci", "skopeo", "mmdebstrap", "dpkg-query"] {
        common::require_tool(tool);
    }
    let root = run(Command::new("bash")
        .arg(common::repo().join("tests/tools/debian-root.sh"))
        .args(["curlssl", "curl", "openssl", "ca-certificates"]));
    let root = PathBuf::from(root.trim());
    let key = root.file_name().unwrap().to_string_lossy().into_owned();
    let dir = root
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("images")
        .join(key);
    let fixture = Fixture {
        root: root.clone(),
        layout: dir.join("app"),
        oci_archive: dir.join("app.tar"),
        docker_archive: dir.join("app-docker.tar"),
    };
    if dir.join(".complete").exists() {
        return fixture;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let l = format!("{}:v1", fixture.layout.display());
    let bundle = dir.join("bundle");
    umoci_init(&fixture.layout);
    umoci_new_unpacked(&l, &bundle, true);
    let rootfs = bundle.join("rootfs");
    copy_root(&root, &rootfs);
    let _ = std::fs::remove_file(rootfs.join(".complete"));
    umoci_repack(&l, &bundle, true);
    std::fs::remove_file(rootfs.join(DELETED)).unwrap();
    std::fs::create_dir_all(rootfs.join(ADDED).parent().unwrap()).unwrap();
    std::fs::copy(root.join("usr/bin/curl"), rootfs.join(ADDED)).unwrap();
    umoci_repack(&l, &bundle, false);
    umoci_config(&l, "amd64", &[]);
    let _ = std::fs::remove_dir_all(&bundle);
    skopeo_archives(&l, &fixture.oci_archive, &fixture.docker_archive);
    std::fs::write(dir.join(".complete"), "").unwrap();
    fixture
}

fn scan(args: &[&str]) -> Value {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    let out = common::assay(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "assay {all:?}; stderr:\n{}",
        common::stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("assay JSON")
}

fn array<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc[key].as_array().map_or(&[], Vec::as_slice)
}

/// dpkg's truth: installed package → its `Depends`/`Pre-Depends` groups (names only).
fn dpkg_packages(root: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let out = run_raw(
        Command::new("dpkg-query")
            .arg("--admindir")
            .arg(root.join("var/lib/dpkg"))
            .args(["-W", "-f", "${Package}\t${Pre-Depends}, ${Depends}\n"]),
    );
    out.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, deps)| {
            let groups = deps
                .split(',')
                .map(|g| {
                    g.split('|')
                        .filter_map(|alt| alt.split_whitespace().next())
                        .map(|n| n.split(':').next().unwrap_or(n).to_string())
                        .collect::<Vec<_>>()
                })
                .filter(|g| !g.is_empty())
                .collect();
            (name.to_string(), groups)
        })
        .collect()
}

/// `dpkg -S`-style truth: every path a package lists, its directory resolved by the kernel
/// inside the root, relative to the root.
fn dpkg_owned_paths(root: &Path) -> BTreeSet<String> {
    let canonical_root = root.canonicalize().unwrap();
    let mut owned = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("var/lib/dpkg/info")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("list") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let listed = Path::new(line.trim_start_matches('/'));
            let (Some(parent), Some(name)) = (listed.parent(), listed.file_name()) else {
                continue;
            };
            let Ok(dir) = root.join(parent).canonicalize() else {
                continue;
            };
            if let Ok(rel) = dir.join(name).strip_prefix(&canonical_root) {
                owned.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    owned
}

/// Regular ELF files of the root, relative paths.
fn elf_files(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let ty = entry.file_type().unwrap();
            let path = entry.path();
            if ty.is_dir() {
                stack.push(path);
            } else if ty.is_file() {
                let mut magic = [0u8; 4];
                let ok = std::fs::File::open(&path)
                    .and_then(|mut f| f.read_exact(&mut magic))
                    .is_ok();
                if ok && &magic == b"\x7fELF" {
                    let rel = path.strip_prefix(root).unwrap();
                    out.insert(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
    out
}

fn deb_packages(doc: &Value) -> BTreeMap<String, String> {
    array(doc, "components")
        .iter()
        .filter(|c| c["kind"] == "deb-package")
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// ELF path (no `./`) → owning package name, from the document's CONTAINS edges.
fn owners(doc: &Value) -> BTreeMap<String, String> {
    let packages = deb_packages(doc);
    array(doc, "relationships")
        .iter()
        .filter(|r| r["kind"] == "contains")
        .filter_map(|r| {
            let name = packages.get(r["from"].as_str()?)?;
            let file = r["to"].as_str()?.strip_prefix("file:./")?;
            Some((file.to_string(), name.clone()))
        })
        .collect()
}

fn file_paths(doc: &Value) -> BTreeSet<String> {
    array(doc, "files")
        .iter()
        .filter_map(|f| f["name"].as_str()?.strip_prefix("./").map(str::to_string))
        .collect()
}

/// Packages, ownership, evidence, the OS and dependencies of one scan of the root.
fn check_against_dpkg(doc: &Value, root: &Path, expect_files: &BTreeSet<String>) {
    let dpkg = dpkg_packages(root);
    let packages = deb_packages(doc);
    let names: BTreeSet<&String> = packages.values().collect();
    assert_eq!(
        names,
        dpkg.keys().collect::<BTreeSet<_>>(),
        "package names against dpkg-query"
    );
    assert_eq!(packages.len(), dpkg.len(), "package count equals dpkg's");
    // Evidence inside owned files is no second component.
    let extra: Vec<&Value> = array(doc, "components")
        .iter()
        .filter(|c| c["kind"] == "os-package" || c["kind"] == "static-library")
        .collect();
    assert!(extra.is_empty(), "phantom components: {extra:?}");
    let props = |name: &str| -> Vec<String> {
        array(doc, "components")
            .iter()
            .filter(|c| c["kind"] == "deb-package" && c["name"] == name)
            .flat_map(|c| array(c, "properties").iter())
            .map(common::name_value)
            .collect()
    };
    assert!(
        props("libsystemd0")
            .iter()
            .any(|p| p.starts_with("assay:evidence:elf-note-package=pkg:deb/debian/systemd@")),
        "{:?}",
        props("libsystemd0")
    );
    assert!(
        props("libcurl4")
            .iter()
            .any(|p| p.starts_with("assay:evidence:embedded-version-string=pkg:generic/curl@")),
        "{:?}",
        props("libcurl4")
    );
    assert!(props("libcurl4").contains(&"assay:package:source=curl".to_string()));

    // Ownership: every ELF file the scan lists is tied to a package exactly when dpkg's
    // file lists (through the root's symlinks) name it.
    let truth = dpkg_owned_paths(root);
    let owners = owners(doc);
    let files = file_paths(doc);
    assert_eq!(&files, expect_files, "ELF files listed");
    let owned_truth: BTreeSet<&String> = files.iter().filter(|f| truth.contains(*f)).collect();
    let owned_assay: BTreeSet<&String> = files.iter().filter(|f| owners.contains_key(*f)).collect();
    assert_eq!(
        owned_assay, owned_truth,
        "owned ELF files against dpkg's lists"
    );
    assert!(
        owned_truth.len() * 100 >= files.len() * 99,
        "almost every ELF file of a Debian root is owned: {} of {}",
        owned_truth.len(),
        files.len()
    );
    assert_eq!(owners.get("usr/bin/curl").map(String::as_str), Some("curl"));
    assert_eq!(
        owners
            .get("usr/lib/x86_64-linux-gnu/libc.so.6")
            .map(String::as_str),
        Some("libc6"),
        "dpkg lists /lib/x86_64-linux-gnu/libc.so.6; the file is behind the lib -> usr/lib link"
    );
    eprintln!(
        "packages: {} (dpkg {}); ELF files owned: {} of {} (truth {})",
        packages.len(),
        dpkg.len(),
        owned_assay.len(),
        files.len(),
        owned_truth.len()
    );

    // The operating system, from os-release.
    let os_release = std::fs::read_to_string(root.join("usr/lib/os-release")).unwrap();
    let field = |k: &str| {
        os_release
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(|v| v.trim_matches('"').to_string())
    };
    let os: Vec<&Value> = array(doc, "components")
        .iter()
        .filter(|c| c["kind"] == "operating-system")
        .collect();
    assert_eq!(os.len(), 1, "{os:?}");
    assert_eq!(os[0]["name"].as_str().map(str::to_string), field("ID"));
    assert_eq!(
        os[0]["version"].as_str().map(str::to_string),
        field("VERSION_ID")
    );

    // Dependencies: every dependency group of which dpkg has an alternative installed is
    // one DEPENDS_ON edge to an installed package of the group (or one providing it).
    let by_id = &packages;
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in array(doc, "relationships") {
        if r["kind"] != "depends-on" {
            continue;
        }
        let (Some(from), Some(to)) = (
            by_id.get(r["from"].as_str().unwrap()),
            by_id.get(r["to"].as_str().unwrap()),
        ) else {
            continue;
        };
        edges.entry(from).or_default().insert(to);
    }
    let mut checked = 0;
    for (name, groups) in &dpkg {
        for group in groups {
            let installed: Vec<&String> = group.iter().filter(|n| dpkg.contains_key(*n)).collect();
            if installed.is_empty() || installed.iter().all(|n| *n == name) {
                continue;
            }
            let got = edges.get(name.as_str()).cloned().unwrap_or_default();
            assert!(
                installed.iter().any(|n| got.contains(n.as_str())),
                "{name} depends on one of {group:?}; edges {got:?}"
            );
            checked += 1;
        }
    }
    let total: usize = edges.values().map(BTreeSet::len).sum();
    eprintln!("dependency groups checked: {checked}; package DEPENDS_ON edges: {total}");
    assert!(checked > 150, "{checked}");
    assert!(edges["curl"].contains("libcurl4"));
}

#[test]
fn root_filesystem_packages_match_dpkg() {
    let f = fixture();
    let doc = scan(&[&format!("dir:{}", f.root.display())]);
    check_against_dpkg(&doc, &f.root, &elf_files(&f.root));
}

#[test]
fn image_packages_match_dpkg_and_deleted_files_keep_their_owner() {
    let f = fixture();
    let doc = scan(&[&format!("oci-dir:{}:v1", f.layout.display())]);
    let mut expect = elf_files(&f.root);
    expect.remove(DELETED);
    expect.insert(ADDED.to_string());
    check_against_dpkg(&doc, &f.root, &expect);
    assert!(
        !owners(&doc).contains_key(ADDED),
        "an added file has no owner"
    );

    let all = scan(&[
        &format!("oci-dir:{}:v1", f.layout.display()),
        "--scope",
        "all-layers",
    ]);
    assert!(file_paths(&all).contains(DELETED));
    assert_eq!(
        owners(&all).get(DELETED).map(String::as_str),
        Some("openssl"),
        "a deleted file keeps its owner"
    );
    let origin = &all["subject"]["image"]["files"][format!("file:./{DELETED}")];
    assert!(origin["deleted_by"].is_string(), "{origin}");
}

fn image_purl(target: &str) -> String {
    let out = common::assay(&["scan", "-o", "cyclonedx-json", target]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let bom: Value = serde_json::from_slice(&out.stdout).expect("CycloneDX JSON");
    bom["metadata"]["component"]["purl"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn without_repository_url(purl: &str) -> String {
    let (base, query) = purl.split_once('?').unwrap_or((purl, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|q| !q.is_empty() && !q.starts_with("repository_url="))
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[test]
fn every_input_of_one_image_has_one_identity() {
    let f = fixture();
    let layout = format!("oci-dir:{}:v1", f.layout.display());
    let archive = format!("oci-archive:{}", f.oci_archive.display());
    let docker = format!("docker-archive:{}", f.docker_archive.display());
    let layout_purl = image_purl(&layout);
    let digest = run(Command::new("skopeo").args([
        "inspect",
        "--format",
        "{{.Digest}}",
        &format!("oci:{}:v1", f.layout.display()),
    ]));
    assert_eq!(
        layout_purl,
        format!(
            "pkg:oci/app@{}?arch=amd64&os=linux",
            digest.trim().replace(':', "%3A")
        )
    );
    assert_eq!(image_purl(&archive), layout_purl);
    // docker-archive: no manifest in the archive, so no version; the name comes from
    // RepoTags (skopeo records `docker.io/test/app:v1`, hence a repository_url).
    assert_eq!(
        without_repository_url(&image_purl(&docker)),
        "pkg:oci/app?arch=amd64&os=linux"
    );

    let dir = f.layout.parent().unwrap().join("registry");
    let _ = std::fs::remove_dir_all(&dir);
    let registry = start_registry(&dir, None);
    let host = format!("127.0.0.1:{}", registry.port);
    push(
        &format!("oci:{}:v1", f.layout.display()),
        &format!("docker://{host}/test/app:v1"),
        &[],
    );
    let reg = format!("registry:{host}/test/app:v1");
    let out = common::assay(&["scan", "-o", "cyclonedx-json", "--insecure-registry", &reg]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reg_purl = bom["metadata"]["component"]["purl"].as_str().unwrap();
    assert!(
        reg_purl.contains(&format!(
            "repository_url={}",
            format!("{host}/test/app")
                .replace(':', "%3A")
                .replace('/', "%2F")
        )),
        "{reg_purl}"
    );
    assert_eq!(without_repository_url(reg_purl), layout_purl);
    // The config digest (image id) is what every input shares, docker-archive included.
    let config = |t: &str| {
        let doc = scan(&[t]);
        doc["subject"]["image"]["platforms"][0]["config_digest"].clone()
    };
    assert_eq!(config(&docker), config(&layout));

    // A plain-HTTP registry without --insecure-registry: at once, a hint naming the flag.
    let started = Instant::now();
    let out = common::assay(&["scan", &reg, "-o", "json"]);
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--insecure-registry"), "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn operating_system_and_dependencies_in_every_format() {
    let f = fixture();
    let dir = f.layout.parent().unwrap().join("formats");
    std::fs::create_dir_all(&dir).unwrap();
    let spdx = dir.join("doc.spdx.json");
    let cdx = dir.join("doc.cdx.json");
    let spdx3 = dir.join("doc.spdx3.json");
    let out = common::assay(&[
        "scan",
        &format!("oci-dir:{}:v1", f.layout.display()),
        "-o",
        &format!("spdx-json={}", spdx.display()),
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
        "-o",
        &format!("spdx3-json={}", spdx3.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let read = |p: &Path| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };

    let doc = read(&spdx);
    let ids: BTreeMap<&str, &Value> = array(&doc, "packages")
        .iter()
        .map(|p| (p["SPDXID"].as_str().unwrap(), p))
        .collect();
    assert!(array(&doc, "packages")
        .iter()
        .any(|p| p["primaryPackagePurpose"] == "OPERATING_SYSTEM" && p["name"] == "debian"));
    let name_of = |id: &str| ids.get(id).and_then(|p| p["name"].as_str()).unwrap_or("");
    assert!(array(&doc, "relationships").iter().any(|r| {
        r["relationshipType"] == "DEPENDS_ON"
            && name_of(r["spdxElementId"].as_str().unwrap()) == "curl"
            && name_of(r["relatedSpdxElement"].as_str().unwrap()) == "libcurl4"
    }));

    let bom = read(&cdx);
    let refs: BTreeMap<&str, &str> = array(&bom, "components")
        .iter()
        .map(|c| (c["bom-ref"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert!(array(&bom, "components")
        .iter()
        .any(|c| c["type"] == "operating-system" && c["version"] == "12"));
    let curl = array(&bom, "dependencies")
        .iter()
        .find(|d| refs.get(d["ref"].as_str().unwrap()) == Some(&"curl"))
        .expect("curl in dependencies");
    assert!(array(curl, "dependsOn")
        .iter()
        .any(|d| refs.get(d.as_str().unwrap()) == Some(&"libcurl4")));

    let text = std::fs::read_to_string(&spdx3).unwrap();
    assert!(text.contains("\"dependsOn\""), "SPDX 3 dependsOn");
    assert!(text.contains("operatingSystem"), "SPDX 3 purpose");

    common::validate("spdx-json", &[&spdx]);
    common::validate("cyclonedx-json", &[&cdx]);
    common::validate("spdx3-json", &[&spdx3]);
}

#[test]
fn damaged_package_data_is_a_problem_for_that_item() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("damaged-dpkg");
    let _ = std::fs::remove_dir_all(&dir);
    let info = dir.join("var/lib/dpkg/info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::create_dir_all(dir.join("usr/bin")).unwrap();
    std::fs::copy(
        common::samples().join("go/hello-linux-amd64"),
        dir.join("usr/bin/hello"),
    )
    .unwrap();
    std::fs::write(
        dir.join("var/lib/dpkg/status"),
        "Package: hello\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n\u{1}\u{2}garbage: \nVersion 3\n\n",
    )
    .unwrap();
    std::fs::write(
        info.join("hello.list"),
        "/.\n/usr/bin/hello\n/../../etc/shadow\n",
    )
    .unwrap();
    let doc = scan(&[&format!("dir:{}", dir.display())]);
    let problems: Vec<String> = array(&doc, "problems")
        .iter()
        .map(|p| p["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        problems.iter().any(|m| m.contains("damaged dpkg database")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|m| m.contains("package hello") && m.contains("outside the root")),
        "{problems:?}"
    );
    assert_eq!(
        owners(&doc).get("usr/bin/hello").map(String::as_str),
        Some("hello"),
        "the rest of the package is still read"
    );
}
