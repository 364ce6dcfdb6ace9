//! The derived SBOM formats (SPDX tag-value, CycloneDX 1.5 JSON, CycloneDX XML, SPDX 3.0.1):
//! each passes its official validator, carries the same content as the format it is derived
//! from, drops no field silently, and is deterministic.

mod common;

use std::path::{Path, PathBuf};

/// Every SBOM format with the validator name and file suffix the tests use.
const SBOM_FORMATS: &[(&str, &str)] = &[
    ("spdx-json", "spdx.json"),
    ("spdx-tag-value", "spdx"),
    ("cyclonedx-json", "cdx.json"),
    ("cyclonedx-json@1.5", "cdx15.json"),
    ("cyclonedx-xml", "cdx.xml"),
    ("spdx3-json", "spdx3.json"),
];

/// Scans `targets` once, writing every SBOM format into `dir`; returns the paths by format.
fn scan_all_formats(dir: &Path, targets: &[&str], expect: i32) -> Vec<(&'static str, PathBuf)> {
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(targets.iter().map(|t| t.to_string()));
    let mut written = Vec::new();
    for (format, suffix) in SBOM_FORMATS {
        let path = dir.join(format!("sbom.{suffix}"));
        args.push("-o".into());
        args.push(format!("{format}={}", path.display()));
        written.push((*format, path));
    }
    args.push("-q".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::assay(&args);
    assert_eq!(out.status.code(), Some(expect), "{}", common::stderr(&out));
    written
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn every_format_of_all_samples_passes_its_official_validator() {
    let dir = tempfile::tempdir().expect("tempdir");
    // samples/ includes the corrupted corpus: exit 1, problems carried in every document.
    let written = scan_all_formats(dir.path(), &["samples"], 1);
    for (format, path) in &written {
        common::validate(format, &[path]);
        assert!(
            read(path).contains("assay:error"),
            "{format} carries the problems"
        );
    }
}

#[test]
fn every_format_of_one_clean_binary_passes_its_official_validator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = scan_all_formats(dir.path(), &["samples/go/hello-linux-amd64-ldflags"], 0);
    for (format, path) in &written {
        common::validate(format, &[path]);
    }
}

#[test]
fn tag_value_and_json_are_the_same_spdx_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = scan_all_formats(dir.path(), &["samples"], 1);
    let path = |f: &str| &written.iter().find(|(n, _)| *n == f).expect("written").1;
    common::validate(
        "spdx-equivalent",
        &[path("spdx-json"), path("spdx-tag-value")],
    );
}

#[test]
fn derived_formats_map_every_field_and_carry_the_same_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = scan_all_formats(dir.path(), &["samples"], 1);
    let text = |f: &str| read(&written.iter().find(|(n, _)| *n == f).expect("written").1);

    let tv = text("spdx-tag-value");
    assert!(!tv.contains(assay::sbom::spdx_tag::UNMAPPED), "{tv}");
    let xml = text("cyclonedx-xml");
    assert!(!xml.contains(assay::sbom::cyclonedx_xml::UNMAPPED), "{xml}");
    let spdx3 = text("spdx3-json");
    assert!(!spdx3.contains(assay::sbom::spdx3::UNMAPPED), "{spdx3}");

    // SPDX 3 holds every package and file of the SPDX 2.3 document, under the same ids.
    let spdx2: serde_json::Value = serde_json::from_str(&text("spdx-json")).expect("json");
    let namespace = spdx2["documentNamespace"].as_str().expect("namespace");
    for element in spdx2["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spdx2["files"].as_array().into_iter().flatten())
    {
        let id = element["SPDXID"].as_str().expect("SPDXID");
        assert!(spdx3.contains(&format!("\"{namespace}#{id}\"")), "{id}");
    }

    // CycloneDX 1.5 is the 1.6 BOM but for the version and the one 1.6-only construct assay
    // writes: the license `acknowledgement` (declared/concluded).
    let mut v16: serde_json::Value = serde_json::from_str(&text("cyclonedx-json")).expect("json");
    let v15: serde_json::Value = serde_json::from_str(&text("cyclonedx-json@1.5")).expect("json");
    assert_eq!(v15["specVersion"], "1.5");
    fn drop_acknowledgements(v: &mut serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(o) => {
                let here = usize::from(o.remove("acknowledgement").is_some());
                here + o.values_mut().map(drop_acknowledgements).sum::<usize>()
            }
            serde_json::Value::Array(a) => a.iter_mut().map(drop_acknowledgements).sum(),
            _ => 0,
        }
    }
    let v16_full = v16.clone();
    assert!(
        drop_acknowledgements(&mut v16) > 0,
        "1.6 carries license acknowledgements"
    );
    v16["specVersion"] = "1.5".into();
    assert_eq!(v15, v16);
    let v16 = v16_full;

    // Every component's purl and every file hash appear in the XML.
    for c in v16["components"].as_array().expect("components") {
        if let Some(purl) = c["purl"].as_str() {
            assert!(xml.contains(&format!("<purl>{purl}</purl>")), "{purl}");
        }
        for h in c["hashes"].as_array().into_iter().flatten() {
            let sum = h["content"].as_str().expect("hash");
            assert!(xml.contains(sum), "{sum}");
        }
    }
}

#[test]
fn derived_formats_are_deterministic() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let first = scan_all_formats(a.path(), &["samples/go"], 0);
    let second = scan_all_formats(b.path(), &["samples/go"], 0);
    for ((format, x), (_, y)) in first.iter().zip(&second) {
        assert_eq!(read(x), read(y), "{format} differs between runs");
    }
}

#[test]
fn format_names_and_aliases_parse_and_unknown_ones_list_the_choices() {
    for name in [
        "spdx-tag-value",
        "cyclonedx-json@1.5",
        "cyclonedx-xml",
        "spdx3-json",
    ] {
        let out = common::assay(&["scan", "samples/go/hello-linux-amd64", "-o", name]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            common::stderr(&out)
        );
        assert!(!out.stdout.is_empty());
    }
    let out = common::assay(&["scan", "samples/go", "-o", "cyclonedx-json@1.2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("cyclonedx-json@1.5") && err.contains("spdx-tag-value"),
        "{err}"
    );
}

#[test]
fn xml_and_json_are_the_same_cyclonedx_bom() {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = scan_all_formats(dir.path(), &["samples"], 1);
    let path = |f: &str| &written.iter().find(|(n, _)| *n == f).expect("written").1;
    common::validate(
        "cyclonedx-equivalent",
        &[path("cyclonedx-json"), path("cyclonedx-xml")],
    );
}

#[test]
fn spdx3_conversion_of_license_fields_passes_the_official_model() {
    // What the license work adds to SPDX 2.3 documents, converted and checked.
    let mut spdx2: serde_json::Value = serde_json::from_str(&read(
        &common::repo().join("tests/data/diff/relicensed.spdx.json"),
    ))
    .expect("json");
    spdx2["packages"][1]["licenseConcluded"] = "BSD-3-Clause OR LicenseRef-uuid-extra".into();
    spdx2["packages"][1]["attributionTexts"] = serde_json::json!(["Copyright 2018 Google Inc."]);
    spdx2["hasExtractedLicensingInfos"] = serde_json::json!([{
        "licenseId": "LicenseRef-uuid-extra",
        "name": "uuid extra terms",
        "extractedText": "Permission is granted...\nto everyone.",
    }]);
    let spdx3 = assay::sbom::spdx3::from_spdx2(&spdx2);
    let text = spdx3.to_string();
    assert!(!text.contains(assay::sbom::spdx3::UNMAPPED), "{text}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("licensed.spdx3.json");
    std::fs::write(&path, serde_json::to_string_pretty(&spdx3).expect("json")).expect("write");
    common::validate("spdx3-json", &[&path]);
    for needle in [
        r#""relationshipType":"hasDeclaredLicense""#,
        r#""relationshipType":"hasConcludedLicense""#,
        r#""simplelicensing_licenseExpression":"BSD-3-Clause OR LicenseRef-uuid-extra""#,
        r#""key":"LicenseRef-uuid-extra""#,
        r#""software_attributionText":["Copyright 2018 Google Inc."]"#,
        r#""annotationType":"review""#,
    ] {
        assert!(text.contains(needle), "{needle} missing in {text}");
    }
}

#[test]
fn derived_formats_of_documents_with_licenses_pass_the_official_validators() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };

    // SPDX 2.3 with declared/concluded licenses and a review annotation → tag-value.
    let spdx_path = common::repo().join("tests/data/diff/relicensed.spdx.json");
    let spdx2: serde_json::Value = serde_json::from_str(&read(&spdx_path)).expect("json");
    let tv = assay::sbom::spdx_tag::to_tag_value(&spdx2);
    assert!(!tv.contains(assay::sbom::spdx_tag::UNMAPPED), "{tv}");
    assert!(tv.contains("PackageLicenseDeclared: MIT\n"), "{tv}");
    let tv_path = write("relicensed.spdx", &tv);
    common::validate("spdx-tag-value", &[&tv_path]);
    common::validate("spdx-equivalent", &[&spdx_path, &tv_path]);

    // CycloneDX 1.6 with licenses (another tool's BOM) → XML and 1.5.
    let cdx_path = common::repo().join("tests/data/diff/syft-hello.cdx.json");
    let cdx: serde_json::Value = serde_json::from_str(&read(&cdx_path)).expect("json");
    let xml = assay::sbom::cyclonedx_xml::to_xml(&cdx);
    assert!(!xml.contains(assay::sbom::cyclonedx_xml::UNMAPPED), "{xml}");
    assert!(xml.contains("<license>\n"), "{xml}");
    let xml_path = write("syft.cdx.xml", &xml);
    common::validate("cyclonedx-xml", &[&xml_path]);
    common::validate("cyclonedx-equivalent", &[&cdx_path, &xml_path]);
    let v15 = assay::sbom::cyclonedx15::downgrade(cdx);
    let v15_path = write(
        "syft.cdx15.json",
        &serde_json::to_string(&v15).expect("json"),
    );
    common::validate("cyclonedx-json@1.5", &[&v15_path]);
}
