//! Puts the loader's answers into the document of an image or root filesystem: DT_NEEDED
//! edges point at the file the loader picks, a library it cannot find becomes a
//! `native-missing:` component marked `assay:loader:status = not-found`, and the findings
//! and configuration problems are recorded.

use std::collections::BTreeMap;

use super::{analyse, RootObject, Target};
use crate::image::linking::Lookup;
use crate::image::Rootfs;
use crate::model::{
    Component, ComponentKind, GraphBuilder, Problem, Property, RelationshipKind, Severity,
};

pub use crate::model::loader::STATUS_PROPERTY;

/// Runs as the image scan's rootfs pass ([`crate::image::Options::rootfs_pass`]); returns
/// the properties the platform image gets (environment, assumptions, what they changed).
pub fn apply(
    rootfs: &Rootfs,
    texts: &BTreeMap<&str, &[u8]>,
    env_vars: &BTreeMap<String, String>,
    graph: &mut GraphBuilder,
) -> Vec<Property> {
    let index = rootfs.file_index();
    let objects: BTreeMap<&str, RootObject<'_>> = rootfs
        .results
        .iter()
        .filter(|r| r.deleted_by.is_none())
        .filter_map(|r| {
            let facts = r.loader.as_deref()?;
            Some((
                r.path.as_str(),
                RootObject {
                    file_id: r.node.id.as_str(),
                    name: r.node.name.as_str(),
                    facts,
                },
            ))
        })
        .collect();
    let names: BTreeMap<&str, &str> = objects.values().map(|o| (o.file_id, o.name)).collect();
    let env = super::env::LoaderEnv::from_vars(env_vars);
    let outcome = analyse(&index, texts, &objects, &env);
    for link in &outcome.links {
        let old = format!("native:{}", link.needed);
        // musl answers libc & co. with its loader: that file, or nothing when it is missing.
        let to = match &link.to {
            Target::Loader(path) => match index.file(path) {
                Lookup::Found(c) => match index.file_id(&c) {
                    Some(id) => Target::File(id.to_string()),
                    None => continue,
                },
                _ => Target::NotFound,
            },
            other => other.clone(),
        };
        let new = match &to {
            Target::File(id) => id.clone(),
            Target::Loader(_) | Target::Path(_) => continue,
            Target::NotFound => {
                let id = format!("native-missing:{}", link.needed);
                graph.add_component(Component {
                    id: id.clone(),
                    kind: ComponentKind::NativeLibrary,
                    name: link.needed.clone(),
                    version: None,
                    purl: String::new(),
                    ancestors: Vec::new(),
                    properties: vec![Property::new(STATUS_PROPERTY, "not-found")],
                    occurrences: names
                        .get(link.from.as_str())
                        .map(|n| vec![n.to_string()])
                        .unwrap_or_default(),
                });
                id
            }
        };
        if new != link.from {
            graph.retarget(&link.from, RelationshipKind::DynamicLink, &old, &new);
        }
    }
    for (path, message) in outcome.problems {
        graph.problem(Problem {
            path: rootfs.display_name(path.trim_start_matches('/')),
            severity: Severity::Warning,
            message,
        });
    }
    for f in outcome.findings {
        graph.loader_finding(f);
    }
    // Notes grow with the image; a bounded number is kept (sorted, so the same ones).
    let mut properties: Vec<Property> = outcome
        .properties
        .into_iter()
        .take(MAX_PROPERTIES)
        .map(|(k, v)| Property::new(k, v))
        .collect();
    properties.dedup();
    properties
}

/// Loader properties given to one platform image at most.
const MAX_PROPERTIES: usize = 200;
