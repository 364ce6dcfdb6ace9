//! The image's filesystem as layers are applied one after the other: which path each layer
//! provides, whiteouts (`.wh.NAME`) and opaque directories (`.wh..wh..opq`) removing what
//! lower layers provided, and the analysis of every candidate file as it streams past.
//!
//! Memory: only candidate files (a binary format by magic bytes, or a package database) are
//! buffered; the analysis kept per binary is small. Files read but not yet applied are
//! bounded by [`super::in_order`] (128 MiB in flight over all layers, the file being read
//! included), so the budget is that plus a constant per layer read at once (decompressor
//! windows, tar headers, read buffers).

use std::collections::BTreeMap;
use std::io::Read;

use crate::binary;
use crate::catalog::analyze::Analysis;
use crate::model::{FileNode, Problem, Severity};

use super::layer_cache::{LayerLog, Op};

/// A single file larger than this is reported and skipped, not buffered.
pub const MAX_CANDIDATE_BYTES: u64 = 4 << 30;
/// Package databases and os-release larger than this are reported and skipped.
pub const MAX_TEXT_BYTES: u64 = 256 << 20;

/// A binary found in a layer, analysed while it streamed past.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct FileResult {
    /// Path inside the image, without a leading `/`.
    pub path: String,
    pub layer: usize,
    /// The layer that deletes (whiteout) or replaces the file, if any.
    pub deleted_by: Option<usize>,
    pub node: FileNode,
    pub analysis: Analysis,
    /// What the dynamic loader reads from it (ELF only), for the loader model.
    pub loader: Option<Box<crate::model::loader::ElfFacts>>,
}

struct Entry {
    layer: usize,
    result: Option<usize>,
    text: Option<Vec<u8>>,
    /// A symlink's target as stored (for library resolution, [`super::linking`]).
    symlink: Option<String>,
}

pub struct Rootfs {
    /// Prepended to file names (`linux/arm64:` with `--all-platforms`), then `./`.
    name_prefix: String,
    layer: usize,
    entries: BTreeMap<String, Entry>,
    pub results: Vec<FileResult>,
    pub problems: Vec<Problem>,
    /// Size of the largest file buffered, for the memory budget.
    pub largest_buffered: u64,
    /// Contents already examined in this scan, by SHA-256: the analysed result's index,
    /// or `None` when it was not a binary assay reads.
    by_content: std::collections::HashMap<String, Option<usize>>,
    pub files_seen: u64,
    /// What the current layer did, while it is recorded for the layer cache.
    log: Option<LayerLog>,
    /// Which file analyses each content, shared with the analysis workers.
    claims: std::sync::Arc<super::content::Claims>,
}

impl Rootfs {
    pub fn new(name_prefix: String) -> Rootfs {
        Rootfs {
            name_prefix,
            layer: 0,
            entries: BTreeMap::new(),
            results: Vec::new(),
            problems: Vec::new(),
            largest_buffered: 0,
            by_content: std::collections::HashMap::new(),
            files_seen: 0,
            log: None,
            claims: Default::default(),
        }
    }

    pub fn begin_layer(&mut self, index: usize) {
        self.layer = index;
    }

    /// The prefix of every file name (part of what a layer's analysis depends on).
    pub fn name_prefix(&self) -> &str {
        &self.name_prefix
    }

    /// Records what the current layer does from now on, for [`Rootfs::take_log`].
    pub fn start_log(&mut self) {
        self.log = Some(LayerLog::default());
    }

    pub fn take_log(&mut self) -> Option<LayerLog> {
        self.log.take()
    }

    fn record(&mut self, op: Op) {
        if let Some(log) = &mut self.log {
            log.ops.push(op);
        }
    }

    /// Applies a recorded layer (a layer-cache hit) to this filesystem, as streaming the
    /// layer would: the same entries, whiteouts, hard links, texts and analyses, and
    /// contents seen in earlier layers are reused exactly as when streaming.
    pub fn replay(&mut self, log: LayerLog) {
        let mut texts = log.texts.as_slice();
        for op in log.ops {
            match op {
                Op::Entry {
                    path,
                    regular,
                    symlink,
                } => {
                    self.entry_unlogged(
                        path.as_bytes(),
                        regular,
                        symlink.as_deref().map(str::as_bytes),
                    );
                }
                Op::HardLink { path, target } => {
                    self.hard_link_unlogged(path.as_bytes(), target.as_bytes())
                }
                Op::Skipped => self.files_seen += 1,
                Op::TooBig { path, size, limit } => {
                    self.files_seen += 1;
                    self.too_big(&path, size, limit);
                }
                Op::Text {
                    path,
                    len,
                    buffered,
                } => {
                    self.files_seen += 1;
                    self.largest_buffered = self.largest_buffered.max(buffered);
                    // Lengths were checked against the texts when the entry was decoded.
                    let at = usize::try_from(len).unwrap_or(usize::MAX).min(texts.len());
                    let (text, rest) = texts.split_at(at);
                    texts = rest;
                    if let Some(e) = self.entries.get_mut(&path) {
                        e.text = Some(text.to_vec());
                    }
                }
                Op::Binary {
                    path,
                    sha256,
                    buffered,
                    result,
                } => {
                    self.files_seen += 1;
                    self.largest_buffered = self.largest_buffered.max(buffered);
                    let layer = self.layer;
                    self.place_binary(&path, &sha256, move || {
                        result.map(|r| {
                            let mut r = *r;
                            r.layer = layer;
                            r.deleted_by = None;
                            r
                        })
                    });
                }
            }
        }
    }

    /// The name a file at `path` gets in the document.
    pub fn display_name(&self, path: &str) -> String {
        format!("{}./{path}", self.name_prefix)
    }

    /// Visible package-database and os-release texts, by path.
    pub fn texts(&self) -> BTreeMap<&str, &[u8]> {
        self.entries
            .iter()
            .filter_map(|(p, e)| e.text.as_deref().map(|t| (p.as_str(), t)))
            .collect()
    }

    /// Visible symlinks, path → target as stored (package file lists are mapped through
    /// them, [`super::ownership`]).
    pub fn symlinks(&self) -> BTreeMap<&str, &str> {
        self.entries
            .iter()
            .filter_map(|(p, e)| e.symlink.as_deref().map(|t| (p.as_str(), t)))
            .collect()
    }

    /// The visible filesystem for library resolution: every path, with its symlink target
    /// or the id of the analysed file at that path.
    pub fn file_index(&self) -> super::linking::FileIndex<'_> {
        let mut index = super::linking::FileIndex::default();
        for (path, e) in &self.entries {
            let file_id = e
                .result
                .and_then(|r| self.results.get(r))
                .map(|r| r.node.id.as_str());
            index.insert(path, e.symlink.as_deref(), file_id);
        }
        index
    }

    /// Handles one tar entry's path; `None` once whiteouts are applied (nothing to read).
    /// Returns the normalised path for a regular entry the caller should offer to
    /// [`Rootfs::regular_file`].
    pub fn entry(
        &mut self,
        raw_path: &[u8],
        is_regular: bool,
        symlink: Option<&[u8]>,
    ) -> Option<String> {
        if self.log.is_some() {
            self.record(Op::Entry {
                path: String::from_utf8_lossy(raw_path).into_owned(),
                regular: is_regular,
                symlink: symlink.map(|t| String::from_utf8_lossy(t).into_owned()),
            });
        }
        self.entry_unlogged(raw_path, is_regular, symlink)
    }

    // Every use of a raw path or link target goes through `from_utf8_lossy`, so the log
    // keeps them as (lossy) strings without changing what a replay does.
    fn entry_unlogged(
        &mut self,
        raw_path: &[u8],
        is_regular: bool,
        symlink: Option<&[u8]>,
    ) -> Option<String> {
        let path = match classify(raw_path) {
            PathKind::Escapes => {
                self.problems.push(Problem {
                    path: String::from_utf8_lossy(raw_path).into_owned(),
                    severity: Severity::Warning,
                    message: format!("layer {}: entry path escapes the root: skipped", self.layer),
                });
                return None;
            }
            PathKind::Root => return None,
            PathKind::Opaque(dir) => {
                self.delete_below(&dir, false);
                return None;
            }
            PathKind::Whiteout(target) => {
                self.delete_below(&target, true);
                return None;
            }
            PathKind::Plain(path) => path,
        };
        // A lower layer's entry at the same path is replaced (overlayfs semantics).
        if let Some(old) = self.entries.remove(&path) {
            self.mark_deleted(old);
        }
        self.entries.insert(
            path.clone(),
            Entry {
                layer: self.layer,
                result: None,
                text: None,
                symlink: symlink.map(|t| String::from_utf8_lossy(t).into_owned()),
            },
        );
        is_regular.then_some(path)
    }

    /// Deletes what lower layers provided under `target` (and `target` itself if `itself`).
    fn delete_below(&mut self, target: &str, itself: bool) {
        let prefix = if target.is_empty() {
            String::new()
        } else {
            format!("{target}/")
        };
        let layer = self.layer;
        let doomed: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, _)| p.clone())
            .chain(itself.then(|| target.to_string()))
            .filter(|p| self.entries.get(p).is_some_and(|e| e.layer < layer))
            .collect();
        for p in doomed {
            if let Some(e) = self.entries.remove(&p) {
                self.mark_deleted(e);
            }
        }
    }

    fn mark_deleted(&mut self, e: Entry) {
        if let Some(r) = e.result {
            if let Some(res) = self.results.get_mut(r) {
                res.deleted_by.get_or_insert(self.layer);
            }
        }
    }

    /// A hard link in a layer: the linked file gets the target's analysis under its own name.
    pub fn hard_link(&mut self, raw_path: &[u8], raw_target: &[u8]) {
        if self.log.is_some() {
            self.record(Op::HardLink {
                path: String::from_utf8_lossy(raw_path).into_owned(),
                target: String::from_utf8_lossy(raw_target).into_owned(),
            });
        }
        self.hard_link_unlogged(raw_path, raw_target)
    }

    fn hard_link_unlogged(&mut self, raw_path: &[u8], raw_target: &[u8]) {
        // Registers the path (and applies replacement of lower layers' entry).
        self.entry_unlogged(raw_path, false, None);
        let Some(path) = normalise(raw_path).filter(|p| self.entries.contains_key(p)) else {
            return;
        };
        let Some(target) = normalise(raw_target) else {
            return;
        };
        let Some(index) = self.entries.get(&target).and_then(|e| e.result) else {
            return;
        };
        let Some(result) = self.results.get(index) else {
            return;
        };
        let renamed = result.renamed(&path, &self.display_name(&path), self.layer);
        let new_index = self.results.len();
        self.results.push(renamed);
        if let Some(e) = self.entries.get_mut(&path) {
            e.result = Some(new_index);
        }
    }

    /// Reads a regular file's first bytes and buffers it only when it is a binary or a
    /// package database; everything else is left for the tar reader to skip. The file is
    /// analysed here, on this thread ([`super::in_order`] analyses on a pool instead).
    pub fn regular_file(
        &mut self,
        path: &str,
        size: u64,
        reader: &mut dyn Read,
    ) -> anyhow::Result<()> {
        let (step, candidate) = read_file(path, size, reader, &mut |_| Ok(()))?;
        let (name, layer) = (self.display_name(path), self.layer);
        let Some(mut candidate) = candidate else {
            self.apply_file(step, || None);
            return Ok(());
        };
        let step = step.hashed(candidate.checksums().sha256.clone());
        self.apply_file(step, || candidate.analyse(path, name, layer));
        Ok(())
    }

    /// Who analyses which content (shared with the workers, [`super::content`]).
    pub fn claims(&self) -> std::sync::Arc<super::content::Claims> {
        self.claims.clone()
    }

    /// The layer being applied.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// Applies what [`read_file`] found, in tar order; for a binary whose content is new,
    /// `fresh()` gives its analysis.
    pub fn apply_file(&mut self, step: FileStep, fresh: impl FnOnce() -> Option<FileResult>) {
        self.files_seen += 1;
        match step {
            FileStep::Skipped => self.record(Op::Skipped),
            FileStep::TooBig { path, size, limit } => {
                self.too_big(&path, size, limit);
                self.record(Op::TooBig { path, size, limit });
            }
            FileStep::Text {
                path,
                data,
                buffered,
            } => {
                self.largest_buffered = self.largest_buffered.max(buffered);
                if let Some(log) = &mut self.log {
                    log.texts.extend_from_slice(&data);
                    log.ops.push(Op::Text {
                        path: path.clone(),
                        len: data.len() as u64,
                        buffered,
                    });
                }
                if let Some(e) = self.entries.get_mut(&path) {
                    e.text = Some(data);
                }
            }
            FileStep::Binary {
                path,
                sha256,
                buffered,
            } => {
                self.largest_buffered = self.largest_buffered.max(buffered);
                self.place_binary(&path, &sha256, fresh);
                if self.log.is_some() {
                    // What this path ended up with (analysed, or a copy of identical
                    // content), so a replay after different lower layers still has it.
                    let result = self
                        .entries
                        .get(&path)
                        .and_then(|e| e.result)
                        .and_then(|i| self.results.get(i))
                        .map(|r| Box::new(r.clone()));
                    self.record(Op::Binary {
                        path,
                        sha256,
                        buffered,
                        result,
                    });
                }
            }
        }
    }

    fn too_big(&mut self, path: &str, size: u64, limit: u64) {
        self.problems.push(Problem {
            path: self.display_name(path),
            severity: Severity::Warning,
            message: format!(
                "{size} bytes exceed the {limit}-byte limit for one file: not analysed"
            ),
        });
    }

    /// Gives `path` the analysis of its content: a copy of an earlier result when the same
    /// content (by SHA-256) was already examined in this scan (the same file in several
    /// layers or paths, under this file's own name and node), else `fresh()`'s.
    fn place_binary(
        &mut self,
        path: &str,
        sha256: &str,
        fresh: impl FnOnce() -> Option<FileResult>,
    ) {
        match self.by_content.get(sha256).copied() {
            Some(None) => return,
            Some(Some(earlier)) => {
                if let Some(result) = self.results.get(earlier) {
                    let copy = result.copied_as(path, &self.display_name(path), self.layer);
                    let index = self.results.len();
                    self.results.push(copy);
                    if let Some(e) = self.entries.get_mut(path) {
                        e.result = Some(index);
                    }
                    return;
                }
            }
            None => {}
        }
        self.claims.applied(sha256);
        let Some(result) = fresh() else {
            self.by_content.insert(sha256.to_string(), None);
            return;
        };
        let index = self.results.len();
        self.by_content.insert(sha256.to_string(), Some(index));
        self.results.push(result);
        if let Some(e) = self.entries.get_mut(path) {
            e.result = Some(index);
        }
    }
}

impl FileResult {
    /// The analysis of identical content found at another path: as [`Self::renamed`], and
    /// the file name it answers to (for dynamic-link edges) is the copy's own.
    fn copied_as(&self, path: &str, name: &str, layer: usize) -> FileResult {
        let mut copy = self.renamed(path, name, layer);
        let base = |n: &str| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string();
        let (old, new) = (base(&self.node.name), base(name));
        if let Some(at) = copy.analysis.provides.iter().rposition(|p| *p == old) {
            copy.analysis.provides[at] = new;
        }
        copy
    }

    /// The same analysis under another name (a hard link to an analysed file): the file's
    /// id and name, occurrences, relationship ends, problem paths and file-scoped component
    /// ids (`PURL#NAME`) are renamed.
    fn renamed(&self, path: &str, name: &str, layer: usize) -> FileResult {
        let (old_name, old_id) = (self.node.name.as_str(), self.node.id.as_str());
        let new_id = FileNode::id_for(name);
        let scoped = format!("#{old_name}");
        let fix = |s: &str| -> String {
            if s == old_name {
                name.to_string()
            } else if s == old_id {
                new_id.clone()
            } else if let Some(base) = s.strip_suffix(&scoped) {
                format!("{base}#{name}")
            } else {
                s.to_string()
            }
        };
        let mut node = self.node.clone();
        node.id = new_id.clone();
        node.name = name.to_string();
        let a = &self.analysis;
        FileResult {
            path: path.to_string(),
            layer,
            deleted_by: None,
            node,
            loader: self.loader.clone(),
            analysis: Analysis {
                format: a.format,
                slices: a.slices.clone(),
                components: a
                    .components
                    .iter()
                    .map(|c| {
                        let mut c = c.clone();
                        c.id = fix(&c.id);
                        c.occurrences = c.occurrences.iter().map(|o| fix(o)).collect();
                        c
                    })
                    .collect(),
                relationships: a
                    .relationships
                    .iter()
                    .map(|r| crate::model::Relationship {
                        from: fix(&r.from),
                        kind: r.kind,
                        to: fix(&r.to),
                    })
                    .collect(),
                problems: a
                    .problems
                    .iter()
                    .map(|p| Problem {
                        path: fix(&p.path),
                        ..p.clone()
                    })
                    .collect(),
                provides: a.provides.clone(),
            },
        }
    }
}

/// What a regular file in a layer turned out to be, once read (before it is applied).
pub enum FileStep {
    /// Neither a binary nor a text assay reads.
    Skipped,
    TooBig {
        path: String,
        size: u64,
        limit: u64,
    },
    /// A package-database or config text, buffered.
    Text {
        path: String,
        data: Vec<u8>,
        buffered: u64,
    },
    /// A binary candidate; its bytes are in the [`Candidate`] returned beside it.
    Binary {
        path: String,
        /// Empty until the candidate is hashed ([`FileStep::hashed`]).
        sha256: String,
        buffered: u64,
    },
}

impl FileStep {
    /// A binary's step once its content digest is known (hashing runs on a worker).
    pub fn hashed(mut self, digest: String) -> FileStep {
        if let FileStep::Binary { sha256, .. } = &mut self {
            *sha256 = digest;
        }
        self
    }
}

/// A binary candidate's bytes, to be hashed and analysed (on any thread).
pub struct Candidate {
    data: crate::spill::Buffer,
    /// Computed on first use ([`Candidate::checksums`]).
    sums: Option<crate::model::Checksums>,
}

impl Candidate {
    /// SHA-1 and SHA-256 of the file (computed once).
    pub fn checksums(&mut self) -> &crate::model::Checksums {
        self.sums
            .get_or_insert_with(|| super::content::checksums(&self.data))
    }

    /// The expensive part: catalogers and the loader's ELF facts. `name` is the file's
    /// name in the document ([`Rootfs::display_name`]).
    pub fn analyse(mut self, path: &str, name: String, layer: usize) -> Option<FileResult> {
        let sums = self.checksums().clone();
        let data = &self.data;
        let analysis = crate::catalog::analyze::analyze(&name, data)?;
        Some(FileResult {
            path: path.to_string(),
            layer,
            deleted_by: None,
            node: FileNode {
                id: FileNode::id_for(&name),
                name,
                size: data.len() as u64,
                checksums: Some(sums),
                format: analysis.format,
                slices: analysis.slices.clone(),
            },
            loader: super::elf_facts::read(data).map(Box::new),
            analysis,
        })
    }
}

/// Reads a regular file of a layer (at `path`, as [`Rootfs::entry`] returned it): its first
/// bytes decide whether it is a binary or a text assay reads; those are buffered (beyond
/// 64 MiB: spilled and mapped, see crate::spill). Binaries are hashed later, by whoever
/// analyses them ([`Candidate::checksums`]), so the reader only inflates and copies.
/// Touches no filesystem state, so the tar reader can run ahead of [`Rootfs::apply_file`].
/// `reserve(size)` is called before a file is buffered (it may wait for room, or fail).
pub fn read_file(
    path: &str,
    size: u64,
    reader: &mut dyn Read,
    reserve: &mut dyn FnMut(u64) -> anyhow::Result<()>,
) -> anyhow::Result<(FileStep, Option<Candidate>)> {
    let mut head = [0u8; binary::MAGIC_LEN];
    let n = read_up_to(reader, &mut head)?;
    let is_binary = binary::detect(&head[..n]).is_some();
    let is_text = !is_binary && (crate::catalog::ospkg::wants(path) || super::linking::wants(path));
    if !is_binary && !is_text {
        return Ok((FileStep::Skipped, None));
    }
    let limit = if is_binary {
        MAX_CANDIDATE_BYTES
    } else {
        MAX_TEXT_BYTES
    };
    if size > limit {
        let path = path.to_string();
        return Ok((FileStep::TooBig { path, size, limit }, None));
    }
    // `size` comes from the tar header and is bounded above; the tar reader will not
    // yield more than it.
    reserve(size)?;
    let (data, _) =
        crate::spill::read_stream(&head[..n], reader, size, crate::hash::Digests::None)?;
    let buffered = if data.is_mapped() {
        0
    } else {
        data.len() as u64
    };
    let path = path.to_string();
    if is_text {
        let data = data.into_vec();
        return Ok((
            FileStep::Text {
                path,
                data,
                buffered,
            },
            None,
        ));
    }
    Ok((
        FileStep::Binary {
            path,
            sha256: String::new(),
            buffered,
        },
        Some(Candidate { data, sums: None }),
    ))
}

/// A tar entry's path, as the filesystem reads it.
enum PathKind {
    /// A `..` would leave the root.
    Escapes,
    /// The root itself (`./`).
    Root,
    /// `DIR/.wh..wh..opq`: DIR's lower contents are hidden.
    Opaque(String),
    /// `DIR/.wh.NAME`: DIR/NAME is deleted.
    Whiteout(String),
    Plain(String),
}

fn classify(raw_path: &[u8]) -> PathKind {
    let Some(path) = normalise(raw_path) else {
        return PathKind::Escapes;
    };
    if path.is_empty() {
        return PathKind::Root;
    }
    let (dir, base) = match path.rsplit_once('/') {
        Some((d, b)) => (d, b),
        None => ("", path.as_str()),
    };
    if base == ".wh..wh..opq" {
        return PathKind::Opaque(dir.to_string());
    }
    if let Some(hidden) = base.strip_prefix(".wh.") {
        return PathKind::Whiteout(if dir.is_empty() {
            hidden.to_string()
        } else {
            format!("{dir}/{hidden}")
        });
    }
    PathKind::Plain(path)
}

/// The path [`Rootfs::entry`] returns for this tar entry (a regular file to read), without
/// applying the entry: the tar reader decides what to read before earlier files are applied.
pub fn readable_path(raw_path: &[u8], is_regular: bool) -> Option<String> {
    match classify(raw_path) {
        PathKind::Plain(path) if is_regular => Some(path),
        _ => None,
    }
}

/// `./a//b/` → `a/b`; `None` when a `..` would leave the root.
fn normalise(raw: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(raw);
    // Most tar paths are already normal (`usr/bin/x`): taken as they are, without splitting
    // and joining (a replayed layer normalises every one of its entries again).
    if !s.is_empty() && s.split('/').all(|p| !matches!(p, "" | "." | "..")) {
        return Some(s.into_owned());
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in s.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

pub fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_hide_lower_layers_only() {
        let mut fs = Rootfs::new(String::new());
        fs.begin_layer(0);
        for p in ["a/x", "a/y", "b/z", "c"] {
            fs.entry(p.as_bytes(), true, None);
        }
        fs.begin_layer(1);
        fs.entry(b"a/new", true, None);
        fs.entry(b"./a/.wh..wh..opq", false, None);
        fs.entry(b"b/.wh.z", false, None);
        fs.entry(b".wh.c", false, None);
        let left: Vec<&String> = fs.entries.keys().collect();
        assert_eq!(left, ["a/new"]);
        assert!(normalise(b"../etc/passwd").is_none());
        for (raw, want) in [
            ("usr/bin/x", "usr/bin/x"),
            ("./usr//bin/./x/", "usr/bin/x"),
            ("/etc", "etc"),
            ("./", ""),
            ("", ""),
        ] {
            assert_eq!(normalise(raw.as_bytes()).as_deref(), Some(want), "{raw}");
        }
        assert!(normalise(b"a/../../b").is_none());
    }

    /// Streams three layers into one filesystem while recording them, replays the records
    /// into another: both end up the same (results, texts, symlinks, problems, counters).
    #[test]
    fn a_replayed_layer_equals_the_streamed_one() {
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/go");
        let hello = std::fs::read(samples.join("hello-linux-amd64")).unwrap();
        let darwin = std::fs::read(samples.join("hello-darwin-arm64")).unwrap();
        let file = |fs: &mut Rootfs, path: &str, bytes: &[u8]| {
            if let Some(p) = fs.entry(path.as_bytes(), true, None) {
                fs.regular_file(&p, bytes.len() as u64, &mut &bytes[..])
                    .unwrap();
            }
        };
        let layers: [&dyn Fn(&mut Rootfs); 3] = [
            &|fs| {
                file(fs, "etc/os-release", b"ID=test\n");
                file(fs, "usr/bin/hello", &hello);
                file(fs, "usr/bin/notes.txt", b"plain text");
                fs.entry(b"usr/bin/hi", false, Some(b"hello"));
                fs.hard_link(b"usr/bin/hello-link", b"usr/bin/hello");
                file(fs, "opt/old", &darwin);
            },
            &|fs| {
                file(fs, "opt/hello-copy", &hello); // content seen in layer 0
                fs.entry(b"opt/.wh.old", false, None);
                fs.entry(b"../escape", true, None);
            },
            &|fs| {
                fs.entry(b"usr/bin/.wh..wh..opq", false, None);
                file(fs, "etc/os-release", b"ID=other\n");
            },
        ];
        let mut streamed = Rootfs::new("linux/amd64:".into());
        let mut logs = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            streamed.begin_layer(i);
            streamed.start_log();
            layer(&mut streamed);
            let log = streamed.take_log().unwrap();
            // Through the cache entry's encoding, as a later scan reads it.
            let bytes = super::super::layer_cache::encode(&log).unwrap();
            logs.push(super::super::layer_cache::decode(&bytes).unwrap());
        }
        let mut replayed = Rootfs::new("linux/amd64:".into());
        for (i, log) in logs.into_iter().enumerate() {
            replayed.begin_layer(i);
            replayed.replay(log);
        }
        let json = |fs: &Rootfs| serde_json::to_string(&fs.results).unwrap();
        assert_eq!(
            streamed.results.len(),
            4,
            "hello, its link, darwin, the copy"
        );
        assert_eq!(json(&replayed), json(&streamed));
        assert_eq!(replayed.texts(), streamed.texts());
        assert_eq!(replayed.symlinks(), streamed.symlinks());
        assert_eq!(replayed.problems.len(), streamed.problems.len());
        assert_eq!(replayed.files_seen, streamed.files_seen);
        assert_eq!(replayed.largest_buffered, streamed.largest_buffered);
        let keys = |fs: &Rootfs| fs.entries.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&replayed), keys(&streamed));
        assert!(streamed.results.iter().any(|r| r.deleted_by == Some(1)));
    }
}
