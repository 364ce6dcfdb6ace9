//! The per-image cache: the document an image scan assembles (the merged filesystem's
//! files, components and relationships, package ownership, the loader model's links and
//! findings) is a pure function of assay's build, the scan options that change cataloguing
//! and the image's verified digests, so a repeated scan of the same image reads it back
//! instead of replaying every layer and assembling the document again. See
//! docs/performance.md ("Caches").
//!
//! What is NOT in an entry: everything the command line adds after the image pipeline
//! (licenses and license findings, which depend on the module cache and `--licenses`;
//! `--author` & co.; the output format) runs on every scan, and the document's `created`
//! time (`SOURCE_DATE_EPOCH`) is stored empty and set by the scan that reads the entry.
//!
//! Key: SHA-256 of (the build identity, this entry format, the target as written and its
//! kind, the names and digests the document records, the options: platform, all platforms,
//! scope, whether the loader pass runs; per platform image: the manifest digest, the config
//! digest and size, and each layer's verified digest and size in order; notes the source
//! made while planning). Every other input of the document is fixed by those digests
//! (manifests and configs were verified against them; layers are verified as they stream,
//! and only a scan that verified all of them stores an entry).

use crate::cache::{LocalDir, Store};
use crate::model::Document;

use super::{ImageTarget, Options, PlannedImage, Scope};

const NAMESPACE: &str = "image-documents";
/// Bound on this cache's size on disk; least recently used images go first. An entry is
/// about the size of assay's `-o json` output for the image (a few MiB for thousands of
/// files and packages).
const MAX_BYTES: u64 = 512 << 20;
const FORMAT: &str = "assay-image-document-v1";

/// What the image document is a function of, besides the layers' contents.
pub struct Inputs<'a> {
    pub target: &'a ImageTarget,
    /// The subject's display name, the target's digest and its repository reference.
    pub name: &'a str,
    pub digest: Option<&'a str>,
    pub reference: Option<&'a str>,
    /// Problems the source noted while planning (a docker-archive's missing OCI index).
    pub notes: &'a [String],
    pub plans: &'a [PlannedImage],
    /// Whether file names carry the platform prefix (`--all-platforms` where it applies).
    pub prefixed: bool,
    pub options: &'a Options,
}

/// An entry's address in the store, or nothing when caching is off.
pub struct Key(String);

fn store() -> Option<&'static (LocalDir, String)> {
    static STORE: std::sync::OnceLock<Option<(LocalDir, String)>> = std::sync::OnceLock::new();
    STORE
        .get_or_init(|| crate::cache::open(NAMESPACE, MAX_BYTES))
        .as_ref()
}

pub fn key(inputs: &Inputs<'_>) -> Option<Key> {
    let (_, identity) = store()?;
    Some(Key(key_for(identity, inputs)))
}

fn key_for(identity: &str, i: &Inputs<'_>) -> String {
    let images: Vec<serde_json::Value> = i
        .plans
        .iter()
        .map(|p| {
            serde_json::json!({
                "manifest": p.manifest_digest,
                "config": [p.config.digest, p.config.size],
                "verify_diff_ids": p.verify_diff_ids,
                "layers": p.layers.iter().map(|l| (&l.digest, l.size)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let described = serde_json::json!({
        "format": FORMAT,
        "identity": identity,
        "kind": i.target.kind.as_str(),
        "target": i.target.raw,
        "name": i.name,
        "digest": i.digest,
        "reference": i.reference,
        "notes": i.notes,
        "platform": i.options.platform.as_ref().map(|p| p.to_string()),
        "all_platforms": i.options.all_platforms,
        "prefixed": i.prefixed,
        "scope": match i.options.scope {
            Scope::Squashed => "squashed",
            Scope::AllLayers => "all-layers",
        },
        "rootfs_pass": i.options.rootfs_pass.is_some(),
        "images": images,
    });
    crate::hash::sha256_hex(described.to_string().as_bytes())
}

/// The stored document for `key`, with `created` set; `None` on a miss or an entry this
/// build cannot read (it is then rebuilt by the scan).
pub fn get(key: &Key, created: &str) -> Option<Document> {
    let (store, _) = store()?;
    let mut doc = decode(&store.get(NAMESPACE, &key.0)?)?;
    doc.created = created.to_string();
    Some(doc)
}

/// Stores the document an image scan assembled (call only once every layer was verified).
/// The entry holds it with an empty `created`, so every scan of the image writes the same
/// bytes whatever its time.
pub fn put(key: &Key, doc: &mut Document) {
    let Some((store, _)) = store() else {
        return;
    };
    if let Some(bytes) = encode(doc) {
        store.put(NAMESPACE, &key.0, &bytes);
    }
}

/// The format line, a newline, the document as JSON with an empty `created`.
fn encode(doc: &mut Document) -> Option<Vec<u8>> {
    let created = std::mem::take(&mut doc.created);
    let mut out = format!("{FORMAT}\n").into_bytes();
    let written = serde_json::to_writer(&mut out, &*doc);
    doc.created = created;
    written.ok()?;
    Some(out)
}

fn decode(bytes: &[u8]) -> Option<Document> {
    let body = bytes.strip_prefix(FORMAT.as_bytes())?.strip_prefix(b"\n")?;
    let doc: Document = serde_json::from_slice(body).ok()?;
    // The key names the build; this guards against an entry copied between builds.
    (doc.tool.version == env!("CARGO_PKG_VERSION")).then_some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_undated_and_damaged_ones_are_refused() {
        let mut graph = crate::model::GraphBuilder::default();
        graph.count_examined(3);
        let subject = crate::model::Subject {
            name: "img".into(),
            targets: vec!["oci-dir:img".into()],
            image: None,
        };
        let mut doc = graph.finish(subject, "2023-11-14T22:13:20Z".into());
        let bytes = encode(&mut doc).unwrap();
        assert_eq!(doc.created, "2023-11-14T22:13:20Z");
        assert!(!String::from_utf8_lossy(&bytes).contains("2023-11-14"));
        let mut back = decode(&bytes).unwrap();
        assert_eq!(back.created, "");
        back.created = doc.created.clone();
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&doc).unwrap()
        );
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(&bytes[FORMAT.len()..]).is_none());
        assert!(decode(b"").is_none());
    }

    /// Every input the document depends on moves the key; the layers' order too.
    #[test]
    fn every_input_changes_the_key() {
        let descriptor = |digest: &str, size: u64| super::super::manifest::Descriptor {
            media_type: String::new(),
            digest: digest.into(),
            size,
            platform: None,
            annotations: Default::default(),
        };
        let plan = |layers: &[&str]| PlannedImage {
            manifest_digest: Some("sha256:m".into()),
            config: descriptor("sha256:c", 10),
            layers: layers.iter().map(|l| descriptor(l, 5)).collect(),
            verify_diff_ids: false,
        };
        let target = ImageTarget::parse("oci-dir:/nonexistent/img:v1")
            .unwrap()
            .unwrap();
        let other_target = ImageTarget::parse("oci-dir:/nonexistent/img:v2")
            .unwrap()
            .unwrap();
        let options = Options::default();
        let plans = vec![plan(&["sha256:a", "sha256:b"])];
        let base = Inputs {
            target: &target,
            name: "img:v1",
            digest: None,
            reference: None,
            notes: &[],
            plans: &plans,
            prefixed: false,
            options: &options,
        };
        let key = |i: &Inputs<'_>| key_for("build 1", i);
        let reference = key(&base);
        assert_eq!(key(&base), reference, "a pure function of its inputs");
        assert_ne!(key_for("build 2", &base), reference);

        let swapped = vec![plan(&["sha256:b", "sha256:a"])];
        let mut resized = vec![plan(&["sha256:a", "sha256:b"])];
        resized[0].layers[1].size = 6;
        let mut diff_ids = vec![plan(&["sha256:a", "sha256:b"])];
        diff_ids[0].verify_diff_ids = true;
        let mut config = vec![plan(&["sha256:a", "sha256:b"])];
        config[0].config.digest = "sha256:d".into();
        let mut manifest = vec![plan(&["sha256:a", "sha256:b"])];
        manifest[0].manifest_digest = None;
        for plans in [&swapped, &resized, &diff_ids, &config, &manifest] {
            assert_ne!(key(&Inputs { plans, ..base }), reference);
        }
        let all_layers = Options {
            scope: Scope::AllLayers,
            ..Options::default()
        };
        let all_platforms = Options {
            all_platforms: true,
            ..Options::default()
        };
        let platform = Options {
            platform: Some(crate::image::PlatformSpec {
                os: "linux".into(),
                arch: "arm64".into(),
                variant: None,
            }),
            ..Options::default()
        };
        fn pass(
            _: &crate::image::Rootfs,
            _: &std::collections::BTreeMap<&str, &[u8]>,
            _: &std::collections::BTreeMap<String, String>,
            _: &mut crate::model::GraphBuilder,
        ) -> Vec<crate::model::Property> {
            Vec::new()
        }
        let loader = Options {
            rootfs_pass: Some(pass),
            ..Options::default()
        };
        for options in [&all_layers, &all_platforms, &platform, &loader] {
            assert_ne!(key(&Inputs { options, ..base }), reference);
        }
        let notes = ["no OCI index".to_string()];
        let changed = [
            key(&Inputs {
                target: &other_target,
                ..base
            }),
            key(&Inputs {
                name: "img:v2",
                ..base
            }),
            key(&Inputs {
                digest: Some("sha256:x"),
                ..base
            }),
            key(&Inputs {
                reference: Some("example.org/img:v1"),
                ..base
            }),
            key(&Inputs {
                notes: &notes,
                ..base
            }),
            key(&Inputs {
                prefixed: true,
                ..base
            }),
        ];
        for k in changed {
            assert_ne!(k, reference);
        }
    }
}
