//! CycloneDX 1.5 JSON for consumers that do not read 1.6 yet: the 1.6 BOM from
//! [`super::cyclonedx::bom`], with the constructs 1.5 lacks adapted or dropped.
//!
//! What changes (everything assay writes today is 1.5-compatible except `specVersion`; the rest
//! covers what other writers may add): license `acknowledgement` (1.6) is dropped; a 1.6
//! `evidence.identity` array becomes the single 1.5 object (the first entry); `omniborId`,
//! `swhid`, `authors`, `manufacturer` and `tags` on components (1.6) are dropped, and
//! `metadata.manufacturer` (1.6) likewise.

use serde_json::{json, Value};

use crate::model::Document;

pub const SPEC_VERSION: &str = "1.5";

pub fn render(doc: &Document) -> String {
    super::to_json(&downgrade(super::cyclonedx::bom(doc)))
}

/// Turns a CycloneDX 1.6 JSON BOM into 1.5.
pub fn downgrade(mut bom: Value) -> Value {
    bom["specVersion"] = json!(SPEC_VERSION);
    if let Some(meta) = bom.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("manufacturer");
        if let Some(c) = meta.get_mut("component") {
            component(c);
        }
        if let Some(tools) = meta
            .get_mut("tools")
            .and_then(|t| t.get_mut("components"))
            .and_then(Value::as_array_mut)
        {
            tools.iter_mut().for_each(component);
        }
        if let Some(l) = meta.get_mut("licenses") {
            licenses(l);
        }
    }
    if let Some(list) = bom.get_mut("components").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(component);
    }
    if let Some(list) = bom.get_mut("annotations").and_then(Value::as_array_mut) {
        for a in list {
            if let Some(c) = a.get_mut("annotator").and_then(|x| x.get_mut("component")) {
                component(c);
            }
        }
    }
    // The serial number stays: it names this BOM's content, which is the same content.
    bom
}

fn component(c: &mut Value) {
    let Some(obj) = c.as_object_mut() else {
        return;
    };
    for key in ["omniborId", "swhid", "authors", "manufacturer", "tags"] {
        obj.remove(key);
    }
    if let Some(l) = obj.get_mut("licenses") {
        licenses(l);
    }
    if let Some(evidence) = obj.get_mut("evidence").and_then(Value::as_object_mut) {
        if let Some(Value::Array(identities)) = evidence.get("identity") {
            match identities.first().cloned() {
                Some(first) => evidence.insert("identity".into(), first),
                None => evidence.remove("identity"),
            };
        }
        if let Some(l) = evidence.get_mut("licenses") {
            licenses(l);
        }
    }
    if let Some(pedigree) = obj.get_mut("pedigree").and_then(Value::as_object_mut) {
        for key in ["ancestors", "descendants", "variants"] {
            if let Some(list) = pedigree.get_mut(key).and_then(Value::as_array_mut) {
                list.iter_mut().for_each(component);
            }
        }
    }
    if let Some(list) = obj.get_mut("components").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(component);
    }
}

fn licenses(list: &mut Value) {
    for choice in list.as_array_mut().into_iter().flatten() {
        if let Some(obj) = choice.as_object_mut() {
            obj.remove("acknowledgement");
            if let Some(l) = obj.get_mut("license").and_then(Value::as_object_mut) {
                l.remove("acknowledgement");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn drops_what_1_5_lacks() {
        let bom = json!({
            "specVersion": "1.6",
            "components": [{
                "name": "x", "omniborId": ["gitoid:blob:sha1:00"],
                "licenses": [{"license": {"id": "MIT", "acknowledgement": "declared"}},
                             {"expression": "MIT", "acknowledgement": "concluded"}],
                "evidence": {"identity": [{"field": "purl", "confidence": 1}]},
            }],
        });
        let out = super::downgrade(bom);
        assert_eq!(out["specVersion"], "1.5");
        let c = &out["components"][0];
        assert!(c.get("omniborId").is_none());
        assert_eq!(
            c["licenses"],
            json!([{"license": {"id": "MIT"}}, {"expression": "MIT"}])
        );
        assert_eq!(
            c["evidence"]["identity"],
            json!({"field": "purl", "confidence": 1})
        );
    }
}
