//! `assay license-db build` (a site license-db for offline and private use) and `assay
//! license-db classify` (the resolver's file rule and classifier on unpacked packages; what
//! `license-db/generate.py` runs to build the bundled db). See docs/licenses.md.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::exit;
use crate::license::crate_fetch::{CrateFetchConfig, CrateFetcher};
use crate::license::remote::RemoteConfig;
use crate::license::site::{self, Package};

#[derive(Args)]
pub struct LicenseDbArgs {
    #[command(subcommand)]
    command: LicenseDbCommand,
}

#[derive(Subcommand)]
enum LicenseDbCommand {
    /// Build a site license-db from modules and crates, or from what binaries link
    Build(BuildArgs),
    /// Classify unpacked module roots or crates by the resolver's rule (one JSON line each)
    Classify(ClassifyArgs),
    /// What the license-dbs (site, then bundled) answer for packages, offline (JSON lines)
    Lookup(LookupArgs),
}

#[derive(Args)]
pub struct LookupArgs {
    /// Packages: `go PATH@VERSION`, `crate NAME@VERSION`, or `PATH@VERSION` (Go)
    #[arg(value_name = "PACKAGE")]
    packages: Vec<String>,
    /// A file of packages, one a line (# comments)
    #[arg(long, value_name = "FILE")]
    list: Vec<PathBuf>,
    /// A site license-db to consult first (repeatable) [env: ASSAY_LICENSE_DB]
    #[arg(long = "license-db", value_name = "FILE")]
    license_db: Vec<PathBuf>,
}

#[derive(Args)]
#[command(after_help = "\
Fetches each module through GOPROXY (GONOPROXY/GOPRIVATE honoured, as with --licenses=remote)
and each crate from the crate registry, classifies its license files, and writes a license
table (license-db/FORMAT.md). Use it with `--license-db FILE` or ASSAY_LICENSE_DB on scan,
licenses and check; it is consulted before the bundled db.

Exit codes: 0 every package answered, 1 written but some packages have no answer (listed on
stderr), 2 error (nothing written).

Examples:
  assay license-db build -o site.db ./dist/server ./dist/agent
  GOPROXY=https://goproxy.corp.example assay license-db build -o site.db --go corp.example/lib@v1.4.0
  assay license-db build -o site.db --list packages.txt     # lines: go PATH@V | crate NAME@V")]
pub struct BuildArgs {
    /// Binaries or directories: every Go module and crate they link is examined
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,
    /// A Go module to examine (repeatable)
    #[arg(long = "go", value_name = "PATH@VERSION")]
    go: Vec<String>,
    /// A crate to examine (repeatable)
    #[arg(long = "crate", value_name = "NAME@VERSION")]
    crates: Vec<String>,
    /// A file of packages, one a line: `go PATH@VERSION`, `crate NAME@VERSION` (# comments)
    #[arg(long, value_name = "FILE")]
    list: Vec<PathBuf>,
    /// Where .crate files come from: a base URL (crates.io layout) or a cargo `dl` template
    /// with {crate} and {version} [env: ASSAY_CRATE_REGISTRY]
    #[arg(long, value_name = "URL")]
    crate_registry: Option<String>,
    /// Requests in flight
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// The license-db file to write
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    output: PathBuf,
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// Directories: a Go module root, or an unpacked crate (has Cargo.toml)
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

pub fn run(args: LicenseDbArgs) -> u8 {
    match args.command {
        LicenseDbCommand::Build(a) => build(a),
        LicenseDbCommand::Classify(a) => classify(a),
        LicenseDbCommand::Lookup(a) => lookup(a),
    }
}

fn read_lists(files: &[PathBuf], out: &mut Vec<Package>) -> Result<(), String> {
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                out.push(
                    site::parse_package(line)
                        .map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?,
                );
            }
        }
    }
    Ok(())
}

fn packages(args: &BuildArgs) -> Result<Vec<Package>, String> {
    let mut out = Vec::new();
    for spec in &args.go {
        out.push(site::parse_package(&format!("go {spec}"))?);
    }
    for spec in &args.crates {
        out.push(site::parse_package(&format!("crate {spec}"))?);
    }
    read_lists(&args.list, &mut out)?;
    if !args.targets.is_empty() {
        let created = crate::timestamp::document_timestamp().map_err(|e| e.to_string())?;
        let doc = crate::scan::scan(&args.targets, created, crate::scan::Options::default());
        if doc.summary.files_examined == 0 && doc.summary.errors > 0 {
            super::print_problems(&doc.problems);
            return Err("nothing readable among the targets".into());
        }
        out.extend(site::packages_of(&doc));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn build(args: BuildArgs) -> u8 {
    let packages = match packages(&args) {
        Ok(p) if p.is_empty() => {
            super::error("nothing to examine: give TARGETs, --go, --crate or --list");
            return exit::ERROR;
        }
        Ok(p) => p,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let remote = RemoteConfig::from_env();
    // The remote mode's crate fetcher (streaming, bounded, same cache), with the registry
    // given on the command line first.
    let mut crates = CrateFetchConfig::from_env();
    if let Some(url) = args.crate_registry.clone().filter(|u| !u.is_empty()) {
        crates.registry = url;
        crates.custom_registry = true;
    }
    if let Err(e) = std::fs::create_dir_all(&crates.cache_dir) {
        super::error(format!("{}: {e}", crates.cache_dir.display()));
        return exit::ERROR;
    }
    let registry = match CrateFetcher::new(crates) {
        Ok(r) => r,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let db = crate::license::db::bundled();
    let examined = match site::examine(&packages, remote, &registry, db, args.jobs) {
        Ok(e) => e,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let mut rows = Vec::new();
    let mut missing = 0;
    for (p, row) in examined {
        match row {
            Ok(r) => rows.push(r),
            Err(e) => {
                missing += 1;
                eprintln!("assay: warning: {p}: {e}");
            }
        }
    }
    let comments = vec![
        format!(
            "site license-db written by assay {}",
            env!("CARGO_PKG_VERSION")
        ),
        format!(
            "{} packages examined, {} answered",
            packages.len(),
            rows.len()
        ),
    ];
    let text = crate::license::table::write(rows, &comments);
    if let Err(e) = super::write_output(Some(&args.output), &text) {
        super::error(format!("{}: {e}", args.output.display()));
        return exit::ERROR;
    }
    eprintln!(
        "assay: wrote {}: {} of {} packages answered",
        args.output.display(),
        packages.len() - missing,
        packages.len()
    );
    if missing > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn classify(args: ClassifyArgs) -> u8 {
    crate::license::db::IGNORE_KNOWN_TEXTS.store(true, std::sync::atomic::Ordering::Relaxed);
    let db = crate::license::db::bundled();
    let mut code = exit::OK;
    for dir in &args.dirs {
        let lic = if dir.join("Cargo.toml").is_file() {
            crate::license::cargo::crate_dir_license(dir, db)
        } else {
            crate::license::resolve::from_dir(dir, crate::license::LicenseSource::LocalSource, db)
        };
        let Some(lic) = lic else {
            println!("{}", serde_json::json!({"dir": dir.display().to_string()}));
            continue;
        };
        if lic.expression.is_none() {
            code = exit::FINDINGS;
        }
        let v = serde_json::json!({
            "dir": dir.display().to_string(),
            "expression": lic.expression,
            "confidence": lic.confidence,
            "method": lic.method,
            // whether assay's own expression parser accepts it (the generator drops the rest)
            "valid": lic.expression.as_deref().is_some_and(|e| crate::license::expr::LicenseExpr::parse(e, db).is_ok()),
            "files": lic.evidence,
        });
        println!("{v}");
    }
    code
}

fn lookup(args: LookupArgs) -> u8 {
    let mut packages = Vec::new();
    let parsed = args
        .packages
        .iter()
        .map(|p| site::parse_package(p))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|mut p| {
            read_lists(&args.list, &mut p)?;
            Ok(p)
        })
        .and_then(|p| {
            packages = p;
            crate::license::db::init_site_tables(&args.license_db)
        });
    if let Err(e) = parsed {
        super::error(e);
        return exit::ERROR;
    }
    let db = crate::license::db::bundled();
    for p in &packages {
        let answer = match p.kind {
            site::PackageKind::Go => match db.module_license(&p.name, Some(&p.version)) {
                Some(crate::license::db::ModuleLookup::Table(a)) => {
                    Some(a.into_component_license())
                }
                Some(crate::license::db::ModuleLookup::Range(r)) => {
                    Some(crate::license::ComponentLicense {
                        expression: Some(r.expression.clone()),
                        source: crate::license::LicenseSource::LicenseDb,
                        location: Some(format!("license-db overrides.toml {}", r.path)),
                        confidence: 0.95,
                        method: "license-db-range".into(),
                        evidence: Vec::new(),
                        extracted: Vec::new(),
                        file_texts: Vec::new(),
                    })
                }
                None => None,
            },
            site::PackageKind::Crate => db
                .crate_license(&p.name, Some(&p.version))
                .map(|a| a.into_component_license()),
        };
        let v = match answer {
            Some(l) => serde_json::json!({
                "package": p.to_string(), "expression": l.expression, "confidence": l.confidence,
                "method": l.method, "location": l.location,
            }),
            None => serde_json::json!({"package": p.to_string(), "expression": null}),
        };
        println!("{v}");
    }
    exit::OK
}
