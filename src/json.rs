//! JSON helpers every writer and reader shares: deterministic pretty printing, and tolerant
//! field access for documents read from outside (SBOMs given to `diff`).

/// Pretty JSON with two-space indentation; serde_json keeps struct field order, and every
/// collection in the model is sorted, so the bytes are deterministic.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// A string field of a JSON object, if present and a string (SBOMs read by `diff` and the
/// derived writers are untrusted: wrong types are skipped, never a panic).
pub fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(serde_json::Value::as_str)
}

/// An array field of a JSON object, empty when absent or not an array.
pub fn array_of<'a>(v: &'a serde_json::Value, key: &str) -> &'a [serde_json::Value] {
    v.get(key)
        .and_then(serde_json::Value::as_array)
        .map_or(&[], Vec::as_slice)
}
