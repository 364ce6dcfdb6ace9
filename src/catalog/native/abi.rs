//! ABI baselines and the expected-vs-actual diff.
//!
//! A baseline is the exported ABI of a file: per slice, every symbol a caller can bind to,
//! with what a caller depends on (kind, binding, version node, size of data objects, C
//! signature or Go type). Its JSON form (`assay abi dump`) is documented in
//! `docs/abi-baseline.md`: sorted, one symbol per object, stable field names, so that a
//! checked-in baseline diffs cleanly in review.
//!
//! Symbols are matched by name, plus the version node for hidden (`@`) ELF versions, so that
//! `foo@@VERS_2` replacing `foo@@VERS_1` is a *change* of version node (breaking unless the
//! old node is still provided as `foo@VERS_1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{is_plugin_symbol, ExportedSymbol, FileLinkage};

pub const SCHEMA: &str = "assay-abi";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Baseline {
    /// Always `assay-abi`.
    pub schema: String,
    /// Bumped only on incompatible changes of this layout.
    pub schema_version: u32,
    /// Container format of the file the baseline was taken from (`ELF`, `Mach-O-fat`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub slices: Vec<AbiSlice>,
    /// Set for baselines read from a plain list of names: only names (and version nodes
    /// when written as `name@@VERS`) are compared.
    #[serde(skip)]
    pub names_only: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AbiSlice {
    /// Architecture (`amd64`, `arm64`…); slices are matched by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// SONAME / install name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Go plugin path; when set, `symbols` are what `plugin.Lookup` reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_plugin_path: Option<String>,
    pub symbols: Vec<AbiSymbol>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AbiSymbol {
    pub name: String,
    /// `func`, `object`, `tls`, `ifunc`, `notype`, `reexport`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `global`, `weak`, `unique`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// ELF version node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `true` for the default version (`@@`), `false` for a hidden one (`@`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version: Option<bool>,
    /// Size in bytes, for data objects and TLS only (code size is not ABI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// C signature from DWARF, or the Go type of a plugin symbol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl AbiSymbol {
    /// Matching key: hidden versions are distinct symbols (`foo@VERS_1`).
    fn key(&self) -> String {
        match (&self.version, self.default_version) {
            (Some(v), Some(false)) => format!("{}@{v}", self.name),
            _ => self.name.clone(),
        }
    }

    /// `name@@VERS` / `name@VERS` / `name`, as nm prints it.
    pub fn display_name(&self) -> String {
        match (&self.version, self.default_version) {
            (Some(v), Some(false)) => format!("{}@{v}", self.name),
            (Some(v), _) => format!("{}@@{v}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// The baseline of a file read from disk.
pub fn baseline_of(file: &FileLinkage) -> Baseline {
    Baseline {
        schema: SCHEMA.into(),
        schema_version: SCHEMA_VERSION,
        format: Some(file.format.as_str().into()),
        slices: file
            .slices
            .iter()
            .map(|s| AbiSlice {
                arch: s.arch.clone(),
                id: s.linkage.id.as_ref().map(|l| l.name.clone()),
                go_plugin_path: s.linkage.go_plugin_path.clone(),
                symbols: abi_symbols(&s.linkage.exports, s.linkage.go_plugin_path.as_deref()),
            })
            .collect(),
        names_only: false,
    }
}

fn abi_symbols(exports: &[ExportedSymbol], plugin: Option<&str>) -> Vec<AbiSymbol> {
    let mut out: Vec<AbiSymbol> = exports
        .iter()
        // ELF version definitions appear as absolute symbols named after the node.
        .filter(|e| e.version.as_deref() != Some(e.name.as_str()))
        .filter(|e| plugin.map_or(true, |p| is_plugin_symbol(p, &e.name)))
        .map(|e| AbiSymbol {
            name: e.name.clone(),
            kind: Some(e.kind.clone()),
            binding: Some(e.binding.clone()),
            version: e.version.clone(),
            default_version: e.default_version,
            size: e
                .size
                .filter(|_| matches!(e.kind.as_str(), "object" | "tls")),
            signature: e.signature.clone(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Reads a baseline from a file: a binary is dumped ([`baseline_of`]); anything else is read
/// as a baseline (JSON or text list, [`parse_baseline`]). Tables of a binary that could not be
/// read make its baseline incomplete: each such problem is passed to `on_problem`.
pub fn load(path: &std::path::Path, on_problem: &mut dyn FnMut(&str)) -> Result<Baseline, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let head = &bytes[..bytes.len().min(crate::binary::MAGIC_LEN)];
    if crate::binary::detect(head).is_some() {
        let file = super::read_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        for slice in &file.slices {
            for p in &slice.linkage.problems {
                on_problem(p);
            }
        }
        return Ok(baseline_of(&file));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: neither a binary nor a text baseline", path.display()))?;
    parse_baseline(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses a baseline file: assay's JSON, or a plain list with one symbol per line (`#`
/// comments; `nm -D --defined-only` lines such as `0000000000001139 T foo@@VERS_1` too).
pub fn parse_baseline(text: &str) -> Result<Baseline, String> {
    if text.trim_start().starts_with('{') {
        let baseline: Baseline =
            serde_json::from_str(text).map_err(|e| format!("not an assay ABI baseline: {e}"))?;
        if baseline.schema != SCHEMA {
            return Err(format!(
                "schema is {:?}, expected {SCHEMA:?}",
                baseline.schema
            ));
        }
        if baseline.schema_version > SCHEMA_VERSION {
            return Err(format!(
                "baseline schema_version {} is newer than this assay reads ({SCHEMA_VERSION})",
                baseline.schema_version
            ));
        }
        return Ok(baseline);
    }
    let mut symbols = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let (letter, name) = match tokens[..] {
            [name] => (None, name),
            [letter, name] if letter.len() == 1 => (Some(letter), name),
            [addr, letter, name]
                if letter.len() == 1 && addr.chars().all(|c| c.is_ascii_hexdigit()) =>
            {
                (Some(letter), name)
            }
            _ => {
                return Err(format!(
                    "line {}: expected a symbol name or an nm line",
                    number + 1
                ))
            }
        };
        // Undefined symbols are imports, absolute ones version nodes: not exported ABI.
        if matches!(letter, Some("U" | "w" | "v" | "A")) {
            continue;
        }
        let (name, version, default_version) = if let Some((n, v)) = name.split_once("@@") {
            (n, Some(v.to_string()), Some(true))
        } else if let Some((n, v)) = name.split_once('@') {
            (n, Some(v.to_string()), Some(false))
        } else {
            (name, None, None)
        };
        symbols.push(AbiSymbol {
            name: name.into(),
            kind: None,
            binding: None,
            version,
            default_version,
            size: None,
            signature: None,
        });
    }
    symbols.sort();
    symbols.dedup();
    Ok(Baseline {
        schema: SCHEMA.into(),
        schema_version: SCHEMA_VERSION,
        format: None,
        slices: vec![AbiSlice {
            arch: None,
            id: None,
            go_plugin_path: None,
            symbols,
        }],
        names_only: true,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AbiDiff {
    /// True when a caller built against the old ABI may fail with the new one.
    pub breaking: bool,
    pub summary: Summary,
    pub slices: Vec<SliceDiff>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub removed: usize,
    pub changed: usize,
    pub added: usize,
    pub breaking_changes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SliceDiff {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The slice exists in the old ABI only (every symbol in it is gone).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub slice_missing: bool,
    pub removed: Vec<AbiSymbol>,
    pub changed: Vec<Change>,
    pub added: Vec<AbiSymbol>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub name: String,
    pub breaking: bool,
    pub fields: Vec<FieldChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    /// `kind`, `binding`, `version`, `size` or `signature`.
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FieldChange {
    /// `size 16 -> 32`; a side without the field shows as `(none)`.
    pub fn describe(&self) -> String {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        format!("{} {} -> {}", self.field, show(&self.old), show(&self.new))
    }
}

/// Compares two baselines. Fields are compared when both sides know them (a names-only
/// list knows only names and versions); a signature only when both sides have one, since
/// debug info comes and goes with build flags.
pub fn diff(old: &Baseline, new: &Baseline) -> AbiDiff {
    let names_only = old.names_only || new.names_only;
    let mut slices = Vec::new();
    for old_slice in &old.slices {
        // Same architecture; else a single slice on both sides; else an architecture-less
        // baseline (a text list) holds for every slice of the new file.
        let same_arch: Vec<&AbiSlice> = new
            .slices
            .iter()
            .filter(|s| s.arch.is_some() && s.arch == old_slice.arch)
            .collect();
        let paired: Vec<&AbiSlice> = if !same_arch.is_empty() {
            same_arch
        } else if (old.slices.len() == 1 && new.slices.len() == 1) || old_slice.arch.is_none() {
            new.slices.iter().collect()
        } else {
            Vec::new()
        };
        if paired.is_empty() {
            slices.push(SliceDiff {
                arch: old_slice.arch.clone(),
                slice_missing: true,
                removed: old_slice.symbols.clone(),
                changed: Vec::new(),
                added: Vec::new(),
            });
        }
        for new_slice in paired {
            slices.push(diff_slice(old_slice, new_slice, names_only));
        }
    }
    let mut summary = Summary::default();
    for s in &slices {
        summary.removed += s.removed.len();
        summary.changed += s.changed.len();
        summary.added += s.added.len();
        summary.breaking_changes += s.changed.iter().filter(|c| c.breaking).count();
    }
    AbiDiff {
        breaking: summary.removed > 0
            || summary.breaking_changes > 0
            || slices.iter().any(|s| s.slice_missing),
        summary,
        slices,
    }
}

fn diff_slice(old: &AbiSlice, new: &AbiSlice, names_only: bool) -> SliceDiff {
    let index = |s: &AbiSlice| -> BTreeMap<String, AbiSymbol> {
        s.symbols
            .iter()
            .map(|sym| (sym.key(), sym.clone()))
            .collect()
    };
    let (old_map, new_map) = (index(old), index(new));
    let mut out = SliceDiff {
        arch: new.arch.clone().or_else(|| old.arch.clone()),
        slice_missing: false,
        removed: Vec::new(),
        changed: Vec::new(),
        added: Vec::new(),
    };
    for (key, before) in &old_map {
        let Some(after) = new_map.get(key) else {
            out.removed.push(before.clone());
            continue;
        };
        let mut fields = Vec::new();
        let mut compare =
            |field: &'static str, a: &Option<String>, b: &Option<String>, always: bool| {
                let known = a.is_some() && b.is_some();
                if a != b && (known || (always && !names_only)) {
                    fields.push(FieldChange {
                        field,
                        old: a.clone(),
                        new: b.clone(),
                    });
                }
            };
        compare("kind", &before.kind, &after.kind, true);
        compare("binding", &before.binding, &after.binding, true);
        compare("version", &before.version, &after.version, true);
        let size = |s: &AbiSymbol| s.size.map(|n| n.to_string());
        compare("size", &size(before), &size(after), true);
        compare("signature", &before.signature, &after.signature, false);
        if fields.is_empty() {
            continue;
        }
        // A new default version is compatible when the old node is still provided hidden.
        let mut note = None;
        let only_version = fields.iter().all(|f| f.field == "version");
        let kept_old_node = before
            .version
            .as_ref()
            .is_some_and(|v| new_map.contains_key(&format!("{}@{v}", before.name)));
        if only_version && kept_old_node {
            note = Some("old version node still provided as a hidden version".into());
        }
        let breaking = note.is_none();
        out.changed.push(Change {
            name: after.display_name(),
            breaking,
            fields,
            note,
        });
    }
    out.added = new_map
        .iter()
        .filter(|(k, _)| !old_map.contains_key(*k))
        .map(|(_, s)| s.clone())
        .collect();
    out
}

/// Human-readable report.
pub fn render_text(diff: &AbiDiff, old_name: &str, new_name: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let describe = |s: &AbiSymbol| {
        let mut parts = vec![s.display_name()];
        if let Some(k) = &s.kind {
            parts.push(k.clone());
        }
        if let Some(sig) = &s.signature {
            parts.push(sig.clone());
        }
        parts.join("  ")
    };
    for slice in &diff.slices {
        let arch = slice
            .arch
            .as_deref()
            .map(|a| format!(" [{a}]"))
            .unwrap_or_default();
        let _ = writeln!(out, "{old_name} -> {new_name}{arch}");
        if slice.slice_missing {
            let _ = writeln!(out, "  slice missing in the new file (breaking)");
        }
        if !slice.removed.is_empty() {
            let _ = writeln!(out, "  removed (breaking):");
            for s in &slice.removed {
                let _ = writeln!(out, "    - {}", describe(s));
            }
        }
        if !slice.changed.is_empty() {
            let _ = writeln!(out, "  changed:");
            for c in &slice.changed {
                let what: Vec<String> = c.fields.iter().map(FieldChange::describe).collect();
                let tag = if c.breaking { "breaking" } else { "compatible" };
                let note = c
                    .note
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "    ~ {}: {} [{tag}]{note}", c.name, what.join("; "));
            }
        }
        if !slice.added.is_empty() {
            let _ = writeln!(out, "  added:");
            for s in &slice.added {
                let _ = writeln!(out, "    + {}", describe(s));
            }
        }
    }
    let s = &diff.summary;
    let _ = writeln!(
        out,
        "result: {} ({} removed, {} changed of which {} breaking, {} added)",
        if diff.breaking {
            "BREAKING"
        } else {
            "compatible"
        },
        s.removed,
        s.changed,
        s.breaking_changes,
        s.added
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_baseline_accepts_names_comments_and_nm_lines() {
        let b = parse_baseline(
            "# exported API\nfoo\n0000000000001139 T bar@@VERS_1\n  U memcpy@GLIBC_2.14\n0000000000000000 A VERS_1\n0000000000001140 T baz@VERS_0 # compat\n",
        )
        .expect("parses");
        let names: Vec<String> = b.slices[0]
            .symbols
            .iter()
            .map(|s| s.display_name())
            .collect();
        assert_eq!(names, ["bar@@VERS_1", "baz@VERS_0", "foo"]);
        assert!(b.names_only);
        assert!(parse_baseline("a b c d\n").is_err());
    }

    fn sym(name: &str, version: Option<&str>, default: bool) -> AbiSymbol {
        AbiSymbol {
            name: name.into(),
            kind: Some("func".into()),
            binding: Some("global".into()),
            version: version.map(str::to_string),
            default_version: version.map(|_| default),
            size: None,
            signature: None,
        }
    }

    fn baseline(symbols: Vec<AbiSymbol>) -> Baseline {
        Baseline {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            format: None,
            slices: vec![AbiSlice {
                arch: Some("amd64".into()),
                id: None,
                go_plugin_path: None,
                symbols,
            }],
            names_only: false,
        }
    }

    #[test]
    fn version_bump_breaks_unless_old_node_is_kept() {
        let old = baseline(vec![sym("f", Some("V1"), true)]);
        let bumped = baseline(vec![sym("f", Some("V2"), true)]);
        assert!(diff(&old, &bumped).breaking);
        let kept = baseline(vec![
            sym("f", Some("V1"), false),
            sym("f", Some("V2"), true),
        ]);
        let d = diff(&old, &kept);
        assert!(!d.breaking, "{d:?}");
        assert_eq!(d.summary.changed, 1);
        assert_eq!(d.summary.added, 1);
    }

    #[test]
    fn signature_compared_only_when_both_sides_have_one() {
        let mut a = sym("f", None, true);
        a.signature = Some("int (int)".into());
        let b = sym("f", None, true);
        assert!(!diff(&baseline(vec![a.clone()]), &baseline(vec![b])).breaking);
        let mut c = a.clone();
        c.signature = Some("int (double)".into());
        assert!(diff(&baseline(vec![a]), &baseline(vec![c])).breaking);
    }
}
