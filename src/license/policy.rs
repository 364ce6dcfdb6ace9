//! `assay.toml`, in the spirit of cargo-deny's `[licenses]`. Unknown keys are errors that
//! name the key (serde `deny_unknown_fields`).
//!
//! ```toml
//! [licenses]
//! allow = ["MIT", "Apache-2.0", "BSD-3-Clause"]   # when non-empty, everything else fails
//! deny = ["AGPL-3.0-only"]
//! confidence-threshold = 0.8
//! outbound = "Apache-2.0"                          # the product's own license
//! [licenses.severity]                              # per-rule overrides
//! weak-copyleft-static = "error"
//! [[licenses.exceptions]]                          # extra allowed licenses for one component
//! name = "github.com/hashicorp/golang-lru"
//! allow = ["MPL-2.0"]
//! [[licenses.clarify]]                             # pin a component's license to file hashes
//! name = "github.com/example/odd"
//! expression = "MIT"
//! license-files = [{ path = "LICENSE", hash = "<sha256>" }]
//!
//! [abi]                                            # `assay check`: ABI against a baseline
//! expected = "abi/libfoo.json"                     # an `assay abi dump` file (or a name list)
//! target = "dist/libfoo.so"                        # optional: which scanned file to compare
//!
//! [plugins]                                        # `assay check`: Go plugins load into host
//! host = "dist/server"
//! plugins = ["dist/plugins/auth.so"]               # optional: default every plugin scanned
//!
//! [loader]                                         # `assay check`: will the image's programs load
//! ignore = ["undefined-symbol"]                    # optional: rules not reported
//! warn = ["library-not-found"]                     # optional: rules reported as warnings
//! ```
//!
//! Paths in `[abi]` and `[plugins]` are relative to the policy file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::db::LicenseDb;
use super::expr::{LicenseExpr, LicenseUnit};
use super::{ComponentLicense, FindingSeverity, LicenseEvidence, LicenseSource};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default)]
    pub licenses: LicensePolicy,
    pub abi: Option<AbiPolicy>,
    pub plugins: Option<PluginPolicy>,
    pub loader: Option<LoaderPolicy>,
}

/// `[loader]`: the loader model's findings (docs/images.md) as a gate.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoaderPolicy {
    /// Rule ids not reported.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Rule ids reported as warnings (they do not fail the check).
    #[serde(default)]
    pub warn: Vec<String>,
}

/// `[abi]`: compare scanned libraries' exports with a baseline (`assay abi diff`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbiPolicy {
    /// The baseline: `assay abi dump` JSON, a list of names, or a binary.
    pub expected: PathBuf,
    /// The scanned file to compare; default: every scanned file whose SONAME / install name
    /// is the baseline's.
    pub target: Option<PathBuf>,
}

/// `[plugins]`: predict whether Go plugins load into a host (`assay plugin-check`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginPolicy {
    /// The executable that calls `plugin.Open`.
    pub host: PathBuf,
    /// Plugins in load order; default: every Go plugin among the scanned files, by name.
    pub plugins: Option<Vec<PathBuf>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LicensePolicy {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default = "default_threshold")]
    pub confidence_threshold: f32,
    pub outbound: Option<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, FindingSeverity>,
    #[serde(default)]
    pub exceptions: Vec<ComponentException>,
    #[serde(default)]
    pub clarify: Vec<Clarify>,
}

impl Default for LicensePolicy {
    fn default() -> Self {
        LicensePolicy {
            allow: Vec::new(),
            deny: Vec::new(),
            confidence_threshold: default_threshold(),
            outbound: None,
            severity: BTreeMap::new(),
            exceptions: Vec::new(),
            clarify: Vec::new(),
        }
    }
}

fn default_threshold() -> f32 {
    0.8
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentException {
    /// Component name (Go module path).
    pub name: String,
    pub version: Option<String>,
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Clarify {
    pub name: String,
    pub version: Option<String>,
    pub expression: String,
    /// The clarification holds only while the component's license files have these hashes.
    #[serde(default)]
    pub license_files: Vec<ClarifyFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClarifyFile {
    pub path: String,
    pub hash: String,
}

/// A policy with its expressions parsed, ready for the rules.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub raw: LicensePolicy,
    pub allow: Vec<LicenseUnit>,
    pub deny: Vec<LicenseUnit>,
    pub outbound: Option<LicenseExpr>,
    /// `[abi]`, paths resolved against the policy file's directory.
    pub abi: Option<AbiPolicy>,
    /// `[plugins]`, paths resolved against the policy file's directory.
    pub plugins: Option<PluginPolicy>,
    /// `[loader]`.
    pub loader: Option<LoaderPolicy>,
}

impl Policy {
    pub fn load(path: &Path, db: &LicenseDb) -> Result<Policy, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut policy = Self::parse(&text, db).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        if let Some(abi) = &mut policy.abi {
            abi.expected = base.join(&abi.expected);
            abi.target = abi.target.as_ref().map(|t| base.join(t));
        }
        if let Some(plugins) = &mut policy.plugins {
            plugins.host = base.join(&plugins.host);
            if let Some(list) = &mut plugins.plugins {
                for p in list.iter_mut() {
                    *p = base.join(&*p);
                }
            }
        }
        Ok(policy)
    }

    pub fn parse(text: &str, db: &LicenseDb) -> Result<Policy, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut policy = Self::from_raw(file.licenses, db)?;
        policy.abi = file.abi;
        policy.plugins = file.plugins;
        if let Some(loader) = &file.loader {
            for rule in loader.ignore.iter().chain(&loader.warn) {
                if !crate::loader::RULES.iter().any(|(id, _)| id == rule) {
                    return Err(format!("[loader]: unknown rule {rule:?}"));
                }
            }
        }
        policy.loader = file.loader;
        Ok(policy)
    }

    /// Whether `deny` names the unit.
    pub fn denies(&self, unit: &LicenseUnit) -> bool {
        self.deny.contains(unit)
    }

    /// Whether `allow` (or a component exception) admits the unit; true when `allow` is empty.
    pub fn allows(
        &self,
        name: &str,
        version: Option<&str>,
        unit: &LicenseUnit,
        db: &LicenseDb,
    ) -> bool {
        self.allow.is_empty()
            || self.allow.contains(unit)
            || self.exception_allows(name, version, unit, db)
    }

    pub fn from_raw(raw: LicensePolicy, db: &LicenseDb) -> Result<Policy, String> {
        let units = |list: &[String], key: &str| -> Result<Vec<LicenseUnit>, String> {
            let mut out = Vec::new();
            for s in list {
                let e = LicenseExpr::parse(s, db).map_err(|e| format!("licenses.{key}: {e}"))?;
                match e {
                    LicenseExpr::Unit(u) => out.push(u),
                    _ => {
                        return Err(format!(
                        "licenses.{key}: {s:?} must be one license (optionally WITH an exception)"
                    ))
                    }
                }
            }
            Ok(out)
        };
        if !(0.0..=1.0).contains(&raw.confidence_threshold) {
            return Err("licenses.confidence-threshold must be between 0 and 1".into());
        }
        for rule in raw.severity.keys() {
            if !super::rules::RULE_IDS.contains(&rule.as_str()) {
                return Err(format!(
                    "licenses.severity: unknown rule {rule:?} (rules: {})",
                    super::rules::RULE_IDS.join(", ")
                ));
            }
        }
        for c in &raw.clarify {
            LicenseExpr::parse(&c.expression, db)
                .map_err(|e| format!("licenses.clarify {}: {e}", c.name))?;
        }
        for x in &raw.exceptions {
            units(&x.allow, "exceptions.allow")?;
        }
        let outbound = match &raw.outbound {
            Some(o) => {
                Some(LicenseExpr::parse(o, db).map_err(|e| format!("licenses.outbound: {e}"))?)
            }
            None => None,
        };
        Ok(Policy {
            allow: units(&raw.allow, "allow")?,
            deny: units(&raw.deny, "deny")?,
            outbound,
            raw,
            abi: None,
            plugins: None,
            loader: None,
        })
    }

    /// Extra licenses allowed for one component.
    pub fn exception_allows(
        &self,
        name: &str,
        version: Option<&str>,
        unit: &LicenseUnit,
        db: &LicenseDb,
    ) -> bool {
        self.raw.exceptions.iter().any(|x| {
            x.name == name
                && (x.version.is_none() || x.version.as_deref() == version)
                && x.allow.iter().any(|a| {
                    LicenseExpr::parse(a, db)
                        .map(|e| e == LicenseExpr::Unit(unit.clone()))
                        .unwrap_or(false)
                })
        })
    }

    /// Applies `[[licenses.clarify]]`: the expression replaces the resolved one when every
    /// pinned file hash is among the evidence. A stale pin is reported, never applied.
    pub fn clarify(
        &self,
        name: &str,
        version: Option<&str>,
        lic: &mut ComponentLicense,
    ) -> Option<String> {
        let c =
            self.raw.clarify.iter().find(|c| {
                c.name == name && (c.version.is_none() || c.version.as_deref() == version)
            })?;
        let hashes_match = c.license_files.iter().all(|f| {
            lic.evidence.iter().any(|e| {
                e.file == f.path
                    && e.sha256
                        .as_deref()
                        .map(|h| h.eq_ignore_ascii_case(f.hash.trim_start_matches("sha256:")))
                        .unwrap_or(false)
            })
        });
        if !hashes_match {
            return Some(format!(
                "clarify for {name} not applied: its license-files hashes do not match the license files found ({})",
                lic.evidence.iter().filter_map(|e| e.sha256.as_ref().map(|h| format!("{} {h}", e.file))).collect::<Vec<_>>().join(", ")
            ));
        }
        let mut evidence = lic.evidence.clone();
        evidence.push(LicenseEvidence {
            file: "assay.toml [[licenses.clarify]]".into(),
            sha256: None,
            expression: Some(c.expression.clone()),
        });
        *lic = ComponentLicense {
            expression: Some(c.expression.clone()),
            source: LicenseSource::PolicyClarify,
            location: lic.location.clone(),
            confidence: 1.0,
            method: "clarify".into(),
            evidence,
            extracted: Vec::new(),
            file_texts: lic.file_texts.clone(),
        };
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::db::bundled;

    #[test]
    fn full_policy_parses() {
        let p = Policy::parse(
            r#"
[licenses]
allow = ["MIT", "Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"]
deny = ["AGPL-3.0-only"]
confidence-threshold = 0.9
outbound = "Apache-2.0"
[licenses.severity]
weak-copyleft-static = "error"
[[licenses.exceptions]]
name = "github.com/hashicorp/golang-lru"
allow = ["MPL-2.0"]
[[licenses.clarify]]
name = "github.com/x/y"
expression = "MIT"
license-files = [{ path = "LICENSE", hash = "abc" }]
"#,
            bundled(),
        )
        .unwrap();
        assert_eq!(p.allow.len(), 3);
        assert_eq!(p.raw.confidence_threshold, 0.9);
        assert_eq!(p.outbound.unwrap().to_string(), "Apache-2.0");
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Policy::parse("[licenses]\nallowed = [\"MIT\"]\n", bundled()).unwrap_err();
        assert!(e.contains("allowed"), "{e}");
        let e = Policy::parse("[license]\n", bundled()).unwrap_err();
        assert!(e.contains("license"), "{e}");
        let e = Policy::parse("[licenses.severity]\nno-such-rule = \"error\"\n", bundled())
            .unwrap_err();
        assert!(e.contains("no-such-rule"), "{e}");
        let e = Policy::parse(
            "[[licenses.clarify]]\nname = \"a\"\nexpression = \"MIT\"\nhashes = []\n",
            bundled(),
        )
        .unwrap_err();
        assert!(e.contains("hashes"), "{e}");
    }

    #[test]
    fn abi_and_plugin_sections_parse_and_reject_unknown_keys() {
        let p = Policy::parse(
            "[abi]\nexpected = \"abi.json\"\n[plugins]\nhost = \"bin/server\"\nplugins = [\"a.so\"]\n",
            bundled(),
        )
        .unwrap();
        assert_eq!(p.abi.unwrap().expected, PathBuf::from("abi.json"));
        assert_eq!(p.plugins.unwrap().plugins.unwrap(), [PathBuf::from("a.so")]);
        let e = Policy::parse("[abi]\nbaseline = \"x\"\n", bundled()).unwrap_err();
        assert!(e.contains("baseline"), "{e}");
        let e = Policy::parse("[plugins]\nhost = \"h\"\norder = []\n", bundled()).unwrap_err();
        assert!(e.contains("order"), "{e}");
        let e = Policy::parse("[abi]\n", bundled()).unwrap_err();
        assert!(e.contains("expected"), "{e}");
    }

    #[test]
    fn clarify_is_pinned_by_hash() {
        let p = Policy::parse(
            "[[licenses.clarify]]\nname = \"m\"\nexpression = \"MIT\"\nlicense-files = [{ path = \"LICENSE\", hash = \"aa\" }]\n",
            bundled(),
        )
        .unwrap();
        let mut lic = ComponentLicense::not_found();
        lic.evidence.push(LicenseEvidence {
            file: "LICENSE".into(),
            sha256: Some("bb".into()),
            expression: None,
        });
        assert!(p.clarify("m", None, &mut lic).is_some());
        assert_eq!(lic.expression, None);
        lic.evidence[0].sha256 = Some("AA".into());
        assert!(p.clarify("m", None, &mut lic).is_none());
        assert_eq!(lic.expression.as_deref(), Some("MIT"));
        assert_eq!(lic.source, LicenseSource::PolicyClarify);
    }
}
