//! The license rules' findings (already computed by the scan's license pass) as check
//! findings: rule `license/<rule>`, located at the first binary the component is in.

use super::finding::{Finding, Level, Rule};
use super::CheckRun;
use crate::license::FindingSeverity;
use crate::model::Document;

pub fn rule_id(rule: &str) -> String {
    format!("license/{rule}")
}

pub fn check(doc: &Document) -> CheckRun {
    let findings = doc
        .findings
        .iter()
        .map(|f| {
            let components: Vec<&crate::model::Component> = f
                .components
                .iter()
                .filter_map(|id| doc.components.iter().find(|c| &c.id == id))
                .collect();
            let names: Vec<String> = components
                .iter()
                .map(|c| match &c.version {
                    Some(v) => format!("{}@{v}", c.name),
                    None => c.name.clone(),
                })
                .collect();
            Finding {
                rule_id: rule_id(f.rule),
                level: level(f.severity),
                message: format!(
                    "{} ({}): {}",
                    names.join(" + "),
                    f.license.as_deref().unwrap_or("no license"),
                    f.explanation
                ),
                path: components
                    .first()
                    .and_then(|c| c.occurrences.first())
                    .map(|file| super::finding::file_path(doc, file)),
                line: None,
            }
        })
        .collect();
    CheckRun::new(
        "licenses",
        format!(
            "{} components against the license policy",
            doc.components.len()
        ),
        findings,
    )
}

pub fn level(severity: FindingSeverity) -> Level {
    match severity {
        FindingSeverity::Info => Level::Note,
        FindingSeverity::Warning => Level::Warning,
        FindingSeverity::Error => Level::Error,
    }
}

pub fn rules() -> Vec<Rule> {
    crate::license::rules::RULE_IDS
        .iter()
        .map(|rule| Rule {
            id: rule_id(rule),
            description: format!("License rule {rule} (README, \"License rules\")"),
            default_level: default_level(rule),
            help_uri: None,
        })
        .collect()
}

/// The rule's severity before policy overrides (README, "License rules").
fn default_level(rule: &str) -> Level {
    match rule {
        "or-later-upgrade" | "weak-copyleft-static" | "ambiguous-detection" | "clarify-stale" => {
            Level::Warning
        }
        "linking-exception" | "attribution-required" => Level::Note,
        _ => Level::Error,
    }
}
