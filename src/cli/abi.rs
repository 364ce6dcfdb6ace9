//! `assay abi dump` and `assay abi diff`: the exported ABI as a baseline, and the gate that
//! compares a build against it.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use super::exit;
use crate::catalog::native::{self, abi};

#[derive(Args)]
pub struct AbiArgs {
    #[command(subcommand)]
    command: AbiCommand,
}

#[derive(Subcommand)]
enum AbiCommand {
    /// Write a file's exported ABI as a baseline (JSON, sorted, diff-friendly)
    #[command(after_help = "\
The baseline lists, per slice (architecture), every exported symbol with its kind, binding,
ELF version node, size (data objects) and C signature (DWARF) or Go type (plugins).
Layout: docs/abi-baseline.md.

Examples:
  assay abi dump libfoo.so -o abi/libfoo.json
  assay abi dump greeter.so                     # Go plugin: what plugin.Lookup reaches

Exit codes: 0 written; 2 error.")]
    Dump(DumpArgs),
    /// Compare an ABI against a baseline or another build; exit 1 on breaking changes
    #[command(after_help = "\
Removed symbols and changed ones (kind, binding, version node, data-object size, C
signature, Go type) are breaking; added symbols are not. A changed default version node is
compatible when the old node is still provided as a hidden version.

BASELINE and OLD/NEW may each be a binary, an `assay abi dump` JSON file, or a plain text
list with one symbol per line (`#` comments; `nm -D --defined-only` output works).

Examples:
  assay abi diff --expected abi/libfoo.json build/libfoo.so
  assay abi diff old/libfoo.so new/libfoo.so -o json
  nm -D --defined-only libfoo.so > expected.txt; assay abi diff --expected expected.txt libfoo.so

Exit codes: 0 compatible; 1 breaking change found; 2 error.")]
    Diff(DiffArgs),
}

#[derive(Args)]
struct DumpArgs {
    /// The binary (ELF, Mach-O incl. fat, PE)
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Write the baseline to this file instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct DiffArgs {
    /// Expected ABI (baseline JSON, text list or binary); then give one FILE
    #[arg(long, value_name = "BASELINE")]
    expected: Option<PathBuf>,
    /// FILE (with --expected), or OLD NEW
    #[arg(value_name = "FILE", num_args = 1..=2, required = true)]
    files: Vec<PathBuf>,
    /// Report format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Report::Text)]
    output: Report,
}

#[derive(Clone, Copy, ValueEnum)]
enum Report {
    Text,
    Json,
}

pub fn run(args: AbiArgs) -> u8 {
    match args.command {
        AbiCommand::Dump(a) => dump(a),
        AbiCommand::Diff(a) => diff(a),
    }
}

fn dump(args: DumpArgs) -> u8 {
    let baseline = match native::read_path(&args.file) {
        Ok(file) => {
            warn_problems(&args.file, &file);
            abi::baseline_of(&file)
        }
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let mut text = crate::sbom::to_json(&baseline);
    text.push('\n');
    match super::write_output(args.output.as_deref(), &text) {
        Ok(()) => exit::OK,
        Err(e) => {
            super::error(format!("cannot write baseline: {e}"));
            exit::ERROR
        }
    }
}

fn load(path: &Path) -> Result<abi::Baseline, String> {
    abi::load(path, &mut |p| {
        eprintln!("assay: warning: {}: {p}", path.display())
    })
}

/// Tables that could not be read make a baseline incomplete: say so on stderr.
fn warn_problems(path: &Path, file: &native::FileLinkage) {
    for slice in &file.slices {
        for p in &slice.linkage.problems {
            eprintln!("assay: warning: {}: {p}", path.display());
        }
    }
}

fn diff(args: DiffArgs) -> u8 {
    let (old, new) = match (&args.expected, args.files.as_slice()) {
        (Some(expected), [file]) => (expected, file),
        (None, [old, new]) => (old, new),
        (Some(_), _) => {
            super::error("with --expected BASELINE give exactly one FILE");
            return exit::ERROR;
        }
        (None, _) => {
            super::error("give OLD NEW, or --expected BASELINE FILE");
            return exit::ERROR;
        }
    };
    let (before, after) = match (load(old), load(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let result = abi::diff(&before, &after);
    let mut text = match args.output {
        Report::Json => crate::sbom::to_json(&result),
        Report::Text => abi::render_text(
            &result,
            &old.display().to_string(),
            &new.display().to_string(),
        ),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    if let Err(e) = super::write_output(None, &text) {
        super::error(format!("cannot write stdout: {e}"));
        return exit::ERROR;
    }
    if result.breaking {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
