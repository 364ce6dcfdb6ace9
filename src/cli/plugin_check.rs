//! `assay plugin-check`: will these Go plugins load into this host, in this order?

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::exit;
use crate::plugin::{self, GoImage, Outcome, PluginInput, Verdict};

#[derive(Args)]
#[command(after_help = "\
Plugins are opened in the order given; a directory stands for its .so files in name order.
Each plugin gets a verdict — LOADS, FAILS or UNKNOWN — with the first failing check, the exact
error plugin.Open would return, and why (module versions, differing build settings) and a fix.

Examples:
  assay plugin-check --host ./server plugins/auth.so plugins/metrics.so
  assay plugin-check --host ./server ./plugins/ -o json
  assay plugin-check --host ./server auth.so --expect auth.exports   # one exported name a line

Exit codes: 0 every plugin loads; 1 some plugin would fail (or cannot be predicted);
2 usage error or unreadable input.")]
pub struct PluginCheckArgs {
    /// The host executable that will call plugin.Open
    #[arg(long, value_name = "HOST")]
    host: PathBuf,

    /// Plugins (.so files or directories of them), in load order
    #[arg(required = true, value_name = "PLUGIN")]
    plugins: Vec<String>,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    format: Format,

    /// File of exported names (one per line, `#` comments) every plugin must export
    #[arg(long, value_name = "BASELINE")]
    expect: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

pub fn run(args: PluginCheckArgs) -> u8 {
    match check(&args) {
        Ok((all_load, text)) => {
            if let Err(e) = super::write_output(None, &text) {
                super::error(format!("cannot write stdout: {e}"));
                return exit::ERROR;
            }
            if all_load {
                exit::OK
            } else {
                exit::FINDINGS
            }
        }
        Err(message) => {
            super::error(message);
            exit::ERROR
        }
    }
}

#[derive(Serialize)]
struct HostReport<'a> {
    path: &'a Path,
    #[serde(skip_serializing_if = "Option::is_none")]
    go_version: Option<&'a str>,
    platform: &'a crate::binary::Platform,
    links_plugin_package: bool,
    cgo: Option<bool>,
    exports_link_hashes: bool,
}

#[derive(Serialize)]
struct PluginReport<'a> {
    path: &'a Path,
    #[serde(skip_serializing_if = "Option::is_none")]
    go_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table_order: Option<plugin::TableOrder>,
    packages: usize,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

#[derive(Serialize)]
struct Summary {
    loads: usize,
    fails: usize,
    unknown: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    host: HostReport<'a>,
    plugins: Vec<PluginReport<'a>>,
    summary: Summary,
}

/// Returns whether every plugin loads, and the rendered report.
fn check(args: &PluginCheckArgs) -> Result<(bool, String), String> {
    let host = plugin::image::read_host(&args.host)?;
    let expect = args.expect.as_deref().map(read_expect).transpose()?;
    let mut inputs = Vec::new();
    for name in expand_plugins(&args.plugins)? {
        let image = plugin::image::read(Path::new(&name))?;
        inputs.push(PluginInput { name, image });
    }
    let verdicts = plugin::predict(&host, &inputs, expect.as_deref());
    let owned = ReportOwned {
        host,
        inputs,
        verdicts,
    };
    let text = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&owned.view())
                .map_err(|e| format!("cannot render JSON: {e}"))?;
            s.push('\n');
            s
        }
        Format::Table => render_table(&owned.view()),
    };
    let all_load = owned.verdicts.iter().all(|v| v.outcome == Outcome::Loads);
    Ok((all_load, text))
}

/// Owns the images the borrowed [`Report`] view points into.
struct ReportOwned {
    host: GoImage,
    inputs: Vec<PluginInput>,
    verdicts: Vec<Verdict>,
}

impl ReportOwned {
    fn view(&self) -> Report<'_> {
        let count = |o| self.verdicts.iter().filter(|v| v.outcome == o).count();
        Report {
            host: HostReport {
                path: &self.host.path,
                go_version: self.host.go_version.as_ref().map(|v| v.raw.as_str()),
                platform: &self.host.platform,
                links_plugin_package: self.host.links_plugin_package,
                cgo: self.host.cgo,
                exports_link_hashes: self.host.exports_link_hashes,
            },
            plugins: self
                .inputs
                .iter()
                .zip(&self.verdicts)
                .map(|(input, verdict)| PluginReport {
                    path: &input.image.path,
                    go_version: input.image.go_version.as_ref().map(|v| v.raw.as_str()),
                    table_order: input.image.table_order,
                    packages: input.image.hash_table.len(),
                    verdict,
                })
                .collect(),
            summary: Summary {
                loads: count(Outcome::Loads),
                fails: count(Outcome::Fails),
                unknown: count(Outcome::Unknown),
            },
        }
    }
}

/// Files as given; a directory contributes its `.so` files sorted by name.
pub fn expand_plugins(args: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if path.is_dir() {
            let mut names: Vec<String> = std::fs::read_dir(path)
                .map_err(|e| format!("{arg}: {e}"))?
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".so"))
                .collect();
            names.sort();
            if names.is_empty() {
                return Err(format!("{arg}: directory has no .so files"));
            }
            out.extend(
                names
                    .into_iter()
                    .map(|n| path.join(n).to_string_lossy().into_owned()),
            );
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

/// A baseline of exported names: one identifier a line; `pluginpath.Ident` is accepted and
/// reduced to `Ident`. (An `assay abi dump` JSON baseline is not read yet.)
fn read_expect(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.trim_start().starts_with(['{', '[']) {
        return Err(format!(
            "{}: JSON baselines (assay abi dump) are not supported yet; give one exported name a line",
            path.display()
        ));
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.rsplit('.').next().unwrap_or(l).to_string())
        .collect())
}

fn render_table(report: &Report<'_>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let h = &report.host;
    let _ = writeln!(
        out,
        "host {}: {} {}/{}, package plugin {}, cgo {}",
        h.path.display(),
        h.go_version.unwrap_or("(no Go build info)"),
        h.platform.os.as_deref().unwrap_or("unknown"),
        h.platform.arch,
        if h.links_plugin_package {
            "linked"
        } else {
            "not linked"
        },
        match h.cgo {
            Some(true) => "on",
            Some(false) => "off",
            None => "unknown",
        }
    );
    for (i, p) in report.plugins.iter().enumerate() {
        let v = p.verdict;
        let check = v
            .failed_check
            .map(|c| c.as_str().to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:>2}. {:<7} {} {}{}",
            i + 1,
            v.outcome.as_str(),
            v.name,
            if check.is_empty() {
                String::new()
            } else {
                format!("[{check}]")
            },
            match v.confidence {
                plugin::Confidence::High => "",
                plugin::Confidence::Medium => " (confidence: medium)",
                plugin::Confidence::Low => " (confidence: low)",
            }
        );
        if let Some(e) = &v.error {
            let _ = writeln!(out, "      error: {e}");
        }
        for line in &v.explanation {
            let _ = writeln!(out, "      why:   {line}");
        }
        if v.outcome == Outcome::Loads {
            for d in &v.setting_differences {
                let _ = writeln!(
                    out,
                    "      note:  setting {} differs (plugin {}, host {})",
                    d.setting, d.plugin, d.provider
                );
            }
        }
        if let Some(hint) = &v.hint {
            let _ = writeln!(out, "      fix:   {hint}");
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} loads, {} fails, {} unknown",
        s.loads, s.fails, s.unknown
    );
    out
}
