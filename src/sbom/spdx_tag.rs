//! SPDX 2.3 tag-value, rendered from the SPDX JSON tree that [`super::spdx::document`] builds,
//! so the two SPDX formats can never disagree.
//!
//! Layout follows the SPDX 2.3 spec (§5.2.2) and spdx-tools' writer: document creation info;
//! files no package contains; each package followed by the files it CONTAINS (the first
//! package to claim a file; tag-value expresses that containment by position, so those
//! relationships are not repeated); extracted licensing info; the other relationships; and
//! every annotation, each naming its element with `SPDXREF`.
//!
//! Every JSON field has a tag below. A field without one is written as a `#` comment naming it
//! (tag-value comments are ignored by parsers), and a test checks that no document assay
//! writes contains such a line, so a field added to the JSON writer cannot be lost silently.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

use crate::model::Document;

/// Marks a JSON field that this renderer does not know (see the module comment).
pub const UNMAPPED: &str = "# assay: no tag-value mapping for JSON field";

pub fn render(doc: &Document) -> String {
    to_tag_value(&super::spdx::document(doc))
}

/// How a JSON field is written.
#[derive(Clone, Copy)]
enum Shape {
    /// `Tag: value` (strings, numbers, booleans as `true`/`false`).
    Line,
    /// Free text: wrapped in `<text>…</text>` when it spans lines.
    Text,
    /// An array: one `Tag: item` line per item.
    Lines,
    /// An array of free text.
    Texts,
    /// An enum value: JSON `OPERATING_SYSTEM` is tag-value `OPERATING-SYSTEM`.
    Enum,
    /// `checksums`: `Tag: ALG: value` per entry.
    Checksums,
    /// `externalRefs`: `ExternalRef: CATEGORY type locator` (+ `ExternalRefComment`).
    ExternalRefs,
    /// `packageVerificationCode`: `value (excludes: f1 f2)`.
    VerificationCode,
    /// `externalDocumentRefs`: `ExternalDocumentRef: id uri ALG: value`.
    ExternalDocumentRefs,
    /// Rendered elsewhere by the layout (ids, annotations, containment, nested sections).
    Handled,
}

use Shape::*;

type Fields = &'static [(&'static str, &'static str, Shape)];

const DOCUMENT: Fields = &[
    ("spdxVersion", "SPDXVersion", Line),
    ("dataLicense", "DataLicense", Line),
    ("SPDXID", "SPDXID", Line),
    ("name", "DocumentName", Line),
    ("documentNamespace", "DocumentNamespace", Line),
    (
        "externalDocumentRefs",
        "ExternalDocumentRef",
        ExternalDocumentRefs,
    ),
    ("comment", "DocumentComment", Text),
    ("creationInfo", "", Handled),
    ("packages", "", Handled),
    ("files", "", Handled),
    ("snippets", "", Handled),
    ("relationships", "", Handled),
    ("annotations", "", Handled),
    ("hasExtractedLicensingInfos", "", Handled),
    ("documentDescribes", "", Handled),
];

const CREATION_INFO: Fields = &[
    ("licenseListVersion", "LicenseListVersion", Line),
    ("creators", "Creator", Lines),
    ("created", "Created", Line),
    ("comment", "CreatorComment", Text),
];

const PACKAGE: Fields = &[
    ("name", "PackageName", Line),
    ("SPDXID", "SPDXID", Line),
    ("versionInfo", "PackageVersion", Line),
    ("packageFileName", "PackageFileName", Line),
    ("supplier", "PackageSupplier", Line),
    ("originator", "PackageOriginator", Line),
    ("downloadLocation", "PackageDownloadLocation", Line),
    ("filesAnalyzed", "FilesAnalyzed", Line),
    (
        "packageVerificationCode",
        "PackageVerificationCode",
        VerificationCode,
    ),
    ("checksums", "PackageChecksum", Checksums),
    ("homepage", "PackageHomePage", Line),
    ("sourceInfo", "PackageSourceInfo", Text),
    ("licenseConcluded", "PackageLicenseConcluded", Line),
    ("licenseInfoFromFiles", "PackageLicenseInfoFromFiles", Lines),
    ("licenseDeclared", "PackageLicenseDeclared", Line),
    ("licenseComments", "PackageLicenseComments", Text),
    ("copyrightText", "PackageCopyrightText", Text),
    ("summary", "PackageSummary", Text),
    ("description", "PackageDescription", Text),
    ("comment", "PackageComment", Text),
    ("externalRefs", "ExternalRef", ExternalRefs),
    ("attributionTexts", "PackageAttributionText", Texts),
    ("primaryPackagePurpose", "PrimaryPackagePurpose", Enum),
    ("releaseDate", "ReleaseDate", Line),
    ("builtDate", "BuiltDate", Line),
    ("validUntilDate", "ValidUntilDate", Line),
    ("hasFiles", "", Handled),
    ("annotations", "", Handled),
];

const FILE: Fields = &[
    ("fileName", "FileName", Line),
    ("SPDXID", "SPDXID", Line),
    ("fileTypes", "FileType", Lines),
    ("checksums", "FileChecksum", Checksums),
    ("licenseConcluded", "LicenseConcluded", Line),
    ("licenseInfoInFiles", "LicenseInfoInFile", Lines),
    ("licenseComments", "LicenseComments", Text),
    ("copyrightText", "FileCopyrightText", Text),
    ("comment", "FileComment", Text),
    ("noticeText", "FileNotice", Text),
    ("fileContributors", "FileContributor", Lines),
    ("attributionTexts", "FileAttributionText", Texts),
    ("annotations", "", Handled),
];

const EXTRACTED_LICENSE: Fields = &[
    ("licenseId", "LicenseID", Line),
    ("extractedText", "ExtractedText", Text),
    ("name", "LicenseName", Line),
    ("seeAlsos", "LicenseCrossReference", Lines),
    ("comment", "LicenseComment", Text),
];

const ANNOTATION: Fields = &[
    ("annotator", "Annotator", Line),
    ("annotationDate", "AnnotationDate", Line),
    ("annotationType", "AnnotationType", Line),
    ("comment", "AnnotationComment", Text),
];

/// Renders an SPDX 2.3 JSON document as tag-value.
pub fn to_tag_value(spdx: &Value) -> String {
    let mut out = String::new();
    let empty = Vec::new();
    let list = |v: &Value, key: &str| -> Vec<Value> {
        v.get(key)
            .and_then(Value::as_array)
            .unwrap_or(&empty)
            .clone()
    };
    let id_of = |v: &Value| v.get("SPDXID").and_then(Value::as_str).map(str::to_owned);

    // Readers (sbomqs among them) expect `SPDXVersion:` on the first line: no heading above it.
    write_fields(&mut out, spdx, DOCUMENT);
    out.push_str("\n## Creation Information\n");
    if let Some(info) = spdx.get("creationInfo") {
        write_fields(&mut out, info, CREATION_INFO);
    }

    let packages = list(spdx, "packages");
    let files = list(spdx, "files");
    let relationships = list(spdx, "relationships");
    let files_by_id: BTreeMap<String, &Value> =
        files.iter().filter_map(|f| Some((id_of(f)?, f))).collect();
    let package_ids: BTreeSet<String> = packages.iter().filter_map(id_of).collect();

    // Which package each file is placed under: the first package (in document order) that
    // CONTAINS it, through `hasFiles` or a relationship.
    let mut contains: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &packages {
        let Some(pid) = id_of(p) else { continue };
        for f in list(p, "hasFiles").iter().filter_map(Value::as_str) {
            contains.entry(pid.clone()).or_default().push(f.to_string());
        }
    }
    for r in &relationships {
        let (Some(from), Some("CONTAINS"), Some(to)) = (
            r.get("spdxElementId").and_then(Value::as_str),
            r.get("relationshipType").and_then(Value::as_str),
            r.get("relatedSpdxElement").and_then(Value::as_str),
        ) else {
            continue;
        };
        if package_ids.contains(from) && files_by_id.contains_key(to) && r.get("comment").is_none()
        {
            contains
                .entry(from.to_string())
                .or_default()
                .push(to.to_string());
        }
    }
    let mut placed: BTreeMap<String, String> = BTreeMap::new(); // file → package
    for p in packages.iter().filter_map(id_of) {
        for f in contains.get(&p).into_iter().flatten() {
            if files_by_id.contains_key(f) {
                placed.entry(f.clone()).or_insert_with(|| p.clone());
            }
        }
    }
    let implied = |from: &str, to: &str| placed.get(to).is_some_and(|p| p == from);

    for f in &files {
        if id_of(f).is_some_and(|id| !placed.contains_key(&id)) {
            out.push_str("\n## File Information\n");
            write_fields(&mut out, f, FILE);
        }
    }
    for p in &packages {
        out.push_str("\n## Package Information\n");
        write_fields(&mut out, p, PACKAGE);
        let Some(pid) = id_of(p) else { continue };
        for f in &files {
            if id_of(f).is_some_and(|id| placed.get(&id) == Some(&pid)) {
                out.push_str("\n## File Information\n");
                write_fields(&mut out, f, FILE);
            }
        }
    }
    for s in list(spdx, "snippets") {
        let _ = writeln!(out, "\n{UNMAPPED} snippets: {s}");
    }

    let licenses = list(spdx, "hasExtractedLicensingInfos");
    if !licenses.is_empty() {
        out.push_str("\n## License Information\n");
        for (i, l) in licenses.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            write_fields(&mut out, l, EXTRACTED_LICENSE);
        }
    }

    let mut rels = String::new();
    for r in &relationships {
        let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("NOASSERTION");
        let (from, kind, to) = (
            text("spdxElementId"),
            text("relationshipType"),
            text("relatedSpdxElement"),
        );
        if kind == "CONTAINS" && implied(from, to) && r.get("comment").is_none() {
            continue;
        }
        let _ = writeln!(rels, "Relationship: {from} {kind} {to}");
        if let Some(c) = r.get("comment").and_then(Value::as_str) {
            write_text(&mut rels, "RelationshipComment", c);
        }
    }
    // `documentDescribes` is a DESCRIBES relationship in tag-value.
    for d in list(spdx, "documentDescribes")
        .iter()
        .filter_map(Value::as_str)
    {
        let _ = writeln!(rels, "Relationship: SPDXRef-DOCUMENT DESCRIBES {d}");
    }
    if !rels.is_empty() {
        out.push_str("\n## Relationships\n");
        out.push_str(&rels);
    }

    // Annotations of the document and of every element, each naming its element.
    let mut notes = String::new();
    let owners = std::iter::once(spdx)
        .chain(packages.iter())
        .chain(files.iter());
    for owner in owners {
        let Some(owner_id) = id_of(owner) else {
            continue;
        };
        for a in list(owner, "annotations") {
            notes.push('\n');
            write_mapped(&mut notes, &a, &ANNOTATION[..3]);
            let _ = writeln!(notes, "SPDXREF: {owner_id}");
            write_mapped(&mut notes, &a, &ANNOTATION[3..]);
            for key in unmapped_keys(&a, ANNOTATION) {
                let _ = writeln!(notes, "{UNMAPPED} annotations.{key}");
            }
        }
    }
    if !notes.is_empty() {
        out.push_str("\n## Annotations");
        out.push_str(&notes);
    }
    out
}

/// Writes the mapped fields of `object` in table order, then flags the unmapped ones.
fn write_fields(out: &mut String, object: &Value, fields: Fields) {
    write_mapped(out, object, fields);
    for key in unmapped_keys(object, fields) {
        let _ = writeln!(out, "{UNMAPPED} {key}");
    }
}

fn write_mapped(out: &mut String, object: &Value, fields: Fields) {
    for (key, tag, shape) in fields {
        let Some(value) = object.get(*key) else {
            continue;
        };
        match shape {
            Line => write_line(out, tag, &scalar(value)),
            Text => write_text(out, tag, &scalar(value)),
            Enum => write_line(out, tag, &scalar(value).replace('_', "-")),
            Lines | Texts => {
                for item in value.as_array().into_iter().flatten() {
                    if matches!(shape, Texts) {
                        write_text(out, tag, &scalar(item));
                    } else {
                        write_line(out, tag, &scalar(item));
                    }
                }
            }
            Checksums => {
                for c in value.as_array().into_iter().flatten() {
                    let field = |k: &str| c.get(k).map(scalar).unwrap_or_default();
                    write_line(
                        out,
                        tag,
                        &format!("{}: {}", field("algorithm"), field("checksumValue")),
                    );
                }
            }
            ExternalRefs => {
                for r in value.as_array().into_iter().flatten() {
                    let field = |k: &str| r.get(k).map(scalar).unwrap_or_default();
                    write_line(
                        out,
                        tag,
                        &format!(
                            "{} {} {}",
                            field("referenceCategory").replace('_', "-"),
                            field("referenceType"),
                            field("referenceLocator")
                        ),
                    );
                    if let Some(c) = r.get("comment") {
                        write_text(out, "ExternalRefComment", &scalar(c));
                    }
                }
            }
            VerificationCode => {
                let code = value
                    .get("packageVerificationCodeValue")
                    .map(scalar)
                    .unwrap_or_default();
                let excluded: Vec<String> = value
                    .get("packageVerificationCodeExcludedFiles")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(scalar)
                    .collect();
                if excluded.is_empty() {
                    write_line(out, tag, &code);
                } else {
                    write_line(
                        out,
                        tag,
                        &format!("{code} (excludes: {})", excluded.join(" ")),
                    );
                }
            }
            ExternalDocumentRefs => {
                for r in value.as_array().into_iter().flatten() {
                    let field = |k: &str| r.get(k).map(scalar).unwrap_or_default();
                    let sum = r.get("checksum");
                    let sum_field =
                        |k: &str| sum.and_then(|s| s.get(k)).map(scalar).unwrap_or_default();
                    write_line(
                        out,
                        tag,
                        &format!(
                            "{} {} {}: {}",
                            field("externalDocumentId"),
                            field("spdxDocument"),
                            sum_field("algorithm"),
                            sum_field("checksumValue")
                        ),
                    );
                }
            }
            Handled => {}
        }
    }
}

fn unmapped_keys(object: &Value, fields: Fields) -> Vec<&str> {
    object
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .filter(|k| !fields.iter().any(|(key, _, _)| key == k))
        .collect()
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A one-line value; a line break would end the tag early, so such a value becomes text.
fn write_line(out: &mut String, tag: &str, value: &str) {
    if value.contains('\n') {
        write_text(out, tag, value);
    } else {
        let _ = writeln!(out, "{tag}: {value}");
    }
}

/// Free text: `<text>` when it spans lines or has edge whitespace a line value would lose.
fn write_text(out: &mut String, tag: &str, value: &str) {
    if value.contains('\n') || value.trim() != value {
        let _ = writeln!(out, "{tag}: <text>{value}</text>");
    } else {
        let _ = writeln!(out, "{tag}: {value}");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn maps_license_fields_and_flags_unknown_ones() {
        let doc = json!({
            "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
            "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: x"]},
            "packages": [{
                "SPDXID": "SPDXRef-P", "name": "p", "licenseDeclared": "MIT",
                "licenseConcluded": "MIT OR Apache-2.0", "copyrightText": "(c) 2024\nsomeone",
                "primaryPackagePurpose": "OPERATING_SYSTEM", "newField": 1,
                "hasFiles": ["SPDXRef-F"],
            }],
            "files": [{"SPDXID": "SPDXRef-F", "fileName": "./f"}],
            "relationships": [
                {"spdxElementId": "SPDXRef-P", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-F"},
                {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-P"},
            ],
            "hasExtractedLicensingInfos": [{"licenseId": "LicenseRef-x", "extractedText": "text"}],
        });
        let tv = super::to_tag_value(&doc);
        assert!(tv.contains("PackageLicenseDeclared: MIT\n"), "{tv}");
        assert!(tv.contains("PackageLicenseConcluded: MIT OR Apache-2.0\n"));
        assert!(tv.contains("PackageCopyrightText: <text>(c) 2024\nsomeone</text>\n"));
        assert!(tv.contains("PrimaryPackagePurpose: OPERATING-SYSTEM\n"));
        assert!(tv.contains("LicenseID: LicenseRef-x\nExtractedText: text\n"));
        assert!(tv.contains(&format!("{} newField\n", super::UNMAPPED)));
        // The file follows its package; the CONTAINS relationship is implied by position.
        assert!(tv.find("FileName: ./f").unwrap() > tv.find("PackageName: p").unwrap());
        assert!(!tv.contains("SPDXRef-P CONTAINS"));
        assert!(tv.contains("Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-P\n"));
    }
}
