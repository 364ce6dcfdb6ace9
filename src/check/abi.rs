//! `[abi] expected = "baseline"`: scanned libraries' exports compared with the baseline by
//! `abi diff` ([`crate::catalog::native::abi::diff`]). Which files: `target` when given; otherwise
//! every scanned file whose SONAME / install name (`assay:native:id`) is one the baseline
//! records. A baseline that records none (a plain name list) needs `target`.

use std::path::{Path, PathBuf};

use super::finding::{Finding, Level, Rule};
use super::CheckRun;
use crate::catalog::native::abi::{self, AbiDiff};
use crate::license::policy::AbiPolicy;
use crate::model::Document;

pub const REMOVED: &str = "abi/removed";
pub const CHANGED: &str = "abi/changed";
pub const MISSING: &str = "abi/missing";

pub fn rules() -> Vec<Rule> {
    let rule = |id: &str, description: &str, level| Rule {
        id: id.into(),
        description: description.into(),
        default_level: level,
        help_uri: None,
    };
    vec![
        rule(REMOVED, "An exported symbol of the ABI baseline is gone (breaking)", Level::Error),
        rule(
            CHANGED,
            "An exported symbol changed kind, binding, version node, size or signature (error when breaking)",
            Level::Error,
        ),
        rule(MISSING, "No scanned file provides the library the ABI baseline describes", Level::Error),
    ]
}

pub fn check(doc: &Document, policy: &AbiPolicy) -> Result<CheckRun, String> {
    let expected = &policy.expected;
    let mut problems = Vec::new();
    let baseline = abi::load(expected, &mut |p| problems.push(p.to_string()))
        .map_err(|e| format!("[abi] expected: {e}"))?;
    let ids: Vec<&str> = baseline
        .slices
        .iter()
        .filter_map(|s| s.id.as_deref())
        .collect();
    let targets: Vec<PathBuf> = match &policy.target {
        Some(t) => vec![t.clone()],
        None if ids.is_empty() => {
            return Err(format!(
            "[abi]: {} records no SONAME / install name; name the file to compare with `target`",
            expected.display()
        ))
        }
        None => scanned_providers(doc, &ids),
    };
    let mut findings = Vec::new();
    for p in problems {
        findings.push(Finding {
            rule_id: super::finding::scan_problem_rule().id,
            level: Level::Warning,
            message: format!("ABI baseline incomplete: {p}"),
            path: Some(expected.display().to_string()),
            line: None,
        });
    }
    if targets.is_empty() {
        findings.push(Finding {
            rule_id: MISSING.into(),
            level: Level::Error,
            message: format!(
                "no scanned file is {} (the library {} describes)",
                ids.join(" or "),
                expected.display()
            ),
            path: Some(expected.display().to_string()),
            line: None,
        });
    }
    for target in &targets {
        let actual = abi::load(target, &mut |p| {
            findings.push(Finding {
                rule_id: super::finding::scan_problem_rule().id,
                level: Level::Warning,
                message: format!("exports not fully readable: {p}"),
                path: Some(target.display().to_string()),
                line: None,
            })
        })
        .map_err(|e| format!("[abi] target: {e}"))?;
        findings.extend(findings_of(
            &abi::diff(&baseline, &actual),
            expected,
            target,
        ));
    }
    let names: Vec<String> = targets.iter().map(|t| t.display().to_string()).collect();
    Ok(CheckRun::new(
        "abi",
        format!(
            "{} against the ABI baseline {}",
            if names.is_empty() {
                "(no file)".to_string()
            } else {
                names.join(", ")
            },
            expected.display()
        ),
        findings,
    ))
}

/// Scanned files whose `assay:native:id` is one of `ids`, as paths from where assay ran.
fn scanned_providers(doc: &Document, ids: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = doc
        .files
        .iter()
        .filter(|f| {
            f.slices.iter().any(|s| {
                s.properties
                    .iter()
                    .any(|p| p.name == "assay:native:id" && ids.contains(&p.value.as_str()))
            })
        })
        .map(|f| PathBuf::from(super::finding::file_path(doc, &f.name)))
        .collect();
    out.sort();
    out
}

/// One finding per removed symbol and per changed one (errors when breaking, notes when a
/// change is compatible); added symbols are not findings.
fn findings_of(diff: &AbiDiff, expected: &Path, target: &Path) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = Some(target.display().to_string());
    for slice in &diff.slices {
        let arch = slice
            .arch
            .as_deref()
            .map(|a| format!(" [{a}]"))
            .unwrap_or_default();
        if slice.slice_missing {
            out.push(Finding {
                rule_id: REMOVED.into(),
                level: Level::Error,
                message: format!("slice{arch} of {} is missing", expected.display()),
                path: at.clone(),
                line: None,
            });
        }
        for s in &slice.removed {
            out.push(Finding {
                rule_id: REMOVED.into(),
                level: Level::Error,
                message: format!(
                    "{}{arch} removed (in {})",
                    s.display_name(),
                    expected.display()
                ),
                path: at.clone(),
                line: None,
            });
        }
        for c in &slice.changed {
            let what: Vec<String> = c.fields.iter().map(abi::FieldChange::describe).collect();
            out.push(Finding {
                rule_id: CHANGED.into(),
                level: if c.breaking {
                    Level::Error
                } else {
                    Level::Note
                },
                message: format!(
                    "{}{arch}: {}{}{}",
                    c.name,
                    what.join("; "),
                    if c.breaking {
                        " (breaking)"
                    } else {
                        " (compatible)"
                    },
                    c.note
                        .as_ref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
                path: at.clone(),
                line: None,
            });
        }
    }
    out
}
