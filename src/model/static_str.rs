//! Reading back `&'static str` fields (rule names, methods, sources: a small fixed set of
//! constants) from a cache entry: each distinct string is leaked once and shared, so
//! reading many entries does not grow memory beyond the set of distinct values.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde::Deserialize;

pub fn intern<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = seen.get(s.as_str()) {
        return Ok(known);
    }
    let leaked: &'static str = Box::leak(s.into_boxed_str());
    seen.insert(leaked);
    Ok(leaked)
}

/// `&'static str` under another name: serde's derive borrows fields spelled `&str` from
/// the input (here requiring `'de: 'static`) even with `deserialize_with`; through this
/// alias the field is read by [`intern`] from any input.
pub type StaticStr = &'static str;
