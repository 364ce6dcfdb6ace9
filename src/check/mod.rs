//! `assay check`: every check the policy names, run over one scan, each reporting generic
//! [`Finding`]s (rule id, level, message, file) so that one table, one JSON document and one
//! SARIF log carry them all.
//!
//! - [`licenses`]: the license rules' findings (`license/<rule>`), always;
//! - [`abi`]: `[abi] expected = …`, the `abi diff` of scanned libraries against a baseline
//!   (`abi/removed`, `abi/changed`, `abi/missing`);
//! - [`plugins`]: `[plugins] host = …`, `plugin-check`'s prediction (`plugin/<check>`).
//!
//! A check fails when one of its findings has level error.
//!
//! Layer: checks. May use enrichers, catalogers (symbols, ABI), [`crate::plugin`] and the model;
//! rendering lives in the report writers, above.

pub mod abi;
pub mod finding;
pub mod licenses;
pub mod plugins;

use serde::Serialize;

use crate::license::policy::Policy;
use crate::model::Document;
use finding::{Finding, Level, Rule};

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRun {
    /// `licenses`, `abi` or `plugins`.
    pub check: &'static str,
    /// One line: what was checked against what.
    pub subject: String,
    pub passed: bool,
    pub findings: Vec<Finding>,
}

impl CheckRun {
    pub fn new(check: &'static str, subject: String, mut findings: Vec<Finding>) -> CheckRun {
        findings.sort();
        findings.dedup();
        CheckRun {
            check,
            subject,
            passed: !findings.iter().any(|f| f.level == Level::Error),
            findings,
        }
    }
}

/// Every check's outcome, in the order run.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub passed: bool,
    pub checks: Vec<CheckRun>,
}

impl CheckReport {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.checks.iter().flat_map(|c| &c.findings)
    }
}

/// Runs the license check, then `[abi]` and `[plugins]` when the policy has them. An error
/// (unreadable baseline or host, a misconfigured section) stops the run: exit 2, not a verdict.
pub fn run(doc: &Document, policy: &Policy) -> Result<CheckReport, String> {
    let mut checks = vec![licenses::check(doc)];
    if let Some(section) = &policy.abi {
        checks.push(abi::check(doc, section)?);
    }
    if let Some(section) = &policy.plugins {
        checks.push(plugins::check(doc, section)?);
    }
    Ok(CheckReport {
        passed: checks.iter().all(|c| c.passed),
        checks,
    })
}

/// Every rule `assay check` can report, for SARIF's rule list.
pub fn rules() -> Vec<Rule> {
    let mut rules = licenses::rules();
    rules.extend(abi::rules());
    rules.extend(plugins::rules());
    rules
}
