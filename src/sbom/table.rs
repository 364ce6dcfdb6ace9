//! The terminal table: binaries, then components with how many binaries hold each, then
//! problems, then a one-line summary.

use std::fmt::Write;

use crate::model::{ComponentKind, Document};

pub fn render(doc: &Document, color: bool) -> String {
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();

    let mut rows = vec![[
        "FILE".to_string(),
        "FORMAT".into(),
        "ARCH".into(),
        "GO".into(),
        "MAIN MODULE".into(),
        "VERSION".into(),
    ]];
    for f in &doc.files {
        let mut arches: Vec<&str> = f
            .slices
            .iter()
            .filter_map(|s| s.platform.as_ref().map(|p| p.arch.as_str()))
            .collect();
        arches.dedup();
        let go = f.go_slices().next().map(|(_, g)| g);
        let (toolchain, main, version) = match go {
            Some(g) => (
                g.go_version.raw.clone(),
                g.modinfo
                    .main
                    .as_ref()
                    .map(|m| m.path.clone())
                    .unwrap_or_else(|| format!("{} (GOPATH)", g.modinfo.path)),
                match (g.modinfo.main.as_ref(), g.recovered_main_version.as_ref()) {
                    (Some(m), Some(r)) => format!("{} ({} via {})", m.version, r.version, r.method),
                    (Some(m), None) => m.version.clone(),
                    (None, _) => "-".into(),
                },
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        rows.push([
            f.name.clone(),
            f.format.as_str().into(),
            if arches.is_empty() {
                "?".into()
            } else {
                arches.join(",")
            },
            toolchain,
            main,
            version,
        ]);
    }
    write_rows(&mut out, &rows, &bold);

    let modules: Vec<_> = doc
        .components
        .iter()
        .filter(|c| c.kind != ComponentKind::GoMainModule)
        .collect();
    if !modules.is_empty() {
        out.push('\n');
        let mut rows = vec![[
            "COMPONENT".to_string(),
            "VERSION".into(),
            "BINARIES".into(),
            "NOTE".into(),
        ]];
        // Components scoped to one binary (local replacements) repeat per binary: one row
        // each is noise, so identical rows are folded and their binaries counted.
        let mut folded: Vec<(String, String, usize, String)> = Vec::new();
        for c in modules {
            // A directory replacement keeps its recorded version and the original as
            // pedigree; the directory is what the reader needs to know.
            let note = c
                .properties
                .iter()
                .find(|p| p.name == "assay:go:replaced-by-directory")
                .map(|p| format!("replaced by directory {}", p.value))
                .or_else(|| {
                    c.ancestors
                        .first()
                        .map(|a| format!("replaces {} {}", a.name, a.version))
                })
                .or_else(|| {
                    (c.kind == ComponentKind::NativeLibrary).then(|| "shared library".to_string())
                })
                .unwrap_or_default();
            let version = c.version.clone().unwrap_or_else(|| "-".into());
            match folded
                .iter_mut()
                .find(|r| r.0 == c.name && r.1 == version && r.3 == note)
            {
                Some(row) => row.2 += c.occurrences.len(),
                None => folded.push((c.name.clone(), version, c.occurrences.len(), note)),
            }
        }
        for (name, version, count, note) in folded {
            rows.push([name, version, count.to_string(), note]);
        }
        write_rows(&mut out, &rows, &bold);
    }

    if !doc.loader_findings.is_empty() {
        out.push('\n');
        out.push_str(&bold("LOADER"));
        out.push('\n');
        for f in &doc.loader_findings {
            let _ = writeln!(
                out,
                "{:<8} {:<22} {}: {}",
                f.severity.as_str(),
                f.rule,
                f.file,
                f.message
            );
            for e in &f.evidence {
                let _ = writeln!(out, "{:<31} {e}", "");
            }
        }
    }
    if !doc.problems.is_empty() {
        out.push('\n');
        out.push_str(&bold("PROBLEMS"));
        out.push('\n');
        for p in &doc.problems {
            let _ = writeln!(out, "{:<8} {}: {}", p.severity.as_str(), p.path, p.message);
        }
    }
    let s = &doc.summary;
    let _ = writeln!(
        out,
        "\n{} files examined, {} binaries ({} Go), {} components, {} errors, {} warnings",
        s.files_examined, s.binaries, s.go_binaries, s.components, s.errors, s.warnings
    );
    out
}

fn write_rows<const N: usize>(
    out: &mut String,
    rows: &[[String; N]],
    bold: &dyn Fn(&str) -> String,
) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (j, cell) in row.iter().enumerate() {
            if j + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[j]);
            }
        }
        let line = line.trim_end();
        out.push_str(&if i == 0 { bold(line) } else { line.to_string() });
        out.push('\n');
    }
}
