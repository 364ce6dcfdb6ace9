//! `assay diff OLD NEW`.

use std::path::Path;

use clap::{Args, ValueEnum};

use super::exit;
use crate::diff::{self, Diff, Inventory};
use crate::report::diff::{self as render, DiffFormat};

#[derive(Args)]
#[command(after_help = "\
OLD and NEW are each an SBOM (SPDX 2.3 JSON or CycloneDX JSON, from assay or any other tool;
recognised by content) or a scan target (a binary or a directory, scanned as `assay scan`
would). Components are matched by purl without version, else by name.

Formats for -o (FORMAT or FORMAT=FILE):
  text      human-readable (default)
  json      the diff as JSON: added, removed, changed, license_changes, findings, summary
  markdown  a Markdown summary and table, for a pull-request comment

Examples:
  assay diff old.spdx.json new.spdx.json
  assay diff release-1.2/ dist/                      # scan both and compare
  assay diff syft.cdx.json dist/server -o markdown=diff.md
  assay diff base.cdx.json head.cdx.json --fail-on added,changed   # CI gate
  assay diff base.cdx.json head.cdx.json --policy assay.toml       # license gate

With --policy FILE: exit 1 also when the change introduces what the policy forbids — a new
component (or a changed license) that licenses.deny names or licenses.allow does not admit, or
a new license finding at error severity; each is printed on stderr.

Exit codes: 0 compared (changes or not); 1 a change named by --fail-on was found, or one the
--policy forbids; 2 usage error, unreadable input, or output not written.")]
pub struct DiffArgs {
    /// The earlier SBOM or scan target
    #[arg(value_name = "OLD")]
    old: String,

    /// The later SBOM or scan target
    #[arg(value_name = "NEW")]
    new: String,

    /// Output format, optionally to a file: FORMAT[=FILE]
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FORMAT[=FILE]",
        default_value = "text"
    )]
    output: String,

    /// Exit 1 when the diff has these changes (comma-separated or repeated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CHANGE")]
    fail_on: Vec<FailOn>,

    /// Do not print scan problems of scanned targets on stderr (they stay findings)
    #[arg(short, long)]
    quiet: bool,

    /// When to colour the text output
    #[arg(long, value_enum, default_value_t = super::scan::Color::Auto)]
    color: super::scan::Color,

    /// How a scanned side's licenses are resolved: the same as `assay scan`
    #[command(flatten)]
    licenses: super::licenses::LicenseFlags,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Components added
    Added,
    /// Components removed
    Removed,
    /// Component versions changed
    Changed,
    /// Licenses changed
    License,
    /// New findings
    Findings,
    /// Any of the above
    Any,
}

pub fn run(args: DiffArgs) -> u8 {
    let (format, path) = match parse_output(&args.output) {
        Ok(o) => o,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let old = match load(&args.old, args.quiet, &args.licenses) {
        Ok(i) => i,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let new = match load(&args.new, args.quiet, &args.licenses) {
        Ok(i) => i,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let diff = diff::compare(&old, &new);
    let color = path.is_none() && args.color.enabled();
    let text = render::render(&diff, format, color);
    if let Err(e) = super::write_output(path.as_deref(), &text) {
        let target = path.map(|p| p.display().to_string());
        super::error(format!(
            "cannot write {}: {e}",
            target.as_deref().unwrap_or("stdout")
        ));
        return exit::ERROR;
    }
    // With an explicit --policy: exit 1 when the change brings in what the policy forbids.
    let mut violated = false;
    if let Some(path) = &args.licenses.policy {
        let db = crate::license::db::bundled();
        let policy = match crate::license::policy::Policy::load(path, db) {
            Ok(p) => p,
            Err(e) => {
                super::error(e);
                return exit::ERROR;
            }
        };
        for v in diff::policy::violations(&diff, &policy, db) {
            eprintln!("assay: policy: {v}");
            violated = true;
        }
    }
    if violated || fails(&diff, &args.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn parse_output(spec: &str) -> Result<(DiffFormat, Option<std::path::PathBuf>), String> {
    match spec.split_once('=') {
        Some((f, "")) => Err(format!("missing file name after '=' in {f:?}=")),
        Some((f, p)) => Ok((f.parse()?, Some(p.into()))),
        None => Ok((spec.parse()?, None)),
    }
}

fn fails(diff: &Diff, fail_on: &[FailOn]) -> bool {
    let s = &diff.summary;
    fail_on.iter().any(|f| match f {
        FailOn::Added => s.added > 0,
        FailOn::Removed => s.removed > 0,
        FailOn::Changed => s.changed > 0,
        FailOn::License => s.license_changes > 0,
        FailOn::Findings => s.new_findings > 0,
        FailOn::Any => !diff.is_empty(),
    })
}

/// An SBOM when the file's content is JSON; otherwise a scan target.
fn load(
    arg: &str,
    quiet: bool,
    licenses: &super::licenses::LicenseFlags,
) -> Result<Inventory, String> {
    let path = Path::new(arg);
    let meta = std::fs::metadata(path).map_err(|e| format!("{arg}: {e}"))?;
    if meta.is_file() && looks_like_json(path).map_err(|e| format!("{arg}: {e}"))? {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{arg}: {e}"))?;
        return diff::load_sbom(arg, &text);
    }
    let created = crate::timestamp::document_timestamp()?;
    let targets = [arg.to_string()];
    let progress = super::progress::Progress::new(quiet);
    let options = crate::scan::Options {
        checksums: crate::hash::Digests::None,
        progress: progress.callback(),
        dir_pass: Some(crate::loader::macho::apply),
    };
    let mut doc = crate::scan::scan(&targets, created, options);
    drop(progress);
    // Licenses and findings as `assay scan` would record them, so a scan and an SBOM of the
    // same binaries compare equal.
    super::licenses::apply(&mut doc, &targets, licenses)?;
    if !quiet {
        super::print_problems(&doc.problems);
    }
    if doc.summary.binaries == 0 {
        return Err(format!("{arg}: no binaries found (and not an SBOM)"));
    }
    // A scan is compared through its SPDX document, so that what `diff` sees of a scan is
    // exactly what it would see of assay's SBOM of it.
    let mut inventory = diff::from_spdx(arg, &crate::sbom::spdx::document(&doc));
    inventory.format = "assay scan".into();
    Ok(inventory)
}

fn looks_like_json(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    let text = head[..n]
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(&head[..n]);
    Ok(text
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{'))
}
