//! SBOM writers: each renders the one [`Document`](crate::model::Document) into an SBOM format
//! (SPDX 2.3 JSON and tag-value, SPDX 3.0.1, CycloneDX 1.6/1.5 JSON and XML), plus the table.
//! They share the property helpers below; which writer serves which `-o` name is
//! the business of the output dispatcher above the writers.
//!
//! Layer: writers. May use the model, the license enricher's types, image identity and
//! [`crate::json`]; never other writers.

pub mod baseline;
pub mod cyclonedx;
pub mod cyclonedx15;
pub mod cyclonedx_xml;
pub mod ids;
pub mod relpath;
pub mod spdx;
pub mod spdx3;
pub mod spdx_tag;
pub mod table;

pub use crate::json::to_json;
use crate::model::Document;

/// Facts about a file that both SBOM formats carry as properties/annotations: format,
/// platform per slice, Go toolchain, build mode, every build setting.
pub fn file_properties(file: &crate::model::FileNode) -> Vec<crate::model::Property> {
    use crate::model::Property;
    let mut props = vec![Property::new("assay:format", file.format.as_str())];
    for slice in &file.slices {
        let prefix = match &slice.label {
            Some(l) => format!("assay:slice:{l}:"),
            None => "assay:".to_string(),
        };
        if let Some(p) = &slice.platform {
            props.push(Property::new(format!("{prefix}arch"), &p.arch));
            if let Some(os) = &p.os {
                props.push(Property::new(format!("{prefix}os"), os));
            }
        }
        for p in &slice.properties {
            let name = p.name.strip_prefix("assay:").unwrap_or(&p.name);
            props.push(Property::new(format!("{prefix}{name}"), &p.value));
        }
        if let Some(go) = &slice.go {
            props.push(Property::new(
                format!("{prefix}go:version"),
                &go.go_version.raw,
            ));
            props.push(Property::new(format!("{prefix}go:mode"), go.mode));
            if !go.modinfo.path.is_empty() {
                props.push(Property::new(format!("{prefix}go:path"), &go.modinfo.path));
            }
            for s in &go.modinfo.settings {
                props.push(Property::new(
                    format!("{prefix}go:build:{}", s.key),
                    &s.value,
                ));
            }
        }
    }
    props
}

/// Where a file came from in a container image: the layer providing it and, with
/// `--scope all-layers`, the layer deleting it. Empty for plain file scans.
pub fn image_file_properties(
    doc: &Document,
    file: &crate::model::FileNode,
) -> Vec<crate::model::Property> {
    use crate::model::Property;
    let mut props = Vec::new();
    let Some(origin) = doc
        .subject
        .image
        .as_ref()
        .and_then(|i| i.files.get(&file.id))
    else {
        return props;
    };
    if let Some(l) = &origin.layer {
        props.push(Property::new("assay:image:layer", l));
    }
    if let Some(d) = &origin.deleted_by {
        props.push(Property::new("assay:image:deleted-by", d));
    }
    props
}

/// Facts about a scanned image (the root component): source, digest, platform, config
/// labels, layers. Empty for plain file scans.
pub fn image_properties(doc: &Document) -> Vec<crate::model::Property> {
    use crate::model::Property;
    let mut props = Vec::new();
    let Some(image) = &doc.subject.image else {
        return props;
    };
    props.push(Property::new("assay:image:source", image.source));
    if let Some(d) = &image.digest {
        props.push(Property::new("assay:image:digest", d));
    }
    let several = image.platforms.len() > 1;
    for p in &image.platforms {
        let prefix = if several {
            format!("assay:image:{}:", p.platform)
        } else {
            "assay:image:".to_string()
        };
        if !p.platform.is_empty() {
            props.push(Property::new(format!("{prefix}platform"), &p.platform));
        }
        if let Some(c) = &p.config_digest {
            props.push(Property::new(format!("{prefix}config"), c));
        }
        for (i, l) in p.layers.iter().enumerate() {
            props.push(Property::new(format!("{prefix}layer:{i}"), l));
        }
        for (k, v) in &p.labels {
            props.push(Property::new(format!("{prefix}label:{k}"), v));
        }
        for l in &p.loader {
            props.push(Property::new(
                format!("{prefix}loader:{}", l.name),
                &l.value,
            ));
        }
    }
    props
}

/// A component's CPE when its source records one (`assay:cpe`: os-release `CPE_NAME`).
pub(crate) fn cpe_of(c: &crate::model::Component) -> Option<&str> {
    c.properties
        .iter()
        .find(|p| p.name == "assay:cpe")
        .map(|p| p.value.as_str())
}

/// The purl of the scanned image, when the subject is one.
pub fn image_purl(doc: &Document) -> Option<String> {
    let image = doc.subject.image.as_ref()?;
    // One platform: its manifest digest is the identity (the target may have named an index).
    let (platform, digest) = match image.platforms.as_slice() {
        [one] => (
            one.platform.as_str(),
            one.manifest_digest.as_ref().or(image.digest.as_ref()),
        ),
        _ => ("", image.digest.as_ref()),
    };
    Some(crate::image::oci_purl(
        image.repository.as_deref().unwrap_or(&image.name),
        digest.map(String::as_str),
        platform,
    ))
}
