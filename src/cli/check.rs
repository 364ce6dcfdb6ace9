//! `assay check`: one scan, every check the policy names, one exit code.

use clap::Args;

use super::exit;
use crate::check;

#[derive(Args)]
#[command(after_help = "\
Runs the license rules, and the checks the policy names: [abi] expected = \"baseline.json\"
(scanned libraries against an ABI baseline, as `assay abi diff`), [plugins] host = \"server\"
(will the scanned Go plugins load, as `assay plugin-check`). See README, \"assay check\".

Formats for -o (FORMAT or FORMAT=FILE; repeatable; at most one without =FILE):
  table   one block per check with its findings, then the result (default)
  json    the same as JSON: checks[] {check, subject, passed, findings[]}, passed
  sarif   SARIF 2.1.0 for code scanning: rule ids license/<rule>, abi/removed, abi/changed,
          abi/missing, plugin/<check>; the file as location

Examples:
  assay check ./server
  assay check --policy assay.toml ./dist/*
  assay check --policy assay.toml dist/ -o sarif=assay.sarif

Exit codes: 0 nothing fails the policy; 1 a finding at error level (each is printed);
2 error (bad policy, unreadable baseline or host, nothing readable, output not written).")]
pub struct CheckArgs {
    #[arg(required = true, value_name = "TARGET")]
    targets: Vec<String>,
    #[command(flatten)]
    flags: super::licenses::LicenseFlags,
    /// Output format, optionally to a file: FORMAT[=FILE]
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=FILE]")]
    outputs: Vec<CheckOutput>,
    /// Print only failures in the table
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CheckFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Clone)]
struct CheckOutput {
    format: CheckFormat,
    path: Option<std::path::PathBuf>,
}

impl std::str::FromStr for CheckOutput {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, path) = match s.split_once('=') {
            Some((f, "")) => return Err(format!("missing file name after '=' in {f:?}=")),
            Some((f, p)) => (f, Some(p.into())),
            None => (s, None),
        };
        let format = match name {
            "table" => CheckFormat::Table,
            "json" => CheckFormat::Json,
            "sarif" => CheckFormat::Sarif,
            other => {
                return Err(format!(
                    "unknown output format {other:?}; expected table, json or sarif"
                ))
            }
        };
        Ok(CheckOutput { format, path })
    }
}

pub fn run(args: CheckArgs) -> u8 {
    let mut outputs = args.outputs.clone();
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        super::error("more than one -o format goes to stdout; give all but one a file");
        return exit::ERROR;
    }
    // The table always goes to stdout unless another format does.
    if !outputs.iter().any(|o| o.path.is_none()) {
        outputs.push(CheckOutput {
            format: CheckFormat::Table,
            path: None,
        });
    }
    let report = match super::licenses::scan_with_licenses(&args.targets, &args.flags)
        .and_then(|(doc, policy)| check::run(&doc, &policy))
    {
        Ok(r) => r,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    for o in &outputs {
        let text = match o.format {
            CheckFormat::Table => crate::report::check::table(&report, args.quiet),
            CheckFormat::Json => crate::report::check::json(&report),
            CheckFormat::Sarif => crate::report::check::sarif(&report),
        };
        if let Err(e) = super::write_output(o.path.as_deref(), &text) {
            let target = o.path.as_ref().map(|p| p.display().to_string());
            super::error(format!(
                "cannot write {}: {e}",
                target.as_deref().unwrap_or("stdout")
            ));
            return exit::ERROR;
        }
    }
    if report.passed {
        exit::OK
    } else {
        exit::FINDINGS
    }
}
