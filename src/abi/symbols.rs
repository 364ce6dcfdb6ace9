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

pub use super::diff::{Impact, LeafChange, Verdict};
use crate::catalog::native::{is_plugin_symbol, ExportedSymbol, FileLinkage};

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
    /// Where the types come from: `dwarf`, `dwarf (separate debug file)` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_info: Option<String>,
    /// Named types the symbols' types reach, by key (`struct config`); see docs/abi.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: super::types::TypeTable,
    /// Why the types are partial (bounds hit, unreadable DWARF).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub type_notes: Vec<String>,
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
    /// Full type from DWARF: a function type for functions.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ty: Option<super::types::TypeRef>,
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
                debug_info: None,
                types: Default::default(),
                type_notes: Vec::new(),
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
        .filter(|e| plugin.is_none_or(|p| is_plugin_symbol(p, &e.name)))
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
            ty: None,
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
    load_with(path, &[], on_problem)
}

/// [`load`], looking for separate debug files under `debug_dirs` too.
pub fn load_with(
    path: &std::path::Path,
    debug_dirs: &[std::path::PathBuf],
    on_problem: &mut dyn FnMut(&str),
) -> Result<Baseline, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let head = &bytes[..bytes.len().min(crate::binary::MAGIC_LEN)];
    if crate::binary::detect(head).is_some() {
        let file = crate::catalog::native::read_bytes(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for slice in &file.slices {
            for p in &slice.linkage.problems {
                on_problem(p);
            }
        }
        let mut baseline = baseline_of(&file);
        super::baseline::attach(&mut baseline, &bytes, Some(path), debug_dirs);
        return Ok(baseline);
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
            ty: None,
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
            debug_info: None,
            types: Default::default(),
            type_notes: Vec::new(),
        }],
        names_only: true,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AbiDiff {
    /// True when a caller built against the old ABI may fail with the new one (a breaking
    /// change, or a change to review).
    pub breaking: bool,
    /// `breaking`, `review` or `compatible`: the worst verdict of any change.
    pub verdict: Verdict,
    pub summary: Summary,
    pub slices: Vec<SliceDiff>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub removed: usize,
    pub changed: usize,
    pub added: usize,
    pub breaking_changes: usize,
    /// Changes found by following DWARF types (each counted once, at the changed type).
    pub type_changes: usize,
    pub review_changes: usize,
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
    /// Type-level changes, at the type that changed, with the symbols they impact.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub type_changes: Vec<LeafChange>,
    /// What limited the comparison (no DWARF on one side, partial types).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
                type_changes: Vec::new(),
                notes: Vec::new(),
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
        summary.type_changes += s.type_changes.len();
        let verdicts = s.type_changes.iter().map(|c| c.verdict);
        summary.breaking_changes += verdicts.clone().filter(|v| *v == Verdict::Breaking).count();
        summary.review_changes += verdicts.filter(|v| *v == Verdict::Review).count();
    }
    let verdict = if summary.removed > 0
        || summary.breaking_changes > 0
        || slices.iter().any(|s| s.slice_missing)
    {
        Verdict::Breaking
    } else if summary.review_changes > 0 {
        Verdict::Review
    } else {
        Verdict::Compatible
    };
    AbiDiff {
        breaking: verdict != Verdict::Compatible,
        verdict,
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
        type_changes: Vec::new(),
        notes: Vec::new(),
    };
    // With DWARF types on both sides the type diff covers signatures.
    let typed = !old.types.is_empty() && !new.types.is_empty();
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
        if !(typed && before.ty.is_some() && after.ty.is_some()) {
            compare("signature", &before.signature, &after.signature, false);
        }
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
    type_diff(old, new, &old_map, &new_map, &mut out);
    out
}

/// The type-following part of a slice diff ([`super::diff`]), or a note saying why
/// only symbols were compared.
fn type_diff(
    old: &AbiSlice,
    new: &AbiSlice,
    old_map: &BTreeMap<String, AbiSymbol>,
    new_map: &BTreeMap<String, AbiSymbol>,
    out: &mut SliceDiff,
) {
    let has_types = |s: &AbiSlice| s.symbols.iter().any(|x| x.ty.is_some());
    let without: Vec<&str> = [("old", old), ("new", new)]
        .into_iter()
        .filter(|(_, s)| !has_types(s) && s.go_plugin_path.is_none())
        .map(|(side, _)| side)
        .collect();
    if !without.is_empty() {
        if !old.symbols.is_empty() || !new.symbols.is_empty() {
            out.notes.push(format!(
                "no DWARF type information in the {} ABI: compared symbols only (build with -g, or give --debug-dir)",
                without.join(" and ")
            ));
        }
        return;
    }
    for (side, s) in [("old", old), ("new", new)] {
        for n in &s.type_notes {
            out.notes.push(format!("{side}: {n}"));
        }
    }
    let pairs: Vec<super::diff::SymbolPair<'_>> = old_map
        .iter()
        .filter_map(|(key, before)| {
            let after = new_map.get(key)?;
            Some(super::diff::SymbolPair {
                name: after.display_name(),
                function: matches!(before.ty, Some(super::types::TypeRef::Function(_))),
                old: before.ty.as_ref()?,
                new: after.ty.as_ref()?,
            })
        })
        .collect();
    out.type_changes = super::diff::diff(&pairs, &old.types, &new.types);
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
        if !slice.type_changes.is_empty() {
            let _ = writeln!(out, "  type changes:");
            for c in &slice.type_changes {
                let _ = writeln!(out, "    ! {} [{}]: {}", c.at, c.verdict.as_str(), c.reason);
                for d in &c.details {
                    let _ = writeln!(out, "        {d}");
                }
                // The first chain shows how the change is reached; `-o json` has all of them.
                if let Some(first) = c.impacted.first() {
                    let _ = writeln!(
                        out,
                        "        impacts {}  via {}",
                        first.symbol,
                        first.chain.join(" -> ")
                    );
                }
                let rest: Vec<&str> = c
                    .impacted
                    .iter()
                    .skip(1)
                    .map(|i| i.symbol.as_str())
                    .collect();
                if !rest.is_empty() {
                    let _ = writeln!(out, "        and {} more: {}", rest.len(), rest.join(", "));
                }
            }
        }
        for n in &slice.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    let s = &diff.summary;
    let _ = writeln!(
        out,
        "result: {} ({} removed, {} changed, {} type changes; {} breaking, {} to review; {} added)",
        match diff.verdict {
            Verdict::Breaking => "BREAKING",
            Verdict::Review => "REVIEW",
            Verdict::Compatible => "compatible",
        },
        s.removed,
        s.changed,
        s.type_changes,
        s.breaking_changes,
        s.review_changes,
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
            ty: None,
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
                debug_info: None,
                types: Default::default(),
                type_notes: Vec::new(),
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
