//! Licenses: what each component is licensed under, where that came from, and which
//! combinations are a problem.
//!
//! [`db`] is the bundled license-db (compiled in); [`classify`] turns license texts into SPDX
//! expressions; [`resolve`] finds each component's license (module cache, vendor trees, the
//! license-db, optionally the module proxy); [`rules`] turns the graph plus the outbound
//! license into findings; [`policy`] reads `assay.toml`.
//!
//! Layer: enricher (annotates a finished document). May use the model and helpers only.

pub mod agree;
pub mod cargo;
pub mod classify;
pub mod classify_cache;
pub mod crate_fetch;
pub mod db;
pub mod expr;
pub mod files;
pub mod inventory;
pub mod notice;
pub mod ospkg;
pub mod policy;
pub mod remote;
pub mod resolve;
pub mod rules;
pub mod site;
pub mod table;
pub mod variants;
pub mod zip_ranges;

pub use crate::model::license::{
    ComponentLicense, ExtractedText, Finding, FindingSeverity, LicenseEvidence, LicenseFileText,
    LicenseSource, MAX_FILE_TEXT, MAX_FILE_TEXTS,
};

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
    // Two license units of one component can word the same finding (an expression naming a
    // license twice): each finding is stated once.
    let mut seen = std::collections::BTreeSet::new();
    findings.retain(|f| {
        seen.insert((
            f.rule,
            f.components.clone(),
            f.license.clone(),
            f.explanation.clone(),
        ))
    });
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
