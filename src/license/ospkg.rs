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
    let property = |name: &str| {
        c.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.clone())
    };
    // Debian: from /usr/share/doc/PKG/copyright (see `debian`), with its own method.
    let copyright = property("assay:package:license-file");
    let location = copyright
        .clone()
        .or_else(|| property("assay:package:database"));
    let stated: f32 = property("assay:package:license-confidence")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let base_method = property("assay:package:license-method")
        .unwrap_or_else(|| "package-license-field".to_string());
    let (expression, confidence, method) = match LicenseExpr::parse(declared, db) {
        Ok(e) => (e.to_string(), stated, base_method),
        // Kept as declared: the rule engine reports it as not a valid SPDX expression.
        Err(_) => (
            declared.to_string(),
            0.0,
            format!("{base_method} (not SPDX)"),
        ),
    };
    Some(ComponentLicense {
        expression: Some(expression.clone()),
        source: LicenseSource::PackageDatabase,
        location,
        confidence,
        method,
        evidence: vec![LicenseEvidence {
            file: match &copyright {
                Some(f) => format!("{f}: {declared}"),
                None => format!("license field: {declared}"),
            },
            sha256: None,
            expression: Some(expression),
        }],
        extracted: Vec::new(),
        file_texts: Vec::new(),
    })
}
