//! Telling a license from a modified copy of it, and finding the texts a detector's best
//! match leaves over.
//!
//! n-gram matching scores a modified license (an added clause, a changed title, "Version
//! 2.0.1") at 0.96–1.0 against the standard text: the score says "mostly this license", not
//! "this license". A compliance answer needs the latter, so a match is compared word by word
//! with the SPDX reference text: a run of words that appear nowhere in the reference (beyond
//! filled-in names and copyright lines) means the terms were changed.

use std::collections::HashMap;

/// A run of at least this many words absent from the reference text is a change of terms.
/// Filled-in placeholders (a project name in BSD's third clause, a copyright holder in
/// Apache's appendix) are a few words; an added clause is dozens.
pub const MIN_NOVEL_RUN: usize = 14;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// Lines that carry names, dates and URLs rather than terms.
fn is_parameter_line(line: &str) -> bool {
    let t = line.trim().to_lowercase();
    t.starts_with("copyright")
        || t.starts_with("(c)")
        || t.starts_with('©')
        || t.contains("all rights reserved")
        || t.starts_with("http")
        || t.starts_with("for ") && t.split_whitespace().count() <= 6
}

/// The longest run of words in `region` (the lines a match covers) found nowhere in
/// `reference`, and the run's words.
pub fn longest_novel_run(region: &[&str], reference: &str) -> (usize, String) {
    // 5-word windows: short legal phrases ("of the work") recur everywhere in a license, so
    // shorter windows would explain an added clause word by word.
    const N: usize = 5;
    let reference = words(reference);
    // Each window's first position in the reference.
    let mut known: HashMap<&[String], usize> = HashMap::new();
    for (i, w) in reference.windows(N).enumerate() {
        known.entry(w).or_insert(i);
    }
    let text: Vec<String> = region
        .iter()
        .filter(|l| !is_parameter_line(l))
        .flat_map(|l| words(l))
        .collect();
    let window_at: Vec<Option<usize>> = text.windows(N).map(|w| known.get(w).copied()).collect();
    // A word is explained when some window through it is in the reference.
    let explained: Vec<bool> = (0..text.len())
        .map(|i| {
            (i.saturating_sub(N - 1)..=i).any(|s| window_at.get(s).is_some_and(Option::is_some))
        })
        .collect();
    // A run counts when it sits INSIDE the reference's flow: the text before it continues
    // the reference before the text after it (an inserted or replaced clause). A run between
    // the end of one copy and the start of another, or at the region's edges, is a preface
    // or a neighbouring notice, not a change.
    let (mut best, mut best_at, mut i) = (0, 0, 0);
    while i < explained.len() {
        if explained[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < explained.len() && !explained[i] {
            i += 1;
        }
        let left = start
            .checked_sub(N)
            .and_then(|s| window_at.get(s).copied().flatten());
        let right = window_at.get(i).copied().flatten();
        let inside = matches!((left, right), (Some(l), Some(r)) if r > l);
        if inside && i - start > best {
            best = i - start;
            best_at = start;
        }
    }
    let sample = text[best_at..best_at + best].join(" ");
    (best, sample)
}

/// Whether the first lines of a matched region title it as modified ("Modified Apache 2.0
/// License").
pub fn titled_modified(region: &[&str]) -> bool {
    region
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .any(|l| {
            let t = l.to_lowercase();
            t.contains("modified") && (t.contains("license") || t.contains("licence"))
        })
}

/// Apache-2.0's own version line changed ("Version 2.0.1").
pub fn apache_version_changed(region: &[&str]) -> bool {
    region.iter().take(12).any(|l| {
        let t = l.to_lowercase();
        t.contains("version 2.0.") && !t.contains("version 2.0.\"")
    })
}

/// LGPL-3.0 is published as a short text that incorporates GPL-3.0 by reference; the SPDX
/// reference text appends GPL-3.0, so whole-text matching never recognises a plain
/// `COPYING.LESSER`. Score the text against the LGPL part of the reference alone.
pub fn lgpl3_score(text: &spdx::detection::TextData) -> f32 {
    use std::sync::OnceLock;
    static LGPL_PART: OnceLock<Option<spdx::detection::TextData>> = OnceLock::new();
    let part = LGPL_PART.get_or_init(|| {
        let full = spdx::license_id("LGPL-3.0-only")?.text();
        let end = full
            .find("GNU GENERAL PUBLIC LICENSE")
            .unwrap_or(full.len());
        Some(spdx::detection::TextData::new(&full[..end]))
    });
    part.as_ref().map(|p| p.match_score(text)).unwrap_or(0.0)
}

/// Deprecated SPDX ids the detector (or a declaration) may produce → the current id or
/// expression. GNU ids are handled by their notice (only / or-later) elsewhere.
pub fn replacement_for_deprecated(id: &str) -> Option<&'static str> {
    Some(match id {
        "BSD-2-Clause-FreeBSD" => "BSD-2-Clause-Views",
        "BSD-2-Clause-NetBSD" => "BSD-2-Clause",
        "bzip2-1.0.5" => "bzip2-1.0.6",
        "eCos-2.0" => "GPL-2.0-or-later WITH eCos-exception-2.0",
        "GPL-2.0-with-autoconf-exception" => "GPL-2.0-only WITH Autoconf-exception-2.0",
        "GPL-2.0-with-bison-exception" => "GPL-2.0-or-later WITH Bison-exception-2.2",
        "GPL-2.0-with-classpath-exception" => "GPL-2.0-only WITH Classpath-exception-2.0",
        "GPL-2.0-with-font-exception" => "GPL-2.0-only WITH Font-exception-2.0",
        "GPL-2.0-with-GCC-exception" => "GPL-2.0-only WITH GCC-exception-2.0",
        "GPL-3.0-with-autoconf-exception" => "GPL-3.0-only WITH Autoconf-exception-3.0",
        "GPL-3.0-with-GCC-exception" => "GPL-3.0-only WITH GCC-exception-3.1",
        "Nunit" => "zlib-acknowledgement",
        "StandardML-NJ" => "SMLNJ",
        "wxWindows" => "LGPL-2.0-or-later WITH WxWindows-exception-3.1",
        _ => return None,
    })
}

/// Whether `id` is a deprecated SPDX license id.
pub fn is_deprecated(id: &str) -> bool {
    spdx::license_id(id).is_some_and(|l| l.is_deprecated())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_added_clause_is_a_novel_run() {
        let reference = "Permission is hereby granted, free of charge, to any person obtaining a copy of this software, to deal in the Software without restriction.";
        let same = ["Permission is hereby granted, free of charge, to any person obtaining a copy of this software, to deal in the Software without restriction."];
        assert_eq!(longest_novel_run(&same, reference).0, 0);
        let changed = ["Permission is hereby granted, free of charge, to any person obtaining a copy of this software, provided that no part of it is ever used by any military organisation anywhere in the world for any purpose whatsoever, to deal in the Software without restriction."];
        assert!(longest_novel_run(&changed, reference).0 >= MIN_NOVEL_RUN);
    }

    #[test]
    fn deprecated_ids_have_replacements_that_are_current() {
        for id in ["BSD-2-Clause-FreeBSD", "eCos-2.0", "wxWindows", "Nunit"] {
            assert!(is_deprecated(id), "{id}");
            let r = replacement_for_deprecated(id).unwrap();
            let e = spdx::Expression::parse(r).unwrap();
            for req in e.requirements() {
                if let spdx::LicenseItem::Spdx { id, .. } = req.req.license {
                    assert!(!id.is_deprecated(), "{r}");
                }
            }
        }
    }
}
