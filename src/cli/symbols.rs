//! `assay symbols`: linked libraries, imported and exported symbols of one file.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use super::exit;
use crate::catalog::native::{self, FileLinkage, Linkage};

#[derive(Args)]
#[command(after_help = "\
Examples:
  assay symbols /usr/lib/x86_64-linux-gnu/libz.so.1
  assay symbols ./libdemo.dylib -o json | jq '.slices[].exports[].name'
  assay symbols app.exe -o json | jq '.imports[] | select(.delay)'

JSON: an object with arrays `libraries`, `imports`, `exports` (entries have `name`, and
`version`, `kind`, `size`, `library`… where known), plus `id` (SONAME / install name),
`interpreter`, `search_paths`, `version_floors` (e.g. the glibc floor) and `problems`.
A fat Mach-O gives {\"slices\": [{\"arch\": ..., \"libraries\": ...}, ...]}.

Exit codes: 0 read; 2 error (not a binary, unreadable).")]
pub struct SymbolsArgs {
    /// The binary to read (ELF, Mach-O incl. fat, PE)
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Output format
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    output: Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
}

pub fn run(args: SymbolsArgs) -> u8 {
    let linkage = match native::read_path(&args.file) {
        Ok(l) => l,
        Err(e) => {
            super::error(e);
            return exit::ERROR;
        }
    };
    let text = match args.output {
        Output::Json => {
            let mut s = crate::sbom::to_json(&to_json(&args.file, &linkage));
            s.push('\n');
            s
        }
        Output::Table => table(&args.file.display().to_string(), &linkage),
    };
    if let Err(e) = super::write_output(None, &text) {
        super::error(format!("cannot write stdout: {e}"));
        return exit::ERROR;
    }
    exit::OK
}

/// Thin files: one object; fat Mach-O: `{"slices": [...]}` with each slice's `arch`.
fn to_json(path: &std::path::Path, file: &FileLinkage) -> Value {
    let mut value = if file.format == crate::binary::Format::MachOFat || file.slices.len() > 1 {
        json!({ "slices": file.slices })
    } else {
        match file.slices.first() {
            Some(slice) => serde_json::to_value(slice).unwrap_or(Value::Null),
            None => json!({}),
        }
    };
    if let Value::Object(map) = &mut value {
        map.insert("file".into(), json!(path.display().to_string()));
        map.insert("format".into(), json!(file.format.as_str()));
    }
    value
}

fn table(name: &str, file: &FileLinkage) -> String {
    let mut out = String::new();
    for slice in &file.slices {
        let arch = slice.arch.as_deref().unwrap_or("?");
        let _ = writeln!(out, "{name} ({}, {arch})", file.format.as_str());
        slice_table(&mut out, &slice.linkage);
        out.push('\n');
    }
    out
}

fn slice_table(out: &mut String, l: &Linkage) {
    if let Some(id) = &l.id {
        let _ = writeln!(out, "  id: {}{}", id.name, versions(id));
    }
    if let Some(i) = &l.interpreter {
        let _ = writeln!(out, "  interpreter: {i}");
    }
    for p in &l.search_paths {
        let _ = writeln!(out, "  {}: {}", p.kind, p.path);
    }
    if let Some(p) = &l.go_plugin_path {
        let _ = writeln!(out, "  go plugin: {p}");
    }
    for f in &l.version_floors {
        let _ = writeln!(out, "  requires: {} {}", f.library, f.version);
    }
    let _ = writeln!(out, "\n  LIBRARIES ({})", l.libraries.len());
    for lib in &l.libraries {
        let _ = writeln!(out, "  {:<9} {}{}", lib.kind, lib.name, versions(lib));
    }
    let _ = writeln!(out, "\n  IMPORTS ({})", l.imports.len());
    for i in &l.imports {
        let mut line = i.name.clone();
        if let Some(v) = &i.version {
            line = format!("{line}@{v}");
        }
        let mut notes = Vec::new();
        if let Some(lib) = &i.library {
            notes.push(lib.clone());
        }
        if i.weak {
            notes.push("weak".into());
        }
        if i.delay {
            notes.push("delay-load".into());
        }
        let _ = writeln!(out, "  {line:<40} {}", notes.join(", "));
    }
    let _ = writeln!(out, "\n  EXPORTS ({})", l.exports.len());
    for e in &l.exports {
        let mut name = e.name.clone();
        if let Some(v) = &e.version {
            let at = if e.default_version == Some(false) {
                "@"
            } else {
                "@@"
            };
            name = format!("{name}{at}{v}");
        }
        let size = e.size.map(|s| s.to_string()).unwrap_or_default();
        let mut extra = Vec::new();
        if let Some(o) = e.ordinal {
            extra.push(format!("ordinal {o}"));
        }
        if let Some(lib) = &e.library {
            extra.push(format!(
                "from {lib}{}",
                e.target
                    .as_ref()
                    .map(|t| format!(" as {t}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(s) = &e.signature {
            extra.push(s.clone());
        }
        let _ = writeln!(
            out,
            "  {:<8} {:<6} {:>6}  {name}  {}",
            e.kind,
            e.binding,
            size,
            extra.join("; ")
        );
    }
    for p in &l.problems {
        let _ = writeln!(out, "  problem: {p}");
    }
}

fn versions(lib: &native::Library) -> String {
    match (&lib.version, &lib.compatibility_version) {
        (Some(c), Some(compat)) => format!(" (current {c}, compatibility {compat})"),
        _ => String::new(),
    }
}
