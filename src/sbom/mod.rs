//! Writers: each renders the one [`Document`](crate::model::Document) into a format.

pub mod baseline;
pub mod cyclonedx;
pub mod cyclonedx15;
pub mod cyclonedx_xml;
pub mod ids;
pub mod relpath;
pub mod spdx;
pub mod spdx3;
pub mod spdx_tag;
pub mod table;

use crate::model::Document;

/// Every `-o` format name, with what it is (for `--help` and error messages).
pub const FORMATS: &[(&str, &str)] = &[
    ("table", "human-readable summary (default)"),
    (
        "json",
        "assay's own JSON: the full model, documented in the README",
    ),
    ("spdx-json", "SPDX 2.3 JSON"),
    (
        "spdx-tag-value",
        "SPDX 2.3 tag-value (same content as spdx-json)",
    ),
    ("cyclonedx-json", "CycloneDX 1.6 JSON"),
    (
        "cyclonedx-json@1.5",
        "CycloneDX 1.5 JSON, for older consumers",
    ),
    ("cyclonedx-xml", "CycloneDX 1.6 XML"),
    (
        "sarif",
        "SARIF 2.1.0: the scan's problems, for code-scanning annotations",
    ),
    (
        "notice",
        "NOTICE text: every component and its license, then the full license texts",
    ),
    (
        "attribution-md",
        "attribution report (Markdown): components, licenses, evidence, findings",
    ),
    (
        "attribution-html",
        "attribution report (self-contained HTML), with the license texts",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    SpdxJson,
    SpdxTagValue,
    Spdx3Json,
    CycloneDxJson,
    CycloneDxJson15,
    CycloneDxXml,
    Sarif,
    Notice,
    AttributionMd,
    AttributionHtml,
}

impl Format {
    /// Whether the format carries file checksums (all but the table).
    pub fn needs_checksums(self) -> bool {
        !matches!(
            self,
            Format::Table
                | Format::Sarif
                | Format::Notice
                | Format::AttributionMd
                | Format::AttributionHtml
        )
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "table" => Format::Table,
            "json" => Format::Json,
            "spdx-json" | "spdx" => Format::SpdxJson,
            "spdx-tag-value" | "spdx-tv" => Format::SpdxTagValue,
            "spdx3-json" | "spdx3" => Format::Spdx3Json,
            "cyclonedx-json" | "cyclonedx" | "cdx-json" | "cyclonedx-json@1.6" => {
                Format::CycloneDxJson
            }
            "cyclonedx-json@1.5" | "cdx-json@1.5" => Format::CycloneDxJson15,
            "cyclonedx-xml" | "cdx-xml" | "cyclonedx-xml@1.6" => Format::CycloneDxXml,
            "sarif" => Format::Sarif,
            "notice" => Format::Notice,
            "attribution-md" | "attribution-markdown" => Format::AttributionMd,
            "attribution-html" => Format::AttributionHtml,
            other => {
                let names: Vec<&str> = FORMATS.iter().map(|f| f.0).collect();
                return Err(format!(
                    "unknown output format {other:?}; expected one of: {}",
                    names.join(", ")
                ));
            }
        })
    }
}

/// One `-o FORMAT[=FILE]` request; no file means stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    pub path: Option<std::path::PathBuf>,
}

impl std::str::FromStr for OutputSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (format, path) = match s.split_once('=') {
            Some((f, "")) => return Err(format!("missing file name after '=' in {f:?}=")),
            Some((f, p)) => (f, Some(p.into())),
            None => (s, None),
        };
        Ok(OutputSpec {
            format: format.parse()?,
            path,
        })
    }
}

/// Renders the document in one format. Output always ends with a newline.
pub fn render(doc: &Document, format: Format, color: bool) -> String {
    let mut out = match format {
        Format::Table => table::render(doc, color),
        Format::Json => to_json(doc),
        Format::SpdxJson => spdx::render(doc),
        Format::SpdxTagValue => spdx_tag::render(doc),
        Format::Spdx3Json => spdx3::render(doc),
        Format::CycloneDxJson => cyclonedx::render(doc),
        Format::CycloneDxJson15 => cyclonedx15::render(doc),
        Format::CycloneDxXml => cyclonedx_xml::render(doc),
        Format::Sarif => crate::report::sarif::render(
            &[crate::report::scan_problem_rule()],
            &crate::report::scan_problems(doc),
        ),
        Format::Notice => crate::attribution::notice::render(&crate::attribution::collect(doc)),
        Format::AttributionMd => {
            crate::attribution::markdown::render(&crate::attribution::collect(doc))
        }
        Format::AttributionHtml => {
            crate::attribution::html::render(&crate::attribution::collect(doc))
        }
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Pretty JSON with two-space indentation; serde_json keeps struct field order, and every
/// collection in the model is sorted, so the bytes are deterministic.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Facts about a file that both SBOM formats carry as properties/annotations: format,
/// platform per slice, Go toolchain, build mode, every build setting.
pub fn file_properties(file: &crate::model::FileNode) -> Vec<crate::model::Property> {
    use crate::model::Property;
    let mut props = vec![Property::new("assay:format", file.format.as_str())];
    for slice in &file.slices {
        let prefix = match &slice.label {
            Some(l) => format!("assay:slice:{l}:"),
            None => "assay:".to_string(),
        };
        if let Some(p) = &slice.platform {
            props.push(Property::new(format!("{prefix}arch"), &p.arch));
            if let Some(os) = &p.os {
                props.push(Property::new(format!("{prefix}os"), os));
            }
        }
        for p in &slice.properties {
            let name = p.name.strip_prefix("assay:").unwrap_or(&p.name);
            props.push(Property::new(format!("{prefix}{name}"), &p.value));
        }
        if let Some(go) = &slice.go {
            props.push(Property::new(
                format!("{prefix}go:version"),
                &go.go_version.raw,
            ));
            props.push(Property::new(format!("{prefix}go:mode"), go.mode));
            if !go.modinfo.path.is_empty() {
                props.push(Property::new(format!("{prefix}go:path"), &go.modinfo.path));
            }
            for s in &go.modinfo.settings {
                props.push(Property::new(
                    format!("{prefix}go:build:{}", s.key),
                    &s.value,
                ));
            }
        }
    }
    props
}

/// Where a file came from in a container image: the layer providing it and, with
/// `--scope all-layers`, the layer deleting it. Empty for plain file scans.
pub fn image_file_properties(
    doc: &Document,
    file: &crate::model::FileNode,
) -> Vec<crate::model::Property> {
    use crate::model::Property;
    let mut props = Vec::new();
    let Some(origin) = doc
        .subject
        .image
        .as_ref()
        .and_then(|i| i.files.get(&file.id))
    else {
        return props;
    };
    if let Some(l) = &origin.layer {
        props.push(Property::new("assay:image:layer", l));
    }
    if let Some(d) = &origin.deleted_by {
        props.push(Property::new("assay:image:deleted-by", d));
    }
    props
}

/// Facts about a scanned image (the root component): source, digest, platform, config
/// labels, layers. Empty for plain file scans.
pub fn image_properties(doc: &Document) -> Vec<crate::model::Property> {
    use crate::model::Property;
    let mut props = Vec::new();
    let Some(image) = &doc.subject.image else {
        return props;
    };
    props.push(Property::new("assay:image:source", image.source));
    if let Some(d) = &image.digest {
        props.push(Property::new("assay:image:digest", d));
    }
    let several = image.platforms.len() > 1;
    for p in &image.platforms {
        let prefix = if several {
            format!("assay:image:{}:", p.platform)
        } else {
            "assay:image:".to_string()
        };
        if !p.platform.is_empty() {
            props.push(Property::new(format!("{prefix}platform"), &p.platform));
        }
        if let Some(c) = &p.config_digest {
            props.push(Property::new(format!("{prefix}config"), c));
        }
        for (i, l) in p.layers.iter().enumerate() {
            props.push(Property::new(format!("{prefix}layer:{i}"), l));
        }
        for (k, v) in &p.labels {
            props.push(Property::new(format!("{prefix}label:{k}"), v));
        }
    }
    props
}

/// The purl of the scanned image, when the subject is one.
pub fn image_purl(doc: &Document) -> Option<String> {
    let image = doc.subject.image.as_ref()?;
    let platform = match image.platforms.as_slice() {
        [one] => one.platform.as_str(),
        _ => "",
    };
    Some(crate::image::oci_purl(
        &image.name,
        image.digest.as_deref(),
        platform,
    ))
}

/// A string field of a JSON object, if present and a string (SBOMs read by `diff` and the
/// derived writers are untrusted: wrong types are skipped, never a panic).
pub(crate) fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(serde_json::Value::as_str)
}

/// An array field of a JSON object, empty when absent or not an array.
pub(crate) fn array_of<'a>(v: &'a serde_json::Value, key: &str) -> &'a [serde_json::Value] {
    v.get(key)
        .and_then(serde_json::Value::as_array)
        .map_or(&[], Vec::as_slice)
}
