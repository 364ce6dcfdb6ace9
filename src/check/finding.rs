//! The generic finding every check produces (license rules, ABI, plugins, scan problems): a
//! rule, a level, a message and where. Rendered by the report writers above the checks.

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    #[serde(rename = "rule")]
    pub rule_id: String,
    pub level: Level,
    pub message: String,
    /// The file concerned, relative to the repository / scan root when possible.
    pub path: Option<String>,
    /// 1-based line, for findings in text files (policy files, manifests).
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// Where a scanned file is, relative to where assay ran: file names are relative to the scan
/// root, so a single scanned directory's `./x` is `DIR/x` (where code scanning and the user
/// look for it); a file target and several targets are named as given.
pub fn file_path(doc: &crate::model::Document, name: &str) -> String {
    let root = match doc.subject.targets.as_slice() {
        [single] if std::path::Path::new(single).is_dir() => Some(single.trim_end_matches('/')),
        _ => None,
    };
    match (root, name.strip_prefix("./")) {
        (Some(root), Some(rest)) => format!("{root}/{rest}"),
        _ => name.to_string(),
    }
}

/// A scan's problems as findings (errors stay errors, warnings warnings), located with
/// [`file_path`].
pub fn scan_problems(doc: &crate::model::Document) -> Vec<Finding> {
    doc.problems
        .iter()
        .map(|p| Finding {
            rule_id: scan_problem_rule().id,
            level: match p.severity {
                crate::model::Severity::Error => Level::Error,
                crate::model::Severity::Warning => Level::Warning,
            },
            message: p.message.clone(),
            path: Some(file_path(doc, &p.path)),
            line: None,
        })
        .collect()
}
