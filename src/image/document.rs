//! Turns scanned images into the one [`Document`]: the image is the root, each binary a
//! file with the layer that provides it, OS packages as components that CONTAIN the files
//! they own, and with `--all-platforms` one component per platform.

use std::collections::BTreeMap;

use super::{FileOrigin, ImageInfo, ImageTarget, Options, PlatformImage, ScannedImage, Scope};
use crate::model::{
    Component, Document, GraphBuilder, Property, RelationshipKind, Subject, ROOT_ID,
};

pub(super) fn build(
    target: &ImageTarget,
    name: String,
    digest: Option<String>,
    images: Vec<ScannedImage>,
    options: &Options,
    created: String,
) -> Document {
    let mut graph = GraphBuilder::default();
    // Library name (SONAME, file name) → file id, for DYNAMIC_LINK edges between files.
    let mut provided = BTreeMap::new();
    let several = images.len() > 1 || options.all_platforms;
    let mut info = ImageInfo {
        source: target.kind.as_str(),
        name: name.clone(),
        digest: digest.clone(),
        platforms: Vec::new(),
        files: BTreeMap::new(),
        largest_buffered_bytes: 0,
    };
    for image in images {
        let ScannedImage {
            platform,
            manifest_digest,
            config_digest,
            labels,
            layers,
            rootfs,
        } = image;
        let layer_name = |i: usize| layers.get(i).cloned();
        info.largest_buffered_bytes = info.largest_buffered_bytes.max(rootfs.largest_buffered);
        graph.count_examined(rootfs.files_seen);

        // With several platforms, each is a component the root CONTAINS and that CONTAINS
        // its files and packages.
        let parent = if several {
            let id = format!("image:{platform}");
            graph.add_component(Component {
                id: id.clone(),
                kind: crate::model::ComponentKind::ContainerImage,
                name: format!("{name} ({platform})"),
                version: manifest_digest.clone(),
                purl: oci_purl(&name, manifest_digest.as_deref(), &platform),
                ancestors: Vec::new(),
                properties: vec![Property::new("assay:image:platform", &platform)],
                occurrences: Vec::new(),
            });
            graph.relate(ROOT_ID, RelationshipKind::Contains, &id);
            id
        } else {
            ROOT_ID.to_string()
        };

        let texts = rootfs.texts();
        let (packages, package_problems) = crate::ospkg::catalog(&texts);
        package_problems.into_iter().for_each(|p| graph.problem(p));

        let mut listed: BTreeMap<&str, &str> = BTreeMap::new(); // image path → file id
        for r in &rootfs.results {
            if r.deleted_by.is_some() && options.scope == Scope::Squashed {
                continue;
            }
            let id = r.node.id.as_str();
            if r.deleted_by.is_none() {
                listed.insert(r.path.as_str(), id);
            }
            info.files.insert(
                id.to_string(),
                FileOrigin {
                    layer: layer_name(r.layer),
                    deleted_by: r.deleted_by.and_then(layer_name),
                },
            );
            if r.deleted_by.is_none() {
                for name in &r.analysis.provides {
                    provided
                        .entry(crate::model::native_lookup_key(name))
                        .or_insert_with(|| r.node.id.clone());
                }
            }
            graph.add_file(r.node.clone());
            if several {
                graph.relate(&parent, RelationshipKind::Contains, id);
            }
            r.analysis
                .components
                .iter()
                .cloned()
                .for_each(|c| graph.add_component(c));
            for rel in &r.analysis.relationships {
                graph.relate(&rel.from, rel.kind, &rel.to);
            }
            r.analysis
                .problems
                .iter()
                .cloned()
                .for_each(|p| graph.problem(p));
        }
        rootfs
            .problems
            .iter()
            .cloned()
            .for_each(|p| graph.problem(p));

        for p in &packages {
            let id = p.id();
            let mut properties = vec![Property::new("assay:package:database", &p.database)];
            if let Some(a) = &p.arch {
                properties.push(Property::new("assay:package:arch", a));
            }
            if let Some(l) = &p.license {
                properties.push(Property::new("assay:package:license", l));
            }
            if let Some(m) = &p.maintainer {
                properties.push(Property::new("assay:package:maintainer", m));
            }
            graph.add_component(Component {
                id: id.clone(),
                kind: p.kind,
                name: p.name.clone(),
                version: Some(p.version.clone()).filter(|v| !v.is_empty()),
                purl: p.purl.clone(),
                ancestors: Vec::new(),
                properties,
                occurrences: vec![rootfs.display_name(p.database.trim_start_matches('/'))],
            });
            graph.relate(&parent, RelationshipKind::Contains, &id);
            for f in &p.files {
                if let Some(file_id) = listed.get(f.as_str()) {
                    graph.relate(&id, RelationshipKind::Contains, file_id);
                }
            }
        }
        info.platforms.push(PlatformImage {
            platform,
            manifest_digest,
            config_digest,
            labels,
            layers,
            component: several.then_some(parent),
        });
    }
    // By name for now, like a directory scan; exact loader-path resolution is the seam in
    // `super::linking`.
    graph.link_native_to_files(&provided);
    // A single-platform image's digest is its manifest's when the target did not name one.
    if info.digest.is_none() && info.platforms.len() == 1 {
        info.digest = info.platforms[0].manifest_digest.clone();
    }
    let subject = Subject {
        name,
        targets: vec![target.raw.clone()],
        image: Some(info),
    };
    graph.finish(subject, created)
}

/// `pkg:oci/NAME@DIGEST?arch=…&os=…` (purl spec `oci` type; name is the last path part).
pub fn oci_purl(name: &str, digest: Option<&str>, platform: &str) -> String {
    use crate::purl::encode_segment as enc;
    let base = name
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .split([':', '@'])
        .next()
        .unwrap_or(name)
        .to_lowercase();
    let base = if base.is_empty() {
        "image".to_string()
    } else {
        base
    };
    let mut purl = format!("pkg:oci/{}", enc(&base));
    if let Some(d) = digest {
        purl.push('@');
        purl.push_str(&enc(d));
    }
    let mut parts = platform.split('/');
    let (os, arch) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut q = Vec::new();
    if !arch.is_empty() {
        q.push(format!("arch={}", enc(arch)));
    }
    if !os.is_empty() {
        q.push(format!("os={}", enc(os)));
    }
    if !q.is_empty() {
        purl.push('?');
        purl.push_str(&q.join("&"));
    }
    purl
}
