//! Third-party inventories in Markdown license files (modernc.org/sqlite's
//! `LICENSE-3RD-PARTY.md`): sections that list what a binary never contains — components
//! "used only by the test suite", "in the module graph, not compiled into anything",
//! material "outside any build" — and the appendix license texts only those sections refer
//! to are not the module's license. Without this, the Apache-2.0 of a test-only dependency
//! and the MPL-2.0 of a module that is never compiled became part of sqlite's license.
//!
//! Only headings decide (`## 2. Components used only by the test suite`); a file without
//! such a heading is left as it is.

use std::borrow::Cow;

/// Heading words that say a section's components are not in a built program.
const NOT_BUILT: &[&str] = &[
    "used only by the test",
    "only used by the test",
    "test suite",
    "not compiled",
    "outside any build",
    "not linked",
];

/// `text` with the lines of not-built sections, and of appendix texts only they refer to,
/// blanked (line count kept, so line ranges stay meaningful).
pub fn without_unbuilt_sections(text: &str) -> Cow<'_, str> {
    let lines: Vec<&str> = text.lines().collect();
    let headings: Vec<(usize, usize, String)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_start();
            let level = t.chars().take_while(|c| *c == '#').count();
            (level > 0 && t[level..].starts_with(' '))
                .then(|| (i, level, t[level..].trim().to_ascii_lowercase()))
        })
        .collect();
    if !headings
        .iter()
        .any(|(_, _, h)| NOT_BUILT.iter().any(|p| h.contains(p)))
    {
        return Cow::Borrowed(text);
    }
    // Each heading's extent: up to the next heading of the same or a higher level.
    let extent = |k: usize| -> (usize, usize) {
        let (start, level, _) = &headings[k];
        let end = headings[k + 1..]
            .iter()
            .find(|(_, l, _)| l <= level)
            .map_or(lines.len(), |(i, _, _)| *i);
        (*start, end)
    };
    let mut excluded = vec![false; lines.len()];
    for (k, (_, _, h)) in headings.iter().enumerate() {
        if NOT_BUILT.iter().any(|p| h.contains(p)) {
            let (s, e) = extent(k);
            excluded[s..e].iter_mut().for_each(|x| *x = true);
        }
    }
    // Anchors (`[L9](#L9)`) referred to from the kept lines and from the excluded ones.
    let mut kept_refs: Vec<String> = Vec::new();
    let mut excluded_refs: Vec<String> = Vec::new();
    for (line, ex) in lines.iter().zip(&excluded) {
        for label in anchors(line) {
            let refs = if *ex {
                &mut excluded_refs
            } else {
                &mut kept_refs
            };
            if !refs.contains(&label) {
                refs.push(label);
            }
        }
    }
    // Appendix entries (`### L9: Apache-2.0`) only the excluded sections refer to.
    for (k, (_, _, h)) in headings.iter().enumerate() {
        let label = h.split(':').next().unwrap_or("").trim().to_string();
        if h.contains(':')
            && !label.is_empty()
            && !label.contains(' ')
            && excluded_refs.contains(&label)
            && !kept_refs.contains(&label)
        {
            let (s, e) = extent(k);
            excluded[s..e].iter_mut().for_each(|x| *x = true);
        }
    }
    let kept: Vec<&str> = lines
        .iter()
        .zip(&excluded)
        .map(|(l, ex)| if *ex { "" } else { *l })
        .collect();
    Cow::Owned(kept.join("\n"))
}

/// Lower-case anchor labels of Markdown links to this file (`(#l9)`) in `line`.
fn anchors(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("(#") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let label = &rest[..end];
        if !label.is_empty() && label.len() <= 40 && !label.contains(' ') {
            out.push(label.to_ascii_lowercase());
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_built_sections_and_their_texts_are_blanked() {
        let text = "# Third-Party Licenses\n\n## 1. Components linked into your program\n\n| a | MIT | [L1](#L1) |\n\n## 2. Components used only by the test suite\n\n| b | Apache-2.0 | [L9](#L9), [L1](#L1) |\n\n## Appendix A: license texts\n\n### L1: MIT\n\nMIT TEXT\n\n### L9: Apache-2.0\n\nAPACHE TEXT\n";
        let out = without_unbuilt_sections(text);
        assert!(out.contains("MIT TEXT"));
        assert!(!out.contains("APACHE TEXT"));
        assert!(!out.contains("| b |"));
        assert_eq!(out.split('\n').count(), text.lines().count());
        // No such heading: unchanged.
        let plain = "# License\n\nMIT TEXT\n";
        assert!(matches!(without_unbuilt_sections(plain), Cow::Borrowed(_)));
    }
}
