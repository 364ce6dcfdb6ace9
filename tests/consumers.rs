//! SBOM consumers beyond the schema validators, on the three inputs CI jobs give assay: one
//! binary by absolute path, a directory, and an image (a real Debian root, `dir:`).
//!
//! Oracles: ntia-conformance-checker (`sbomcheck`, PyPI) for the NTIA minimum elements and
//! the CISA 2024 FSCT minimum expectation, SPDX Java tools' `Verify` (Maven Central), and the
//! official validators. Both checkers are installed by tests/tools/install.sh.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("consumers")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// Scans with the given arguments into SPDX JSON, tag-value, SPDX 3 and CycloneDX JSON/XML
/// files in `dir`; every file passes the official validators.
fn scan_all(dir: &Path, args: &[&str]) -> Sboms {
    let s = Sboms {
        spdx: dir.join("sbom.spdx.json"),
        tag_value: dir.join("sbom.spdx"),
        spdx3: dir.join("sbom.spdx3.json"),
        cdx: dir.join("sbom.cdx.json"),
        cdx_xml: dir.join("sbom.cdx.xml"),
    };
    let outputs = [
        format!("spdx-json={}", s.spdx.display()),
        format!("spdx-tag-value={}", s.tag_value.display()),
        format!("spdx3-json={}", s.spdx3.display()),
        format!("cyclonedx-json={}", s.cdx.display()),
        format!("cyclonedx-xml={}", s.cdx_xml.display()),
    ];
    let mut all: Vec<&str> = vec!["scan", "-q"];
    all.extend(args);
    for o in &outputs {
        all.extend(["-o", o.as_str()]);
    }
    let out = common::assay(&all);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    common::validate("spdx-json", &[&s.spdx]);
    common::validate("spdx-tag-value", &[&s.tag_value]);
    common::validate("spdx3-json", &[&s.spdx3]);
    common::validate("cyclonedx-json", &[&s.cdx]);
    common::validate("cyclonedx-xml", &[&s.cdx_xml]);
    s
}

struct Sboms {
    spdx: PathBuf,
    tag_value: PathBuf,
    spdx3: PathBuf,
    cdx: PathBuf,
    cdx_xml: PathBuf,
}

impl Sboms {
    fn json(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
    }
}

/// `sbomcheck -c PROFILE -s SPEC -r json FILE`, as JSON.
fn sbomcheck(profile: &str, spec: &str, file: &Path) -> Value {
    let out = Command::new(common::venv().join("bin/sbomcheck"))
        .args(["-c", profile, "-s", spec, "-r", "json", "-q"])
        .arg(file)
        .output()
        .expect("run sbomcheck (installed by tests/tools/install.sh)");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "sbomcheck output is not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The NTIA checker's verdict on every SPDX rendering: conformant, with no validation
/// message and no component it could not evaluate.
fn assert_ntia_conformant(s: &Sboms) {
    for (spec, file) in [
        ("spdx2", &s.spdx),
        ("spdx2", &s.tag_value),
        ("spdx3", &s.spdx3),
    ] {
        let r = sbomcheck("ntia", spec, file);
        assert_eq!(
            r["isNtiaConformant"],
            true,
            "{}: {}",
            file.display(),
            serde_json::to_string_pretty(&r).unwrap()
        );
        assert_eq!(r["validationMessages"], Value::Array(vec![]), "{r}");
        assert_eq!(
            r["graphValidation"]["floatingComponents"]["floatingComponentCount"], 0,
            "every package is reachable from the root: {r}"
        );
    }
}

/// CISA FSCT3 minimum on the SPDX 3 rendering (SPDX 2 has no SBOM type, so the profile
/// cannot pass there): everything but concluded licenses and copyright texts, which no
/// binary records for every component (assay leaves them NOASSERTION rather than invent).
fn assert_fsct3_all_but_license_and_copyright(s: &Sboms) {
    let r = sbomcheck("fsct3-min", "spdx3", &s.spdx3);
    for element in [
        "componentNames",
        "componentVersions",
        "componentIdentifiers",
        "componentSuppliers",
    ] {
        assert_eq!(r[element]["allProvided"], true, "{element}: {r}");
    }
    for key in [
        "authorNameProvided",
        "timestampProvided",
        "dependencyRelationshipsProvided",
    ] {
        assert_eq!(r[key], true, "{key}: {r}");
    }
}

/// SPDX Java tools' Verify on the JSON and tag-value renderings.
fn assert_java_verify(s: &Sboms) {
    let jar = common::venv().join("tools/tools-java.jar");
    assert!(
        jar.exists(),
        "{} missing: run tests/tools/install.sh",
        jar.display()
    );
    // The jar carries its own copy of the SPDX license list (3.26 in tools-java 2.0.1) and, with
    // no network, knows no id added since: a document using a newer listed id (Debian's
    // `Artistic-dist` for perl, list 3.27) is valid, yet this consumer cannot parse it. Such ids
    // must be real SPDX ids (the `spdx` crate's newer list); the consumer then verifies a copy
    // where they are spelled as LicenseRefs, so everything else is still checked by it.
    let known = jar_license_ids(&jar);
    let newer: Vec<String> = listed_ids(&std::fs::read_to_string(&s.spdx).unwrap())
        .into_iter()
        .filter(|id| !known.contains(&id.to_ascii_lowercase()))
        .collect();
    for id in &newer {
        assert!(
            spdx::license_id(id).is_some() || spdx::exception_id(id).is_some(),
            "{id} is neither in the consumer's license list nor a valid SPDX id"
        );
    }
    for file in [&s.spdx, &s.tag_value] {
        let file = &respell_newer_ids(file, &newer);
        let out = Command::new("java")
            // The bundled license list: no network lookups.
            .arg("-DSPDXParser.OnlyUseLocalLicenses=true")
            .arg("-jar")
            .arg(&jar)
            .arg("Verify")
            .arg(file)
            .output()
            .expect("run java");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("This SPDX Document is valid."),
            "Verify {}:\n{stdout}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// License and exception ids of the license list bundled in the tools-java jar, lower case.
fn jar_license_ids(jar: &Path) -> std::collections::BTreeSet<String> {
    let mut ids = std::collections::BTreeSet::new();
    for (entry, key, field) in [
        (
            "resources/stdlicenses/licenses.json",
            "licenses",
            "licenseId",
        ),
        (
            "resources/stdlicenses/exceptions.json",
            "exceptions",
            "licenseExceptionId",
        ),
    ] {
        let out = Command::new("unzip")
            .arg("-p")
            .arg(jar)
            .arg(entry)
            .output()
            .expect("unzip");
        let list: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        for l in list[key].as_array().into_iter().flatten() {
            if let Some(id) = l[field].as_str() {
                ids.insert(id.to_ascii_lowercase());
            }
        }
    }
    assert!(
        ids.len() > 500,
        "no license list read from {}",
        jar.display()
    );
    ids
}

/// Listed ids (not LicenseRefs) used in the license fields of an SPDX JSON document.
fn listed_ids(text: &str) -> std::collections::BTreeSet<String> {
    let doc: Value = serde_json::from_str(text).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for p in packages(&doc) {
        for field in ["licenseDeclared", "licenseConcluded"] {
            for word in p[field].as_str().unwrap_or("").split([' ', '(', ')']) {
                if !word.is_empty()
                    && !word.starts_with("LicenseRef-")
                    && !matches!(word, "AND" | "OR" | "WITH" | "NOASSERTION" | "NONE")
                {
                    ids.insert(word.trim_end_matches('+').to_string());
                }
            }
        }
    }
    ids
}

/// A copy of the document with each id of `newer` spelled `LicenseRef-newer-list-<id>`, with
/// its extracted text; the document itself when there is none.
fn respell_newer_ids(file: &Path, newer: &[String]) -> PathBuf {
    if newer.is_empty() {
        return file.to_path_buf();
    }
    let mut text = std::fs::read_to_string(file).unwrap();
    for id in newer {
        text = text
            .replace(&format!(" {id})"), &format!(" LicenseRef-newer-list-{id})"))
            .replace(&format!(" {id} "), &format!(" LicenseRef-newer-list-{id} "))
            .replace(&format!("({id} "), &format!("(LicenseRef-newer-list-{id} "))
            .replace(
                &format!("\"{id}\""),
                &format!("\"LicenseRef-newer-list-{id}\""),
            )
            .replace(
                &format!(" {id}\""),
                &format!(" LicenseRef-newer-list-{id}\""),
            )
            .replace(
                &format!("\"{id} "),
                &format!("\"LicenseRef-newer-list-{id} "),
            )
            .replace(
                &format!(" {id}\n"),
                &format!(" LicenseRef-newer-list-{id}\n"),
            );
    }
    let name = file.file_name().unwrap().to_string_lossy();
    let out = file.with_file_name(format!("older-list-{name}"));
    if file.extension().is_some_and(|e| e == "json") {
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let infos = doc["hasExtractedLicensingInfos"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut infos = infos;
        for id in newer {
            infos.push(serde_json::json!({
                "licenseId": format!("LicenseRef-newer-list-{id}"),
                "extractedText": format!("The SPDX license {id}."),
                "name": id,
            }));
        }
        doc["hasExtractedLicensingInfos"] = Value::Array(infos);
        std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    } else {
        for id in newer {
            text.push_str(&format!(
                "\nLicenseID: LicenseRef-newer-list-{id}\nExtractedText: <text>The SPDX license {id}.</text>\nLicenseName: {id}\n"
            ));
        }
        std::fs::write(&out, text).unwrap();
    }
    out
}

fn packages(spdx: &Value) -> &[Value] {
    spdx["packages"].as_array().expect("packages")
}

fn package<'a>(spdx: &'a Value, name: &str) -> &'a Value {
    packages(spdx)
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}

fn annotations(v: &Value) -> Vec<&str> {
    v["annotations"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["comment"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn a_binary_by_absolute_path_meets_ntia_and_every_consumer_reads_it() {
    let sample = common::samples().join("go/hello-linux-amd64");
    let abs = std::fs::canonicalize(&sample).expect("sample");
    let abs = abs.to_str().expect("utf-8 path");
    let dir = out_dir("single");
    let s = scan_all(
        &dir,
        &[
            abs,
            "--supplier",
            "Example Corp",
            "--author",
            "Jane Doe <jane@example.com>",
        ],
    );

    let spdx = Sboms::json(&s.spdx);
    // The file name is relative (its base name); the path as given stays in an annotation.
    let file = &spdx["files"][0];
    assert_eq!(file["fileName"], "./hello-linux-amd64");
    assert!(annotations(file).contains(&format!("assay:path={abs}").as_str()));
    // Tag-value readers expect SPDXVersion on the first line.
    let tv = std::fs::read_to_string(&s.tag_value).unwrap();
    assert!(tv.starts_with("SPDXVersion: SPDX-2.3\n"), "{}", &tv[..80]);

    let creators = spdx["creationInfo"]["creators"].as_array().unwrap();
    assert!(creators.contains(&Value::from("Person: Jane Doe (jane@example.com)")));
    // Root: the (devel) version Go records, the supplier the user gave.
    let root = &packages(&spdx)[0];
    assert_eq!(root["versionInfo"], "(devel)");
    assert_eq!(root["supplier"], "Organization: Example Corp");
    // Derived suppliers and source locations, with their methods.
    let uuid = package(&spdx, "github.com/google/uuid");
    assert_eq!(uuid["supplier"], "Organization: google");
    assert_eq!(
        uuid["downloadLocation"],
        "git+https://github.com/google/uuid"
    );
    assert!(annotations(uuid).contains(&"assay:supplier-method=go-module-path-owner"));
    assert!(uuid["externalRefs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["referenceType"] != "cpe23Type"));
    let local = package(&spdx, "example.com/localdep");
    assert_eq!(local["versionInfo"], "v0.0.0");
    assert!(annotations(local)
        .iter()
        .any(|a| a.starts_with("assay:pedigree: replaces example.com/localdep v0.0.0")));
    // The root reaches every package directly.
    let root_id = root["SPDXID"].as_str().unwrap();
    for p in &packages(&spdx)[1..] {
        assert!(
            spdx["relationships"].as_array().unwrap().iter().any(|r| {
                r["spdxElementId"] == root_id && r["relatedSpdxElement"] == p["SPDXID"]
            }),
            "root has no edge to {}",
            p["name"]
        );
    }

    let cdx = Sboms::json(&s.cdx);
    let meta = &cdx["metadata"];
    assert_eq!(meta["lifecycles"][0]["phase"], "post-build");
    assert_eq!(meta["authors"][0]["email"], "jane@example.com");
    assert_eq!(meta["supplier"]["name"], "Example Corp");
    assert_eq!(meta["licenses"][0]["license"]["id"], "CC0-1.0");
    let compositions = cdx["compositions"].as_array().unwrap();
    assert!(compositions.iter().any(|c| c["aggregate"] == "complete"
        && c["dependencies"][0]
            .as_str()
            .is_some_and(|r| r.starts_with("pkg:golang/example.com/assay-sample/hello"))));
    let uuid = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "github.com/google/uuid")
        .unwrap();
    assert_eq!(uuid["supplier"]["name"], "google");
    assert_eq!(uuid["externalReferences"][0]["type"], "vcs");
    assert!(uuid.get("cpe").is_none(), "no CPE guessed for a Go module");

    assert_ntia_conformant(&s);
    assert_fsct3_all_but_license_and_copyright(&s);
    assert_java_verify(&s);

    // Without --supplier nothing names who supplies the example.com main module (nor its
    // directory replacement): the checker says so, assay does not invent one.
    let dir = out_dir("single-no-supplier");
    let s = scan_all(&dir, &[abs]);
    let r = sbomcheck("ntia", "spdx2", &s.spdx);
    assert_eq!(r["isNtiaConformant"], false);
    let mut missing: Vec<&str> = r["componentSuppliers"]["nonconformantComponents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        vec![
            abs,
            "example.com/assay-sample/hello",
            "example.com/localdep"
        ]
    );
}

#[test]
fn a_directory_meets_ntia() {
    let dir = out_dir("directory");
    let bins = dir.join("dist");
    std::fs::create_dir_all(&bins).unwrap();
    // Static Linux builds: they load no library. (A Mach-O or PE build loads the system's
    // libSystem / kernel32.dll, whose version and supplier nothing in the scan records, so
    // the checker rightly fails those two elements there.)
    for name in [
        "hello-linux-amd64",
        "hello-linux-arm64",
        "hello-linux-386",
        "hello-linux-amd64-vcs",
    ] {
        std::fs::copy(common::samples().join("go").join(name), bins.join(name)).expect("copy");
    }
    let s = scan_all(
        &dir,
        &[
            bins.to_str().unwrap(),
            "--supplier",
            "Example Corp",
            "--source-name",
            "dist",
            "--source-version",
            "1.0.0",
        ],
    );
    let spdx = Sboms::json(&s.spdx);
    let root = &packages(&spdx)[0];
    assert_eq!(root["name"], "dist");
    assert_eq!(root["versionInfo"], "1.0.0");
    assert!(annotations(root).contains(&"assay:version-method=source-version-option"));
    for f in spdx["files"].as_array().unwrap() {
        assert!(f["fileName"].as_str().unwrap().starts_with("./"), "{f}");
    }
    assert_ntia_conformant(&s);
    assert_fsct3_all_but_license_and_copyright(&s);
    assert_java_verify(&s);
}

/// A real Debian bookworm root (mmdebstrap, cached by tests/tools/debian-root.sh) as an
/// image: packages carry their Maintainer as supplier, libraries resolve to files in it.
#[test]
fn an_image_meets_ntia() {
    let out = Command::new("bash")
        .arg(common::repo().join("tests/tools/debian-root.sh"))
        .arg("base")
        .output()
        .expect("debian-root.sh");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dir = out_dir("image");
    let target = format!("dir:{root}");
    let s = scan_all(
        &dir,
        &[
            &target,
            "--supplier",
            "Example Corp",
            "--source-version",
            "bookworm",
        ],
    );
    let spdx = Sboms::json(&s.spdx);
    let libc = packages(&spdx)
        .iter()
        .find(|p| p["name"] == "libc6")
        .expect("libc6 from the dpkg database");
    assert_eq!(
        libc["supplier"], "Organization: GNU Libc Maintainers (debian-glibc@lists.debian.org)",
        "dpkg's Maintainer field"
    );
    assert_ntia_conformant(&s);
    assert_java_verify(&s);
}

/// A C program embedding Debian's static SQLite next to OpenSSL-style version strings:
/// the reported SQLite version is the one the program itself reports at run time.
#[test]
fn sqlite_is_reported_at_its_own_version_not_the_openssl_one_beside_it() {
    common::require_tool("gcc");
    let lib = Path::new("/usr/lib/x86_64-linux-gnu/libsqlite3.a");
    assert!(
        lib.exists(),
        "libsqlite3-dev missing: run tests/run.sh (it installs it)"
    );
    let dir = out_dir("sqlite");
    let src = dir.join("app.c");
    std::fs::write(
        &src,
        r#"#include <stdio.h>
#include <sqlite3.h>
const char openssl_version_str[] = "3.2.1";
const char openssl_version_text[] = "OpenSSL 3.2.1 30 Jan 2024";
int main(void) {
  printf("%s\n%s %s\n", sqlite3_libversion(), openssl_version_str, openssl_version_text);
  return 0;
}
"#,
    )
    .unwrap();
    let app = dir.join("app");
    let out = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&app)
        .arg(&src)
        .arg(lib)
        .args(["-lm", "-lpthread"])
        .output()
        .expect("gcc");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let run = Command::new(&app).output().expect("run app");
    let oracle = String::from_utf8_lossy(&run.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(oracle.starts_with("3."), "{oracle}");
    let stripped = dir.join("app-stripped");
    let out = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(&app)
        .output()
        .expect("strip");
    assert!(out.status.success());
    // With symbols (`sqlite3_version`) and without (string evidence only).
    for bin in [&app, &stripped] {
        let doc = common::scan_json(&[bin.to_str().unwrap()], 0);
        let found = |name: &str| -> Vec<String> {
            doc["components"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["name"] == name)
                .filter_map(|c| c["version"].as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(found("sqlite"), vec![oracle.clone()], "{}", bin.display());
        assert_eq!(found("openssl"), vec!["3.2.1".to_string()]);
    }
    // A recognised C library gets a CPE with its NVD vendor/product.
    let out = common::assay(&["scan", app.to_str().unwrap(), "-o", "cyclonedx-json"]);
    let cdx: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sqlite = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sqlite")
        .unwrap();
    assert_eq!(
        sqlite["cpe"],
        format!("cpe:2.3:a:sqlite:sqlite:{oracle}:*:*:*:*:*:*:*")
    );
}
