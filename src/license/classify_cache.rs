//! License-text classification, remembered across scans: a module cache full of license
//! files is classified once, not on every scan (loading the text classifier alone costs
//! ~150 ms and tens of MB).
//!
//! Key: SHA-256 of (the classifier's identity, the text's SHA-256). The identity is assay's
//! version plus the size and modification time of the running executable, so a rebuilt
//! classifier (or license database, which is compiled in) never reads an older result.

use std::sync::OnceLock;

use super::classify::Classification;
use crate::cache::{LocalDir, Store};

const NAMESPACE: &str = "license-classifications";
/// Bound on this cache's size on disk; entries are ~100 bytes.
const MAX_BYTES: u64 = 64 << 20;

/// The cached classification of the text with SHA-256 `text_sha256`, or `classify()`'s,
/// which is then stored.
pub fn get_or_classify(
    text_sha256: &str,
    classify: impl FnOnce() -> Classification,
) -> Classification {
    let Some((store, identity)) = store() else {
        return classify();
    };
    let key = crate::hash::sha256_hex(format!("{identity}\n{text_sha256}").as_bytes());
    if let Some(hit) = store.get(NAMESPACE, &key).and_then(|b| decode(&b)) {
        return hit;
    }
    let fresh = classify();
    store.put(NAMESPACE, &key, &encode(&fresh));
    fresh
}

fn store() -> Option<&'static (LocalDir, String)> {
    static STORE: OnceLock<Option<(LocalDir, String)>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = crate::cache::dir()?;
            let exe = std::env::current_exe().ok()?.metadata().ok()?;
            let modified = exe
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?;
            let identity = format!(
                "assay {} exe {} {}",
                env!("CARGO_PKG_VERSION"),
                exe.len(),
                modified.as_nanos()
            );
            let store = LocalDir::new(dir);
            store.prune(NAMESPACE, MAX_BYTES);
            Some((store, identity))
        })
        .as_ref()
}

/// The methods a classification can name (`method` is a `&'static str`).
const METHODS: &[&str] = &[
    "spdx-identifier",
    "dual-license-statement",
    "license-title",
    "text-match",
    "text-match-segments",
    "known-text",
    "modified-text",
    "notice-statement",
    "none",
];

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    expression: Option<String>,
    confidence: f32,
    method: String,
    ambiguous: bool,
    #[serde(default)]
    variant_of: Option<String>,
}

fn encode(c: &Classification) -> Vec<u8> {
    serde_json::to_vec(&Stored {
        expression: c.expression.clone(),
        confidence: c.confidence,
        method: c.method.to_string(),
        ambiguous: c.ambiguous,
        variant_of: c.variant_of.clone(),
    })
    .unwrap_or_default()
}

/// `None` (a miss) for anything this build would not have written.
fn decode(bytes: &[u8]) -> Option<Classification> {
    let s: Stored = serde_json::from_slice(bytes).ok()?;
    let method = METHODS.iter().find(|m| **m == s.method)?;
    Some(Classification {
        expression: s.expression,
        confidence: s.confidence,
        method,
        ambiguous: s.ambiguous,
        variant_of: s.variant_of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifications_round_trip_and_unknown_methods_miss() {
        let c = Classification {
            expression: Some("MIT OR Apache-2.0".into()),
            confidence: 0.97,
            method: "text-match",
            ambiguous: false,
            variant_of: Some("Apache-2.0".into()),
        };
        assert_eq!(decode(&encode(&c)), Some(c));
        assert_eq!(
            decode(br#"{"expression":null,"confidence":0,"method":"x","ambiguous":false}"#),
            None
        );
        assert_eq!(decode(b"{"), None);
    }
}
