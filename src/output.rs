//! Every `-o` output format and the writer that serves it: the SBOM writers ([`crate::sbom`]),
//! SARIF of the scan's problems ([`crate::report`]) and the auditor's documents
//! ([`crate::attribution`]). The one place that knows them all, so the writers need not know
//! each other.
//!
//! Layer: writers (the dispatcher on top of them).

use crate::model::Document;
use crate::{attribution, report, sbom};

/// Every `-o` format name, with what it is (for `--help` and error messages).
pub const FORMATS: &[(&str, &str)] = &[
    ("table", "human-readable summary (default)"),
    (
        "json",
        "assay's own JSON: the full model, documented in docs/formats.md",
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
        self.digests() != crate::hash::Digests::None
    }

    /// The file digests the format records: SPDX 2.3 requires SHA-1 (SPDX 3 and assay's
    /// JSON are derived from the same data); CycloneDX carries SHA-256 only.
    pub fn digests(self) -> crate::hash::Digests {
        use crate::hash::Digests;
        match self {
            Format::Table
            | Format::Sarif
            | Format::Notice
            | Format::AttributionMd
            | Format::AttributionHtml => Digests::None,
            Format::CycloneDxJson | Format::CycloneDxJson15 | Format::CycloneDxXml => {
                Digests::Sha256
            }
            Format::Json | Format::SpdxJson | Format::SpdxTagValue | Format::Spdx3Json => {
                Digests::Sha1AndSha256
            }
        }
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
        Format::Table => sbom::table::render(doc, color),
        Format::Json => crate::json::to_json(doc),
        Format::SpdxJson => sbom::spdx::render(doc),
        Format::SpdxTagValue => sbom::spdx_tag::render(doc),
        Format::Spdx3Json => sbom::spdx3::render(doc),
        Format::CycloneDxJson => sbom::cyclonedx::render(doc),
        Format::CycloneDxJson15 => sbom::cyclonedx15::render(doc),
        Format::CycloneDxXml => sbom::cyclonedx_xml::render(doc),
        Format::Sarif => report::sarif::render(
            &[crate::check::finding::scan_problem_rule()],
            &crate::check::finding::scan_problems(doc),
        ),
        Format::Notice => attribution::notice::render(&attribution::collect(doc)),
        Format::AttributionMd => attribution::markdown::render(&attribution::collect(doc)),
        Format::AttributionHtml => attribution::html::render(&attribution::collect(doc)),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
