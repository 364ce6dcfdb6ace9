//! Reports about findings (as opposed to SBOMs about contents): the generic [`Finding`] every
//! check produces and the writers for it.

pub mod sarif;

use serde::Serialize;

/// How serious a finding is; the SARIF `level` of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// A kind of finding: documented once, referenced by every finding of that kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, e.g. `assay/unreadable-binary`, `license/denied`.
    pub id: String,
    /// One sentence: what the rule detects.
    pub description: String,
    pub default_level: Level,
    /// Where the rule is explained in full, if anywhere.
    pub help_uri: Option<String>,
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub rule_id: String,
    pub level: Level,
    pub message: String,
    /// The file concerned, relative to the repository / scan root when possible.
    pub path: Option<String>,
    /// 1-based line, for findings in text files (policy files, manifests).
    pub line: Option<u64>,
}

/// The rule assay's scan problems are reported under.
pub fn scan_problem_rule() -> Rule {
    Rule {
        id: "assay/unreadable-binary".into(),
        description: "A binary, or part of one, could not be read or is malformed".into(),
        default_level: Level::Error,
        help_uri: None,
    }
}

/// A scan's problems as findings (errors stay errors, warnings warnings). Paths are made
/// relative to where assay ran — a single scanned directory's `./x` becomes `DIR/x` — since
/// that is where code scanning looks for them.
pub fn scan_problems(doc: &crate::model::Document) -> Vec<Finding> {
    let root = match doc.subject.targets.as_slice() {
        [single] => Some(single.trim_end_matches('/')),
        _ => None,
    };
    doc.problems
        .iter()
        .map(|p| Finding {
            rule_id: scan_problem_rule().id,
            level: match p.severity {
                crate::model::Severity::Error => Level::Error,
                crate::model::Severity::Warning => Level::Warning,
            },
            message: p.message.clone(),
            path: Some(match (root, p.path.strip_prefix("./")) {
                (Some(root), Some(rest)) => format!("{root}/{rest}"),
                _ => p.path.clone(),
            }),
            line: None,
        })
        .collect()
}
