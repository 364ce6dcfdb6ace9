//! License text → SPDX expression, with the spdx crate's detection (a port of askalono) and
//! guards for its measured pitfalls (see shared notes): explicit `SPDX-License-Identifier:`
//! lines and dual-license statements win over text matching; Apache-2.0 without its appendix
//! is not Pixar; two BSD texts are not Sleepycat; GPL "only" vs "or later" is read from the
//! notice, not the license body; several licenses in one file stay an expression.

use std::sync::OnceLock;

use serde::Serialize;
use spdx::detection::{scan::Scanner, Store};

use super::db::LicenseDb;
use super::expr::LicenseExpr;
use crate::model::license::join_expressions;

/// Matches below this are not reported at all.
pub const MIN_SCORE: f32 = 0.8;
/// Matches below this (but above [`MIN_SCORE`]) are reported as ambiguous.
pub const CONFIDENT_SCORE: f32 = 0.9;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// SPDX expression, `None` when nothing matched well enough.
    pub expression: Option<String>,
    pub confidence: f32,
    /// `spdx-identifier`, `dual-license-statement`, `text-match`, `none`.
    pub method: &'static str,
    /// Score between 0.8 and 0.9, or several licenses in one file: worth a `clarify`.
    pub ambiguous: bool,
    /// For a modified license text (reported as a `LicenseRef-`): the license it was
    /// modified from and the first words that differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_of: Option<String>,
}

impl Classification {
    fn none() -> Classification {
        Classification {
            expression: None,
            confidence: 0.0,
            method: "none",
            ambiguous: false,
            variant_of: None,
        }
    }
}

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    // The inline cache is compiled into the spdx crate; failing to decode it is a build defect.
    STORE.get_or_init(|| Store::load_inline().expect("spdx crate's inline license cache decodes"))
}

/// Classifies one license file's text.
pub fn classify_text(text: &str, db: &LicenseDb) -> Classification {
    // A third-party inventory's sections about what is never built are not the license
    // (see super::inventory). A `LicenseRef-assay-` names the file's own text, so one found
    // in the reduced text is looked for in the whole file instead.
    if let std::borrow::Cow::Owned(built) = super::inventory::without_unbuilt_sections(text) {
        let c = classify_whole_text(&built, db);
        if !c
            .expression
            .as_deref()
            .is_some_and(|e| e.contains("LicenseRef-assay-"))
        {
            return c;
        }
    }
    classify_whole_text(text, db)
}

fn classify_whole_text(text: &str, db: &LicenseDb) -> Classification {
    if let Some(c) = from_identifier_lines(text, db) {
        return c;
    }
    if let Some(c) = from_dual_license_statement(text) {
        return c;
    }
    let matched = from_text_match(text);
    let matched = with_linking_exception(text, matched);
    if matched.expression.is_some() {
        return matched;
    }
    from_keywords(text).unwrap_or(matched)
}

/// Licenses whose texts carry parameters (names, dates, use grants) that defeat n-gram
/// matching, recognised by their title in the first lines.
fn from_keywords(text: &str) -> Option<Classification> {
    const TITLES: &[(&str, &str)] = &[
        ("business source license", "BUSL-1.1"),
        ("server side public license", "SSPL-1.0"),
        ("elastic license 2.0", "Elastic-2.0"),
        (
            "\"commons clause\" license condition",
            "LicenseRef-Commons-Clause",
        ),
    ];
    let head: String = text
        .lines()
        .take(30)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let head = head.split_whitespace().collect::<Vec<_>>().join(" ");
    TITLES
        .iter()
        .find(|(t, _)| head.contains(t))
        .map(|(_, id)| Classification {
            expression: Some(id.to_string()),
            confidence: 0.9,
            method: "license-title",
            ambiguous: false,
            variant_of: None,
        })
}

/// The LGPL-3.0 static-linking exception some Go projects add (juju, snapcore): the text
/// is LGPL-3.0 plus a paragraph granting linking without §4d/§4e.
fn with_linking_exception(text: &str, c: Classification) -> Classification {
    let lower = text.to_ascii_lowercase();
    let flat = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let grants =
        flat.contains("special exception") && flat.contains("links statically or dynamically");
    match (&c.expression, grants) {
        (Some(e), true) if e.starts_with("LGPL-3.0") && !e.contains(" ") => Classification {
            expression: Some(format!("{e} WITH LGPL-3.0-linking-exception")),
            ..c
        },
        (None, true)
            if flat.contains("gnu lesser general public license") && flat.contains("version 3") =>
        {
            Classification {
                expression: Some("LGPL-3.0-only WITH LGPL-3.0-linking-exception".into()),
                confidence: 0.9,
                method: "license-title",
                ambiguous: false,
                variant_of: None,
            }
        }
        _ => c,
    }
}

/// `SPDX-License-Identifier: <expr>` lines; several lines all apply (AND).
fn from_identifier_lines(text: &str, db: &LicenseDb) -> Option<Classification> {
    const TAG: &str = "spdx-license-identifier:";
    let mut found: Vec<String> = Vec::new();
    for line in text.lines().take(200) {
        let lower = line.to_ascii_lowercase();
        let Some(at) = lower.find(TAG) else { continue };
        let value = line[at + TAG.len()..]
            .trim()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim();
        if let Ok(e) = LicenseExpr::parse(value, db) {
            let s = e.to_string();
            if !found.contains(&s) {
                found.push(s);
            }
        }
    }
    if found.is_empty() {
        return None;
    }
    Some(Classification {
        expression: Some(join_expressions(&found, "AND")),
        confidence: 1.0,
        method: "spdx-identifier",
        ambiguous: false,
        variant_of: None,
    })
}

/// License names recognised in prose, most specific first.
const PROSE_NAMES: &[(&str, &str)] = &[
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache license version 2.0", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache-2.0", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache license", "Apache-2.0"),
    ("gpl-2.0-or-later", "GPL-2.0-or-later"),
    ("gpl-2.0", "GPL-2.0-only"),
    ("gplv2", "GPL-2.0-only"),
    ("gnu general public license", "GPL-2.0-only"),
    ("lgpl", "LGPL-3.0-only"),
    ("mozilla public license", "MPL-2.0"),
    ("mpl-2.0", "MPL-2.0"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("3-clause bsd", "BSD-3-Clause"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("2-clause bsd", "BSD-2-Clause"),
    ("mit license", "MIT"),
    ("(mit)", "MIT"),
    (" mit ", "MIT"),
    ("unlicense", "Unlicense"),
    ("boost software license", "BSL-1.0"),
    ("freetype license", "FTL"),
];

/// "Dual licensed under MIT or Apache-2.0", "licensed under either of …": an OR of the
/// licenses named in the file's opening lines.
fn from_dual_license_statement(text: &str) -> Option<Classification> {
    let head: String = text
        .lines()
        .take(25)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
        .replace("or (at your option) any later version", "");
    let head = format!(
        " {} ",
        head.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let dual = [
        "dual licensed",
        "dual-licensed",
        "licensed under either",
        "at your option",
        "at your choice",
        "your choice of",
        "either of the following licenses",
        "choose either",
    ]
    .iter()
    .any(|p| head.contains(p));
    if !dual {
        return None;
    }
    let mut named: Vec<(usize, &str)> = Vec::new();
    let mut rest = head.clone();
    for (phrase, id) in PROSE_NAMES {
        while let Some(at) = rest.find(phrase) {
            if !named.iter().any(|(_, n)| n == id) {
                named.push((at, id));
            }
            // Blank the phrase so "apache license" does not match again inside a longer name.
            rest.replace_range(at..at + phrase.len(), &" ".repeat(phrase.len()));
        }
    }
    named.sort();
    if named.len() < 2 {
        return None;
    }
    let mut ids: Vec<String> = Vec::new();
    for (_, id) in &named {
        let id = if id.starts_with("GPL-2.0") && head.contains("or later") {
            "GPL-2.0-or-later"
        } else {
            id
        };
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    if ids.len() < 2 {
        return None;
    }
    Some(Classification {
        expression: Some(ids.join(" OR ")),
        confidence: 0.95,
        method: "dual-license-statement",
        ambiguous: false,
        variant_of: None,
    })
}

fn from_text_match(text: &str) -> Classification {
    let data = spdx::detection::TextData::new(text);
    let whole = store().analyze(&data);
    if whole.score > CONFIDENT_SCORE {
        let (located, _) = data.optimize_bounds(whole.data);
        return located_matches(text, &[(whole.name, whole.score, located.lines_view())]);
    }
    if let Some(c) = from_lgpl3(text, &data) {
        return c;
    }
    // Several licenses, none dominant enough to match the whole: find each, white it out,
    // look again.
    let scanner = Scanner::new(store())
        .confidence_threshold(MIN_SCORE)
        .shallow_limit(CONFIDENT_SCORE)
        .optimize(true)
        .max_passes(6);
    let result = scanner.scan(&data);
    if !result.containing.is_empty() {
        let found: Vec<(&str, f32, (usize, usize))> = result
            .containing
            .iter()
            .map(|c| (c.license.name, c.score, c.line_range))
            .collect();
        return located_matches(text, &found);
    }
    match result.license {
        Some(l) => {
            let lower = text.to_ascii_lowercase();
            Classification {
                ambiguous: result.score < CONFIDENT_SCORE,
                expression: Some(guard(l.name, &lower, text)),
                confidence: result.score,
                method: "text-match",
                variant_of: None,
            }
        }
        None => from_segments(text),
    }
}

/// A plain LGPL-3.0 text (`COPYING.LESSER`, or a Markdown rendering of it).
fn from_lgpl3(text: &str, data: &spdx::detection::TextData) -> Option<Classification> {
    let score = super::variants::lgpl3_score(data);
    if score < CONFIDENT_SCORE {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    Some(Classification {
        expression: Some(guard("LGPL-3.0-only", &lower, text)),
        confidence: score,
        method: "text-match",
        ambiguous: false,
        variant_of: None,
    })
}

/// Licenses located in the text (detector name, score, line range): check the first (the
/// dominant one) is that license unmodified, then look for further licenses in the lines no
/// match covers (vendored code's notices appended to a project's license).
fn located_matches(text: &str, found: &[(&str, f32, (usize, usize))]) -> Classification {
    let lower = text.to_ascii_lowercase();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut ids: Vec<String> = Vec::new();
    let mut confidence: f32 = 1.0;
    let mut covered = vec![false; lines.len()];
    for (i, (name, score, (start, end))) in found.iter().enumerate() {
        let (start, end) = ((*start).min(lines.len()), (*end).min(lines.len()));
        let id = guard(name, &lower, text);
        if i == 0 {
            // The matched region, and a little before it for a title above the body.
            let region = &lines[start..end.max(start)];
            let head = &lines[start.saturating_sub(3)..end.max(start)];
            if let Some(c) = modified(text, region, head, name, &id, *score) {
                return c;
            }
        } else if id.starts_with("BSD-")
            && endorsement_allowed(&lines[start..end.max(start)].join("\n").to_ascii_lowercase())
        {
            // Bundled code under a BSD text with the endorsement clause turned round: not
            // BSD-3-Clause, and no license SPDX lists (see from_text_match_once).
            covered[start..end.max(start)]
                .iter_mut()
                .for_each(|c| *c = true);
            continue;
        }
        covered[start..end.max(start)]
            .iter_mut()
            .for_each(|c| *c = true);
        confidence = confidence.min(*score);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // Everything outside the matches, line numbers kept so segments stay whole.
    let rest: Vec<&str> = lines
        .iter()
        .zip(&covered)
        .map(|(l, c)| if *c { "" } else { *l })
        .collect();
    let mut extra_terms = false;
    for (segment, c) in segments(&rest) {
        match c.expression {
            Some(e) => {
                confidence = confidence.min(c.confidence);
                if !ids.contains(&e) {
                    ids.push(e);
                }
            }
            None => {
                // Unmatched prose that grants or limits patent rights changes the terms.
                let s = segment.to_ascii_lowercase();
                extra_terms |= s.split_whitespace().count() >= 40
                    && s.contains("patent")
                    && (s.contains("grant") || s.contains("terminate"))
                    && !is_google_patent_grant(&segment);
            }
        }
    }
    if extra_terms {
        let base = ids.first().cloned().unwrap_or_default();
        return modified_ref(text, &base, confidence, "additional patent terms");
    }
    for id in stated_outside_texts(&rest.join("\n")) {
        if !ids.iter().any(|x| x == id) {
            confidence = confidence.min(0.9);
            ids.push(id.to_string());
        }
    }
    Classification {
        ambiguous: confidence < CONFIDENT_SCORE || ids.len() > 1,
        expression: Some(join_expressions(&ids, "AND")),
        confidence,
        method: if ids.len() > 1 {
            "text-match-several"
        } else {
            "text-match"
        },
        variant_of: None,
    }
}

/// Licenses a license file states in prose or fields beside the texts it holds: musl's
/// COPYRIGHT ("licensed under a 2-clause BSD license (license text in the source files)"),
/// the third-party sections of Apache Arrow's ("License: Zope Public License (ZPL) Version
/// 2.1."). The same rule as a NOTICE's statements (see `super::notice`): a versioned,
/// unambiguous name in a licensing sentence about this module's code, or in a `License:`
/// field. Only read in files where a license text matched (the prose of a text nobody
/// recognised is not read as a license).
fn stated_outside_texts(text: &str) -> Vec<&'static str> {
    let mut ids = super::notice::stated_licenses(text);
    for id in super::notice::field_licenses(text) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// A matched text that differs from its reference in its terms: the SPDX id of the variant
/// when SPDX lists it (Pixar's modified Apache), else a `LicenseRef-` carrying the text.
fn modified(
    text: &str,
    region: &[&str],
    head: &[&str],
    detected: &str,
    id: &str,
    score: f32,
) -> Option<Classification> {
    use super::variants::*;
    // Compare with what the text claims to be: Pixar is Apache-2.0 modified.
    let base = if detected == "Pixar" {
        "Apache-2.0"
    } else {
        id
    };
    let reference = spdx::license_id(base)?.text();
    let (run, sample) = longest_novel_run(region, reference);
    let titled = titled_modified(head);
    let region_lower = region.join("\n").to_ascii_lowercase();
    let changed = run >= MIN_NOVEL_RUN
        || titled
        || (base == "Apache-2.0" && apache_version_changed(head))
        || (base.starts_with("BSD-") && endorsement_allowed(&region_lower));
    if !changed {
        return None;
    }
    if detected == "Pixar" {
        // Pixar's text is the one SPDX lists under that id: keep it only if it IS that text.
        let pixar = spdx::license_id("Pixar")?.text();
        if longest_novel_run(region, pixar).0 < MIN_NOVEL_RUN && !apache_version_changed(head) {
            return Some(Classification {
                expression: Some("Pixar".into()),
                confidence: score,
                method: "text-match",
                ambiguous: false,
                variant_of: None,
            });
        }
    }
    let why = if titled {
        "titled as modified".to_string()
    } else if run >= MIN_NOVEL_RUN {
        format!(
            "{run} words not in the reference text: \"{}\"",
            truncate(&sample, 80)
        )
    } else if base.starts_with("BSD-") && endorsement_allowed(&region_lower) {
        "endorsement allowed: \"may be used to endorse\"".to_string()
    } else {
        "version changed".to_string()
    };
    Some(modified_ref(text, base, score, &why))
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// `LicenseRef-assay-<sha256 of the text, 12 hex>`: the same name the resolver gives an
/// unclassified file, so the extracted text is the file.
fn modified_ref(text: &str, base: &str, score: f32, why: &str) -> Classification {
    let sha = crate::hash::sha256_hex(text.as_bytes());
    Classification {
        expression: Some(format!("LicenseRef-assay-{}", &sha[..12])),
        confidence: score,
        method: "modified-text",
        ambiguous: true,
        variant_of: Some(format!("{base} ({why})")),
    }
}

/// Files that concatenate several licenses (each starting with its own copyright line, e.g.
/// two BSD texts) can defeat whole-text matching: match each segment on its own.
fn from_segments(text: &str) -> Classification {
    let lines: Vec<&str> = text.lines().collect();
    if segment_starts(&lines).len() < 2 {
        return Classification::none();
    }
    let parts: Vec<Classification> = segments(&lines)
        .into_iter()
        .map(|(_, c)| c)
        .filter(|c| c.expression.is_some())
        .collect();
    let mut ids: Vec<String> = Vec::new();
    let mut confidence: f32 = 1.0;
    for c in &parts {
        if let Some(e) = &c.expression {
            if !ids.contains(e) {
                ids.push(e.clone());
            }
        }
        confidence = confidence.min(c.confidence);
    }
    if ids.is_empty() {
        return Classification::none();
    }
    for id in stated_outside_texts(text) {
        if !ids.iter().any(|x| x == id) {
            confidence = confidence.min(0.9);
            ids.push(id.to_string());
        }
    }
    Classification {
        ambiguous: confidence < CONFIDENT_SCORE || ids.len() > 1,
        expression: Some(join_expressions(&ids, "AND")),
        confidence,
        method: "text-match-segments",
        variant_of: None,
    }
}

/// Lines where a new license text plausibly starts: a copyright line or a license title
/// after a blank line, a separator rule, or any text after two blank lines. Comment markers
/// are ignored, so a license quoted from a source file's header ("// Copyright (c) 2006 Russ
/// Cox", bazil.org/fuse's) starts a segment too.
fn segment_starts(lines: &[&str]) -> Vec<usize> {
    fn bare(l: &str) -> String {
        l.trim_start()
            .trim_start_matches(['#', '/', '*'])
            .trim()
            .to_ascii_lowercase()
    }
    let blank = |i: usize| bare(lines[i]).is_empty();
    lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            let t = bare(l);
            let rule = t.starts_with("----") || t.starts_with("====");
            let title = t.starts_with("copyright")
                || ((t.ends_with("license") || t.ends_with("license (mit)")) && t.len() < 40);
            let after_gap = *i >= 2 && blank(i - 1) && blank(i - 2) && !t.is_empty();
            rule || after_gap || (title && (*i == 0 || blank(i - 1)))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Each segment of at least 20 words with its own classification.
fn segments(lines: &[&str]) -> Vec<(String, Classification)> {
    let mut bounds = segment_starts(lines);
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(lines.len());
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let segment = lines[w[0]..w[1]].join("\n");
        if segment.split_whitespace().count() < 20 {
            continue;
        }
        let c = from_text_match_once(&segment);
        out.push((segment, c));
    }
    out
}

fn from_text_match_once(text: &str) -> Classification {
    let data = spdx::detection::TextData::new(text);
    let m = store().analyze(&data);
    if m.score < MIN_SCORE {
        return Classification::none();
    }
    let lower = text.to_ascii_lowercase();
    let id = guard(m.name, &lower, text);
    if id.starts_with("BSD-") && endorsement_allowed(&lower) {
        // A quoted BSD text with its endorsement clause turned round (msinttypes' stdint.h,
        // in Apache Thrift's LICENSE) is not BSD-3-Clause; SPDX has no id for it, and a part
        // of a file gets no LicenseRef of its own: it names nothing.
        return Classification::none();
    }
    Classification {
        expression: Some(id),
        confidence: m.score,
        method: "text-match",
        ambiguous: m.score < CONFIDENT_SCORE,
        variant_of: None,
    }
}

/// "The name of the author may be used to endorse or promote products derived from this
/// software without specific prior written permission": a BSD text whose third clause grants
/// what the standard one forbids (it matches BSD-3-Clause closely: one word is missing).
fn endorsement_allowed(lower: &str) -> bool {
    let flat = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    // The standard clause negates it in the same sentence: "Neither the name … nor the names
    // of its contributors may be used to endorse …", "… may not be used to endorse …".
    flat.match_indices("may be used to endorse or promote")
        .any(|(at, _)| {
            let sentence = flat[..at].rsplit(". ").next().unwrap_or("");
            let words: Vec<&str> = sentence.split(' ').collect();
            !words
                .iter()
                .any(|w| matches!(*w, "not" | "neither" | "nor" | "no"))
        })
}

/// Corrects the detector's known mistakes.
fn guard(name: &str, lower: &str, text: &str) -> String {
    // Apache-2.0 without its appendix scores closest to Pixar (Apache-2.0 plus a preamble).
    if name == "Pixar" && !lower.contains("pixar") {
        return "Apache-2.0".into();
    }
    // Two BSD texts one after the other look like Sleepycat (which embeds BSD clauses).
    if name == "Sleepycat" && !lower.contains("sleepycat") {
        return if lower.contains("neither the name") || lower.contains("names of its contributors")
        {
            "BSD-3-Clause".into()
        } else {
            "BSD-2-Clause".into()
        };
    }
    // Rare variants win narrowly over their base text; accept them only when the words
    // that make them different are there.
    const VARIANTS: &[(&str, &str, &str)] = &[
        (
            "BSD-3-Clause-No-Nuclear-License-2014",
            "nuclear",
            "BSD-3-Clause",
        ),
        ("BSD-3-Clause-No-Nuclear-License", "nuclear", "BSD-3-Clause"),
        (
            "BSD-3-Clause-No-Nuclear-Warranty",
            "nuclear",
            "BSD-3-Clause",
        ),
        (
            "BSD-3-Clause-Clear",
            "no express or implied licenses",
            "BSD-3-Clause",
        ),
        ("BSD-3-Clause-HP", "hewlett", "BSD-3-Clause"),
        ("BSD-3-Clause-Attribution", "acknowledgment", "BSD-3-Clause"),
        (
            "BSD-2-Clause-Views",
            "views and conclusions",
            "BSD-2-Clause",
        ),
        ("MIT-Modern-Variant", "modern variant", "MIT"),
    ];
    if let Some((_, word, base)) = VARIANTS.iter().find(|(n, _, _)| *n == name) {
        if !lower.contains(word) {
            return base.to_string();
        }
    }
    if let Some(base) = gnu_base(name) {
        let or_later = notice_says_or_later(lower);
        return format!("{base}-{}", if or_later { "or-later" } else { "only" });
    }
    let _ = text;
    // Deprecated ids are never emitted: SPDX documents replaced them.
    if let Some(r) = super::variants::replacement_for_deprecated(name) {
        return r.to_string();
    }
    name.to_string()
}

/// `GPL-2.0`, `LGPL-2.1`, `AGPL-3.0` from any of their ids.
fn gnu_base(name: &str) -> Option<&str> {
    let base = name
        .trim_end_matches("-only")
        .trim_end_matches("-or-later")
        .trim_end_matches('+');
    [
        "GPL-1.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0", "LGPL-2.1", "LGPL-3.0", "AGPL-1.0",
        "AGPL-3.0", "GFDL-1.1", "GFDL-1.2", "GFDL-1.3",
    ]
    .contains(&base)
    .then_some(base)
}

/// The GNU license bodies themselves mention later versions (in "How to Apply These
/// Terms"): only a notice outside that appendix decides "or later".
fn notice_says_or_later(lower: &str) -> bool {
    let flat = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let without_appendix = match flat.find("how to apply these terms") {
        Some(at) => {
            // Text after END OF TERMS' appendix that is another notice still counts: keep
            // what precedes the license title too.
            &flat[..at]
        }
        None => &flat[..],
    };
    // Not "or any later version" in quotes: GPL-3.0 §14 quotes that phrase in its body.
    [
        "(at your option) any later version",
        "or-later",
        "version 2 or later",
        "version 3 or later",
        "version 2.1 or later",
    ]
    .iter()
    .any(|p| without_appendix.contains(p))
}

/// Whether `name` is read with a module root's license files: a license file (see
/// [`super::files::is_license_file`], the one rule), a PATENTS file (an additional grant) or
/// a NOTICE file (for the licenses it clearly states, see [`super::notice`]).
pub fn is_license_file_name(name: &str) -> bool {
    super::files::is_license_file(name).is_some()
        || super::files::is_patents_file(name)
        || super::notice::is_notice_file(name)
}

/// A PATENTS file next to a license. Google's grant for Go (golang.org/x/…, and copies in
/// other Go projects) only adds rights and is part of what "BSD-3-Clause" means for Go code
/// (see the Go standard library's facts): evidence, not a license. Any other patent grant
/// (Facebook's "Additional Grant of Patent Rights", with its termination clause) changes the
/// terms: a `LicenseRef-` with its text, AND-ed with the license.
fn classify_patents(text: &str) -> Classification {
    let flat = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let go_grant = flat.contains("additional ip rights grant (patents)")
        && flat.contains("as part of the go project");
    if go_grant || is_google_patent_grant(text) || flat.split(' ').count() < 20 {
        return Classification::none();
    }
    modified_ref(text, "a patent grant", 1.0, "separate PATENTS terms")
}

/// Google's patent grant ("Google hereby grants to You a perpetual, worldwide, non-exclusive,
/// no-charge, royalty-free, irrevocable (except as stated in this section) patent license"),
/// the one of Go's PATENTS file, which Google's other Go projects (XGB) append to their BSD
/// license: it only adds rights, like Go's.
fn is_google_patent_grant(text: &str) -> bool {
    let flat = text
        .split_whitespace()
        .filter(|w| !matches!(*w, "//" | "#" | "*" | "--" | ";"))
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    flat.contains("google hereby grants to you a perpetual, worldwide, non-exclusive, no-charge, royalty-free, irrevocable (except as stated in this section) patent license")
}

/// The combined result for a module root's license files: distinct expressions all apply
/// (AND). Returns the per-file results too, as evidence.
pub fn classify_files(
    files: &[(String, Vec<u8>)],
    db: &LicenseDb,
) -> (Classification, Vec<(String, Classification)>) {
    use super::files::{is_license_file, is_patents_file, LicenseFileKind};
    use super::notice::{classify_notice, expression_ids, is_notice_file};
    let mut per_file = Vec::new();
    // Files whose license applies to the binary: not documentation-only licenses.
    let mut applies: Vec<bool> = Vec::new();
    let mut notices: Vec<bool> = Vec::new();
    for (name, bytes) in files {
        let kind = is_license_file(name);
        let patents = is_patents_file(name);
        let notice = kind.is_none() && !patents && is_notice_file(name);
        if kind.is_none() && !patents && !notice {
            continue;
        }
        applies.push(kind != Some(LicenseFileKind::Docs));
        notices.push(notice);
        if patents {
            let text = String::from_utf8_lossy(bytes);
            per_file.push((name.clone(), classify_patents(&text)));
            continue;
        }
        if notice {
            // Not the known-text table: that maps license files' texts. Cached apart from
            // license files' classifications of the same text.
            let hash = crate::hash::sha256_hex(bytes);
            // Long NOTICE files (third-party notice collections) are read up to a bound, so
            // their cost stays bounded (~1 s of CPU).
            let head = &bytes[..bytes.len().min(super::notice::MAX_NOTICE)];
            let classified =
                super::classify_cache::get_or_classify(&format!("notice {hash}"), || {
                    classify_notice(&String::from_utf8_lossy(head), db)
                });
            per_file.push((name.clone(), classified));
            continue;
        }
        // Exact texts the bundled db has classified need no classifier: loading its store
        // costs ~150 ms and tens of MB, so most scans never do.
        let hash = crate::hash::sha256_hex(bytes);
        if let Some((expression, confidence)) = db.known_text(&hash) {
            per_file.push((
                name.clone(),
                Classification {
                    expression: Some(expression.to_string()),
                    confidence,
                    method: "known-text",
                    ambiguous: confidence < 0.9,
                    variant_of: None,
                },
            ));
            continue;
        }
        // Remembered across scans by the text's digest (see classify_cache).
        let classified = super::classify_cache::get_or_classify(&hash, || {
            classify_text(&String::from_utf8_lossy(bytes), db)
        });
        per_file.push((name.clone(), classified));
    }
    let mut found: Vec<&Classification> = per_file
        .iter()
        .zip(&applies)
        .zip(&notices)
        .filter(|((_, applies), notice)| **applies && !**notice)
        .map(|(((_, c), _), _)| c)
        .filter(|c| c.expression.is_some())
        .collect();
    // A NOTICE counts for the licenses it states that the license files do not name: one
    // that repeats the project's own license changes nothing.
    let mut named: Vec<String> = found
        .iter()
        .filter_map(|c| c.expression.as_deref())
        .flat_map(expression_ids)
        .chain(
            // A modified license's base (`Apache-2.0 (…)`) is named too: a NOTICE restating
            // the standard license does not turn the modified text into both.
            found
                .iter()
                .filter_map(|c| c.variant_of.as_deref())
                .filter_map(|v| v.split_whitespace().next()),
        )
        .map(str::to_string)
        .collect();
    // Ids the license files themselves name (before any NOTICE).
    let license_ids = named.clone();
    let mut notice_adds: Vec<String> = Vec::new();
    // A NOTICE stating the whole licensing, the license files' licenses included (paho's
    // `SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause` beside its EPL-2.0 text), is the
    // answer as it states it: its ORs stay ORs.
    let mut notice_whole: Option<String> = None;
    for ((_, c), _) in per_file.iter().zip(&notices).filter(|(_, n)| **n) {
        let Some(e) = &c.expression else { continue };
        let ids = expression_ids(e);
        let new: Vec<String> = ids
            .iter()
            .filter(|id| !named.iter().any(|n| n == *id))
            .map(|id| id.to_string())
            .collect();
        if new.is_empty() {
            continue;
        }
        found.push(c);
        named.extend(new.iter().cloned());
        if notice_whole.is_none()
            && !license_ids.is_empty()
            && license_ids.iter().all(|l| ids.contains(&l.as_str()))
        {
            notice_whole = Some(e.clone());
        } else {
            notice_adds.extend(new);
        }
    }
    if found.is_empty() {
        return (Classification::none(), per_file);
    }
    let mut exprs: Vec<String> = Vec::new();
    let push = |exprs: &mut Vec<String>, e: &str| {
        // A plain AND of ids is its ids: `BSD-3-Clause` and `BSD-3-Clause AND MIT` from two
        // files are `BSD-3-Clause AND MIT`, not `BSD-3-Clause AND (BSD-3-Clause AND MIT)`.
        let parts: Vec<&str> = if e.contains(" OR ") || e.contains(" WITH ") || e.contains('(') {
            vec![e]
        } else {
            e.split(" AND ").collect()
        };
        for part in parts {
            if !exprs.iter().any(|x| x == part) {
                exprs.push(part.to_string());
            }
        }
    };
    match &notice_whole {
        Some(whole) => push(&mut exprs, whole),
        None => {
            for c in found.iter().filter(|c| c.method != "notice-statement") {
                if let Some(e) = &c.expression {
                    push(&mut exprs, e);
                }
            }
        }
    }
    // From NOTICE files: only the ids they add (a NOTICE's statements are an AND of ids).
    for id in &notice_adds {
        push(&mut exprs, id);
    }
    // LGPL-3.0 is GPL-3.0 plus additional permissions and is shipped with the GPL text
    // beside it (COPYING + COPYING.LESSER): the pair is LGPL-3.0, not both.
    if exprs.iter().any(|e| e.starts_with("LGPL-3.0")) {
        exprs.retain(|e| e != "GPL-3.0-only" && e != "GPL-3.0-or-later");
    }
    exprs.sort();
    let combined = Classification {
        expression: Some(join_expressions(&exprs, "AND")),
        confidence: found.iter().map(|c| c.confidence).fold(1.0, f32::min),
        method: if found.len() == 1 {
            found[0].method
        } else {
            "several-files"
        },
        ambiguous: found.iter().any(|c| c.ambiguous),
        variant_of: found.iter().find_map(|c| c.variant_of.clone()),
    };
    (combined, per_file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::db::bundled;

    #[test]
    fn identifier_lines_win() {
        let c = classify_text(
            "// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-or-later\n\nGNU GENERAL PUBLIC LICENSE ...",
            bundled(),
        );
        assert_eq!(
            c.expression.as_deref(),
            Some("Apache-2.0 OR GPL-2.0-or-later")
        );
        assert_eq!(c.method, "spdx-identifier");
    }

    #[test]
    fn dual_statement_is_an_or() {
        let c = classify_text(
            "This project is dual licensed under the MIT license or the Apache License, Version 2.0, at your option.\n",
            bundled(),
        );
        assert_eq!(c.expression.as_deref(), Some("MIT OR Apache-2.0"));
    }

    #[test]
    fn gpl_only_unless_the_notice_says_later() {
        // The bare GPL-3.0 text of a real module: its body mentions "any later version"
        // (§14, "How to Apply"), which is not a notice.
        let body = include_str!(
            "../../tests/data/licenses/github.com_ethereum_go-ethereum@v1.17.10__COPYING"
        );
        let c = classify_text(body, bundled());
        assert_eq!(c.expression.as_deref(), Some("GPL-3.0-only"));
        let with_notice = format!(
            "This program is free software; you can redistribute it and/or modify it under the terms of the GNU General Public License as published by the Free Software Foundation; either version 3 of the License, or (at your option) any later version.\n\n{body}"
        );
        let c = classify_text(&with_notice, bundled());
        assert_eq!(c.expression.as_deref(), Some("GPL-3.0-or-later"));
    }

    #[test]
    fn license_file_names() {
        for n in [
            "LICENSE",
            "LICENSE.md",
            "COPYING",
            "LICENSE-APACHE",
            "LICENSE.MIT",
            "licence.txt",
            "UNLICENSE",
            // A patent grant takes part in the decision (see classify_patents).
            "PATENTS",
        ] {
            assert!(is_license_file_name(n), "{n}");
        }
        // NOTICE files are read with them, for the licenses they state (see notice.rs).
        assert!(is_license_file_name("NOTICE.txt"));
        for n in ["README.md", "license.go", "NOTICE.go"] {
            assert!(!is_license_file_name(n), "{n}");
        }
    }
}
