//! The native cataloger: each linked library becomes a component the file DYNAMIC_LINKs
//! (re-pointed at the library's own file when the scan contains it), and the version floors
//! of the imports become slice properties.

use object::Object;

use super::read_links;
use crate::catalog::{Cataloger, Findings, Image};
use crate::model::{Component, ComponentKind, Property, RelationshipKind, Severity};

pub struct NativeCataloger;

impl Cataloger for NativeCataloger {
    fn name(&self) -> &'static str {
        "native"
    }

    fn catalog(&self, image: &Image<'_, '_>, out: &mut Findings) {
        // Relocatable objects (archive members) are not loaded by a dynamic linker.
        if image.object.kind() == object::ObjectKind::Relocatable {
            return;
        }
        let linkage = read_links(image.object);
        for p in &linkage.problems {
            out.problem(image, Severity::Warning, format!("native linkage: {p}"));
        }
        for lib in &linkage.libraries {
            let id = format!("native:{}", lib.name);
            out.components.push(Component {
                id: id.clone(),
                kind: ComponentKind::NativeLibrary,
                name: lib.name.clone(),
                version: None,
                purl: String::new(),
                ancestors: Vec::new(),
                properties: Vec::new(),
                occurrences: vec![image.file_name.to_string()],
            });
            out.relate(image.file_id, RelationshipKind::DynamicLink, &id);
        }
        if let Some(id) = &linkage.id {
            out.provides.push(id.name.clone());
            out.properties
                .push(Property::new("assay:native:id", &id.name));
        }
        if let Some(base) = image.file_name.rsplit(['/', '\\']).next() {
            out.provides.push(base.to_string());
        }
        for floor in &linkage.version_floors {
            out.properties.push(Property::new(
                format!("assay:native:version-floor:{}", floor.library),
                &floor.version,
            ));
            if floor.library.starts_with("libc.so") {
                if let Some(v) = floor.version.strip_prefix("GLIBC_") {
                    out.properties
                        .push(Property::new("assay:native:glibc-floor", v));
                }
            }
        }
    }
}
