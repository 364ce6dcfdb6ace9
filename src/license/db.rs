//! The bundled license-db (`license-db/` in the repository), compiled into the binary so the
//! default needs neither network nor files.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

const LICENSES_TOML: &str = include_str!("../../license-db/licenses.toml");
const EXCEPTIONS_TOML: &str = include_str!("../../license-db/exceptions.toml");
const ALIASES_TOML: &str = include_str!("../../license-db/aliases.toml");
const OVERRIDES_TOML: &str = include_str!("../../license-db/overrides.toml");
const OSADL_JSON: &str = include_str!("../../license-db/osadl/matrix.json");
const MODULES_JSON: &str = include_str!("../../license-db/modules.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Permissive,
    WeakCopyleft,
    StrongCopyleft,
    NetworkCopyleft,
    PublicDomain,
    SourceAvailable,
    NonCommercial,
    Proprietary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyleftScope {
    None,
    File,
    Library,
    Program,
    Network,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseFacts {
    pub family: Family,
    pub copyleft_scope: CopyleftScope,
    pub static_linking: String,
    pub dynamic_linking: String,
    pub gpl2: bool,
    pub gpl3: bool,
    pub attribution: bool,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExceptionEffect {
    LinkingPermitted,
    Gpl2CompatibleApache,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionFacts {
    pub effect: ExceptionEffect,
    pub linking: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatOverride {
    pub leading: String,
    pub subordinate: String,
    pub verdict: String,
    pub rationale: String,
}

/// A hand-maintained entry for modules whose license changed across versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleRange {
    pub path: String,
    pub min: Option<String>,
    pub max: Option<String>,
    pub expression: String,
    pub evidence: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModuleEvidence {
    pub file: String,
    pub sha256: String,
    pub expression: String,
    pub confidence: f32,
    pub method: String,
}

/// A generated entry: the license of a module at the version that was examined.
#[derive(Debug, Clone, Deserialize)]
pub struct ModuleEntry {
    /// The newest version examined (the evidence is from it).
    pub version: String,
    /// Every examined version with the same expression.
    #[serde(default)]
    pub versions: Vec<String>,
    pub expression: String,
    pub confidence: f32,
    pub evidence: Vec<ModuleEvidence>,
}

#[derive(Deserialize)]
struct LicensesFile {
    #[allow(dead_code)]
    sources: BTreeMap<String, String>,
    license: BTreeMap<String, LicenseFacts>,
}

#[derive(Deserialize)]
struct ExceptionsFile {
    #[allow(dead_code)]
    sources: BTreeMap<String, String>,
    exception: BTreeMap<String, ExceptionFacts>,
}

#[derive(Deserialize)]
struct AliasesFile {
    alias: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverridesFile {
    compat: Vec<CompatOverride>,
    module: Vec<ModuleRange>,
}

#[derive(Deserialize)]
struct ModulesFile {
    provenance: serde_json::Value,
    modules: BTreeMap<String, ModuleEntry>,
}

pub struct LicenseDb {
    pub licenses: BTreeMap<String, LicenseFacts>,
    pub exceptions: BTreeMap<String, ExceptionFacts>,
    aliases: HashMap<String, String>,
    /// leading → subordinate → verdict (OSADL, then our overrides on top).
    compat: HashMap<String, HashMap<String, String>>,
    pub compat_overrides: Vec<CompatOverride>,
    pub module_ranges: Vec<ModuleRange>,
    pub modules: BTreeMap<String, ModuleEntry>,
    pub modules_provenance: serde_json::Value,
    /// SHA-256 of a license file → the verdict recorded for it (the generator classified it
    /// with this same classifier); hashes recorded with different verdicts are left out.
    known_texts: HashMap<String, (String, f32)>,
}

fn known_texts(modules: &BTreeMap<String, ModuleEntry>) -> HashMap<String, (String, f32)> {
    let mut index: HashMap<String, Option<(String, f32)>> = HashMap::new();
    for e in modules.values().flat_map(|m| &m.evidence) {
        let verdict = (e.expression.clone(), e.confidence);
        index
            .entry(e.sha256.clone())
            .and_modify(|known| {
                if known.as_ref().is_some_and(|k| k.0 != verdict.0) {
                    *known = None; // conflicting verdicts: trust neither
                }
            })
            .or_insert(Some(verdict));
    }
    index
        .into_iter()
        .filter_map(|(h, v)| Some((h, v?)))
        .collect()
}

/// The compiled-in database, parsed once. The data is checked by tests, so a parse failure
/// is a build defect, not an input error.
pub fn bundled() -> &'static LicenseDb {
    static DB: OnceLock<LicenseDb> = OnceLock::new();
    DB.get_or_init(|| LicenseDb::parse().expect("bundled license-db is valid (tested)"))
}

impl LicenseDb {
    /// The verdict for a license file whose exact bytes the database has seen.
    pub fn known_text(&self, sha256: &str) -> Option<(&str, f32)> {
        self.known_texts.get(sha256).map(|(e, c)| (e.as_str(), *c))
    }

    fn parse() -> Result<LicenseDb, String> {
        let licenses: LicensesFile =
            toml::from_str(LICENSES_TOML).map_err(|e| format!("licenses.toml: {e}"))?;
        let exceptions: ExceptionsFile =
            toml::from_str(EXCEPTIONS_TOML).map_err(|e| format!("exceptions.toml: {e}"))?;
        let aliases: AliasesFile =
            toml::from_str(ALIASES_TOML).map_err(|e| format!("aliases.toml: {e}"))?;
        let overrides: OverridesFile =
            toml::from_str(OVERRIDES_TOML).map_err(|e| format!("overrides.toml: {e}"))?;
        let modules: ModulesFile =
            serde_json::from_str(MODULES_JSON).map_err(|e| format!("modules.json: {e}"))?;
        let osadl: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(OSADL_JSON).map_err(|e| format!("osadl matrix: {e}"))?;
        let mut compat: HashMap<String, HashMap<String, String>> = HashMap::new();
        for (leading, row) in &osadl {
            let Some(row) = row.as_object() else {
                continue; // "timeformat", "timestamp"
            };
            let entry = compat.entry(leading.clone()).or_default();
            for (sub, verdict) in row {
                if let Some(v) = verdict.as_str() {
                    entry.insert(sub.clone(), v.to_string());
                }
            }
        }
        for o in &overrides.compat {
            compat
                .entry(o.leading.clone())
                .or_default()
                .insert(o.subordinate.clone(), o.verdict.clone());
        }
        Ok(LicenseDb {
            licenses: licenses.license,
            exceptions: exceptions.exception,
            aliases: aliases
                .alias
                .into_iter()
                .map(|(k, v)| (normalize_alias(&k), v))
                .collect(),
            compat,
            compat_overrides: overrides.compat,
            module_ranges: overrides.module,
            known_texts: known_texts(&modules.modules),
            modules: modules.modules,
            modules_provenance: modules.provenance,
        })
    }

    pub fn facts(&self, id: &str) -> Option<&LicenseFacts> {
        self.licenses.get(id)
    }

    pub fn exception(&self, id: &str) -> Option<&ExceptionFacts> {
        self.exceptions.get(id)
    }

    /// A non-SPDX name from our alias table.
    pub fn alias(&self, name: &str) -> Option<&str> {
        self.aliases.get(&normalize_alias(name)).map(String::as_str)
    }

    /// OSADL verdict (with our overrides): may `subordinate` be included in a work released
    /// under `leading`? `None` when the pair is not covered.
    pub fn compatibility(&self, leading: &str, subordinate: &str) -> Option<&str> {
        self.compat
            .get(leading)?
            .get(subordinate)
            .map(String::as_str)
    }

    /// The license of `path` at `version`: hand-written version ranges first, then the
    /// generated entry (exact when the version matches).
    pub fn module_license(&self, path: &str, version: Option<&str>) -> Option<ModuleLookup<'_>> {
        for r in self.module_ranges.iter().filter(|r| r.path == path) {
            let in_range = match version {
                Some(v) => {
                    r.min
                        .as_deref()
                        .map_or(true, |min| semver_cmp(v, min).is_ge())
                        && r.max
                            .as_deref()
                            .map_or(true, |max| semver_cmp(v, max).is_le())
                }
                None => r.min.is_none() && r.max.is_none(),
            };
            if in_range {
                return Some(ModuleLookup::Range(r));
            }
        }
        let entry = self.modules.get(path)?;
        Some(ModuleLookup::Generated {
            entry,
            exact: version
                .is_some_and(|v| v == entry.version || entry.versions.iter().any(|x| x == v)),
        })
    }
}

pub enum ModuleLookup<'a> {
    Range(&'a ModuleRange),
    Generated { entry: &'a ModuleEntry, exact: bool },
}

fn normalize_alias(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Compares Go semantic versions (`v1.2.3`, `v1.2.3-pre`, `+incompatible`) numerically;
/// a pre-release sorts before its release.
pub fn semver_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(v: &str) -> (Vec<u64>, Option<&str>) {
        let v = v.trim_start_matches('v');
        let v = v.split('+').next().unwrap_or(v);
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        (
            core.split('.').map(|n| n.parse().unwrap_or(0)).collect(),
            pre,
        )
    }
    let (ca, pa) = parts(a);
    let (cb, pb) = parts(b);
    ca.cmp(&cb).then_with(|| match (pa, pb) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_texts_answer_exact_bytes_only() {
        let db = bundled();
        let (path, entry) = db
            .modules
            .iter()
            .find(|(_, m)| !m.evidence.is_empty())
            .expect("the generated db has evidence");
        let e = &entry.evidence[0];
        let (expression, _) = db.known_text(&e.sha256).unwrap_or_else(|| panic!("{path}"));
        assert_eq!(expression, e.expression);
        assert!(db.known_text(&"0".repeat(64)).is_none());
    }

    use super::*;

    #[test]
    fn bundled_data_parses_and_is_consistent() {
        let db = LicenseDb::parse().unwrap();
        assert!(db.licenses.len() >= 35);
        for id in db.licenses.keys() {
            assert!(
                id.starts_with("LicenseRef-") || spdx::license_id(id).is_some(),
                "{id} is not an SPDX id"
            );
        }
        for id in db.exceptions.keys() {
            assert!(
                spdx::exception_id(id).is_some(),
                "{id} is not an SPDX exception"
            );
        }
        assert_eq!(db.compatibility("GPL-2.0-only", "Apache-2.0"), Some("No"));
        assert_eq!(db.compatibility("MIT", "MPL-2.0"), Some("Yes")); // our override
        assert_eq!(db.alias("Apache License, Version 2.0"), Some("Apache-2.0"));
        assert_eq!(db.alias("GNU   GPL v2"), Some("GPL-2.0-only"));
    }

    #[test]
    fn version_ranges_pick_the_license_of_the_version() {
        let db = bundled();
        let at = |v| match db.module_license("github.com/hashicorp/terraform", Some(v)) {
            Some(ModuleLookup::Range(r)) => r.expression.clone(),
            _ => panic!("no range for {v}"),
        };
        assert_eq!(at("v1.5.7"), "MPL-2.0");
        assert_eq!(at("v1.6.0"), "BUSL-1.1");
        assert_eq!(at("v1.9.5"), "BUSL-1.1");
        assert_eq!(at("v1.0.0"), "MPL-2.0");
    }

    #[test]
    fn semver_ordering() {
        use std::cmp::Ordering::*;
        assert_eq!(semver_cmp("v1.10.0", "v1.9.9"), Greater);
        assert_eq!(semver_cmp("v1.6.0-rc1", "v1.6.0"), Less);
        assert_eq!(semver_cmp("v2.0.0+incompatible", "v2.0.0"), Equal);
    }
}
