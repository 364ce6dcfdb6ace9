//! The bundled license-db (`license-db/` in the repository), compiled into the binary so the
//! default needs neither network nor files.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use super::table::{Answer, Kind, Table};

const LICENSES_TOML: &str = include_str!("../../license-db/licenses.toml");
const EXCEPTIONS_TOML: &str = include_str!("../../license-db/exceptions.toml");
const ALIASES_TOML: &str = include_str!("../../license-db/aliases.toml");
const OVERRIDES_TOML: &str = include_str!("../../license-db/overrides.toml");
const OSADL_JSON: &str = include_str!("../../license-db/osadl/matrix.json");
/// Go modules and crates → license by version range (license-db/FORMAT.md).
const PACKAGES_TSV: &str = include_str!("../../license-db/packages.tsv");

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

pub struct LicenseDb {
    pub licenses: BTreeMap<String, LicenseFacts>,
    pub exceptions: BTreeMap<String, ExceptionFacts>,
    aliases: HashMap<String, String>,
    /// OSADL's matrix (leading → subordinate → verdict), read on first use: only an
    /// outbound-license check asks, and building it is most of a small scan's start-up.
    osadl: OnceLock<HashMap<&'static str, HashMap<&'static str, &'static str>>>,
    pub compat_overrides: Vec<CompatOverride>,
    pub module_ranges: Vec<ModuleRange>,
    /// The bundled package table, opened on first use (opening reads only its expression list).
    packages: OnceLock<Option<Table>>,
}

/// The bundled OSADL matrix, borrowed from the binary's data (no copies of its ~14,000
/// verdicts). Its non-matrix keys (`timeformat`, `timestamp`) are skipped. Tested valid.
fn parse_osadl() -> HashMap<&'static str, HashMap<&'static str, &'static str>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Entry<'a> {
        Row(#[serde(borrow)] HashMap<&'a str, &'a str>),
        Other(#[allow(dead_code)] &'a str),
    }
    let all: HashMap<&'static str, Entry<'static>> =
        serde_json::from_str(OSADL_JSON).unwrap_or_default();
    all.into_iter()
        .filter_map(|(lead, e)| match e {
            Entry::Row(row) => Some((lead, row)),
            Entry::Other(_) => None,
        })
        .collect()
}

/// The compiled-in database, parsed once. The data is checked by tests, so a parse failure
/// is a build defect, not an input error.
pub fn bundled() -> &'static LicenseDb {
    static DB: OnceLock<LicenseDb> = OnceLock::new();
    DB.get_or_init(|| LicenseDb::parse().expect("bundled license-db is valid (tested)"))
}

impl LicenseDb {
    /// The verdict for a license file whose exact bytes the database has seen (the generator
    /// classified them with this same classifier).
    pub fn known_text(&self, sha256: &str) -> Option<(&str, f32)> {
        if IGNORE_KNOWN_TEXTS.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        self.tables()
            .find_map(|t| t.rows(Kind::Text, sha256).first().copied())
            .map(|r| (r.expression, r.confidence))
    }

    /// Site tables first (a site knows its own modules best), then the bundled one.
    fn tables(&self) -> impl Iterator<Item = &Table> {
        site_tables().iter().chain(self.bundled_table())
    }

    fn bundled_table(&self) -> Option<&Table> {
        self.packages
            .get_or_init(|| Table::parse(PACKAGES_TSV, "bundled").ok())
            .as_ref()
    }

    /// The license of a crate at `version`, from the first table that knows the crate.
    pub fn crate_license(&self, name: &str, version: Option<&str>) -> Option<Answer> {
        self.tables()
            .find(|t| !t.rows(Kind::Crate, name).is_empty())
            .and_then(|t| t.lookup(Kind::Crate, name, version))
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
        Ok(LicenseDb {
            licenses: licenses.license,
            exceptions: exceptions.exception,
            aliases: aliases
                .alias
                .into_iter()
                .map(|(k, v)| (normalize_alias(&k), v))
                .collect(),
            osadl: OnceLock::new(),
            compat_overrides: overrides.compat,
            module_ranges: overrides.module,
            packages: OnceLock::new(),
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
        if let Some(o) = self
            .compat_overrides
            .iter()
            .rev()
            .find(|o| o.leading == leading && o.subordinate == subordinate)
        {
            return Some(&o.verdict);
        }
        self.osadl
            .get_or_init(parse_osadl)
            .get(leading)?
            .get(subordinate)
            .copied()
    }

    /// The license of Go module `path` at `version`: a site table that knows the module
    /// first, then the hand-written version ranges, then the bundled table (which may answer
    /// from a parent module or another major version, with lower confidence).
    pub fn module_license(&self, path: &str, version: Option<&str>) -> Option<ModuleLookup<'_>> {
        for site in site_tables() {
            if let Some(a) = site.lookup(Kind::Go, path, version) {
                return Some(ModuleLookup::Table(a));
            }
        }
        for r in self.module_ranges.iter().filter(|r| r.path == path) {
            let in_range = match version {
                Some(v) => {
                    r.min
                        .as_deref()
                        .is_none_or(|min| semver_cmp(v, min).is_ge())
                        && r.max
                            .as_deref()
                            .is_none_or(|max| semver_cmp(v, max).is_le())
                }
                None => r.min.is_none() && r.max.is_none(),
            };
            if in_range {
                return Some(ModuleLookup::Range(r));
            }
        }
        self.bundled_table()?
            .lookup(Kind::Go, path, version)
            .map(ModuleLookup::Table)
    }
}

pub enum ModuleLookup<'a> {
    Range(&'a ModuleRange),
    Table(Answer),
}

/// Set by `assay license-db classify`: the generator must classify every text afresh, not
/// repeat verdicts the previous db recorded.
pub static IGNORE_KNOWN_TEXTS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Site tables (`--license-db FILE`, `ASSAY_LICENSE_DB`), set once at start-up.
static SITE_TABLES: OnceLock<Vec<Table>> = OnceLock::new();

fn site_tables() -> &'static [Table] {
    SITE_TABLES.get_or_init(Vec::new)
}

/// Loads the site tables named on the command line and in `ASSAY_LICENSE_DB` (a
/// `:`-separated list); the command line's come first. Call once, before any lookup.
pub fn init_site_tables(files: &[std::path::PathBuf]) -> Result<(), String> {
    let from_env = std::env::var_os("ASSAY_LICENSE_DB").unwrap_or_default();
    let mut tables = Vec::new();
    for path in files
        .iter()
        .cloned()
        .chain(std::env::split_paths(&from_env).filter(|p| !p.as_os_str().is_empty()))
    {
        tables.push(Table::load(&path).map_err(|e| format!("license-db: {e}"))?);
    }
    // a second call (one process resolving twice) keeps the first set
    let _ = SITE_TABLES.set(tables);
    Ok(())
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
    use super::*;
    use crate::license::table::Fit;

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

    /// The bundled table is sorted (binary search depends on it), every row reads, and every
    /// expression is one assay's own expression parser accepts.
    #[test]
    fn bundled_table_is_sorted_and_valid() {
        let db = bundled();
        let table = db.bundled_table().expect("license-db/packages.tsv opens");
        let mut bad = Vec::new();
        for e in table.expressions() {
            if crate::license::expr::LicenseExpr::parse(e, db).is_err() {
                bad.push(*e);
            }
        }
        assert!(bad.is_empty(), "expressions assay cannot parse: {bad:?}");
        let mut previous = String::new();
        let mut rows = 0;
        for (kind, row) in table.all_rows() {
            let key = format!("{kind}\t{}", row.name);
            assert!(previous.as_str() <= key.as_str(), "{previous} before {key}");
            previous = key;
            rows += 1;
        }
        assert!(rows > 5000, "{rows} rows");
    }

    #[test]
    fn bundled_table_answers_real_modules_and_crates() {
        let db = bundled();
        let go = |path: &str, v: &str| match db.module_license(path, Some(v)) {
            Some(ModuleLookup::Table(a)) => (a.expression, a.fit),
            Some(ModuleLookup::Range(r)) => (r.expression.clone(), Fit::Exact),
            None => ("none".into(), Fit::Exact),
        };
        assert_eq!(go("github.com/spf13/cobra", "v1.8.1").0, "Apache-2.0");
        assert_eq!(go("golang.org/x/sys", "v0.20.0").0, "BSD-3-Clause");
        assert_eq!(go("github.com/hashicorp/vault", "v0.10.4").0, "MPL-2.0");
        assert_eq!(go("github.com/hashicorp/vault", "v1.21.4").0, "BUSL-1.1");
        // a nested module of the AWS SDK that no examined program requires
        let nested = go(
            "github.com/aws/aws-sdk-go-v2/service/nosuchservice",
            "v1.0.0",
        );
        assert_eq!(nested, ("Apache-2.0".into(), Fit::ParentModule));
        let serde = db.crate_license("serde", Some("1.0.150")).unwrap();
        assert_eq!(serde.expression, "MIT OR Apache-2.0");
        assert!(db
            .crate_license("no-such-crate-here", Some("1.0.0"))
            .is_none());
    }

    #[test]
    fn semver_ordering() {
        use std::cmp::Ordering::*;
        assert_eq!(semver_cmp("v1.10.0", "v1.9.9"), Greater);
        assert_eq!(semver_cmp("v1.6.0-rc1", "v1.6.0"), Less);
        assert_eq!(semver_cmp("v2.0.0+incompatible", "v2.0.0"), Equal);
    }
}
