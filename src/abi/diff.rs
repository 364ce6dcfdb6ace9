//! The type-following ABI diff: each change reachable from an exported symbol is reported
//! once, at the type that changed (abidiff's "leaf changes" view), with the exported
//! symbols it impacts and the chain from each symbol to it.
//!
//! Verdicts: **breaking** (a size, offset, member, parameter or return change callers
//! depend on), **review** (members appended to a type every impacted symbol reaches only
//! through pointers: it breaks only callers that allocate, copy or embed it; a qualifier
//! change), **compatible** (an added enumerator, a type spelled through a different
//! typedef of the same type).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

use serde::Serialize;

use super::types::{render, render_function, FunctionType, TypeDef, TypeRef, TypeTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Compatible,
    Review,
    Breaking,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compatible => "compatible",
            Verdict::Review => "review",
            Verdict::Breaking => "breaking",
        }
    }
}

/// One change, at the type (or symbol) where it happened.
#[derive(Debug, Clone, Serialize)]
pub struct LeafChange {
    /// `struct config`, `enum color`, or the symbol itself (`function f`, `variable v`)
    /// when its own signature changed.
    pub at: String,
    pub verdict: Verdict,
    pub reason: String,
    pub details: Vec<String>,
    pub impacted: Vec<Impact>,
}

/// An exported symbol a change reaches, and how: `f` → `parameter 1` → `struct config`.
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub symbol: String,
    pub chain: Vec<String>,
}

#[derive(Debug, Clone)]
struct Detail {
    verdict: Verdict,
    text: String,
}

#[derive(Debug, Clone)]
struct Edge {
    key: String,
    by_value: bool,
    via: String,
}

/// What changed inside one named type, and the named types it refers to.
#[derive(Debug, Clone, Default)]
struct DefChange {
    details: Vec<Detail>,
    edges: Vec<Edge>,
    /// Only members added after the old ones (offsets kept): safe for pointer-only users.
    append_only: bool,
}

/// One exported symbol on both sides: display name and its type in the old and new build.
pub struct SymbolPair<'t> {
    pub name: String,
    pub function: bool,
    pub old: &'t TypeRef,
    pub new: &'t TypeRef,
}

/// Bound on named types visited per symbol (a huge C++ library reaches most of its types).
const MAX_VISITS: usize = 200_000;

pub fn diff(symbols: &[SymbolPair<'_>], old: &TypeTable, new: &TypeTable) -> Vec<LeafChange> {
    let mut cmp = Comparer {
        old,
        new,
        memo: HashMap::new(),
    };
    // Changed type key → impacts (symbol, chain, reached by value).
    let mut at_type: BTreeMap<String, Vec<(Impact, bool)>> = BTreeMap::new();
    let mut out = Vec::new();
    for sym in symbols {
        let what = if sym.function { "function" } else { "variable" };
        let mut local = Vec::new();
        let mut edges = Vec::new();
        match (sym.old, sym.new) {
            (TypeRef::Function(a), TypeRef::Function(b)) => {
                cmp.function(a, b, "", &mut local, &mut edges)
            }
            (a, b) => cmp.shape(a, b, true, "type", &mut local, &mut edges),
        }
        if !local.is_empty() {
            out.push(leaf(
                format!("{what} {}", sym.name),
                local,
                vec![Impact {
                    symbol: sym.name.clone(),
                    chain: vec![sym.name.clone()],
                }],
            ));
        }
        // Breadth first, so each chain is a shortest one.
        let mut queue: VecDeque<(Edge, Vec<String>)> = edges
            .into_iter()
            .map(|e| (e, vec![sym.name.clone()]))
            .collect();
        let mut seen: BTreeSet<(String, bool)> = BTreeSet::new();
        while let Some((edge, mut chain)) = queue.pop_front() {
            if !seen.insert((edge.key.clone(), edge.by_value)) || seen.len() > MAX_VISITS {
                continue;
            }
            if !edge.via.is_empty() {
                chain.push(edge.via.clone());
            }
            chain.push(edge.key.clone());
            let change = cmp.def(&edge.key);
            if !change.details.is_empty() {
                at_type.entry(edge.key.clone()).or_default().push((
                    Impact {
                        symbol: sym.name.clone(),
                        chain: chain.clone(),
                    },
                    edge.by_value,
                ));
            }
            for next in change.edges.iter().cloned() {
                let by_value = edge.by_value && next.by_value;
                queue.push_back((Edge { by_value, ..next }, chain.clone()));
            }
        }
    }
    for (key, impacts) in at_type {
        let change = (*cmp.def(&key)).clone();
        let by_value = impacts.iter().any(|(_, v)| *v);
        let mut details = change.details;
        if change.append_only && !by_value {
            for d in &mut details {
                if d.verdict == Verdict::Breaking {
                    d.verdict = Verdict::Review;
                }
            }
        }
        // One impact per symbol (the first, shortest chain).
        let mut seen = BTreeSet::new();
        let impacted: Vec<Impact> = impacts
            .into_iter()
            .map(|(i, _)| i)
            .filter(|i| seen.insert(i.symbol.clone()))
            .collect();
        let downgraded = change.append_only && !by_value;
        let mut change = leaf(key, details, impacted);
        if downgraded && change.verdict == Verdict::Review {
            change.reason = "members appended to a type the impacted symbols reach only through pointers: breaks callers that allocate, copy or embed it".into();
        }
        out.push(change);
    }
    out.sort_by(|a, b| (b.verdict, &a.at).cmp(&(a.verdict, &b.at)));
    out
}

fn leaf(at: String, details: Vec<Detail>, mut impacted: Vec<Impact>) -> LeafChange {
    let verdict = details
        .iter()
        .map(|d| d.verdict)
        .max()
        .unwrap_or(Verdict::Compatible);
    let reason = details
        .iter()
        .find(|d| d.verdict == verdict)
        .map(|d| d.text.clone())
        .unwrap_or_default();
    impacted.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    LeafChange {
        at,
        verdict,
        reason,
        details: details
            .into_iter()
            .map(|d| format!("{}: {}", d.verdict.as_str(), d.text))
            .collect(),
        impacted,
    }
}

struct Comparer<'t> {
    old: &'t TypeTable,
    new: &'t TypeTable,
    /// Each named type is compared once; symbols share the result.
    memo: HashMap<String, Rc<DefChange>>,
}

fn detail(details: &mut Vec<Detail>, verdict: Verdict, text: String) {
    details.push(Detail { verdict, text });
}

impl Comparer<'_> {
    fn def(&mut self, key: &str) -> Rc<DefChange> {
        if !self.memo.contains_key(key) {
            let change = match (self.old.get(key), self.new.get(key)) {
                (Some(a), Some(b)) => self.compare_def(a, b, ""),
                _ => DefChange::default(),
            };
            self.memo.insert(key.to_string(), Rc::new(change));
        }
        Rc::clone(&self.memo[key])
    }

    /// Follows typedefs to the type they name (bounded), for "same type, other spelling".
    fn canonical(&self, ty: &TypeRef, table: &TypeTable) -> String {
        let mut ty = ty.clone();
        for _ in 0..32 {
            match &ty {
                TypeRef::Named { key } if key.starts_with("typedef ") => {
                    match table.get(key).and_then(|d| d.target.clone()) {
                        Some(t) => ty = t,
                        None => break,
                    }
                }
                _ => break,
            }
        }
        render(&ty)
    }

    fn function(
        &mut self,
        a: &FunctionType,
        b: &FunctionType,
        prefix: &str,
        details: &mut Vec<Detail>,
        edges: &mut Vec<Edge>,
    ) {
        self.shape(
            &a.ret,
            &b.ret,
            true,
            &format!("{prefix}return type"),
            details,
            edges,
        );
        if a.params.len() != b.params.len() {
            detail(
                details,
                Verdict::Breaking,
                format!(
                    "{prefix}parameter count changed from {} to {}: {} -> {}",
                    a.params.len(),
                    b.params.len(),
                    render_function(a),
                    render_function(b)
                ),
            );
        }
        for (i, (pa, pb)) in a.params.iter().zip(&b.params).enumerate() {
            self.shape(
                pa,
                pb,
                true,
                &format!("{prefix}parameter {}", i + 1),
                details,
                edges,
            );
        }
        if a.variadic != b.variadic {
            detail(
                details,
                Verdict::Breaking,
                format!(
                    "{prefix}variadic changed: {} -> {}",
                    render_function(a),
                    render_function(b)
                ),
            );
        }
    }

    /// Compares two use sites; local differences go to `details`, named types both sides
    /// share go to `edges` (their own changes are reported at them).
    fn shape(
        &mut self,
        a: &TypeRef,
        b: &TypeRef,
        by_value: bool,
        ctx: &str,
        details: &mut Vec<Detail>,
        edges: &mut Vec<Edge>,
    ) {
        use TypeRef::*;
        match (a, b) {
            (Void, Void) => {}
            (Unknown { .. }, _) | (_, Unknown { .. }) => {}
            (Named { key: x }, Named { key: y }) if x == y => edges.push(Edge {
                key: x.clone(),
                by_value,
                via: ctx.to_string(),
            }),
            (Pointer { sigil: s, to: x }, Pointer { sigil: t, to: y }) if s == t => self.shape(
                x,
                y,
                false,
                &format!("{ctx} (pointee)").replace(" (pointee) (pointee)", " (pointee)"),
                details,
                edges,
            ),
            (
                Qualified {
                    qualifier: q,
                    of: x,
                },
                Qualified {
                    qualifier: r,
                    of: y,
                },
            ) if q == r => self.shape(x, y, by_value, ctx, details, edges),
            (Qualified { qualifier, of }, other) | (other, Qualified { qualifier, of })
                if render(of) == render(other) || self.same_after_strip(of, other) =>
            {
                // Qualifiers never move bytes; only a pointee losing `const` may let the
                // library write where callers assumed it would not.
                let added = !matches!(a, Qualified { .. });
                let verdict = if !added && !by_value && qualifier == "const" {
                    Verdict::Review
                } else {
                    Verdict::Compatible
                };
                detail(
                    details,
                    verdict,
                    format!(
                        "{ctx}: qualifier {qualifier} {} ({} -> {})",
                        if added { "added" } else { "removed" },
                        render(a),
                        render(b)
                    ),
                );
                let (x, y) = if matches!(a, Qualified { .. }) {
                    (of.as_ref(), other)
                } else {
                    (other, of.as_ref())
                };
                self.shape(x, y, by_value, ctx, details, edges);
            }
            (Array { of: x, dims: d }, Array { of: y, dims: e }) => {
                if d != e {
                    detail(
                        details,
                        Verdict::Breaking,
                        format!(
                            "{ctx}: array bound changed ({} -> {})",
                            render(a),
                            render(b)
                        ),
                    );
                }
                self.shape(x, y, by_value, ctx, details, edges);
            }
            (Function(x), Function(y)) => {
                let mut inner = Vec::new();
                self.function(x, y, "", &mut inner, edges);
                for d in inner {
                    detail(
                        details,
                        d.verdict,
                        format!("{ctx} (function type): {}", d.text),
                    );
                }
            }
            (Anonymous { def: x }, Anonymous { def: y }) => {
                let change = self.compare_def(x, y, &format!("{ctx}: "));
                details.extend(change.details);
                for e in change.edges {
                    edges.push(Edge {
                        by_value: by_value && e.by_value,
                        ..e
                    });
                }
            }
            _ => {
                let (ca, cb) = (self.canonical(a, self.old), self.canonical(b, self.new));
                if ca == cb {
                    detail(
                        details,
                        Verdict::Compatible,
                        format!(
                            "{ctx}: spelled {} -> {} (the same type {ca})",
                            render(a),
                            render(b)
                        ),
                    );
                } else {
                    detail(
                        details,
                        Verdict::Breaking,
                        format!("{ctx}: type changed from {} to {}", render(a), render(b)),
                    );
                }
            }
        }
    }

    fn same_after_strip(&self, x: &TypeRef, y: &TypeRef) -> bool {
        let strip = |t: &TypeRef| -> TypeRef {
            let mut t = t.clone();
            while let TypeRef::Qualified { of, .. } = t {
                t = *of;
            }
            t
        };
        strip(x) == strip(y)
    }

    fn compare_def(&mut self, a: &TypeDef, b: &TypeDef, prefix: &str) -> DefChange {
        let mut out = DefChange::default();
        let d = &mut out.details;
        if a.kind != b.kind && !(is_struct(&a.kind) && is_struct(&b.kind)) {
            detail(
                d,
                Verdict::Breaking,
                format!("{prefix}kind changed from {} to {}", a.kind, b.kind),
            );
            return out;
        }
        if a.declaration || b.declaration {
            // Opaque on one side: its layout is not visible to callers there.
            return out;
        }
        let mut layout_break = false;
        if a.size != b.size {
            detail(
                d,
                Verdict::Breaking,
                format!(
                    "{prefix}size changed from {} to {} bytes",
                    show(a.size),
                    show(b.size)
                ),
            );
        }
        if let (Some(x), Some(y)) = (&a.target, &b.target) {
            let ctx = if a.kind == "typedef" {
                "target"
            } else {
                "underlying type"
            };
            self.shape(x, y, true, &format!("{prefix}{ctx}"), d, &mut out.edges);
        }
        // Members by name; anonymous ones by their order among anonymous members.
        let member_key = |members: &[super::types::Member]| -> Vec<String> {
            let mut anon = 0;
            members
                .iter()
                .map(|m| match &m.name {
                    Some(n) => n.clone(),
                    None => {
                        anon += 1;
                        format!("(anonymous #{anon})")
                    }
                })
                .collect()
        };
        let (ka, kb) = (member_key(&a.members), member_key(&b.members));
        let mut new_index: HashMap<&String, usize> =
            kb.iter().enumerate().map(|(i, k)| (k, i)).collect();
        // A member gone and one added at the same place with the same type: a rename, which
        // callers compiled earlier never see.
        let old_set: BTreeSet<&String> = ka.iter().collect();
        let mut renamed: BTreeSet<usize> = BTreeSet::new();
        for (i, m) in a.members.iter().enumerate() {
            if new_index.contains_key(&ka[i]) {
                continue;
            }
            let twin = b.members.iter().enumerate().find(|(j, n)| {
                !old_set.contains(&kb[*j])
                    && !renamed.contains(j)
                    && n.offset_bits == m.offset_bits
                    && n.bit_size == m.bit_size
                    && n.ty == m.ty
            });
            if let Some((j, _)) = twin {
                renamed.insert(j);
                detail(
                    d,
                    Verdict::Compatible,
                    format!("{prefix}member '{}' renamed to '{}'", ka[i], kb[j]),
                );
                new_index.insert(&ka[i], j);
            }
        }
        let old_end = a.members.iter().filter_map(|m| m.offset_bits).max();
        for (i, m) in a.members.iter().enumerate() {
            let name = &ka[i];
            let Some(&j) = new_index.get(name) else {
                layout_break = true;
                detail(
                    d,
                    Verdict::Breaking,
                    format!(
                        "{prefix}member '{name}' ({}) removed, was at offset {} bits",
                        render(&m.ty),
                        show(m.offset_bits)
                    ),
                );
                continue;
            };
            let n = &b.members[j];
            if m.offset_bits != n.offset_bits {
                layout_break = true;
                detail(
                    d,
                    Verdict::Breaking,
                    format!(
                        "{prefix}member '{name}' offset changed from {} to {} bits",
                        show(m.offset_bits),
                        show(n.offset_bits)
                    ),
                );
            }
            if m.bit_size != n.bit_size {
                layout_break = true;
                detail(
                    d,
                    Verdict::Breaking,
                    format!(
                        "{prefix}member '{name}' bit-field width changed from {} to {}",
                        show(m.bit_size),
                        show(n.bit_size)
                    ),
                );
            }
            let before = d.len();
            self.shape(
                &m.ty,
                &n.ty,
                true,
                &format!("{prefix}member '{name}'"),
                d,
                &mut out.edges,
            );
            if d[before..].iter().any(|x| x.verdict == Verdict::Breaking) {
                layout_break = true;
            }
        }
        let old_names: BTreeSet<&String> = ka.iter().collect();
        for (j, m) in b.members.iter().enumerate() {
            if old_names.contains(&kb[j]) || renamed.contains(&j) {
                continue;
            }
            if m.offset_bits.zip(old_end).is_none_or(|(o, e)| o <= e) {
                layout_break = true;
            }
            detail(
                d,
                Verdict::Breaking,
                format!(
                    "{prefix}member '{}' ({}) inserted at offset {} bits",
                    kb[j],
                    render(&m.ty),
                    show(m.offset_bits)
                ),
            );
        }
        // Bases.
        if a.bases.len() != b.bases.len() {
            layout_break = true;
            detail(
                d,
                Verdict::Breaking,
                format!(
                    "{prefix}base classes changed from [{}] to [{}]",
                    a.bases
                        .iter()
                        .map(|x| render(&x.ty))
                        .collect::<Vec<_>>()
                        .join(", "),
                    b.bases
                        .iter()
                        .map(|x| render(&x.ty))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        for (x, y) in a.bases.iter().zip(&b.bases) {
            if x.offset_bits != y.offset_bits || x.virtual_base != y.virtual_base {
                layout_break = true;
                detail(
                    d,
                    Verdict::Breaking,
                    format!(
                        "{prefix}base {} moved from offset {} to {} bits",
                        render(&x.ty),
                        show(x.offset_bits),
                        show(y.offset_bits)
                    ),
                );
            }
            let before = d.len();
            self.shape(
                &x.ty,
                &y.ty,
                true,
                &format!("{prefix}base class"),
                d,
                &mut out.edges,
            );
            layout_break |= d.len() > before;
        }
        // Virtual functions: any change of the slot list moves or adds vtable entries.
        let slots = |v: &TypeDef| -> Vec<String> {
            v.virtuals
                .iter()
                .map(|f| {
                    format!(
                        "{}@{}",
                        f.linkage_name.as_deref().unwrap_or(&f.name),
                        show(f.slot)
                    )
                })
                .collect()
        };
        if slots(a) != slots(b) {
            layout_break = true;
            detail(
                d,
                Verdict::Breaking,
                format!(
                    "{prefix}virtual functions (vtable slots) changed from [{}] to [{}]",
                    slots(a).join(", "),
                    slots(b).join(", ")
                ),
            );
        }
        // Enumerators.
        let new_values: HashMap<&str, i64> = b
            .enumerators
            .iter()
            .map(|e| (e.name.as_str(), e.value))
            .collect();
        let old_names: BTreeSet<&str> = a.enumerators.iter().map(|e| e.name.as_str()).collect();
        for e in &a.enumerators {
            match new_values.get(e.name.as_str()) {
                None => detail(
                    d,
                    Verdict::Breaking,
                    format!("{prefix}enumerator {} = {} removed", e.name, e.value),
                ),
                Some(v) if *v != e.value => detail(
                    d,
                    Verdict::Breaking,
                    format!(
                        "{prefix}enumerator {} value changed from {} to {}",
                        e.name, e.value, v
                    ),
                ),
                _ => {}
            }
        }
        for e in &b.enumerators {
            if !old_names.contains(e.name.as_str()) {
                detail(
                    d,
                    Verdict::Compatible,
                    format!("{prefix}enumerator {} = {} added", e.name, e.value),
                );
            }
        }
        if a.kind == "base" && a.name != b.name {
            detail(
                d,
                Verdict::Breaking,
                format!(
                    "{prefix}base type changed from {} to {}",
                    show_name(a),
                    show_name(b)
                ),
            );
        }
        out.append_only = !layout_break
            && !out.details.is_empty()
            && (is_struct(&a.kind) || a.kind == "union")
            && a.size <= b.size;
        out
    }
}

fn is_struct(kind: &str) -> bool {
    kind == "struct" || kind == "class"
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "?".into(), |n| n.to_string())
}

fn show_name(d: &TypeDef) -> String {
    d.name.clone().unwrap_or_else(|| "(anonymous)".into())
}
