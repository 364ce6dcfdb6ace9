//! Command-line interface: argument parsing, exit codes, and where output goes.
//!
//! Layer: the top. May use everything; nothing uses it.

mod abi;
mod check;
mod classify;
mod diff;
mod generate;
mod license_db;
mod licenses;
mod plugin_check;
mod progress;
mod sbom_info;
mod scan;
mod symbols;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes are part of the product's contract (see README, "Exit codes").
pub mod exit {
    /// Success: everything named was read.
    pub const OK: u8 = 0;
    /// The command completed but found what it checks for (scan: some entries could not be
    /// read; they are listed on stderr and in the output).
    pub const FINDINGS: u8 = 1;
    /// Usage error, nothing readable, or output could not be written.
    pub const ERROR: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "assay",
    version,
    about = "What is inside your binaries, under which licenses, and whether their ABI still matches",
    long_about = None,
    after_help = "Examples:\n  assay scan ./dist/\n  assay scan ./server -o json\n  assay scan ./dist -o spdx-json=sbom.spdx.json -o cyclonedx-xml=sbom.cdx.xml\n  assay diff old.spdx.json new.spdx.json -o markdown\n  assay completions bash > /etc/bash_completion.d/assay\n  assay man | man -l -\n\nEvery command has --help with its own examples.\n\nExit codes: 0 success, 1 completed with findings (scan: some entries unreadable; diff: a --fail-on change), 2 error."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files and directories for binaries and write an inventory or SBOM
    Scan(Box<scan::ScanArgs>),
    /// Show linked libraries, imported and exported symbols of a binary
    Symbols(symbols::SymbolsArgs),
    /// Dump a binary's exported ABI, or diff it against a baseline (exit 1 on breaks)
    Abi(abi::AbiArgs),
    /// Predict whether Go plugins will load into a host (plugin.Open), and why not
    PluginCheck(plugin_check::PluginCheckArgs),
    /// Compare two SBOMs or two scans: components added, removed, changed; licenses; findings
    Diff(diff::DiffArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions(generate::CompletionsArgs),
    /// Print the man page, or write one page per command into a directory
    Man(generate::ManArgs),
    /// List components with their licenses (source, confidence), then license findings
    Licenses(licenses::LicensesArgs),
    /// Run every check of the policy (licenses, ABI baseline, Go plugins): exit 0 ok, 1 failing, 2 error
    Check(check::CheckArgs),
    /// Classify license files (SPDX expression, confidence, method)
    Classify(classify::ClassifyArgs),
    /// Build a site license-db (modules and crates → licenses) for offline and private use
    LicenseDb(license_db::LicenseDbArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Symbols(args) => symbols::run(args),
        Command::Abi(args) => abi::run(args),
        Command::PluginCheck(args) => plugin_check::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
        Command::Licenses(args) => licenses::run_licenses(args),
        Command::Check(args) => check::run(args),
        Command::Classify(args) => classify::run(args),
        Command::LicenseDb(args) => license_db::run(args),
    };
    ExitCode::from(code)
}

/// Prints an error in the one format every subcommand uses.
pub(crate) fn error(message: impl std::fmt::Display) {
    eprintln!("assay: error: {message}");
}

/// Prints a scan's problems on stderr, one line each.
pub(crate) fn print_problems(problems: &[crate::model::Problem]) {
    for p in problems {
        eprintln!("assay: {}: {}: {}", p.severity.as_str(), p.path, p.message);
    }
}

/// Writes `content` to `path` atomically (a sibling temporary file, then rename), so a
/// failed run never leaves a half-written SBOM behind; `None` writes to stdout.
pub(crate) fn write_output(path: Option<&std::path::Path>, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    match path {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(content.as_bytes())?;
            stdout.flush()
        }
        Some(path) => {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let tmp = dir
                .unwrap_or_else(|| std::path::Path::new("."))
                .join(format!(".{file_name}.assay-tmp-{}", std::process::id()));
            std::fs::write(&tmp, content)?;
            std::fs::rename(&tmp, path).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
        }
    }
}
