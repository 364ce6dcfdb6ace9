//! `assay diff --policy`: does the change introduce something the policy forbids? A new
//! component (added, or with a changed license) whose license the policy denies or does not
//! allow, or a new license finding at error severity.

use crate::license::db::LicenseDb;
use crate::license::expr::LicenseExpr;
use crate::license::policy::Policy;

use super::Diff;

/// One line per violation, naming the component and the license (or the finding).
pub fn violations(diff: &Diff, policy: &Policy, db: &LicenseDb) -> Vec<String> {
    let mut out = Vec::new();
    let mut judge = |what: &str, name: &str, version: Option<&str>, licenses: &[String]| {
        for text in licenses {
            let Ok(expr) = LicenseExpr::parse(text, db) else {
                continue; // an expression we cannot read is not a verdict either way
            };
            let permitted =
                expr.passes(&|unit| !policy.denies(unit) && policy.allows(name, version, unit, db));
            if !permitted {
                let at = version.map(|v| format!("@{v}")).unwrap_or_default();
                out.push(format!(
                    "{what} {name}{at} is under {text}, which the policy denies or does not allow"
                ));
            }
        }
    };
    for item in &diff.added {
        judge(
            "new component",
            &item.name,
            item.version.as_deref(),
            &item.licenses,
        );
    }
    for change in &diff.license_changes {
        let version = diff
            .changed
            .iter()
            .find(|c| c.key == change.key)
            .and_then(|c| c.new.first().map(String::as_str));
        judge("license change:", &change.name, version, &change.new);
    }
    for finding in &diff.new_findings {
        if finding.starts_with("assay:finding: error ") {
            out.push(format!("new finding: {finding}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{compare, from_cyclonedx};
    use crate::license::db::bundled;
    use serde_json::json;

    fn bom(
        components: serde_json::Value,
        annotations: serde_json::Value,
    ) -> crate::diff::Inventory {
        from_cyclonedx(
            "t",
            &json!({"bomFormat": "CycloneDX", "specVersion": "1.6",
                    "components": components, "annotations": annotations}),
        )
    }

    #[test]
    fn new_denied_or_unallowed_licenses_and_new_error_findings_violate() {
        let lib = |name: &str, id: &str| {
            json!({"type": "library", "name": name, "version": "1", "purl": format!("pkg:golang/{name}@1"),
                   "licenses": [{"license": {"id": id}}]})
        };
        let old = bom(json!([lib("a", "MIT")]), json!([]));
        let new = bom(
            json!([
                lib("a", "GPL-3.0-only"),
                lib("b", "AGPL-3.0-only"),
                lib("c", "MIT OR AGPL-3.0-only")
            ]),
            json!([{"text": "assay:finding: error license-denied: x"}, {"text": "assay:finding: warning y: z"}]),
        );
        let d = compare(&old, &new);
        let p = Policy::parse(
            "[licenses]\ndeny = [\"AGPL-3.0-only\", \"GPL-3.0-only\"]\n",
            bundled(),
        )
        .unwrap();
        let v = violations(&d, &p, bundled());
        assert_eq!(v.len(), 3, "{v:#?}"); // b, a's new license, the error finding; c passes by MIT
        assert!(v.iter().any(|l| l.contains("new component b@1")), "{v:#?}");
        assert!(v.iter().any(|l| l.contains("license change: a")), "{v:#?}");
        let p = Policy::parse("[licenses]\nallow = [\"MIT\"]\n", bundled()).unwrap();
        assert_eq!(violations(&d, &p, bundled()).len(), 3);
        assert!(violations(&compare(&new, &new), &p, bundled()).is_empty());
    }
}
