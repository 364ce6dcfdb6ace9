//! `[loader]`: the predicted load failures of an image's or root filesystem's programs
//! ([`crate::loader`]) as check findings, rule `loader/<rule>`, located at the program.

use super::CheckRun;
use crate::check::finding::{Finding, Level, Rule};
use crate::license::policy::LoaderPolicy;
use crate::model::{Document, Severity};

pub fn rule_id(rule: &str) -> String {
    format!("loader/{rule}")
}

pub fn rules() -> Vec<Rule> {
    crate::loader::RULES
        .iter()
        .map(|(id, description)| Rule {
            id: rule_id(id),
            description: description.to_string(),
            default_level: if *id == "undefined-symbol" {
                Level::Warning
            } else {
                Level::Error
            },
            help_uri: None,
        })
        .collect()
}

pub fn check(doc: &Document, policy: &LoaderPolicy) -> CheckRun {
    let programs = doc
        .loader_findings
        .iter()
        .map(|f| f.file_id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let findings = doc
        .loader_findings
        .iter()
        .filter(|f| !policy.ignore.iter().any(|r| r == f.rule))
        .map(|f| Finding {
            rule_id: rule_id(f.rule),
            level: if f.severity == Severity::Error && !policy.warn.iter().any(|r| r == f.rule) {
                Level::Error
            } else {
                Level::Warning
            },
            message: format!("{} ({})", f.message, f.evidence.join("; ")),
            path: Some(crate::check::finding::file_path(doc, &f.file)),
            line: None,
        })
        .collect();
    CheckRun::new(
        "loader",
        format!("{programs} programs with predicted load failures"),
        findings,
    )
}
