//! Turns scanned images into the one [`Document`]: the image is the root, each binary a
//! file with the layer that provides it, OS packages as components that CONTAIN the files
//! they own, and with `--all-platforms` one component per platform.

use std::collections::BTreeMap;

use super::{
    identity, ownership, FileOrigin, ImageInfo, ImageTarget, Options, PlatformImage, ScannedImage,
    Scope,
};
use crate::model::{
    Component, Document, GraphBuilder, Property, RelationshipKind, Subject, ROOT_ID,
};

pub(super) fn build(
    target: &ImageTarget,
    name: String,
    digest: Option<String>,
    repository: Option<String>,
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
        repository: repository.clone(),
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
            loader_env,
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
                purl: oci_purl(
                    repository.as_deref().unwrap_or(&name),
                    manifest_digest.as_deref(),
                    &platform,
                ),
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
        let file_index = rootfs.file_index();
        let index = |path: &str| match file_index.lookup(path) {
            super::linking::Lookup::Found(p) => Some(p),
            _ => None,
        };
        let (packages, package_problems) = crate::catalog::ospkg::catalog(&texts);
        package_problems.into_iter().for_each(|p| graph.problem(p));
        let os = crate::catalog::ospkg::OsRelease::find(&texts);
        if let Some(c) = ownership::os_component(&os, &|p| rootfs.display_name(p)) {
            graph.relate(&parent, RelationshipKind::Contains, &c.id);
            graph.add_component(c);
        }
        let mapper = ownership::PathMapper::new(rootfs.symlinks());
        let (owners, unplaced) = ownership::owners(&packages, &mapper);
        unplaced.into_iter().for_each(|p| graph.problem(p));
        // Package index → evidence its files carry about it (`.note.package`, version strings).
        let mut evidence: BTreeMap<usize, Vec<Property>> = BTreeMap::new();
        let mut owned: Vec<(usize, &str)> = Vec::new();

        for r in &rootfs.results {
            if r.deleted_by.is_some() && options.scope == Scope::Squashed {
                continue;
            }
            let id = r.node.id.as_str();
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
            // A deleted file (`--scope all-layers`) keeps the owner its path had.
            let owner = owners.get(r.path.as_str()).copied();
            let mut folded = std::collections::BTreeSet::new();
            for c in &r.analysis.components {
                match owner {
                    Some(i) if ownership::is_package_evidence(c) => {
                        evidence
                            .entry(i)
                            .or_default()
                            .push(ownership::evidence_property(c, &r.node.name));
                        folded.insert(c.id.as_str());
                    }
                    _ => graph.add_component(c.clone()),
                }
            }
            if let Some(i) = owner {
                owned.push((i, id));
            }
            for rel in &r.analysis.relationships {
                if !folded.contains(rel.to.as_str()) {
                    graph.relate(&rel.from, rel.kind, &rel.to);
                }
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
        // DT_NEEDED to the file the image's own loader would pick (the loader model).
        let loader = match options.rootfs_pass {
            Some(pass) => pass(&rootfs, &texts, &loader_env, &mut graph),
            None => Vec::new(),
        };

        for (i, p) in packages.iter().enumerate() {
            let id = p.id();
            let mut properties = vec![Property::new("assay:package:database", &p.database)];
            if let Some(a) = &p.arch {
                properties.push(Property::new("assay:package:arch", a));
            }
            if let Some(l) = &p.license {
                properties.push(Property::new("assay:package:license", l));
            } else if p.kind == crate::model::ComponentKind::DebPackage {
                properties.extend(crate::catalog::ospkg::copyright::package_properties(
                    &p.name, &texts, &index,
                ));
            }
            if let Some(s) = &p.source {
                properties.push(Property::new("assay:package:source", s));
            }
            properties.extend(evidence.remove(&i).unwrap_or_default());
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
        }
        for (i, file_id) in owned {
            if let Some(p) = packages.get(i) {
                graph.relate(&p.id(), RelationshipKind::Contains, file_id);
            }
        }
        for (from, to) in crate::catalog::ospkg::resolve_depends(&packages) {
            graph.relate(&from, RelationshipKind::DependsOn, &to);
        }
        info.platforms.push(PlatformImage {
            platform,
            manifest_digest,
            config_digest,
            labels,
            layers,
            loader,
            component: several.then_some(parent),
        });
    }
    // What the loader model left (PE, Mach-O, names it did not decide) links by name.
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

/// `pkg:oci/NAME@DIGEST?arch=…&os=…&repository_url=…` (purl spec `oci` type; NAME is the
/// repository's last part, [`super::identity`]). `repository_or_path` is the repository when
/// the input records one, else the target's path.
pub fn oci_purl(repository_or_path: &str, digest: Option<&str>, platform: &str) -> String {
    use crate::purl::encode_segment as enc;
    let mut purl = format!("pkg:oci/{}", enc(&identity::purl_name(repository_or_path)));
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
    if identity::names_registry(repository_or_path) {
        q.push(format!("repository_url={}", enc(repository_or_path)));
    }
    if !q.is_empty() {
        purl.push('?');
        purl.push_str(&q.join("&"));
    }
    purl
}
