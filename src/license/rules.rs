//! The rule engine: each component's license, how it is linked, and the product's outbound
//! license → findings. Expression semantics: for `OR` the licensee picks the branch with the
//! mildest findings, `AND` needs every part, `X WITH E` is judged as one unit.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::db::{ExceptionEffect, Family, LicenseDb};
use super::expr::{LicenseExpr, LicenseUnit};
use super::policy::Policy;
use super::{ComponentLicense, Finding, FindingSeverity, LicenseSource};
use crate::model::{Component, ComponentKind, Document, RelationshipKind, ROOT_ID};

/// Every rule id; stable (documented in docs/licenses.md).
pub const RULE_IDS: &[&str] = &[
    "unknown-license",
    "license-denied",
    "license-not-allowed",
    "strong-copyleft-linked",
    "network-copyleft",
    "gpl2-only-conflict",
    "or-later-upgrade",
    "incompatible-with-outbound",
    "weak-copyleft-static",
    "linking-exception",
    "source-available",
    "ambiguous-detection",
    "attribution-required",
    "clarify-stale",
];

/// How a component gets into a binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    Static,
    Dynamic,
    /// Installed beside the other programs, not linked into them: an OS package (or the OS)
    /// in an image or root filesystem. Copyleft does not reach across programs that are merely
    /// aggregated on one medium (GPL-2.0 §2, GPL-3.0 §5 "aggregate").
    Aggregate,
}

impl Linkage {
    fn as_str(self) -> &'static str {
        match self {
            Linkage::Static => "statically",
            Linkage::Dynamic => "dynamically",
            Linkage::Aggregate => "as a separate program",
        }
    }
}

/// Dynamic when a DYNAMIC_LINK relationship reaches it (a `.so` through DT_NEEDED, a Go
/// plugin); Go (and Rust) modules are linked statically.
pub fn linkage(doc: &Document, c: &Component) -> Linkage {
    if matches!(
        c.kind,
        ComponentKind::DebPackage
            | ComponentKind::ApkPackage
            | ComponentKind::XbpsPackage
            | ComponentKind::RpmPackage
            | ComponentKind::OperatingSystem
    ) {
        return Linkage::Aggregate;
    }
    let dynamic = doc
        .relationships
        .iter()
        .any(|r| r.to == c.id && r.kind == RelationshipKind::DynamicLink);
    if dynamic {
        Linkage::Dynamic
    } else {
        Linkage::Static
    }
}

/// One unit-level verdict before it becomes a finding.
struct Verdict {
    rule: &'static str,
    severity: FindingSeverity,
    explanation: String,
}

fn cost(vs: &[Verdict]) -> u8 {
    vs.iter()
        .map(|v| match v.severity {
            FindingSeverity::Info => 1,
            FindingSeverity::Warning => 2,
            FindingSeverity::Error => 3,
        })
        .max()
        .unwrap_or(0)
}

struct Context<'a> {
    db: &'a LicenseDb,
    policy: &'a Policy,
    outbound: Option<&'a LicenseExpr>,
}

impl Context<'_> {
    fn outbound_families(&self) -> Vec<Family> {
        self.outbound
            .map(|o| {
                o.units()
                    .iter()
                    .filter_map(|u| self.db.facts(&u.license).map(|f| f.family))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn outbound_text(&self) -> String {
        self.outbound.map(|o| o.to_string()).unwrap_or_else(|| {
            "not stated (set `outbound` in assay.toml or --outbound-license)".into()
        })
    }
}

fn unit_verdicts(
    unit: &LicenseUnit,
    c: &Component,
    link: Linkage,
    cx: &Context<'_>,
) -> Vec<Verdict> {
    let mut out = Vec::new();
    let name = &c.name;
    let p = cx.policy;
    if p.denies(unit) {
        out.push(Verdict {
            rule: "license-denied",
            severity: FindingSeverity::Error,
            explanation: format!(
                "{name} is licensed under {unit}, which the policy denies (licenses.deny)."
            ),
        });
    }
    if !p.allows(name, c.version.as_deref(), unit, cx.db) {
        out.push(Verdict {
            rule: "license-not-allowed",
            severity: FindingSeverity::Error,
            explanation: format!("{name} is licensed under {unit}, which is not in licenses.allow nor in an exception for this component."),
        });
    }
    let exception = unit
        .exception
        .as_deref()
        .and_then(|e| cx.db.exception(e).map(|f| (e, f)));
    let Some(facts) = cx.db.facts(&unit.license) else {
        return out; // a license we hold no facts for: only policy lists apply
    };
    let outbound_families = cx.outbound_families();
    let outbound_is = |fams: &[Family]| outbound_families.iter().any(|f| fams.contains(f));
    let is_main = c.kind == ComponentKind::GoMainModule;
    match facts.family {
        Family::StrongCopyleft | Family::NetworkCopyleft | Family::WeakCopyleft
            if exception
                .map(|(_, f)| f.effect == ExceptionEffect::LinkingPermitted)
                .unwrap_or(false) =>
        {
            let (e, f) = exception.expect("checked above");
            out.push(Verdict {
                rule: "linking-exception",
                severity: FindingSeverity::Info,
                explanation: format!("{name} is under {unit}: {e} ({}) lifts the copyleft from the work linking it, so the {} finding that {} alone would raise does not apply. Keep the license text and the source offer for {name} itself.", f.linking, family_word(facts.family), unit.license),
            });
        }
        Family::StrongCopyleft => {
            if link != Linkage::Aggregate
                && !(is_main && cx.outbound.is_none())
                && !outbound_is(&[Family::StrongCopyleft, Family::NetworkCopyleft])
            {
                out.push(Verdict {
                    rule: "strong-copyleft-linked",
                    severity: if link == Linkage::Static { FindingSeverity::Error } else { FindingSeverity::Warning },
                    explanation: format!("{name} is under {unit}, a strong copyleft license, and is linked {} into a binary whose outbound license is {}. Distributing that binary requires releasing the whole program under {} with its complete source (the GPL's \"work based on the Program\"; the FSF treats dynamic linking the same way). Replace the component, obtain another license, or distribute the product under a compatible GPL.", link.as_str(), cx.outbound_text(), unit.license),
                });
            }
        }
        Family::NetworkCopyleft => {
            let downgraded = outbound_is(&[Family::StrongCopyleft, Family::NetworkCopyleft])
                && cx
                    .outbound
                    .map(|o| {
                        o.units().iter().any(|u| {
                            u.license.starts_with("GPL-3.0") || u.license.starts_with("AGPL-3.0")
                        })
                    })
                    .unwrap_or(false);
            out.push(Verdict {
                rule: "network-copyleft",
                severity: if downgraded { FindingSeverity::Warning } else { FindingSeverity::Error },
                explanation: format!("{name} is under {unit}: besides the GPL-3.0 obligations, users interacting with the program over a network must be offered its complete source (AGPL-3.0 §13).{}", if downgraded { " The outbound license is GPL-3.0/AGPL-3.0, which may be combined with AGPL code (GPL-3.0 §13), so this is a warning: the network clause still applies." } else { "" }),
            });
        }
        Family::WeakCopyleft => {
            if link == Linkage::Static {
                out.push(Verdict {
                    rule: "weak-copyleft-static",
                    severity: FindingSeverity::Warning,
                    explanation: format!("{name} is under {unit} ({} copyleft) and is linked statically: {}. Statically linked Go and Rust modules cannot be swapped by the user, so these obligations apply to every binary distributed.", scope_word(facts.copyleft_scope), facts.static_linking),
                });
            }
        }
        Family::SourceAvailable | Family::NonCommercial | Family::Proprietary => {
            out.push(Verdict {
                rule: "source-available",
                severity: FindingSeverity::Error,
                explanation: format!("{name} is under {unit}, a {} license, not an open source one: {}. Check the grant covers how the product is used and sold.", family_word(facts.family), facts.static_linking),
            });
        }
        Family::Permissive | Family::PublicDomain => {}
    }
    // Copyleft outbound licenses: the OSADL matrix (with our overrides) decides.
    if let Some(outbound) = cx.outbound {
        for lead in outbound.units() {
            let lead_family = cx.db.facts(&lead.license).map(|f| f.family);
            if !matches!(
                lead_family,
                Some(Family::StrongCopyleft | Family::NetworkCopyleft | Family::WeakCopyleft)
            ) {
                continue;
            }
            let sub = unit.to_string();
            if cx.db.compatibility(&lead.to_string(), &sub) == Some("No") {
                let gpl2 = lead.license == "GPL-2.0-only";
                out.push(Verdict {
                    rule: if gpl2 { "gpl2-only-conflict" } else { "incompatible-with-outbound" },
                    severity: FindingSeverity::Error,
                    explanation: format!("{name} is under {sub}, which may not be included in a work released under {lead} (OSADL compatibility matrix: No). The outbound license cannot be honoured for the binary as a whole."),
                });
            }
        }
    }
    if facts.attribution {
        out.push(Verdict {
            rule: "attribution-required",
            severity: FindingSeverity::Info,
            explanation: format!("{name} is under {unit}: its copyright notice and license text{} must accompany binary distributions.", if c.kind == ComponentKind::GoStdlib { " (and Go's PATENTS grant)" } else { "" }),
        });
    }
    out
}

fn family_word(f: Family) -> &'static str {
    match f {
        Family::Permissive => "permissive",
        Family::WeakCopyleft => "weak copyleft",
        Family::StrongCopyleft => "strong copyleft",
        Family::NetworkCopyleft => "network copyleft",
        Family::PublicDomain => "public domain",
        Family::SourceAvailable => "source-available",
        Family::NonCommercial => "non-commercial",
        Family::Proprietary => "proprietary",
    }
}

fn scope_word(s: super::db::CopyleftScope) -> &'static str {
    use super::db::CopyleftScope::*;
    match s {
        None => "no",
        File => "file-level",
        Library => "library-level",
        Program => "program-wide",
        Network => "network",
    }
}

/// Runs every rule. `outbound` (command line) wins over the policy's.
pub fn evaluate(
    doc: &Document,
    licenses: &BTreeMap<String, ComponentLicense>,
    policy: &Policy,
    outbound: Option<&LicenseExpr>,
    db: &LicenseDb,
) -> Vec<Finding> {
    let cx = Context {
        db,
        policy,
        outbound: outbound.or(policy.outbound.as_ref()),
    };
    let chains = Chains::new(doc);
    let mut findings = Vec::new();
    // Per component: the units the licensee would choose.
    let mut chosen: HashMap<&str, (LicenseExpr, Vec<LicenseUnit>)> = HashMap::new();
    for c in &doc.components {
        let Some(lic) = licenses.get(&c.id) else {
            continue;
        };
        let mut push =
            |rule: &'static str, severity, license: Option<String>, explanation: String| {
                findings.push(Finding {
                    rule,
                    severity,
                    components: vec![c.id.clone()],
                    license,
                    chain: chains.chain(&c.id),
                    explanation,
                });
            };
        let parsed = lic
            .expression
            .as_deref()
            .and_then(|e| LicenseExpr::parse(e, db).ok());
        let unknown_ref = parsed
            .as_ref()
            .map(|e| {
                e.units()
                    .iter()
                    .any(|u| u.license.starts_with("LicenseRef-assay-"))
            })
            .unwrap_or(false);
        let threshold = policy.raw.confidence_threshold;
        match (&parsed, lic.expression.as_deref()) {
            (None, None) => {
                push(
                    "unknown-license",
                    FindingSeverity::Error,
                    None,
                    not_found_message(c),
                );
                continue;
            }
            (None, Some(e)) => {
                push(
                    "unknown-license",
                    FindingSeverity::Error,
                    Some(e.to_string()),
                    format!("{}'s license {e:?} is not a valid SPDX expression.", c.name),
                );
                continue;
            }
            (Some(_), Some(e)) if unknown_ref || lic.confidence < threshold => {
                push("unknown-license", FindingSeverity::Error, Some(e.to_string()), format!("{}'s license could not be identified with enough confidence ({e}, confidence {:.2} < threshold {threshold:.2}, from {}). Review the license text and add a [[licenses.clarify]] entry pinned to its hash.", c.name, lic.confidence, lic.source.as_str()));
                continue;
            }
            _ => {}
        }
        let Some(expr) = parsed else { continue };
        // Detection ambiguity only: a license-db entry for another version is a different
        // (lower) confidence, not an ambiguous text.
        let detected = !matches!(
            lic.source,
            LicenseSource::LicenseDbOtherVersion | LicenseSource::PolicyClarify
        );
        if lic.method.contains("ambiguous")
            || (detected && lic.confidence < super::classify::CONFIDENT_SCORE)
        {
            push("ambiguous-detection", FindingSeverity::Warning, Some(expr.to_string()), format!("{}'s license was detected as {expr} with confidence {:.2} ({}): the text matched only approximately or held several licenses. Confirm it and pin it with [[licenses.clarify]].", c.name, lic.confidence, lic.method));
        }
        let link = linkage(doc, c);
        let (_, units) = expr.choose(&|u: &LicenseUnit| cost(&unit_verdicts(u, c, link, &cx)));
        for u in &units {
            for v in unit_verdicts(u, c, link, &cx) {
                push(v.rule, v.severity, Some(u.to_string()), v.explanation);
            }
        }
        chosen.insert(c.id.as_str(), (expr, units));
    }
    findings.extend(pairwise(doc, &chosen, &chains, db));
    for f in &mut findings {
        if let Some(s) = policy.raw.severity.get(f.rule) {
            f.severity = *s;
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.components.cmp(&b.components))
    });
    findings.dedup();
    findings
}

/// Rules about two components in the same binary.
fn pairwise(
    doc: &Document,
    chosen: &HashMap<&str, (LicenseExpr, Vec<LicenseUnit>)>,
    chains: &Chains,
    db: &LicenseDb,
) -> Vec<Finding> {
    let gpl2_ok = |u: &LicenseUnit| {
        u.exception.as_deref() == Some("LLVM-exception")
            || db.facts(&u.license).map(|f| f.gpl2).unwrap_or(true)
    };
    let gpl3_only_ok = |u: &LicenseUnit| {
        // Compatible with GPL-3.0 but not GPL-2.0: forces the or-later choice to GPL-3.0.
        db.facts(&u.license)
            .map(|f| f.gpl3 && !f.gpl2)
            .unwrap_or(false)
    };
    let has = |units: &[LicenseUnit], id: &str| {
        units
            .iter()
            .any(|u| u.license == id && u.exception.is_none())
    };
    let mut out = Vec::new();
    let mut seen: BTreeSet<(&'static str, String, String)> = BTreeSet::new();
    for file in &doc.files {
        let in_file: Vec<&Component> = doc
            .components
            .iter()
            .filter(|c| c.occurrences.contains(&file.name) && chosen.contains_key(c.id.as_str()))
            .collect();
        for a in &in_file {
            let (_, a_units) = &chosen[a.id.as_str()];
            for b in &in_file {
                if a.id == b.id {
                    continue;
                }
                let (b_expr, b_units) = &chosen[b.id.as_str()];
                if has(a_units, "GPL-2.0-only")
                    && !b_expr.passes(&gpl2_ok)
                    && seen.insert(("gpl2-only-conflict", a.id.clone(), b.id.clone()))
                {
                    let bad: Vec<String> = b_units
                        .iter()
                        .filter(|u| !gpl2_ok(u))
                        .map(|u| u.to_string())
                        .collect();
                    out.push(Finding {
                        rule: "gpl2-only-conflict",
                        severity: FindingSeverity::Error,
                        components: vec![a.id.clone(), b.id.clone()],
                        license: Some(format!("GPL-2.0-only + {}", bad.join(" AND "))),
                        chain: chains.chain(&b.id),
                        explanation: format!("{} (GPL-2.0-only) and {} ({}) are linked into the same binary {}. GPL-2.0 forbids further restrictions, and {} adds some (patent termination/indemnity, GPL-3.0 terms, advertising clauses), so the combination cannot be distributed at all (OSADL: No; FSF: incompatible with GPLv2). MPL-2.0 and permissive licenses other than Apache-2.0 are fine.", a.name, b.name, bad.join(", "), file.name, bad.join(", ")),
                    });
                }
                if has(a_units, "GPL-2.0-or-later")
                    && b_units.iter().any(&gpl3_only_ok)
                    && seen.insert(("or-later-upgrade", a.id.clone(), b.id.clone()))
                {
                    let why: Vec<String> = b_units
                        .iter()
                        .filter(|u| gpl3_only_ok(u))
                        .map(|u| u.to_string())
                        .collect();
                    out.push(Finding {
                        rule: "or-later-upgrade",
                        severity: FindingSeverity::Warning,
                        components: vec![a.id.clone(), b.id.clone()],
                        license: Some(format!("GPL-2.0-or-later + {}", why.join(" AND "))),
                        chain: chains.chain(&a.id),
                        explanation: format!("{} (GPL-2.0-or-later) is combined in {} with {} ({}), which GPL-2.0 cannot accept but GPL-3.0 can: the binary as a whole can only be distributed under GPL-3.0 (using the \"or later\" option).", a.name, file.name, b.name, why.join(", ")),
                    });
                }
            }
        }
    }
    out
}

/// Shortest relationship path from the scan subject to each node, for explanations.
struct Chains {
    parent: HashMap<String, (String, RelationshipKind)>,
}

impl Chains {
    fn new(doc: &Document) -> Chains {
        let mut edges: HashMap<&str, Vec<(&str, RelationshipKind)>> = HashMap::new();
        for r in &doc.relationships {
            edges
                .entry(r.from.as_str())
                .or_default()
                .push((r.to.as_str(), r.kind));
        }
        let mut parent: HashMap<String, (String, RelationshipKind)> = HashMap::new();
        let mut queue = VecDeque::from([ROOT_ID]);
        while let Some(n) = queue.pop_front() {
            for (to, kind) in edges.get(n).into_iter().flatten() {
                if *to != ROOT_ID && !parent.contains_key(*to) {
                    parent.insert(to.to_string(), (n.to_string(), *kind));
                    queue.push_back(to);
                }
            }
        }
        Chains { parent }
    }

    fn chain(&self, id: &str) -> Vec<String> {
        let mut steps = Vec::new();
        let mut cur = id.to_string();
        while let Some((from, kind)) = self.parent.get(&cur) {
            steps.push(format!("{from} -{}-> {cur}", kind_word(*kind)));
            cur = from.clone();
            if steps.len() > 64 {
                break;
            }
        }
        steps.reverse();
        steps
    }
}

fn kind_word(k: RelationshipKind) -> &'static str {
    match k {
        RelationshipKind::Contains => "contains",
        RelationshipKind::DependsOn => "depends-on",
        RelationshipKind::StaticLink => "static-link",
        RelationshipKind::DynamicLink => "dynamic-link",
    }
}

/// Why nothing was found, in the terms of where this kind of component's license lives.
fn not_found_message(c: &Component) -> String {
    let name = &c.name;
    match c.kind {
        ComponentKind::DebPackage => format!("No license was found for the Debian package {name}: its /usr/share/doc/{name}/copyright file is missing (or its doc directory points nowhere) or names no license assay can read. Pin it with a [[licenses.clarify]] entry."),
        ComponentKind::ApkPackage | ComponentKind::XbpsPackage => format!("No license was found for the package {name}: its package database entry records none. Pin it with a [[licenses.clarify]] entry."),
        ComponentKind::RustCrate | ComponentKind::RustRootCrate => format!("No license was found for the crate {name}: no Cargo.toml of it in the local cargo registry and no license-db entry. Pin it with a [[licenses.clarify]] entry."),
        _ => format!("No license was found for {name}: no license files in the module cache or next to the scanned files, and no license-db entry. Without a license the component may not be redistributed (pkg.go.dev fails closed the same way). Try --licenses=remote, or pin it with a [[licenses.clarify]] entry."),
    }
}
