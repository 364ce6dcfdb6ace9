//! `[plugins] host = "…"`: will the Go plugins load into the host, in order? Predicted by
//! `plugin-check`'s model ([`crate::plugin::predict`]). Plugins: `plugins` when given, else
//! every scanned Go plugin (`-buildmode=plugin`), in name order.

use std::path::{Path, PathBuf};

use super::finding::{Finding, Level, Rule};
use super::CheckRun;
use crate::license::policy::PluginPolicy;
use crate::model::Document;
use crate::plugin::{self, Check, Outcome, PluginInput};

pub const UNPREDICTABLE: &str = "plugin/unpredictable";

pub fn rule_id(check: Check) -> String {
    format!("plugin/{}", check.as_str())
}

pub fn rules() -> Vec<Rule> {
    let mut rules: Vec<Rule> = Check::ALL
        .iter()
        .map(|c| Rule {
            id: rule_id(*c),
            description: format!("plugin.Open would fail the runtime's {} check", c.as_str()),
            default_level: Level::Error,
            help_uri: None,
        })
        .collect();
    rules.push(Rule {
        id: UNPREDICTABLE.into(),
        description: "Whether the plugin loads cannot be predicted from the files".into(),
        default_level: Level::Error,
        help_uri: None,
    });
    rules
}

pub fn check(doc: &Document, policy: &PluginPolicy) -> Result<CheckRun, String> {
    let host =
        plugin::image::read_host(&policy.host).map_err(|e| format!("[plugins] host: {e}"))?;
    let paths = match &policy.plugins {
        Some(list) => list.clone(),
        None => scanned_plugins(doc, &policy.host),
    };
    let mut inputs = Vec::new();
    for path in &paths {
        let image = plugin::image::read(path).map_err(|e| format!("[plugins]: {e}"))?;
        inputs.push(PluginInput {
            name: path.display().to_string(),
            image,
        });
    }
    let verdicts = plugin::predict(&host, &inputs, None);
    let findings = verdicts
        .iter()
        .filter(|v| v.outcome != Outcome::Loads)
        .map(|v| {
            let mut message = v
                .error
                .clone()
                .unwrap_or_else(|| format!("{} would not load", v.name));
            if let Some(why) = v.explanation.first() {
                message.push_str(&format!(": {why}"));
            }
            if let Some(fix) = &v.hint {
                message.push_str(&format!(" Fix: {fix}"));
            }
            Finding {
                rule_id: match (v.outcome, v.failed_check) {
                    (Outcome::Fails, Some(check)) => rule_id(check),
                    _ => UNPREDICTABLE.into(),
                },
                level: Level::Error,
                message,
                path: Some(v.name.clone()),
                line: None,
            }
        })
        .collect();
    Ok(CheckRun::new(
        "plugins",
        format!(
            "{} plugin(s) into host {}",
            paths.len(),
            policy.host.display()
        ),
        findings,
    ))
}

/// Scanned files built with `-buildmode=plugin`, other than the host, sorted by name.
fn scanned_plugins(doc: &Document, host: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = doc
        .files
        .iter()
        .filter(|f| {
            f.go_slices()
                .any(|(_, go)| go.modinfo.setting("-buildmode") == Some("plugin"))
        })
        .map(|f| PathBuf::from(super::finding::file_path(doc, &f.name)))
        .filter(|p| !same_file(p, host))
        .collect();
    out.sort();
    out
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
