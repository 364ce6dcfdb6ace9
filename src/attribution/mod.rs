//! Auditor outputs: a NOTICE file ([`notice`]) and a person-readable attribution report in
//! Markdown ([`markdown`]) and self-contained HTML ([`html`]). All three read one
//! [`Attribution`]: every component with its license and evidence, the findings, and the
//! full text of every license used.
//!
//! Layer: writers. May use the model and the license enricher.

pub mod html;
pub mod markdown;
pub mod notice;

use std::collections::BTreeMap;

use crate::license::db::bundled;
use crate::license::expr::LicenseExpr;
use crate::license::{ComponentLicense, Finding, LicenseFileText};
use crate::model::{Component, ComponentKind, Document};

/// One component as the auditor sees it.
pub struct Entry<'a> {
    pub component: &'a Component,
    pub license: Option<&'a ComponentLicense>,
    /// Why there is no license verdict, for components that are not shipped code.
    pub not_shipped: Option<&'static str>,
}

impl Entry<'_> {
    pub fn version(&self) -> &str {
        self.component.version.as_deref().unwrap_or("")
    }

    /// The expression, `NOASSERTION` when none was found, or the reason there is none.
    pub fn license_text(&self) -> String {
        match (
            self.license.and_then(|l| l.expression.as_deref()),
            self.not_shipped,
        ) {
            (Some(e), _) => e.to_string(),
            (None, Some(reason)) => format!("({reason})"),
            (None, None) => "NOASSERTION".to_string(),
        }
    }

    /// The binaries the component was found in: the first three, then how many more.
    pub fn found_in(&self) -> String {
        let files = &self.component.occurrences;
        let mut out = files.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        if files.len() > 3 {
            out.push_str(&format!(" and {} more", files.len() - 3));
        }
        out
    }

    /// `source, confidence 0.95` or `-`.
    pub fn source_text(&self) -> String {
        match self.license {
            Some(l) => format!("{}, confidence {:.2}", l.source.as_str(), l.confidence),
            None => "-".to_string(),
        }
    }

    /// Evidence files (with SHA-256 when known) and the location, one string each.
    pub fn evidence(&self) -> Vec<String> {
        let Some(l) = self.license else {
            return Vec::new();
        };
        let mut out: Vec<String> = l
            .evidence
            .iter()
            .map(|e| match &e.sha256 {
                Some(h) => format!("{} (sha256 {h})", e.file),
                None => e.file.clone(),
            })
            .collect();
        if let Some(loc) = &l.location {
            out.push(format!("at {loc}"));
        }
        out
    }
}

/// One license (or exception, or `LicenseRef-`) used by some component, with its text.
pub struct LicenseText {
    pub id: String,
    /// Where the text comes from.
    pub provenance: String,
    /// `None` when no text is known (an id outside the SPDX list without extracted text).
    pub text: Option<String>,
    /// `name version` of each component under it.
    pub used_by: Vec<String>,
}

/// A license file as found next to a component (it carries the copyright lines the SPDX
/// template text lacks); identical files are listed once.
pub struct FoundFile<'a> {
    /// `name version` of each component it was found for.
    pub used_by: Vec<String>,
    pub file: &'a LicenseFileText,
    /// Where: the module cache directory, vendor tree or module zip.
    pub location: Option<&'a str>,
}

pub struct Attribution<'a> {
    pub doc: &'a Document,
    pub entries: Vec<Entry<'a>>,
    pub findings: &'a [Finding],
    pub texts: Vec<LicenseText>,
    pub found_files: Vec<FoundFile<'a>>,
}

/// Gathers the components (sorted by name, version), their licenses and the license texts.
pub fn collect(doc: &Document) -> Attribution<'_> {
    let mut entries: Vec<Entry<'_>> = doc
        .components
        .iter()
        .map(|c| Entry {
            component: c,
            license: doc.licenses.get(&c.id),
            not_shipped: match c.kind {
                ComponentKind::NativeLibrary if !doc.licenses.contains_key(&c.id) => {
                    Some("not shipped: loaded at run time from outside the scan")
                }
                ComponentKind::Compiler => Some("not shipped: build tool"),
                _ => None,
            },
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.component.name, &a.component.version).cmp(&(&b.component.name, &b.component.version))
    });
    let mut used: BTreeMap<String, (Option<String>, Vec<String>)> = BTreeMap::new();
    for e in &entries {
        let Some(lic) = e.license else { continue };
        let Some(expr) = lic.expression.as_deref() else {
            continue;
        };
        let who = format!("{} {}", e.component.name, e.version())
            .trim_end()
            .to_string();
        let mut ids: Vec<String> = match LicenseExpr::parse(expr, bundled()) {
            Ok(parsed) => parsed
                .units()
                .iter()
                .flat_map(|u| std::iter::once(u.license.clone()).chain(u.exception.clone()))
                .collect(),
            Err(_) => vec![expr.to_string()],
        };
        ids.dedup();
        for id in ids {
            let extracted = lic
                .extracted
                .iter()
                .find(|x| x.license_ref == id)
                .map(|x| x.text.clone());
            let slot = used.entry(id).or_default();
            if slot.0.is_none() {
                slot.0 = extracted;
            }
            if !slot.1.contains(&who) {
                slot.1.push(who.clone());
            }
        }
    }
    let texts = used
        .into_iter()
        .map(|(id, (extracted, used_by))| {
            let (text, provenance) = match (extracted, spdx_text(&id)) {
                (Some(t), _) => (
                    Some(t),
                    "extracted from the component's license file".into(),
                ),
                (None, Some(t)) => (
                    Some(t.to_string()),
                    "SPDX License List text (spdx crate, compiled in)".into(),
                ),
                (None, None) => (None, "no text known for this identifier".into()),
            };
            LicenseText {
                id,
                provenance,
                text,
                used_by,
            }
        })
        .collect();
    let mut found_files: Vec<FoundFile<'_>> = Vec::new();
    for e in &entries {
        let Some(lic) = e.license else { continue };
        let who = format!("{} {}", e.component.name, e.version())
            .trim_end()
            .to_string();
        for file in &lic.file_texts {
            match found_files.iter_mut().find(|f| f.file.text == file.text) {
                Some(f) if !f.used_by.contains(&who) => f.used_by.push(who.clone()),
                Some(_) => {}
                None => found_files.push(FoundFile {
                    used_by: vec![who.clone()],
                    file,
                    location: lic.location.as_deref(),
                }),
            }
        }
    }
    Attribution {
        doc,
        entries,
        findings: &doc.findings,
        texts,
        found_files,
    }
}

/// The SPDX License List text of a license or exception id.
fn spdx_text(id: &str) -> Option<&'static str> {
    spdx::license_id(id)
        .map(|l| l.text())
        .or_else(|| spdx::exception_id(id).map(|e| e.text()))
}

/// Component names of a finding, `name@version` each.
pub fn finding_components(doc: &Document, f: &Finding) -> String {
    f.components
        .iter()
        .map(|id| match doc.components.iter().find(|c| &c.id == id) {
            Some(c) => match &c.version {
                Some(v) => format!("{}@{v}", c.name),
                None => c.name.clone(),
            },
            None => id.clone(),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}
