//! Licenses of OS packages as their package database states them: apk's `L:` and xbps's
//! `license` (read by the package catalogers into the `assay:package:license` property).
//! The field is the packager's declaration, so it is taken as written (through the alias
//! table for non-SPDX spellings); a field that is no valid expression stays visible as
//! such rather than being guessed at.

use super::db::LicenseDb;
use super::expr::LicenseExpr;
use super::{ComponentLicense, LicenseEvidence, LicenseSource};
use crate::model::Component;

/// The property the package catalogers record a package's license field in.
pub const PACKAGE_LICENSE_PROPERTY: &str = "assay:package:license";

pub fn from_package_database(c: &Component, db: &LicenseDb) -> Option<ComponentLicense> {
    let declared = c
        .properties
        .iter()
        .find(|p| p.name == PACKAGE_LICENSE_PROPERTY)?
        .value
        .trim();
    if declared.is_empty() {
        return None;
    }
    let database = c
        .properties
        .iter()
        .find(|p| p.name == "assay:package:database")
        .map(|p| p.value.clone());
    let (expression, confidence, method) = match LicenseExpr::parse(declared, db) {
        Ok(e) => (e.to_string(), 1.0, "package-license-field"),
        // Kept as declared: the rule engine reports it as not a valid SPDX expression.
        Err(_) => (
            declared.to_string(),
            0.0,
            "package-license-field (not SPDX)",
        ),
    };
    Some(ComponentLicense {
        expression: Some(expression.clone()),
        source: LicenseSource::PackageDatabase,
        location: database,
        confidence,
        method: method.into(),
        evidence: vec![LicenseEvidence {
            file: format!("license field: {declared}"),
            sha256: None,
            expression: Some(expression),
        }],
        extracted: Vec::new(),
        file_texts: Vec::new(),
    })
}
