//! One answer whichever offline source answered. A module's license files on disk (the Go
//! module cache, a vendor tree, the cargo registry) depend on what else ran on the machine;
//! the license-db does not. So when the db examined this very version (or a range around it
//! whose ends agree) its record is the answer, and files on disk only confirm it: an SBOM is
//! then byte-for-byte the same with and without a filled cache. Files on disk decide when the
//! db only guessed from another version, or when they disagree with it (the files are this
//! version's own; the disagreement is reported).

use super::db::LicenseDb;
use super::expr::LicenseExpr;
use super::{ComponentLicense, LicenseSource};
use crate::model::{Problem, Severity};

/// Whether a db answer is about this exact version (examined, or inside a range of examined
/// versions with one license), not a guess from another version, module or major.
pub fn is_version_exact(db: &ComponentLicense) -> bool {
    db.source == LicenseSource::LicenseDb
}

/// Whether the db examined this very version. With `--licenses=remote` everything else,
/// a range answer included (the versions inside a range were not all read), is checked
/// against the exact version's own files.
pub fn was_examined(db: &ComponentLicense) -> bool {
    is_version_exact(db) && db.method == "license-db"
}

/// Settles a db answer against the license files found on disk for the same version.
/// `subject` names the component in a warning (`path@version`).
pub fn settle(
    db: Option<ComponentLicense>,
    disk: Option<ComponentLicense>,
    subject: &str,
    licenses: &LicenseDb,
) -> (Option<ComponentLicense>, Option<Problem>) {
    match (db, disk) {
        (Some(mut db), Some(disk)) if is_version_exact(&db) => {
            if same_answer(&disk.expression, &db.expression, licenses) {
                // Agreement: the portable record, not the machine's. The texts found go to
                // the NOTICE only (SBOMs carry no texts of standard licenses).
                db.file_texts = disk.file_texts;
                (Some(db), None)
            } else {
                let problem = Problem {
                    path: subject.to_string(),
                    severity: Severity::Warning,
                    message: format!(
                        "license files at {} say {}; the license-db says {} for this version; the files are used",
                        disk.location.as_deref().unwrap_or("?"),
                        disk.expression.as_deref().unwrap_or("nothing recognised"),
                        db.expression.as_deref().unwrap_or("nothing"),
                    ),
                };
                (Some(disk), Some(problem))
            }
        }
        // The db guessed from another version (or knows nothing): this version's own files
        // are better evidence, and raise confidence when they agree.
        (_, Some(disk)) => (Some(disk), None),
        (db, None) => (db, None),
    }
}

/// `--licenses=remote`: a db answer guessed from another version checked against this
/// version's own license files from the module proxy. The files answer either way; a guess
/// they contradict is reported.
/// `checked` names what was read (`its module zip`, `its Cargo.toml`).
pub fn verify_guess(
    guess: &ComponentLicense,
    fetched: ComponentLicense,
    subject: &str,
    checked: &str,
    licenses: &LicenseDb,
) -> (ComponentLicense, Option<Problem>) {
    if same_answer(&fetched.expression, &guess.expression, licenses) {
        return (fetched, None);
    }
    let problem = Problem {
        path: subject.to_string(),
        severity: Severity::Warning,
        message: format!(
            "the license-db's answer for another version ({}, {}) does not hold for this version: {checked} says {}",
            guess.expression.as_deref().unwrap_or("nothing"),
            guess.method,
            fetched.expression.as_deref().unwrap_or("nothing recognised"),
        ),
    };
    (fetched, Some(problem))
}

/// The same license terms, however written: `MIT/Apache-2.0` in a manifest and `Apache-2.0 OR
/// MIT` in the db agree (operands of AND/OR are compared as sets).
fn same_answer(a: &Option<String>, b: &Option<String>, db: &LicenseDb) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if a == b => true,
        (Some(a), Some(b)) => match (LicenseExpr::parse(a, db), LicenseExpr::parse(b, db)) {
            (Ok(x), Ok(y)) => canonical(&x) == canonical(&y),
            _ => false,
        },
        _ => false,
    }
}

fn canonical(e: &LicenseExpr) -> String {
    let join = |parts: &[LicenseExpr], op: &str| {
        let mut v: Vec<String> = parts.iter().map(canonical).collect();
        v.sort();
        v.dedup();
        format!("({})", v.join(op))
    };
    match e {
        LicenseExpr::Unit(u) => u.to_string(),
        LicenseExpr::And(parts) => join(parts, " AND "),
        LicenseExpr::Or(parts) => join(parts, " OR "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_() -> &'static LicenseDb {
        super::super::db::bundled()
    }

    fn lic(expr: &str, source: LicenseSource, confidence: f32) -> ComponentLicense {
        ComponentLicense {
            expression: Some(expr.into()),
            source,
            location: Some(format!("{source:?}")),
            confidence,
            method: "m".into(),
            evidence: Vec::new(),
            extracted: Vec::new(),
            file_texts: Vec::new(),
        }
    }

    #[test]
    fn an_exact_db_answer_is_kept_when_files_agree() {
        let db = lic("MIT", LicenseSource::LicenseDb, 0.95);
        let disk = lic("MIT", LicenseSource::ModuleCache, 1.0);
        let (got, p) = settle(Some(db), Some(disk), "m@v1", db_());
        let got = got.unwrap();
        assert_eq!(got.source, LicenseSource::LicenseDb);
        assert_eq!(got.confidence, 0.95);
        assert!(p.is_none());
    }

    #[test]
    fn files_win_a_disagreement_and_say_so() {
        let db = lic("MIT", LicenseSource::LicenseDb, 0.95);
        let disk = lic("Apache-2.0", LicenseSource::ModuleCache, 1.0);
        let (got, p) = settle(Some(db), Some(disk), "m@v1", db_());
        assert_eq!(got.unwrap().expression.as_deref(), Some("Apache-2.0"));
        assert!(p.unwrap().message.contains("license-db says MIT"));
    }

    #[test]
    fn the_same_terms_written_differently_agree() {
        let db = lic("Apache-2.0 OR MIT", LicenseSource::LicenseDb, 0.95);
        let disk = lic("MIT OR Apache-2.0", LicenseSource::CargoRegistry, 0.95);
        let (got, p) = settle(Some(db), Some(disk), "c@1", db_());
        assert_eq!(got.unwrap().source, LicenseSource::LicenseDb);
        assert!(p.is_none());
    }

    #[test]
    fn files_answer_over_a_guess_from_another_version() {
        let db = lic("MIT", LicenseSource::LicenseDbOtherVersion, 0.85);
        let disk = lic("MIT", LicenseSource::ModuleCache, 1.0);
        let (got, _) = settle(Some(db), Some(disk), "m@v1", db_());
        assert_eq!(got.unwrap().source, LicenseSource::ModuleCache);
        let (got, _) = settle(None, None, "m@v1", db_());
        assert!(got.is_none());
    }
}
