//! The scan pipeline: targets → candidate files → (in parallel) format detection, hashing,
//! slices, catalogers → one merged [`Document`].
//!
//! Layer: pipeline (directories). May use inputs, catalogers and the model.

use std::fs::File;
use std::io::Read;

use rayon::prelude::*;

use crate::binary;
use crate::catalog::analyze::analyze;
use crate::catalog::native::dyld_facts::{self, MachoImage};
use crate::hash;
use crate::model::{
    Component, Document, FileNode, GraphBuilder, Problem, Relationship, Severity, Subject,
};
use crate::source::{self, Candidate};

/// What examining one candidate produced.
enum Outcome {
    /// Not a binary format assay reads.
    NotBinary,
    Binary(Box<BinaryResult>),
    /// The file could not be read at all.
    Failed(Problem),
}

struct BinaryResult {
    node: FileNode,
    components: Vec<Component>,
    relationships: Vec<Relationship>,
    problems: Vec<Problem>,
    /// Library names this file answers to (for dynamic-link edges between scanned files).
    provides: Vec<String>,
    /// What dyld reads from it, when it is a Mach-O file (for [`Options::dir_pass`]).
    macho: Vec<MachoImage>,
}

/// Told `(files examined, files to examine)` after each file, from the worker threads.
pub type ProgressFn = dyn Fn(u64, u64) + Send + Sync;

/// What a scan computes beyond cataloguing.
#[derive(Clone, Default)]
pub struct Options {
    /// The digests to compute for every binary, as the requested outputs record them.
    pub checksums: hash::Digests,
    /// Progress reports for a terminal; `None` for none.
    pub progress: Option<std::sync::Arc<ProgressFn>>,
    /// Run once every file is in the graph, before libraries are linked by name: the dyld
    /// model (a layer above) resolves Mach-O dylib load commands this way.
    pub dir_pass: Option<DirPass>,
}

/// A pass over a finished directory scan.
pub type DirPass = fn(&DirScan, &mut GraphBuilder);

/// The Mach-O files of a directory scan, as [`Options::dir_pass`] sees them.
#[derive(Debug, Default)]
pub struct DirScan {
    /// The name prefix of each directory target (`.` for a single directory): an absolute
    /// load path is looked up below each.
    pub roots: Vec<String>,
    pub macho: Vec<MachoFile>,
}

#[derive(Debug)]
pub struct MachoFile {
    pub id: String,
    /// Document file name (`./App.app/Contents/MacOS/app`).
    pub name: String,
    pub images: Vec<MachoImage>,
}

/// Scans the targets. Problems with individual entries are inside the document; this never
/// fails as a whole (the caller decides what an empty or partial result means).
pub fn scan(targets: &[String], created: String, options: Options) -> Document {
    let collected = source::collect(targets);
    let total = collected.candidates.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    // Largest files first: a big file started last would leave the other cores idle while
    // it is hashed. Results are put back in name order below.
    let mut order: Vec<(u64, usize)> = collected
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (std::fs::metadata(&c.path).map_or(0, |m| m.len()), i))
        .collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let mut examined: Vec<(usize, Outcome)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(_, i)| {
            let outcome = examine(&collected.candidates[i], options.checksums);
            if let Some(report) = &options.progress {
                report(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    total,
                );
            }
            (i, outcome)
        })
        .collect();
    examined.sort_unstable_by_key(|(i, _)| *i);
    let outcomes = examined.into_iter().map(|(_, o)| o);

    let mut graph = GraphBuilder::default();
    let mut provided = std::collections::BTreeMap::new();
    let mut dir = DirScan {
        roots: dir_roots(targets),
        macho: Vec::new(),
    };
    graph.count_examined(collected.candidates.len() as u64);
    for p in collected.problems {
        graph.problem(p);
    }
    for outcome in outcomes {
        match outcome {
            Outcome::NotBinary => {}
            Outcome::Failed(p) => graph.problem(p),
            Outcome::Binary(result) => {
                let BinaryResult {
                    node,
                    components,
                    relationships,
                    problems,
                    provides,
                    macho,
                } = *result;
                if !macho.is_empty() {
                    dir.macho.push(MachoFile {
                        id: node.id.clone(),
                        name: node.name.clone(),
                        images: macho,
                    });
                }
                for name in provides {
                    provided
                        .entry(crate::model::native_lookup_key(&name))
                        .or_insert_with(|| node.id.clone());
                }
                graph.add_file(node);
                components.into_iter().for_each(|c| graph.add_component(c));
                for r in relationships {
                    graph.relate(&r.from, r.kind, &r.to);
                }
                problems.into_iter().for_each(|p| graph.problem(p));
            }
        }
    }
    if let Some(pass) = options.dir_pass {
        pass(&dir, &mut graph);
    }
    graph.link_native_to_files(&provided);
    let subject = Subject {
        name: targets.join(", "),
        targets: targets.to_vec(),
        image: None,
    };
    graph.finish(subject, created)
}

fn examine(candidate: &Candidate, checksums: hash::Digests) -> Outcome {
    let failed = |message: String| {
        Outcome::Failed(Problem {
            path: candidate.name.clone(),
            severity: Severity::Error,
            message,
        })
    };
    let mut file = match File::open(&candidate.path) {
        Ok(f) => f,
        Err(e) => return failed(format!("cannot open: {e}")),
    };
    // Decide from the first bytes before mapping or hashing anything.
    let mut head = [0u8; binary::MAGIC_LEN];
    let head_len = match read_up_to(&mut file, &mut head) {
        Ok(n) => n,
        Err(e) => return failed(format!("cannot read: {e}")),
    };
    if binary::detect(&head[..head_len]).is_none() {
        return Outcome::NotBinary;
    }
    // SAFETY: the map is read-only and private to this call. A file truncated by another
    // process while mapped can raise SIGBUS; that is the accepted cost of mapping, as in
    // every mmap-based scanner.
    let map = match unsafe { memmap2::Mmap::map(&file) } {
        Ok(m) => m,
        Err(e) => return failed(format!("cannot map: {e}")),
    };
    // What the hasher, the UPX decoder and the catalogers are done with may leave the
    // resident set (read back from the page cache if read again). Dropped before the map.
    // SAFETY: a whole shared read-only file mapping, alive longer than the mark.
    let _releasable = unsafe { crate::spill::mark_releasable(&map) };
    // Hashing and cataloguing read the same map; side by side they overlap when a core is
    // free (a big file at the end of a scan, a UPX program whose largest block decodes
    // alone). The analysis runs here and holds its unpack budget only while it runs.
    let (analysis, checksums) = rayon::join(
        || analyze(&candidate.name, &map),
        || hash::map_checksums(&map, checksums),
    );
    let node_id = FileNode::id_for(&candidate.name);
    let Some(analysis) = analysis else {
        return Outcome::NotBinary;
    };
    Outcome::Binary(Box::new(BinaryResult {
        node: FileNode {
            id: node_id,
            name: candidate.name.clone(),
            size: map.len() as u64,
            checksums,
            format: analysis.format,
            slices: analysis.slices,
        },
        components: analysis.components,
        relationships: analysis.relationships,
        problems: analysis.problems,
        provides: analysis.provides,
        macho: match analysis.format {
            binary::Format::MachO | binary::Format::MachOFat => dyld_facts::read(&map),
            _ => Vec::new(),
        },
    }))
}

/// The name prefixes [`source::collect`] gives the files of each directory target.
fn dir_roots(targets: &[String]) -> Vec<String> {
    let dirs: Vec<&String> = targets
        .iter()
        .filter(|t| std::path::Path::new(t).is_dir())
        .collect();
    if targets.len() == 1 && dirs.len() == 1 {
        return vec![".".to_string()];
    }
    dirs.iter()
        .map(|t| t.trim_end_matches('/').to_string())
        .collect()
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
