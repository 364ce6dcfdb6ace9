//! `assay licenses` (list components' licenses and findings), plus the license flags `scan`,
//! `check` and `diff` share.

use std::path::PathBuf;

use clap::Args;

use super::exit;
use crate::license::expr::LicenseExpr;
use crate::license::policy::Policy;
use crate::license::resolve::{LicenseMode, ResolveOptions};
use crate::license::LicenseSource;
use crate::model::Document;

/// License flags shared by `scan`, `licenses` and `check`.
#[derive(Args, Clone)]
pub struct LicenseFlags {
    /// Where licenses come from: off, offline (local files and the bundled license-db), or
    /// remote (also module zips from GOPROXY)
    #[arg(long = "licenses", value_enum, default_value_t = LicenseMode::Offline)]
    pub mode: LicenseMode,

    /// The product's own license (SPDX expression); overrides the policy's `outbound`
    #[arg(long, value_name = "EXPR")]
    pub outbound_license: Option<String>,

    /// Policy file (default: ./assay.toml when it exists)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// A site license-db (`assay license-db build`), consulted before the bundled one;
    /// repeatable [env: ASSAY_LICENSE_DB, `:`-separated]
    #[arg(long = "license-db", value_name = "FILE")]
    pub license_db: Vec<PathBuf>,
}

/// Loads the policy and resolves licenses into `doc`.
pub fn apply(
    doc: &mut Document,
    targets: &[String],
    flags: &LicenseFlags,
) -> Result<Policy, String> {
    crate::license::db::init_site_tables(&flags.license_db)?;
    let db = crate::license::db::bundled();
    let policy = match &flags.policy {
        Some(p) => Policy::load(p, db)?,
        None if std::path::Path::new("assay.toml").is_file() => {
            Policy::load("assay.toml".as_ref(), db)?
        }
        None => Policy::default(),
    };
    let outbound = match &flags.outbound_license {
        Some(o) => Some(LicenseExpr::parse(o, db).map_err(|e| format!("--outbound-license: {e}"))?),
        None => None,
    };
    let opts = ResolveOptions::new(flags.mode, targets);
    crate::license::annotate(doc, &opts, &policy, outbound.as_ref());
    Ok(policy)
}

#[derive(Args)]
#[command(after_help = "\
Lists every component with its license, where it came from and how sure assay is, then the
findings of the license rules (see README, \"License rules\").

Examples:
  assay licenses ./server
  assay licenses ./dist --licenses=remote --outbound-license Apache-2.0
  assay licenses ./server -o json
  assay licenses ./dist -o notice > NOTICE
  assay licenses ./dist -o attribution-html > attribution.html")]
pub struct LicensesArgs {
    #[arg(required = true, value_name = "TARGET")]
    targets: Vec<String>,
    #[command(flatten)]
    flags: LicenseFlags,
    /// Output: table, json, or an auditor output: notice, attribution-md, attribution-html
    #[arg(short = 'o', long = "output", default_value = "table",
          value_parser = ["table", "json", "notice", "attribution-md", "attribution-html"])]
    output: String,
}

/// Scans without checksums (licenses need only the components) and resolves licenses.
pub(crate) fn scan_with_licenses(
    targets: &[String],
    flags: &LicenseFlags,
) -> Result<(Document, Policy), String> {
    let created = crate::timestamp::document_timestamp().map_err(|e| e.to_string())?;
    // One image or root filesystem (`dir:`, `oci-dir:`, …): scanned as `assay scan` does, so
    // `assay check` sees its loader findings; it names no local module sources.
    if let [single] = targets {
        if let Some(target) = crate::image::ImageTarget::parse(single) {
            let target = target.map_err(|e| e.to_string())?;
            let options = crate::image::Options {
                rootfs_pass: Some(crate::loader::graph::apply),
                ..crate::image::Options::default()
            };
            let mut doc =
                crate::image::scan(&target, &options, created).map_err(|e| format!("{e:#}"))?;
            let policy = apply(&mut doc, &[], flags)?;
            return Ok((doc, policy));
        }
    }
    // Licenses need no file checksums: only the catalogued components.
    let options = crate::scan::Options {
        dir_pass: Some(crate::loader::macho::apply),
        ..crate::scan::Options::default()
    };
    let mut doc = crate::scan::scan(targets, created, options);
    if doc.summary.files_examined == 0 && doc.summary.errors > 0 {
        super::print_problems(&doc.problems);
        return Err("nothing readable among the targets".into());
    }
    let policy = apply(&mut doc, targets, flags)?;
    Ok((doc, policy))
}

pub fn run_licenses(args: LicensesArgs) -> u8 {
    let doc = match scan_with_licenses(&args.targets, &args.flags) {
        Ok((doc, _)) => doc,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let auditor_format = match args.output.as_str() {
        "notice" | "attribution-md" | "attribution-html" => args.output.parse().ok(),
        _ => None,
    };
    let text = if let Some(format) = auditor_format {
        crate::output::render(&doc, format, false)
    } else if args.output == "json" {
        let v = serde_json::json!({
            "components": doc.components.iter().map(|c| serde_json::json!({
                "id": c.id, "kind": c.kind, "name": c.name, "version": c.version,
                "purl": (!c.purl.is_empty()).then_some(&c.purl),
                "license": doc.licenses.get(&c.id),
            })).collect::<Vec<_>>(),
            "findings": doc.findings,
            "problems": doc.problems,
        });
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    } else {
        render_table(&doc)
    };
    if let Err(e) = super::write_output(None, &text) {
        super::error(format!("cannot write stdout: {e}"));
        return exit::ERROR;
    }
    exit::OK
}

fn render_table(doc: &Document) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "COMPONENT".into(),
        "VERSION".into(),
        "LICENSE".into(),
        "SOURCE".into(),
        "CONFIDENCE".into(),
    ]];
    for c in &doc.components {
        let lic = doc.licenses.get(&c.id);
        rows.push([
            c.name.clone(),
            c.version.clone().unwrap_or_default(),
            lic.and_then(|l| l.expression.clone())
                .unwrap_or_else(|| "-".into()),
            match lic {
                Some(l) => l.source.as_str().to_string(),
                // Not resolved on purpose: not code the product ships.
                None if c.kind == crate::model::ComponentKind::NativeLibrary => {
                    "outside-scan".to_string()
                }
                None if c.kind == crate::model::ComponentKind::Compiler => "build-tool".to_string(),
                None => LicenseSource::NotFound.as_str().to_string(),
            },
            lic.map(|l| format!("{:.2}", l.confidence))
                .unwrap_or_default(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push('\n');
    if doc.findings.is_empty() {
        out.push_str("No findings.\n");
    }
    // Per-binary components (a `(devel)` main module in each binary) repeat the same finding:
    // print it once with a count.
    let mut printed: Vec<(String, String, usize)> = Vec::new();
    for f in &doc.findings {
        let names: Vec<&str> = f
            .components
            .iter()
            .map(|id| {
                doc.components
                    .iter()
                    .find(|c| &c.id == id)
                    .map(|c| c.name.as_str())
                    .unwrap_or(id)
            })
            .collect();
        let head = format!(
            "{:<7} {:<24} {}{}",
            f.severity.as_str(),
            f.rule,
            names.join(" + "),
            f.license
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default(),
        );
        match printed
            .iter_mut()
            .find(|(h, e, _)| *h == head && *e == f.explanation)
        {
            Some((_, _, n)) => *n += 1,
            None => printed.push((head, f.explanation.clone(), 1)),
        }
    }
    for (head, explanation, n) in printed {
        let times = if n > 1 {
            format!(" [{n} components]")
        } else {
            String::new()
        };
        out.push_str(&format!("{head}{times}\n        {explanation}\n"));
    }
    out
}
