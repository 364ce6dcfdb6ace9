//! A component's license as resolved (with its source and evidence) and the findings of the
//! license rules: the facts the license enricher attaches to a document.

use serde::Serialize;

/// Where a component's license was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LicenseSource {
    /// License files of the module in the Go module cache (`GOMODCACHE`).
    ModuleCache,
    /// License files in a `vendor/` tree or module sources next to the scanned files.
    LocalSource,
    /// The bundled license-db, entry for exactly this version.
    LicenseDb,
    /// The bundled license-db, entry for another version of the module (licenses rarely change).
    LicenseDbOtherVersion,
    /// The module zip fetched from `GOPROXY` (`--licenses=remote`).
    ModuleProxy,
    /// A fact: the Go standard library is BSD-3-Clause.
    GoStdlib,
    /// A `[[licenses.clarify]]` entry of the policy.
    PolicyClarify,
    /// The crate's `Cargo.toml` in the local cargo registry.
    CargoRegistry,
    /// The crate's `Cargo.toml` in its `.crate` from the registry's download endpoint
    /// (`--licenses=remote`).
    CrateDownload,
    /// A fact about a toolchain's runtime library (Rust std: MIT OR Apache-2.0).
    RustStdlib,
    /// A well-known C library recognised in a binary, by name (and version where its
    /// license changed).
    KnownLibrary,
    /// The OS package database's own license field (apk `L:`, xbps `license`).
    PackageDatabase,
    /// Nothing found.
    NotFound,
}

impl LicenseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseSource::ModuleCache => "module-cache",
            LicenseSource::LocalSource => "local-source",
            LicenseSource::LicenseDb => "license-db",
            LicenseSource::LicenseDbOtherVersion => "license-db-other-version",
            LicenseSource::ModuleProxy => "module-proxy",
            LicenseSource::GoStdlib => "go-stdlib",
            LicenseSource::PolicyClarify => "policy-clarify",
            LicenseSource::CargoRegistry => "cargo-registry",
            LicenseSource::CrateDownload => "crate-download",
            LicenseSource::RustStdlib => "rust-stdlib",
            LicenseSource::KnownLibrary => "known-library",
            LicenseSource::PackageDatabase => "package-database",
            LicenseSource::NotFound => "not-found",
        }
    }
}

/// A license file that supports a result.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LicenseEvidence {
    /// File name (module-relative) or a description of the evidence.
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// A component's license as resolved, with its provenance.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ComponentLicense {
    /// SPDX expression; `None` when nothing was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    pub source: LicenseSource,
    /// Where exactly (a directory, a URL, `license-db modules.json @v1.2.3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// 0.0–1.0: how sure the classifier (or the source) is.
    pub confidence: f32,
    /// How the expression was decided (spdx-identifier, text-match, …).
    pub method: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<LicenseEvidence>,
    /// Extracted texts of `LicenseRef-` licenses, for SPDX `hasExtractedLicensingInfos`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extracted: Vec<ExtractedText>,
    /// The license files found (module cache, local sources, module zip), as text, for the
    /// NOTICE: each at most [`MAX_FILE_TEXT`] bytes, at most [`MAX_FILE_TEXTS`] files. Not
    /// serialized (SBOMs carry hashes, not texts).
    #[serde(skip)]
    pub file_texts: Vec<LicenseFileText>,
}

/// A license file's text as found, with its name.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LicenseFileText {
    pub file: String,
    pub text: String,
}

/// Bounds on the license file texts kept per component.
pub const MAX_FILE_TEXT: usize = 64 * 1024;
pub const MAX_FILE_TEXTS: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ExtractedText {
    pub license_ref: String,
    pub text: String,
}

impl ComponentLicense {
    pub fn not_found() -> ComponentLicense {
        ComponentLicense {
            expression: None,
            source: LicenseSource::NotFound,
            location: None,
            confidence: 0.0,
            method: "none".into(),
            evidence: Vec::new(),
            extracted: Vec::new(),
            file_texts: Vec::new(),
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FindingSeverity {
    Info,
    Warning,
    Error,
}

impl FindingSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingSeverity::Info => "info",
            FindingSeverity::Warning => "warning",
            FindingSeverity::Error => "error",
        }
    }
}

/// One result of the rule engine.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    /// Stable rule id (see README, "License rules").
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub rule: crate::model::static_str::StaticStr,
    pub severity: FindingSeverity,
    /// Component ids concerned (model ids).
    pub components: Vec<String>,
    /// The license (unit or expression) that triggers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The relationships from the scan subject to the component: `root -contains-> file:… -static-link-> …`.
    pub chain: Vec<String>,
    pub explanation: String,
}

/// Joins SPDX expressions with `op` (`AND`, `OR`), parenthesising each compound part, so
/// `MIT` and `Apache-2.0 OR MIT` give `MIT AND (Apache-2.0 OR MIT)`.
pub fn join_expressions(parts: &[String], op: &str) -> String {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    parts
        .iter()
        .map(|p| {
            if p.contains(' ') {
                format!("({p})")
            } else {
                p.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(&format!(" {op} "))
}
