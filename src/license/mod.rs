//! Licenses: what each component is licensed under, where that came from, and which
//! combinations are a problem.
//!
//! [`db`] is the bundled license-db (compiled in); [`classify`] turns license texts into SPDX
//! expressions; [`resolve`] finds each component's license (module cache, vendor trees, the
//! license-db, optionally the module proxy); [`rules`] turns the graph plus the outbound
//! license into findings; [`policy`] reads `assay.toml`.

pub mod cargo;
pub mod classify;
pub mod db;
pub mod expr;
pub mod policy;
pub mod remote;
pub mod resolve;
pub mod rules;
pub mod site;
pub mod table;

use serde::Serialize;

/// Where a component's license was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
    /// A fact about a toolchain's runtime library (Rust std: MIT OR Apache-2.0).
    RustStdlib,
    /// A well-known C library recognised in a binary, by name (and version where its
    /// license changed).
    KnownLibrary,
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
            LicenseSource::RustStdlib => "rust-stdlib",
            LicenseSource::KnownLibrary => "known-library",
            LicenseSource::NotFound => "not-found",
        }
    }
}

/// A license file that supports a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LicenseEvidence {
    /// File name (module-relative) or a description of the evidence.
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// A component's license as resolved, with its provenance.
#[derive(Debug, Clone, Serialize)]
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<LicenseEvidence>,
    /// Extracted texts of `LicenseRef-` licenses, for SPDX `hasExtractedLicensingInfos`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extracted: Vec<ExtractedText>,
    /// The license files found (module cache, local sources, module zip), as text, for the
    /// NOTICE: each at most [`MAX_FILE_TEXT`] bytes, at most [`MAX_FILE_TEXTS`] files. Not
    /// serialized (SBOMs carry hashes, not texts).
    #[serde(skip)]
    pub file_texts: Vec<LicenseFileText>,
}

/// A license file's text as found, with its name.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseFileText {
    pub file: String,
    pub text: String,
}

/// Bounds on the license file texts kept per component.
pub const MAX_FILE_TEXT: usize = 64 * 1024;
pub const MAX_FILE_TEXTS: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable rule id (see README, "License rules").
    pub rule: &'static str,
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

/// Resolves every component's license, applies the policy's clarifications and runs the
/// rules, storing both in `doc`. `outbound` (command line) wins over the policy's.
pub fn annotate(
    doc: &mut crate::model::Document,
    opts: &resolve::ResolveOptions,
    policy: &policy::Policy,
    outbound: Option<&expr::LicenseExpr>,
) {
    let db = db::bundled();
    let (mut licenses, problems) = resolve::resolve_all(doc, opts, db);
    doc.problems.extend(problems);
    let mut stale = Vec::new();
    for c in &doc.components {
        if let Some(lic) = licenses.get_mut(&c.id) {
            if let Some(msg) = policy.clarify(&c.name, c.version.as_deref(), lic) {
                stale.push(Finding {
                    rule: "clarify-stale",
                    severity: FindingSeverity::Warning,
                    components: vec![c.id.clone()],
                    license: lic.expression.clone(),
                    chain: Vec::new(),
                    explanation: msg,
                });
            }
        }
    }
    let mut findings = rules::evaluate(doc, &licenses, policy, outbound, db);
    for mut f in stale {
        if let Some(s) = policy.raw.severity.get(f.rule) {
            f.severity = *s;
        }
        findings.push(f);
    }
    doc.licenses = licenses;
    doc.findings = findings;
}

/// Whether the expression (as resolved) can be stated in an SBOM as a conclusion.
pub fn is_concluded(lic: &ComponentLicense, threshold: f32) -> bool {
    lic.expression.is_some()
        && lic.confidence >= threshold
        && !lic
            .extracted
            .iter()
            .any(|e| lic.expression.as_deref() == Some(e.license_ref.as_str()))
}
