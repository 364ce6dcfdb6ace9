//! `assay diff` output: text for the terminal, JSON for programs, Markdown for a
//! pull-request comment.

use std::fmt::Write;

use crate::diff::{Diff, Item};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

pub const FORMATS: &[(&str, &str)] = &[
    ("text", "human-readable (default)"),
    (
        "json",
        "the diff as JSON: added, removed, changed, license_changes, findings, summary",
    ),
    (
        "markdown",
        "a Markdown summary and table, for a pull-request comment",
    ),
];

impl std::str::FromStr for DiffFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(DiffFormat::Text),
            "json" => Ok(DiffFormat::Json),
            "markdown" | "md" => Ok(DiffFormat::Markdown),
            other => Err(format!(
                "unknown diff output format {other:?}; expected one of: text, json, markdown"
            )),
        }
    }
}

pub fn render(diff: &Diff, format: DiffFormat, color: bool) -> String {
    let mut out = match format {
        DiffFormat::Text => text(diff, color),
        DiffFormat::Json => crate::json::to_json(diff),
        DiffFormat::Markdown => markdown(diff),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn version(item: &Item) -> &str {
    item.version.as_deref().unwrap_or("-")
}

fn list(values: &[String]) -> String {
    if values.iter().all(String::is_empty) {
        "-".into()
    } else {
        values.join(", ")
    }
}

fn summary_line(diff: &Diff) -> String {
    let s = &diff.summary;
    format!(
        "{} added, {} removed, {} changed, {} license changes, {} new findings, {} resolved findings",
        s.added, s.removed, s.changed, s.license_changes, s.new_findings, s.resolved_findings
    )
}

fn text(diff: &Diff, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}, {} components) -> {} ({}, {} components)",
        diff.old.source,
        diff.old.format,
        diff.old.components,
        diff.new.source,
        diff.new.format,
        diff.new.components
    );
    if diff.is_empty() {
        out.push_str("no changes\n");
        return out;
    }
    let mut section = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                paint("1", &format!("{title} ({})", lines.len()))
            );
            for l in lines {
                let _ = writeln!(out, "  {l}");
            }
        }
    };
    section(
        "Added",
        diff.added
            .iter()
            .map(|i| paint("32", &format!("+ {} {}", i.name, version(i))))
            .collect(),
    );
    section(
        "Removed",
        diff.removed
            .iter()
            .map(|i| paint("31", &format!("- {} {}", i.name, version(i))))
            .collect(),
    );
    section(
        "Version changed",
        diff.changed
            .iter()
            .map(|c| format!("~ {} {} -> {}", c.name, list(&c.old), list(&c.new)))
            .collect(),
    );
    section(
        "License changed",
        diff.license_changes
            .iter()
            .map(|c| format!("~ {} {} -> {}", c.name, list(&c.old), list(&c.new)))
            .collect(),
    );
    section(
        "New findings",
        diff.new_findings
            .iter()
            .map(|f| paint("33", &format!("! {f}")))
            .collect(),
    );
    section(
        "Resolved findings",
        diff.resolved_findings
            .iter()
            .map(|f| format!("  {f}"))
            .collect(),
    );
    let _ = writeln!(out, "\n{}", summary_line(diff));
    out
}

/// Markdown text from an untrusted document: one line, no table breaks, no HTML.
fn cell(s: &str) -> String {
    one_line(&s.replace('\\', "\\\\"))
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn one_line(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A code span (shown literally, so only pipes and backticks need care).
fn code(s: &str) -> String {
    if s.is_empty() || s == "-" {
        String::new()
    } else {
        format!("`{}`", one_line(s).replace('`', "'"))
    }
}

fn markdown(diff: &Diff) -> String {
    let mut out = String::from("### assay diff\n\n");
    let _ = writeln!(
        out,
        "{} ({}) → {} ({})\n",
        code(&diff.old.source),
        cell(&diff.old.format),
        code(&diff.new.source),
        cell(&diff.new.format)
    );
    if diff.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    let _ = writeln!(out, "**{}**\n", summary_line(diff));
    let mut rows: Vec<[String; 4]> = Vec::new();
    for i in &diff.added {
        rows.push([
            "added".into(),
            code(&i.name),
            String::new(),
            code(version(i)),
        ]);
    }
    for i in &diff.removed {
        rows.push([
            "removed".into(),
            code(&i.name),
            code(version(i)),
            String::new(),
        ]);
    }
    for c in &diff.changed {
        rows.push([
            "version".into(),
            code(&c.name),
            code(&list(&c.old)),
            code(&list(&c.new)),
        ]);
    }
    for c in &diff.license_changes {
        rows.push([
            "license".into(),
            code(&c.name),
            code(&list(&c.old)),
            code(&list(&c.new)),
        ]);
    }
    if !rows.is_empty() {
        out.push_str("| change | component | old | new |\n|---|---|---|---|\n");
        for r in rows {
            let _ = writeln!(out, "| {} | {} | {} | {} |", r[0], r[1], r[2], r[3]);
        }
    }
    for (title, findings) in [
        ("New findings", &diff.new_findings),
        ("Resolved findings", &diff.resolved_findings),
    ] {
        if !findings.is_empty() {
            let _ = writeln!(out, "\n**{title}**\n");
            for f in findings {
                let _ = writeln!(out, "- {}", cell(f));
            }
        }
    }
    out
}
