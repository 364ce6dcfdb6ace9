//! The scan pipeline: targets → candidate files → (in parallel) format detection, hashing,
//! slices, catalogers → one merged [`Document`].

use std::fs::File;
use std::io::Read;

use rayon::prelude::*;

use crate::binary::{self, Format};
use crate::catalog::{self, Findings, Image};
use crate::hash;
use crate::model::{
    Component, Document, FileNode, GraphBuilder, Problem, Relationship, Severity, SliceNode,
    Subject,
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
                } = *result;
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
    let checksums = match rewind(&mut file)
        .and_then(|_| hash::read_checksums(&mut file, map.len() as u64, checksums))
    {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot read: {e}")),
    };
    let node_id = FileNode::id_for(&candidate.name);
    let Some(analysis) = analyze(&candidate.name, &map) else {
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
    }))
}

/// What the catalogers found in one file's bytes.
pub struct Analysis {
    pub format: Format,
    pub slices: Vec<SliceNode>,
    pub components: Vec<Component>,
    pub relationships: Vec<Relationship>,
    pub problems: Vec<Problem>,
    /// Library names this file answers to (SONAME, install name, file name).
    pub provides: Vec<String>,
}

/// Runs format detection, slicing and every cataloger over a file's bytes; `None` when the
/// bytes are not a binary assay reads. Pure (no I/O): the scan, the fuzz targets and the
/// robustness tests all go through here.
pub fn analyze(name: &str, data: &[u8]) -> Option<Analysis> {
    let format = binary::detect(data.get(..binary::MAGIC_LEN.min(data.len()))?)?;
    if let Some(packed) = crate::upx::detect(data) {
        return Some(analyze_packed(name, data, format, &packed));
    }
    analyze_plain(name, data, format)
}

/// A UPX-packed file: the catalogers see the unpacked program (ELF); the file keeps its
/// own format and hashes, and every slice says it was packed.
fn analyze_packed(
    name: &str,
    data: &[u8],
    format: Format,
    packed: &crate::upx::Packed,
) -> Analysis {
    let mut props = vec![crate::model::Property::new("assay:packer", "UPX")];
    if let Some(v) = &packed.upx_version {
        props.push(crate::model::Property::new("assay:upx:version", v));
    }
    if let Some(m) = packed.method {
        props.push(crate::model::Property::new("assay:upx:method", m));
    }
    if packed.format == "PE" {
        return analyze_packed_pe(name, data, format, props);
    }
    let unpacked = match packed.format {
        "ELF" => crate::upx::unpack_elf(data),
        _ => crate::upx::unpack_macho(data),
    }
    .map_err(|e| format!("UPX-packed {} cannot be unpacked: {e}", packed.format));
    let inner = match &unpacked {
        Ok(bytes) => {
            props.push(crate::model::Property::new(
                "assay:upx:unpacked-size",
                bytes.len().to_string(),
            ));
            binary::detect(
                bytes
                    .get(..binary::MAGIC_LEN.min(bytes.len()))
                    .unwrap_or(&[]),
            )
            .filter(|f| crate::upx::detect(bytes).is_none() && *f != Format::Wasm)
            .and_then(|f| analyze_plain(name, bytes, f))
        }
        Err(_) => None,
    };
    let mut result = inner.unwrap_or_else(|| Analysis {
        format,
        slices: vec![SliceNode {
            label: None,
            platform: object::File::parse(data).ok().map(|o| binary::describe(&o)),
            go: None,
            properties: Vec::new(),
        }],
        components: Vec::new(),
        relationships: Vec::new(),
        problems: Vec::new(),
        provides: Vec::new(),
    });
    result.format = format;
    if let Err(message) = unpacked {
        result.problems.push(Problem {
            path: name.to_string(),
            severity: Severity::Error,
            message,
        });
    }
    for slice in &mut result.slices {
        slice.properties.extend(props.iter().cloned());
    }
    result
}

/// A UPX-packed PE: the section image is decompressed but not rebuilt into a PE, so only
/// the catalogers that read raw bytes run on it (Go build info, library version strings).
fn analyze_packed_pe(
    name: &str,
    data: &[u8],
    format: Format,
    mut props: Vec<crate::model::Property>,
) -> Analysis {
    let file_id = FileNode::id_for(name);
    let mut findings = Findings::default();
    let mut problems = Vec::new();
    match crate::upx::unpack_pe_image(data) {
        Ok(image) => {
            props.push(crate::model::Property::new(
                "assay:upx:unpacked",
                "section image (not rebuilt into a PE): raw-byte catalogers only",
            ));
            match crate::golang::buildinfo::read_inline_anywhere(&image) {
                Ok(Some(raw)) => {
                    let mut warnings = Vec::new();
                    let info = crate::golang::info_from_raw(raw, None, &mut warnings);
                    problems.extend(warnings.into_iter().map(|w| (Severity::Warning, w)));
                    crate::golang::add_components(&file_id, name, &info, &mut findings);
                    findings.go = Some(info);
                }
                Ok(None) => {}
                Err(e) => problems.push((Severity::Error, e.to_string())),
            }
            crate::native_meta::add_libraries_in(&file_id, name, &[&image], &mut findings);
            problems.push((
                Severity::Warning,
                "UPX-packed PE: contents read from the decompressed section image; PE structure (imports, resources, sections) not rebuilt".into(),
            ));
        }
        Err(e) => problems.push((
            Severity::Error,
            format!("UPX-packed PE cannot be unpacked: {e}"),
        )),
    }
    findings.properties.extend(props);
    Analysis {
        format,
        slices: vec![SliceNode {
            label: None,
            platform: object::File::parse(data).ok().map(|o| binary::describe(&o)),
            go: findings.go,
            properties: findings.properties,
        }],
        provides: findings.provides,
        components: findings.components,
        relationships: findings.relationships,
        problems: problems
            .into_iter()
            .map(|(severity, message)| Problem {
                path: name.to_string(),
                severity,
                message,
            })
            .chain(findings.problems)
            .collect(),
    }
}

fn analyze_plain(name: &str, data: &[u8], format: Format) -> Option<Analysis> {
    let catalogers = catalog::all();
    let file_id = FileNode::id_for(name);
    let mut result = Analysis {
        format,
        slices: Vec::new(),
        components: Vec::new(),
        relationships: Vec::new(),
        problems: Vec::new(),
        provides: Vec::new(),
    };
    let problem = |message: String| Problem {
        path: name.to_string(),
        severity: Severity::Error,
        message,
    };
    if format == Format::Wasm {
        let mut findings = Findings::default();
        crate::wasm::catalog(&file_id, name, data, &mut findings);
        result.slices.push(SliceNode {
            label: None,
            platform: crate::wasm::reader::parse(data)
                .ok()
                .map(|m| crate::wasm::platform(&m)),
            go: findings.go,
            properties: findings.properties,
        });
        result.components.extend(findings.components);
        result.relationships.extend(findings.relationships);
        result.problems.extend(findings.problems);
        return Some(result);
    }
    let (slices, slice_errors) = binary::slices(format, data);
    for e in slice_errors {
        result.problems.push(problem(match e.label {
            Some(l) => format!("[{l}] {}", e.message),
            None => e.message,
        }));
    }
    for slice in &slices {
        let object = match object::File::parse(slice.data) {
            Ok(o) => o,
            Err(e) => {
                let what = slice.label.as_deref().unwrap_or(format.as_str());
                result
                    .problems
                    .push(problem(format!("malformed {what}: {e}")));
                result.slices.push(SliceNode {
                    label: slice.label.clone(),
                    platform: None,
                    go: None,
                    properties: Vec::new(),
                });
                continue;
            }
        };
        let image = Image {
            file_id: &file_id,
            file_name: name,
            label: slice.label.as_deref(),
            object: &object,
            data: slice.data,
            dwarf: std::cell::OnceCell::new(),
        };
        let mut findings = Findings::default();
        for cataloger in &catalogers {
            cataloger.catalog(&image, &mut findings);
        }
        result.slices.push(SliceNode {
            label: slice.label.clone(),
            platform: Some(binary::describe(&object)),
            go: findings.go,
            properties: findings.properties,
        });
        result.provides.extend(findings.provides);
        result.components.extend(findings.components);
        result.relationships.extend(findings.relationships);
        result.problems.extend(findings.problems);
    }
    // An archive without object members (a plain `ar` of text files) is not a binary.
    if format == Format::Archive && result.slices.is_empty() && result.problems.is_empty() {
        return None;
    }
    Some(result)
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

fn rewind(file: &mut File) -> std::io::Result<()> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(0)).map(|_| ())
}
