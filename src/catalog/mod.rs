//! Catalogers: each turns one parsed object image into facts, components and relationships.
//! They share nothing but this interface, so a new ecosystem is one more implementation.
//!
//! Layer: catalogers, one folder per ecosystem (Go, Rust, native linking, C/C++ build
//! metadata, wasm, OS package databases) plus the per-file analysis ([`analyze`]) that directory
//! and image scans share. May use the inputs ([`crate::binary`], [`crate::upx`]), the model and
//! the helpers (`hash`, `purl`); never the pipelines, enrichers, checks or writers above.

pub mod analyze;
pub mod dwarf;
pub mod golang;
pub mod native;
pub mod native_meta;
pub mod ospkg;
pub mod rust;
pub mod wasm;

use crate::model::{Component, Problem, Relationship, RelationshipKind, Severity};

/// One object image handed to every cataloger.
pub struct Image<'a, 'data> {
    /// Id of the file node the image belongs to (relationships start here).
    pub file_id: &'a str,
    /// Scan-relative name of the file, for occurrences and messages.
    pub file_name: &'a str,
    /// Slice label (architecture of a fat slice, archive member), if any.
    pub label: Option<&'a str>,
    pub object: &'a object::File<'data>,
    /// The image's raw bytes (for searches that cannot rely on section headers).
    pub data: &'data [u8],
    /// The DWARF summary, read on first use and shared by the catalogers that need it.
    pub dwarf: std::cell::OnceCell<Option<crate::catalog::dwarf::DwarfSummary>>,
}

impl Image<'_, '_> {
    /// The image's DWARF summary (`None` without `.debug_info`), read once.
    pub fn dwarf(&self) -> Option<&crate::catalog::dwarf::DwarfSummary> {
        self.dwarf
            .get_or_init(|| crate::catalog::dwarf::summarize(self.object))
            .as_ref()
    }
}

/// What catalogers found in one image.
#[derive(Default)]
pub struct Findings {
    pub go: Option<crate::catalog::golang::GoInfo>,
    /// Facts about the image itself (build-id, packer, the glibc floor), shown on the file.
    pub properties: Vec<crate::model::Property>,
    pub components: Vec<Component>,
    pub relationships: Vec<Relationship>,
    pub problems: Vec<Problem>,
    /// Names other binaries use to link this image (SONAME, install name, file name).
    pub provides: Vec<String>,
}

impl Findings {
    pub fn relate(&mut self, from: &str, kind: RelationshipKind, to: &str) {
        self.relationships.push(Relationship {
            from: from.to_string(),
            kind,
            to: to.to_string(),
        });
    }

    pub fn problem(&mut self, image: &Image<'_, '_>, severity: Severity, message: String) {
        let message = match image.label {
            Some(label) => format!("[{label}] {message}"),
            None => message,
        };
        self.problems.push(Problem {
            path: image.file_name.to_string(),
            severity,
            message,
        });
    }
}

pub trait Cataloger: Sync {
    /// Short name, used in `--catalogers` and in messages.
    fn name(&self) -> &'static str;
    fn catalog(&self, image: &Image<'_, '_>, out: &mut Findings);
}

/// Every cataloger assay ships, in the order they run.
pub fn all() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(crate::catalog::golang::GoCataloger),
        Box::new(crate::catalog::native::NativeCataloger),
        Box::new(crate::catalog::rust::RustCataloger),
        Box::new(crate::catalog::native_meta::BuildMetadataCataloger),
    ]
}
