//! SARIF 2.1.0 (the OASIS standard GitHub code scanning reads): one run by assay, its rules,
//! and one result per finding with the file as its location.

use serde_json::{json, Value};

use crate::check::finding::{Finding, Rule};

pub const VERSION: &str = "2.1.0";
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders findings as a SARIF log. Rules that no finding uses are listed too (code scanning
/// shows them as checked); a finding whose rule is not in `rules` gets a bare rule entry.
pub fn render(rules: &[Rule], findings: &[Finding]) -> String {
    let mut rules: Vec<Rule> = rules.to_vec();
    for f in findings {
        if !rules.iter().any(|r| r.id == f.rule_id) {
            rules.push(Rule {
                id: f.rule_id.clone(),
                description: f.rule_id.clone(),
                default_level: f.level,
                help_uri: None,
            });
        }
    }
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut rule = json!({
                "id": r.id,
                "shortDescription": {"text": r.description},
                "defaultConfiguration": {"level": r.default_level.as_str()},
            });
            if let Some(uri) = &r.help_uri {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule_id,
                "ruleIndex": rules.iter().position(|r| r.id == f.rule_id).unwrap_or(0),
                "level": f.level.as_str(),
                "message": {"text": f.message},
            });
            if let Some(path) = &f.path {
                let mut location = json!({
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(path), "uriBaseId": "%SRCROOT%"},
                    },
                });
                if let Some(line) = f.line.filter(|l| *l > 0) {
                    location["physicalLocation"]["region"] = json!({"startLine": line});
                }
                result["locations"] = json!([location]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "assay",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rule_values,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = crate::json::to_json(&log);
    out.push('\n');
    out
}

/// A relative path as a URI reference: `./` dropped, every byte outside the unreserved set
/// and `/` percent-encoded (file names may hold spaces, `#`, `?` or anything else).
fn uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::check::finding::{Finding, Level};

    #[test]
    fn locations_are_uri_references_and_rules_are_indexed() {
        let findings = [Finding {
            rule_id: "license/denied".into(),
            level: Level::Error,
            message: "GPL-3.0-only is denied".into(),
            path: Some("./dist/my tool#1".into()),
            line: None,
        }];
        let log: serde_json::Value =
            serde_json::from_str(&super::render(&[], &findings)).expect("json");
        let result = &log["runs"][0]["results"][0];
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "dist/my%20tool%231"
        );
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][0]["id"],
            "license/denied"
        );
    }
}
