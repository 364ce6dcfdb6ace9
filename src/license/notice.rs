//! `NOTICE` files: which licenses one clearly states.
//!
//! Most NOTICE files are attributions ("This product includes software developed at …",
//! copyright lines, export-control notes, CLA notes) and state no license: they add nothing.
//! Some say that part of the code is under another license — go-yaml's v4 NOTICE says the
//! files ported from libyaml "are still covered by their original MIT license" — and then the
//! component is also under that license. A NOTICE contributes a license only when it
//!
//! - carries an `SPDX-License-Identifier:` line, or a license text (whole or a recognisable
//!   part, such as a BSD text of code it originates from) the classifier matches with high
//!   confidence (≥ [`CONFIDENT_SCORE`], not a modified text), or
//! - states it in a licensing sentence: a phrase that grants or subjects code to a license
//!   ("licensed under", "covered by", "released under", "subject to the terms … of", …)
//!   followed closely by a license named unambiguously (a versioned name: "the BSD 3-Clause
//!   License", "Apache License, Version 2.0", "the MIT License", or an SPDX id).
//!
//! A bare mention ("see apache.org/dev/crypto.html", "see … for license details") or an
//! unversioned family name ("a BSD license", "the GPL") states nothing. Nor does a licensing
//! sentence about a separate project (see [`about_separate_project`]): Docker's NOTICE says
//! "This product contains software (https://github.com/creack/pty) developed by Keith Rarick,
//! licensed under the MIT License" — creack/pty is its own Go module, linked as its own
//! component with its own license (a module zip carries no `vendor/`), so MIT is not Docker's. What a NOTICE states
//! that the license files already say changes nothing (the caller keeps only new ids).

use super::classify::{classify_text, Classification, CONFIDENT_SCORE};
use super::db::LicenseDb;
use crate::model::license::join_expressions;

/// Bytes of a NOTICE file examined (real ones are a few KiB; third-party notice collections
/// run to hundreds).
pub const MAX_NOTICE: usize = 128 << 10;

/// `NOTICE`, `NOTICE.txt`, `NOTICE.md`, `NOTICES` (any case).
pub fn is_notice_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = [".md", ".txt", ".markdown", ".rst"]
        .iter()
        .find_map(|e| lower.strip_suffix(e))
        .unwrap_or(&lower);
    matches!(stem, "notice" | "notices")
}

/// The licenses a NOTICE text clearly states (see the module comment): an AND of them, or
/// no expression. Method `notice-statement`.
pub fn classify_notice(text: &str, db: &LicenseDb) -> Classification {
    let mut ids: Vec<String> = Vec::new();
    let mut confidence: f32 = 1.0;
    // Texts, identifier lines and dual-license statements, as for a license file, but only
    // when the classifier is sure and the text is a standard one.
    let c = classify_text(text, db);
    let sure = matches!(
        c.method,
        "spdx-identifier"
            | "dual-license-statement"
            | "text-match"
            | "text-match-several"
            | "text-match-segments"
    ) && c.confidence >= CONFIDENT_SCORE
        && c.variant_of.is_none();
    if let (true, Some(e)) = (sure, &c.expression) {
        if !e.contains("LicenseRef-") {
            ids.push(e.clone());
            confidence = c.confidence;
        }
    }
    for id in stated_licenses(text) {
        if !ids.iter().any(|e| expression_ids(e).contains(&id)) {
            ids.push(id.to_string());
            confidence = confidence.min(0.9);
        }
    }
    if ids.is_empty() {
        return Classification {
            expression: None,
            confidence: 0.0,
            method: "notice-statement",
            ambiguous: false,
            variant_of: None,
        };
    }
    Classification {
        expression: Some(join_expressions(&ids, "AND")),
        confidence,
        method: "notice-statement",
        ambiguous: false,
        variant_of: None,
    }
}

/// The license ids an SPDX expression names (operators and parentheses dropped).
pub fn expression_ids(expr: &str) -> Vec<&str> {
    expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| !t.is_empty() && !matches!(*t, "AND" | "OR" | "WITH" | "and" | "or"))
        .collect()
}

/// Phrases that subject code to a license.
const LICENSING_PHRASES: &[&str] = &[
    "licensed under",
    "licenced under",
    "covered by",
    "released under",
    "distributed under",
    "available under",
    "provided under",
    "made available under",
    "governed by",
    "subject to the terms",
    "under the terms of",
];

/// License names that say which license (and version) unambiguously, most specific first.
/// Lower case, single spaces.
const NAMES: &[(&str, &str)] = &[
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache license version 2.0", "Apache-2.0"),
    ("apache license, v2.0", "Apache-2.0"),
    ("apache license v2.0", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache 2.0 license", "Apache-2.0"),
    ("apache-2.0", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache license, version 1.1", "Apache-1.1"),
    ("mit license", "MIT"),
    ("mit licence", "MIT"),
    ("isc license", "ISC"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("3-clause bsd", "BSD-3-Clause"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("revised bsd license", "BSD-3-Clause"),
    ("bsd 2-clause", "BSD-2-Clause"),
    ("2-clause bsd", "BSD-2-Clause"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("mozilla public license, version 2.0", "MPL-2.0"),
    ("mozilla public license, v. 2.0", "MPL-2.0"),
    ("mozilla public license version 2.0", "MPL-2.0"),
    ("mozilla public license 2.0", "MPL-2.0"),
    ("mpl-2.0", "MPL-2.0"),
    ("mpl 2.0", "MPL-2.0"),
    ("boost software license, version 1.0", "BSL-1.0"),
    ("boost software license 1.0", "BSL-1.0"),
    ("zlib license", "Zlib"),
    ("zope public license (zpl) version 2.1", "ZPL-2.1"),
    ("zope public license version 2.1", "ZPL-2.1"),
    ("zpl-2.1", "ZPL-2.1"),
    ("creative commons zero", "CC0-1.0"),
    ("cc0-1.0", "CC0-1.0"),
    ("unlicense", "Unlicense"),
    ("eclipse public license, version 2.0", "EPL-2.0"),
    ("eclipse public license 2.0", "EPL-2.0"),
    ("eclipse public license - v 2.0", "EPL-2.0"),
    ("epl-2.0", "EPL-2.0"),
];

/// `License: <name>` field lines (`License: Zope Public License (ZPL) Version 2.1.`, `License:
/// 3-clause BSD`), as in the third-party sections of a project's license file (Apache
/// Arrow's): the licenses they name unambiguously, in order. A field with no name on its
/// line (the text follows) or a name that is only a URL states nothing here.
pub fn field_licenses(text: &str) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = Vec::new();
    for line in text.lines().take(100_000) {
        let t = line
            .trim_start()
            .trim_start_matches(['#', '*', '/', '-'])
            .trim_start()
            .to_ascii_lowercase();
        let Some(value) = t.strip_prefix("license:") else {
            continue;
        };
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some((_, id)) = first_name(&value) {
            if !found.contains(&id) {
                found.push(id);
            }
        }
    }
    found
}

/// How far after a licensing phrase the license name may start (characters).
const NAME_WINDOW: usize = 60;

/// Licenses named in licensing sentences of `text`, in order of appearance.
pub(crate) fn stated_licenses(text: &str) -> Vec<&'static str> {
    // Flattened, lower case: sentences wrap across lines. Paragraph starts (after a blank
    // line) are kept: a sentence's subject does not reach into the paragraph before.
    let mut flat = String::new();
    let mut paragraphs: Vec<usize> = vec![0];
    let mut words = 0;
    let mut blank = false;
    for line in text.lines() {
        let mut line_words = line.split_whitespace().peekable();
        if line_words.peek().is_none() {
            blank = true;
            continue;
        }
        for w in line_words {
            if words >= 20_000 {
                break;
            }
            if !flat.is_empty() {
                flat.push(' ');
                if blank {
                    paragraphs.push(flat.len());
                }
            }
            blank = false;
            words += 1;
            flat.push_str(&w.to_ascii_lowercase());
        }
    }
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for phrase in LICENSING_PHRASES {
        let mut from = 0;
        while let Some(at) = flat[from..].find(phrase) {
            let start = from + at + phrase.len();
            from = start;
            let at = start - phrase.len();
            let para = paragraphs.iter().rev().find(|p| **p <= at).copied();
            let subject = sentence_before(&flat, para.unwrap_or(0), at);
            if about_separate_project(subject) || about_documentation(subject) {
                continue;
            }
            let window = window_after(&flat, start);
            if let Some((offset, id)) = first_name(window) {
                if !found.iter().any(|(_, i)| *i == id) {
                    found.push((start + offset, id));
                }
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, id)| id).collect()
}

/// The start of the sentence that ends at `at` (its subject), not before `para`: after the
/// last full stop that follows a word of ≥ 3 characters (not "v. 2.0"), as in
/// [`window_after`].
fn sentence_before(flat: &str, para: usize, at: usize) -> &str {
    let para = para.min(at);
    let before = &flat[para..at];
    let mut start = 0;
    for (i, _) in before.match_indices(". ") {
        let word = before[..i].rsplit(' ').next().unwrap_or("");
        if word.len() >= 3 {
            start = i + 2;
        }
    }
    &before[start..]
}

/// Whether a licensing sentence's subject is another project rather than this module's
/// code: it names the project by a repository address ("software
/// (https://github.com/creack/pty) developed by …", "fuzzy https://github.com/mattyork/fuzzy
/// Original written by …") or as software developed by someone else, and does not say the
/// code was brought into this module ("derived from", "ported", "copied", "based on", a
/// fork, files or a directory of this one — spdystream's "code derived from the Go project
/// (golang.org/x/net)").
fn about_separate_project(subject: &str) -> bool {
    const HOSTS: &[&str] = &[
        "github.com/",
        "gitlab.com/",
        "bitbucket.org/",
        "golang.org/x/",
        "gopkg.in/",
        "go.googlesource.com/",
        "code.google.com/p/",
    ];
    const BROUGHT_IN: &[&str] = &[
        "derived",
        "ported",
        "copied",
        "based on",
        "adapted",
        "fork",
        "modified",
        "portions",
        "files",
        "directory",
        "vendored",
    ];
    let addressed = HOSTS.iter().any(|h| subject.contains(h));
    let others = (subject.contains("contains software") || subject.contains("includes software"))
        && (subject.contains("developed by") || subject.contains("written by"));
    // "inspired from CakePHP's inflector, a PHP framework licensed under MIT license": the
    // other project's license, no code of it.
    let inspired = subject.contains("inspired");
    (addressed || others || inspired) && !BROUGHT_IN.iter().any(|w| subject.contains(w))
}

/// Whether a licensing sentence's subject is documentation ("Documentation contributions
/// (excluding specifications) are licensed under CC-BY-4.0"): documentation is not compiled
/// into a binary, as for `LICENSE.docs` files (see `super::files`).
fn about_documentation(subject: &str) -> bool {
    subject
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w, "documentation" | "docs"))
}

/// The text after a licensing phrase up to [`NAME_WINDOW`] characters, ending at the end of
/// its sentence (a full stop before a space, not inside "v. 2.0"), so that a name in the
/// next sentence is not read as this sentence's.
fn window_after(flat: &str, start: usize) -> &str {
    let mut end = (start + NAME_WINDOW).min(flat.len());
    while !flat.is_char_boundary(end) {
        end -= 1;
    }
    let w = &flat[start..end];
    let mut cut = w.len();
    for (i, _) in w.match_indices(". ") {
        // "v. 2.0", "vs. " are not sentence ends; a full stop after a word of ≥ 3 letters is.
        let word = w[..i].rsplit(' ').next().unwrap_or("");
        if word.len() >= 3 {
            cut = i;
            break;
        }
    }
    &w[..cut]
}

/// The first license name in `window` (with its offset), names taken at word boundaries.
fn first_name(window: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (name, id) in NAMES {
        let mut from = 0;
        while let Some(at) = window[from..].find(name) {
            let at = from + at;
            from = at + name.len();
            let before = window[..at].chars().next_back();
            let after = window[at + name.len()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
            if boundary(before) && boundary(after) && best.is_none_or(|(b, _)| at < b) {
                best = Some((at, id));
            }
        }
    }
    if best.is_some() {
        return best;
    }
    // An SPDX id as such ("licensed under MIT", "available under Apache-2.0").
    let mut offset = 0;
    for word in window.split(' ') {
        let token = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '.');
        let token = token.trim_end_matches('.');
        if let Some(id) = spdx_id_ignoring_case(token) {
            return Some((offset, id));
        }
        offset += word.len() + 1;
    }
    None
}

/// A current (not deprecated) SPDX license id spelled in any case; short common words that
/// are also ids ("Glide", "Zed") need more than a word: only ids with a digit or a dash, and
/// `MIT`, `ISC`.
fn spdx_id_ignoring_case(token: &str) -> Option<&'static str> {
    if token.len() < 3 {
        return None;
    }
    let plain = matches!(token, "mit" | "isc");
    if !plain && !token.contains(|c: char| c.is_ascii_digit() || c == '-') {
        return None;
    }
    let l = spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(token))?;
    let id = spdx::license_id(l.name)?;
    (!id.is_deprecated()).then_some(l.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::db::bundled;

    fn states(text: &str) -> Option<String> {
        classify_notice(text, bundled()).expression
    }

    #[test]
    fn notice_names() {
        for n in ["NOTICE", "NOTICE.txt", "notice.md", "NOTICES"] {
            assert!(is_notice_file(n), "{n}");
        }
        for n in ["NOTICE.go", "LICENSE", "THIRD_PARTY_NOTICES.md"] {
            assert!(!is_notice_file(n), "{n}");
        }
    }

    #[test]
    fn attributions_state_nothing() {
        for text in [
            "Apache Thrift\nCopyright (C) 2006 - 2019, The Apache Software Foundation\n\nThis product includes software developed at\nThe Apache Software Foundation (http://www.apache.org/).\n",
            "runc\n\nCopyright 2012-2015 Docker, Inc.\n\nThis product includes software developed at Docker, Inc. (http://www.docker.com).\n\nThe following is courtesy of our legal counsel:\n\nUse and transfer of Docker may be subject to certain restrictions by the\nUnited States and other governments.\nSee also http://www.apache.org/dev/crypto.html and/or seek legal counsel.\n",
            "perks - a fork of https://github.com/bmizerany/perks\nSee https://github.com/beorn7/perks/blob/master/README.md for license details.\n",
            "This code is covered by a BSD license.\n",
            "Portions are licensed under the GPL.\n",
        ] {
            assert_eq!(states(text), None, "{text}");
        }
    }

    #[test]
    fn licensing_sentences_state_their_license() {
        let yaml = "The following files were ported to Go from C files of libyaml, and thus are\nstill covered by their original MIT license, with the additional copyright\nstarting in 2011 when the project was ported over:\n\n- internal/libyaml/api.go\n\nAll the remaining project files are covered by the Apache license:\n";
        assert_eq!(states(yaml).as_deref(), Some("MIT"));
        let spdy = "The spdy directory contains code derived from the Go project (golang.org/x/net).\n\nCopyright 2009-2013 The Go Authors.\nLicensed under the BSD 3-Clause License.\n";
        assert_eq!(states(spdy).as_deref(), Some("BSD-3-Clause"));
        let minio = "Your use of the source\ncode for these subcomponents is subject to the terms and conditions\nof Apache License Version 2.0\n";
        assert_eq!(states(minio).as_deref(), Some("Apache-2.0"));
        assert_eq!(
            states("Parts of this are available under MPL-2.0; the rest is licensed under the MIT License.").as_deref(),
            Some("MPL-2.0 AND MIT")
        );
        // A sentence about a separate project (by its repository, or software developed
        // by someone else) is that project's license, not this module's.
        assert_eq!(
            states("This product contains software (https://github.com/creack/pty) developed\nby Keith Rarick, licensed under the MIT License."),
            None
        );
        assert_eq!(
            states("This product includes software developed by Example Corp, released under the MIT License."),
            None
        );
        assert_eq!(
            states("Much of this library was inspired from CakePHP's inflector, a PHP\nframework licensed under MIT license (see CakePHP_LICENSE.txt)."),
            None
        );
        // Documentation is not in a binary (modelcontextprotocol/go-sdk's LICENSE).
        assert_eq!(
            states("Documentation contributions (excluding specifications) are licensed under CC-BY-4.0."),
            None
        );
        // Code brought in from such a project is this module's code.
        assert_eq!(
            states("The spdy directory contains code derived from the Go project (golang.org/x/net), licensed under the BSD 3-Clause License.").as_deref(),
            Some("BSD-3-Clause")
        );
        // The name must follow in the same sentence.
        assert_eq!(
            states("Parts are covered by a notice. The MIT License text is in docs."),
            None
        );
    }
}
