//! `assay scan`.

use std::io::IsTerminal;

use clap::{Args, ValueEnum};

use super::exit;
use crate::output::{self, OutputSpec};

/// The `scan --help` epilogue; the format list comes from [`output::FORMATS`], so it cannot go
/// stale.
fn after_help() -> String {
    let width = output::FORMATS.iter().map(|f| f.0.len()).max().unwrap_or(0);
    let formats: String = output::FORMATS
        .iter()
        .map(|(name, what)| format!("  {name:<width$}  {what}\n"))
        .collect();
    format!(
        "Formats for -o (FORMAT or FORMAT=FILE; repeat for several; at most one without =FILE):
{formats}
Examples:
  assay scan ./dist/
  assay scan ./server -o json
  assay scan ./dist -o spdx-json=sbom.spdx.json -o cyclonedx-json=sbom.cdx.json
  assay scan ./dist -o cyclonedx-xml=sbom.cdx.xml -o spdx-tag-value=sbom.spdx
  assay scan ./dist -q -o cyclonedx-json@1.5 > sbom.cdx.json  # for 1.5-only consumers
  SOURCE_DATE_EPOCH=0 assay scan bin/ -o spdx-json    # reproducible timestamps

Exit codes: 0 every entry was read; 1 output written, but some entries could not be read
(listed on stderr and in the output); 2 usage error, nothing readable, or output not written."
    )
}

#[derive(Args)]
#[command(after_help = after_help())]
pub struct ScanArgs {
    /// Files and directories to scan (directories are walked recursively), or one image:
    /// oci-dir:PATH[:TAG], oci-archive:PATH[:TAG], docker-archive:PATH[:TAG], dir:ROOTFS,
    /// registry:HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(required = true, value_name = "TARGET")]
    targets: Vec<String>,

    /// Image platform to scan from a multi-platform image: OS/ARCH[/VARIANT] (default: the host's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", help_heading = "Images")]
    platform: Option<crate::image::PlatformSpec>,

    /// Scan every platform of a multi-platform image into one SBOM
    #[arg(long, conflicts_with = "platform", help_heading = "Images")]
    all_platforms: bool,

    /// Which image files to list: what the container sees, or also files later layers delete
    #[arg(long, value_enum, default_value_t = ScopeArg::Squashed, help_heading = "Images")]
    scope: ScopeArg,

    /// Registry user name (also ASSAY_REGISTRY_USERNAME; else Docker's config.json `auths`)
    #[arg(
        long,
        env = "ASSAY_REGISTRY_USERNAME",
        value_name = "USER",
        help_heading = "Images"
    )]
    registry_username: Option<String>,

    /// Registry password (also ASSAY_REGISTRY_PASSWORD)
    #[arg(
        long,
        env = "ASSAY_REGISTRY_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD",
        help_heading = "Images"
    )]
    registry_password: Option<String>,

    /// Extra CA certificate(s) (PEM) to trust for HTTPS registries
    #[arg(long, value_name = "PEM", help_heading = "Images")]
    ca_cert: Option<std::path::PathBuf>,

    /// Talk plain HTTP to the registry (loopback or trusted networks only)
    #[arg(long, help_heading = "Images")]
    insecure_registry: bool,

    /// Output format, optionally to a file: FORMAT[=FILE]
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=FILE]")]
    outputs: Vec<OutputSpec>,

    /// Do not print per-file problems or the progress bar on stderr (problems stay in the
    /// output)
    #[arg(short, long)]
    quiet: bool,

    #[command(flatten)]
    licenses: super::licenses::LicenseFlags,

    #[command(flatten)]
    sbom: super::sbom_info::SbomFlags,

    /// When to colour the table
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,

    /// Directory of the persistent caches (default: $ASSAY_CACHE_DIR, else ~/.cache/assay)
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache: Option<std::path::PathBuf>,

    /// Use no persistent cache (also ASSAY_NO_CACHE=1)
    #[arg(long)]
    no_cache: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScopeArg {
    /// Files the container sees (whiteouts applied)
    Squashed,
    /// Also files deleted or replaced by later layers, marked as such
    AllLayers,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Colour only on a terminal, never with `NO_COLOR` (the rule every command follows).
    pub(crate) fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

pub fn run(args: ScanArgs) -> u8 {
    crate::cache::configure(if args.no_cache {
        None
    } else {
        args.cache.clone().or_else(crate::cache::default_dir)
    });
    let mut outputs = args.outputs;
    if outputs.is_empty() {
        outputs.push("table".parse().expect("built-in format name"));
    }
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        super::error(
            "more than one -o format goes to stdout; give all but one a file: -o FORMAT=FILE",
        );
        return exit::ERROR;
    }
    let created = match crate::timestamp::document_timestamp() {
        Ok(t) => t,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };

    let doc = match image_target(&args.targets) {
        Err(message) => {
            super::error(message);
            return exit::ERROR;
        }
        Ok(None) => {
            let progress = super::progress::Progress::new(args.quiet);
            let options = crate::scan::Options {
                checksums: outputs.iter().fold(crate::hash::Digests::None, |d, o| {
                    d.union(o.format.digests())
                }),
                progress: progress.callback(),
                dir_pass: Some(crate::loader::macho::apply),
            };
            let doc = crate::scan::scan(&args.targets, created, options);
            drop(progress); // clear the bar before problems and output are printed
            doc
        }
        Ok(Some(target)) => {
            let options = crate::image::Options {
                platform: args.platform.clone(),
                all_platforms: args.all_platforms,
                scope: match args.scope {
                    ScopeArg::Squashed => crate::image::Scope::Squashed,
                    ScopeArg::AllLayers => crate::image::Scope::AllLayers,
                },
                registry: crate::image::RegistryOptions {
                    username: args.registry_username.clone(),
                    password: args.registry_password.clone(),
                    ca_cert: args.ca_cert.clone(),
                    insecure: args.insecure_registry,
                },
                rootfs_pass: Some(crate::loader::graph::apply),
            };
            match crate::image::scan(&target, &options, created) {
                Ok(doc) => doc,
                Err(e) => {
                    // A failed image scan writes nothing: a partial SBOM must not pass for
                    // a complete one.
                    super::error(format!("{}: {e:#}", target.raw));
                    return exit::ERROR;
                }
            }
        }
    };
    let mut doc = doc;
    doc.sbom = args.sbom.info();
    // Image targets name no local module sources for license resolution.
    let license_targets: &[String] = if doc.subject.image.is_some() {
        &[]
    } else {
        &args.targets
    };
    if let Err(e) = super::licenses::apply(&mut doc, license_targets, &args.licenses) {
        super::error(e);
        return exit::ERROR;
    }

    if !args.quiet {
        super::print_problems(&doc.problems);
    }
    let nothing_readable = doc.summary.files_examined == 0 && doc.summary.errors > 0;
    if nothing_readable {
        super::error("nothing readable among the targets");
        return exit::ERROR;
    }

    let color = args.color.enabled();
    for spec in &outputs {
        let text = output::render(&doc, spec.format, color && spec.path.is_none());
        if let Err(e) = super::write_output(spec.path.as_deref(), &text) {
            let target = spec
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "stdout".into());
            super::error(format!("cannot write {target}: {e}"));
            return exit::ERROR;
        }
    }
    if doc.summary.errors > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// The image target among the targets, if any. One image per run: mixing an image with
/// other targets would give the SBOM two roots.
fn image_target(targets: &[String]) -> Result<Option<crate::image::ImageTarget>, String> {
    let mut images = Vec::new();
    for t in targets {
        if let Some(parsed) = crate::image::ImageTarget::parse(t) {
            images.push(parsed?);
        }
    }
    match images.len() {
        0 => Ok(None),
        1 if targets.len() == 1 => Ok(images.pop()),
        _ => Err(
            "an image target (KIND:LOCATION) must be the only target; scan one image per run"
                .into(),
        ),
    }
}
