//! `assay check` output: a table for people, JSON for scripts, SARIF (via
//! [`super::sarif`]) for code scanning.

use std::fmt::Write as _;

use crate::check::finding::Level;
use crate::check::CheckReport;

/// One block per check (`ok` / `FAIL`, then its findings), then the overall result. With
/// `only_errors`, findings below error level are left out.
pub fn table(report: &CheckReport, only_errors: bool) -> String {
    let mut out = String::new();
    for run in &report.checks {
        let _ = writeln!(
            out,
            "{:<9} {:<4}  {}",
            run.check,
            if run.passed { "ok" } else { "FAIL" },
            run.subject
        );
        for f in &run.findings {
            if only_errors && f.level != Level::Error {
                continue;
            }
            let _ = write!(
                out,
                "  {:<7} {}: {}",
                f.level.as_str(),
                f.rule_id,
                f.message
            );
            if let Some(path) = &f.path {
                let _ = write!(out, " [{path}]");
            }
            out.push('\n');
        }
    }
    let count = |l: Level| report.findings().filter(|f| f.level == l).count();
    let _ = writeln!(
        out,
        "result: {} ({} errors, {} warnings, {} notes)",
        if report.passed { "ok" } else { "FAIL" },
        count(Level::Error),
        count(Level::Warning),
        count(Level::Note)
    );
    out
}

pub fn json(report: &CheckReport) -> String {
    let mut out = crate::json::to_json(report);
    out.push('\n');
    out
}

pub fn sarif(report: &CheckReport) -> String {
    let findings: Vec<_> = report.findings().cloned().collect();
    super::sarif::render(&crate::check::rules(), &findings)
}
