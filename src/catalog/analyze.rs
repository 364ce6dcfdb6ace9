//! The per-file analysis every scan shares (directories, image layers, fuzz targets): format
//! detection, slicing into object images (fat slices, archive members, UPX-unpacked programs)
//! and every cataloger over each image. Pure: bytes in, facts out, no I/O.

use crate::binary::{self, Format};
use crate::model::{Component, FileNode, Problem, Relationship, Severity, SliceNode};

use super::{Findings, Image};

/// What the catalogers found in one file's bytes.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
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
            match super::golang::buildinfo::read_inline_anywhere(&image) {
                Ok(Some(raw)) => {
                    let mut warnings = Vec::new();
                    let info = super::golang::info_from_raw(raw, None, &mut warnings);
                    problems.extend(warnings.into_iter().map(|w| (Severity::Warning, w)));
                    super::golang::add_components(&file_id, name, &info, &mut findings);
                    findings.go = Some(info);
                }
                Ok(None) => {}
                Err(e) => problems.push((Severity::Error, e.to_string())),
            }
            super::native_meta::add_libraries_in(&file_id, name, &[&image[..]], &mut findings);
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

/// Files from this size on have their mapped pages released between catalogers; smaller
/// ones keep them (re-reading would cost more faults than the pages are worth).
const RELEASE_FROM: usize = 32 << 20;

fn analyze_plain(name: &str, data: &[u8], format: Format) -> Option<Analysis> {
    let catalogers = super::all();
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
        super::wasm::catalog(&file_id, name, data, &mut findings);
        result.slices.push(SliceNode {
            label: None,
            platform: super::wasm::reader::parse(data)
                .ok()
                .map(|m| super::wasm::platform(&m)),
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
            // What one cataloger read of a big mapped file (symbols, pclntab, byte
            // searches) need not stay resident while the next one runs.
            if slice.data.len() >= RELEASE_FROM {
                crate::spill::release(slice.data);
            }
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
