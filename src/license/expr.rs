//! License expressions as a tree the rules can walk: `OR` passes when any branch passes,
//! `AND` needs all, `X WITH E` is one unit. Parsing uses the spdx crate (lax mode, so `/` and
//! deprecated ids such as `GPL-2.0+` are accepted) with our alias table as a fallback.

use std::fmt;

use spdx::expression::{ExprNode, Operator};
use spdx::{AdditionItem, LicenseItem, ParseMode};

use super::db::LicenseDb;

/// One license, with its exception: the unit rules judge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LicenseUnit {
    /// SPDX id (`GPL-2.0-only`), or `LicenseRef-…`.
    pub license: String,
    pub exception: Option<String>,
}

impl fmt::Display for LicenseUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.exception {
            Some(e) => write!(f, "{} WITH {e}", self.license),
            None => f.write_str(&self.license),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseExpr {
    Unit(LicenseUnit),
    And(Vec<LicenseExpr>),
    Or(Vec<LicenseExpr>),
}

impl fmt::Display for LicenseExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, parts: &[LicenseExpr], op: &str| {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                match p {
                    LicenseExpr::Unit(u) => write!(f, "{u}")?,
                    other => write!(f, "({other})")?,
                }
            }
            Ok(())
        };
        match self {
            LicenseExpr::Unit(u) => write!(f, "{u}"),
            LicenseExpr::And(parts) => join(f, parts, "AND"),
            LicenseExpr::Or(parts) => join(f, parts, "OR"),
        }
    }
}

impl LicenseExpr {
    /// Parses an SPDX expression (lax), or a name from the alias table.
    pub fn parse(text: &str, db: &LicenseDb) -> Result<LicenseExpr, String> {
        let text = text.trim();
        if let Some(alias) = db.alias(text) {
            return Self::parse_spdx(alias);
        }
        Self::parse_spdx(text).map_err(|e| format!("not a license expression: {text:?}: {e}"))
    }

    fn parse_spdx(text: &str) -> Result<LicenseExpr, String> {
        let parsed =
            spdx::Expression::parse_mode(text, ParseMode::LAX).map_err(|e| e.to_string())?;
        let mut stack: Vec<LicenseExpr> = Vec::new();
        for node in parsed.iter() {
            match node {
                ExprNode::Req(req) => stack.push(LicenseExpr::Unit(unit_of(&req.req))),
                ExprNode::Op(op) => {
                    let (Some(right), Some(left)) = (stack.pop(), stack.pop()) else {
                        return Err("malformed expression".into());
                    };
                    stack.push(match op {
                        Operator::And => LicenseExpr::And(flatten(left, right, true)),
                        Operator::Or => LicenseExpr::Or(flatten(left, right, false)),
                    });
                }
            }
        }
        match (stack.pop(), stack.is_empty()) {
            (Some(e), true) => Ok(e),
            _ => Err("malformed expression".into()),
        }
    }

    /// Every unit, in order.
    pub fn units(&self) -> Vec<&LicenseUnit> {
        match self {
            LicenseExpr::Unit(u) => vec![u],
            LicenseExpr::And(p) | LicenseExpr::Or(p) => p.iter().flat_map(|e| e.units()).collect(),
        }
    }

    /// `OR` passes when any branch passes, `AND` needs all.
    pub fn passes(&self, allowed: &dyn Fn(&LicenseUnit) -> bool) -> bool {
        match self {
            LicenseExpr::Unit(u) => allowed(u),
            LicenseExpr::And(p) => p.iter().all(|e| e.passes(allowed)),
            LicenseExpr::Or(p) => p.iter().any(|e| e.passes(allowed)),
        }
    }

    /// Picks the units a licensee would choose: for `OR` the branch with the lowest `cost`
    /// (ties: the first), for `AND` all of them. `cost` judges a unit.
    pub fn choose<C: Ord + Default + Copy>(
        &self,
        cost: &dyn Fn(&LicenseUnit) -> C,
    ) -> (C, Vec<LicenseUnit>) {
        match self {
            LicenseExpr::Unit(u) => (cost(u), vec![u.clone()]),
            LicenseExpr::And(parts) => {
                let mut worst = C::default();
                let mut units = Vec::new();
                for p in parts {
                    let (c, u) = p.choose(cost);
                    worst = worst.max(c);
                    units.extend(u);
                }
                (worst, units)
            }
            LicenseExpr::Or(parts) => parts
                .iter()
                .map(|p| p.choose(cost))
                .min_by_key(|(c, _)| *c)
                .unwrap_or_default(),
        }
    }
}

fn flatten(left: LicenseExpr, right: LicenseExpr, and: bool) -> Vec<LicenseExpr> {
    let mut out = Vec::new();
    for side in [left, right] {
        match side {
            LicenseExpr::And(p) if and => out.extend(p),
            LicenseExpr::Or(p) if !and => out.extend(p),
            other => out.push(other),
        }
    }
    out
}

fn unit_of(req: &spdx::LicenseReq) -> LicenseUnit {
    let license = match &req.license {
        LicenseItem::Spdx { id, or_later } => {
            // Lax mode turns `GPL-2.0+` into GPL-2.0 with or_later: use the -or-later id.
            if *or_later {
                spdx::gnu_license_id(id.base(), true)
                    .map(|l| l.name.to_string())
                    .unwrap_or_else(|| format!("{}+", id.name))
            } else if id.is_gnu() && !id.name.ends_with("-only") && !id.name.ends_with("-or-later")
            {
                // Deprecated bare `GPL-2.0` means "only" (SPDX 3.0 deprecation note).
                spdx::gnu_license_id(id.base(), false)
                    .map(|l| l.name.to_string())
                    .unwrap_or_else(|| id.name.to_string())
            } else if let Some(r) =
                super::variants::replacement_for_deprecated(id.name).filter(|r| !r.contains(' '))
            {
                // Deprecated ids are never emitted (BSD-2-Clause-FreeBSD → -Views).
                r.to_string()
            } else {
                id.name.to_string()
            }
        }
        LicenseItem::Other(r) => match &r.doc_ref {
            Some(d) => format!("DocumentRef-{d}:LicenseRef-{}", r.lic_ref),
            None => format!("LicenseRef-{}", r.lic_ref),
        },
    };
    let exception = req.addition.as_ref().map(|a| match a {
        AdditionItem::Spdx(e) => e.name.to_string(),
        AdditionItem::Other(r) => format!("AdditionRef-{}", r.add_ref),
    });
    LicenseUnit { license, exception }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::db::bundled;

    fn p(s: &str) -> LicenseExpr {
        LicenseExpr::parse(s, bundled()).unwrap()
    }

    #[test]
    fn parses_and_renders_canonically() {
        assert_eq!(p("MIT OR Apache-2.0").to_string(), "MIT OR Apache-2.0");
        assert_eq!(p("MIT/Apache-2.0").to_string(), "MIT OR Apache-2.0");
        assert_eq!(p("GPL-2.0+").to_string(), "GPL-2.0-or-later");
        assert_eq!(
            p("(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0").to_string(),
            "(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0"
        );
        assert_eq!(p("MIT AND ISC AND Zlib").units().len(), 3);
        assert_eq!(p("Apache License, Version 2.0").to_string(), "Apache-2.0");
        assert_eq!(p("LicenseRef-Foo").to_string(), "LicenseRef-Foo");
        assert!(LicenseExpr::parse("MIT AND (", bundled()).is_err());
    }

    #[test]
    fn or_passes_with_any_branch_and_needs_all() {
        let allow_mit = |u: &LicenseUnit| u.license == "MIT";
        assert!(p("MIT OR GPL-3.0-only").passes(&allow_mit));
        assert!(!p("MIT AND GPL-3.0-only").passes(&allow_mit));
        assert!(!p("GPL-3.0-only").passes(&allow_mit));
    }

    #[test]
    fn with_is_one_unit() {
        let e = p("GPL-2.0-only WITH Classpath-exception-2.0");
        let units = e.units();
        assert_eq!(units.len(), 1);
        assert_eq!(
            units[0].exception.as_deref(),
            Some("Classpath-exception-2.0")
        );
        // Allowing bare GPL-2.0-only does not allow it, and vice versa.
        assert!(!e.passes(&|u| u.license == "GPL-2.0-only" && u.exception.is_none()));
    }

    #[test]
    fn choose_takes_the_cheapest_or_branch() {
        let cost = |u: &LicenseUnit| if u.license.starts_with("GPL") { 2u8 } else { 0 };
        let (c, units) = p("GPL-3.0-only OR MIT").choose(&cost);
        assert_eq!((c, units[0].license.as_str()), (0, "MIT"));
        let (c, _) = p("GPL-3.0-only AND MIT").choose(&cost);
        assert_eq!(c, 2);
    }
}
