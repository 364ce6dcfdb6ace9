//! The SBOM facts no artifact records, stated by the user: authors, organization, the
//! subject's supplier, name and version (like Syft's `--source-name` / `--source-version`).

use clap::Args;

use crate::model::SbomInfo;

#[derive(Args, Clone, Default)]
pub struct SbomFlags {
    /// SBOM author, a person: NAME or "NAME <EMAIL>" (repeatable; also ASSAY_AUTHOR)
    #[arg(
        long = "author",
        value_name = "NAME",
        env = "ASSAY_AUTHOR",
        help_heading = "SBOM"
    )]
    authors: Vec<String>,

    /// Organization authoring the SBOM (also ASSAY_ORGANIZATION)
    #[arg(
        long,
        value_name = "NAME",
        env = "ASSAY_ORGANIZATION",
        help_heading = "SBOM"
    )]
    organization: Option<String>,

    /// Organization supplying the scanned subject (also ASSAY_SUPPLIER)
    #[arg(
        long,
        value_name = "NAME",
        env = "ASSAY_SUPPLIER",
        help_heading = "SBOM"
    )]
    supplier: Option<String>,

    /// Name of the SBOM root (default: the targets as given)
    #[arg(long, value_name = "NAME", help_heading = "SBOM")]
    source_name: Option<String>,

    /// Version of the SBOM root (default: the image digest, or the version of the one
    /// program a single-file scan holds)
    #[arg(long, value_name = "VERSION", help_heading = "SBOM")]
    source_version: Option<String>,
}

impl SbomFlags {
    /// The stated facts; blank values count as not given.
    pub fn info(&self) -> SbomInfo {
        let given = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        SbomInfo {
            authors: self
                .authors
                .iter()
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect(),
            organization: given(&self.organization),
            supplier: given(&self.supplier),
            source_name: given(&self.source_name),
            source_version: given(&self.source_version),
        }
    }
}
