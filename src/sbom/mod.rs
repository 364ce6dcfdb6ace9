//! Writers: each renders the one [`Document`](crate::model::Document) into a format.

pub mod cyclonedx;
pub mod ids;
pub mod spdx;
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
    ("cyclonedx-json", "CycloneDX 1.6 JSON"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    SpdxJson,
    CycloneDxJson,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "table" => Format::Table,
            "json" => Format::Json,
            "spdx-json" | "spdx" => Format::SpdxJson,
            "cyclonedx-json" | "cyclonedx" | "cdx-json" => Format::CycloneDxJson,
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
        Format::CycloneDxJson => cyclonedx::render(doc),
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
            props.push(Property::new(
                format!("{prefix}{}", p.name.trim_start_matches("assay:")),
                &p.value,
            ));
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
