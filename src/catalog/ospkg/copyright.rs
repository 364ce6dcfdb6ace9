//! Licenses of Debian packages from `/usr/share/doc/PKG/copyright`, read with the package
//! database (this is a cataloger: what the file states, no text classification).
//!
//! Machine-readable files (DEP-5, `Format: …copyright-format…`): the `License:` synopsis of
//! every `Files:` paragraph, combined with AND. Debian's short names map to SPDX ids (table
//! below, from the DEP-5 specification's list of short names, and names that already are
//! SPDX ids); any other name (`Apache-2.0~glozer`, `permissive`, `public-domain`) is kept as
//! the packager's own name, `LicenseRef-Debian-<name>`. Free-text files: the
//! `/usr/share/common-licenses/NAME` files the text refers to.

use std::collections::BTreeMap;

use crate::model::license::join_expressions;

const DOC: &str = "usr/share/doc/";

/// Copyright files the image scanner should buffer: `usr/share/doc/PKG/copyright`.
pub fn wants(path: &str) -> bool {
    path.strip_prefix(DOC)
        .and_then(|rest| rest.strip_suffix("/copyright"))
        .is_some_and(|pkg| !pkg.is_empty() && !pkg.contains('/'))
}

/// The copyright file's path for a package (the doc directory may be a symlink to another
/// package's: the caller resolves it).
pub fn copyright_path(package: &str) -> String {
    format!("{DOC}{package}/copyright")
}

/// The license of the installed package `name`: its copyright file, following a doc
/// directory that is a symlink to another package's (`canonical` resolves symlinks inside the
/// image). Returns the license and the file's path inside the image.
pub fn for_package(
    name: &str,
    texts: &BTreeMap<&str, &[u8]>,
    canonical: &dyn Fn(&str) -> Option<String>,
) -> Option<(DebianLicense, String)> {
    let path = copyright_path(name);
    let path = canonical(&path).unwrap_or(path);
    let text = texts.get(path.as_str())?;
    let text = String::from_utf8_lossy(text);
    read(&text).map(|l| (l, path))
}

/// The properties a Debian package component carries for its license (read by
/// the license resolver): expression, method, file, confidence.
pub fn package_properties(
    name: &str,
    texts: &BTreeMap<&str, &[u8]>,
    canonical: &dyn Fn(&str) -> Option<String>,
) -> Vec<crate::model::Property> {
    use crate::model::Property;
    let Some((l, path)) = for_package(name, texts, canonical) else {
        return Vec::new();
    };
    vec![
        Property::new("assay:package:license", &l.expression),
        Property::new("assay:package:license-method", l.method),
        Property::new("assay:package:license-file", format!("/{path}")),
        Property::new(
            "assay:package:license-confidence",
            format!("{:.2}", l.confidence),
        ),
    ]
}

/// A Debian package's license as its copyright file states it.
#[derive(Debug, Clone, PartialEq)]
pub struct DebianLicense {
    pub expression: String,
    /// `dep5-license-fields` or `copyright-text`.
    pub method: &'static str,
    /// The lowest confidence of the parts (1.0 for DEP-5 short names in the table).
    pub confidence: f32,
}

/// Reads one copyright file. `None` when it states no license assay can name.
pub fn read(text: &str) -> Option<DebianLicense> {
    let paragraphs = paragraphs(text);
    let dep5 = paragraphs
        .first()
        .and_then(|p| p.get("format"))
        .is_some_and(|f| f.contains("copyright-format") || f.contains("dep5"));
    if dep5 {
        from_dep5(&paragraphs)
    } else {
        from_free_text(text)
    }
}

fn from_dep5(paragraphs: &[BTreeMap<String, String>]) -> Option<DebianLicense> {
    let mut units: Vec<String> = Vec::new();
    let mut confidence: f32 = 1.0;
    for p in paragraphs.iter().filter(|p| p.contains_key("files")) {
        let Some(field) = p.get("license") else {
            continue;
        };
        let synopsis = field.split('\n').next().unwrap_or("").trim();
        if synopsis.is_empty() {
            continue;
        }
        let (expr, conf) = synopsis_expression(synopsis);
        confidence = confidence.min(conf);
        // A plain conjunction contributes its parts, so no license is listed twice.
        let parts: Vec<String> = if expr.contains(" OR ") || expr.contains('(') {
            vec![expr]
        } else {
            expr.split(" AND ").map(str::to_string).collect()
        };
        for part in parts {
            if !units.contains(&part) {
                units.push(part);
            }
        }
    }
    if units.is_empty() {
        return None;
    }
    units.sort();
    Some(DebianLicense {
        expression: join_expressions(&units, "AND"),
        method: "dep5-license-fields",
        confidence,
    })
}

/// A DEP-5 synopsis: short names joined by `or`, `and`, `,` (and), with `with … exception`.
fn synopsis_expression(synopsis: &str) -> (String, f32) {
    let mut confidence: f32 = 1.0;
    let alternatives: Vec<String> = synopsis
        .split(" or ")
        .map(|alt| {
            let parts: Vec<String> = alt
                .split(" and ")
                .flat_map(|p| p.split(','))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|name| {
                    let (id, c) = name_expression(name);
                    confidence = confidence.min(c);
                    id
                })
                .collect();
            join_expressions(&parts, "AND")
        })
        .fold(Vec::new(), |mut acc: Vec<String>, a| {
            if !acc.contains(&a) {
                acc.push(a);
            }
            acc
        });
    (join_expressions(&alternatives, "OR"), confidence)
}

/// One short name (possibly `NAME with X exception`).
fn name_expression(name: &str) -> (String, f32) {
    let lower = name.to_ascii_lowercase();
    if let Some((base, exception)) = lower.split_once(" with ") {
        let (base_id, c) = name_expression(base.trim());
        let exception = exception.trim().trim_end_matches(" exception").trim();
        return match exception_id(exception) {
            Some(e) if !base_id.contains(' ') => (format!("{base_id} WITH {e}"), c),
            _ => (base_id, c.min(0.5)),
        };
    }
    if let Some(id) = short_name(&lower) {
        return (id, 1.0);
    }
    // The packager's own name for a license SPDX does not list: stated, so not unknown, but
    // only policy lists can judge it.
    (license_ref(name), 0.9)
}

/// DEP-5 short names are case-insensitive, and so are SPDX license ids: `GPL` and `gpl` in two
/// packages' files are one license, so the id is spelled in lower case.
fn license_ref(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("LicenseRef-Debian-{}", id.trim_matches('-'))
}

/// DEP-5 short names (copyright-format 1.0, "License specification") → SPDX.
fn short_name(lower: &str) -> Option<String> {
    let (base, plus) = match lower.strip_suffix('+') {
        Some(b) => (b, true),
        None => (lower, false),
    };
    let gnu = |family: &str, version: &str| {
        let v = match version {
            "1" => "1.0",
            "2" => "2.0",
            "3" => "3.0",
            v => v,
        };
        format!("{family}-{v}-{}", if plus { "or-later" } else { "only" })
    };
    for family in ["gpl", "lgpl", "agpl", "gfdl"] {
        if let Some(v) = base.strip_prefix(family).and_then(|r| r.strip_prefix('-')) {
            let upper = family.to_ascii_uppercase();
            let id = gnu(&upper, v);
            return spdx::license_id(&id).map(|l| l.name.to_string());
        }
    }
    if plus {
        return None;
    }
    let id = match base {
        "apache-1.0" => "Apache-1.0",
        "apache-1.1" => "Apache-1.1",
        "apache-2.0" => "Apache-2.0",
        "artistic" | "artistic-1.0" => "Artistic-1.0",
        "artistic-2.0" => "Artistic-2.0",
        "bsd-2-clause" => "BSD-2-Clause",
        "bsd-3-clause" => "BSD-3-Clause",
        "bsd-4-clause" => "BSD-4-Clause",
        "cc0-1.0" | "cc0" => "CC0-1.0",
        "expat" | "mit" => "MIT",
        "isc" => "ISC",
        "mpl-1.1" => "MPL-1.1",
        "mpl-2.0" => "MPL-2.0",
        "zlib" => "Zlib",
        "zope" | "zpl-2.1" => "ZPL-2.1",
        "python-2.0" | "psf-2.0" => "Python-2.0",
        "openssl" => "OpenSSL",
        "perl" => return Some("Artistic-1.0-Perl OR GPL-1.0-or-later".into()),
        "curl" => "curl",
        "x11" => "X11",
        "unicode-dfs-2016" => "Unicode-DFS-2016",
        "bsl-1.0" => "BSL-1.0",
        "0bsd" => "0BSD",
        "ofl-1.1" => "OFL-1.1",
        "sleepycat" => "Sleepycat",
        "ftl" => "FTL",
        "epl-1.0" => "EPL-1.0",
        "epl-2.0" => "EPL-2.0",
        "cddl-1.0" => "CDDL-1.0",
        _ => {
            // Names that already are SPDX ids (many packages use them).
            return spdx::license_id(lower_to_spdx(base)?)
                .filter(|l| !l.is_deprecated())
                .map(|l| l.name.to_string());
        }
    };
    Some(id.to_string())
}

/// The SPDX id whose lower case is `lower`, if any.
fn lower_to_spdx(lower: &str) -> Option<&'static str> {
    spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(lower))
        .map(|l| l.name)
}

fn exception_id(lower: &str) -> Option<&'static str> {
    Some(match lower {
        "openssl" => "openvpn-openssl-exception",
        "font" => "Font-exception-2.0",
        "gcc" | "gcc-3.1" => "GCC-exception-3.1",
        "autoconf" => "Autoconf-exception-3.0",
        "classpath" => "Classpath-exception-2.0",
        "bison" => "Bison-exception-2.2",
        "linking" | "lgpl-3.0-linking" => "LGPL-3.0-linking-exception",
        _ => return None,
    })
}

/// Free text: the files under /usr/share/common-licenses the text names.
fn from_free_text(text: &str) -> Option<DebianLicense> {
    let mut units: Vec<String> = Vec::new();
    let confidence: f32 = 1.0;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = flat.as_str();
    while let Some(at) = rest.find("/usr/share/common-licenses/") {
        rest = &rest[at + "/usr/share/common-licenses/".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            .collect();
        let name = name.trim_end_matches('.');
        let lower = name.to_ascii_lowercase();
        let flat_lower = flat.to_ascii_lowercase();
        let or_later = flat_lower.contains("any later version");
        // "GPL" alone is the latest GPL (a symlink to GPL-3): the notice's "version N" decides.
        let versioned = if lower.contains('-') {
            lower.clone()
        } else {
            notice_version(&flat_lower)
                .map(|v| format!("{lower}-{v}"))
                .unwrap_or_default()
        };
        let gnu = versioned.starts_with("gpl") || versioned.starts_with("lgpl");
        let id = short_name(&if or_later && gnu {
            format!("{versioned}+")
        } else {
            versioned
        });
        if let Some(id) = id {
            if !units.contains(&id) {
                units.push(id);
            }
        }
    }
    if units.is_empty() {
        return None;
    }
    units.sort();
    Some(DebianLicense {
        expression: join_expressions(&units, "AND"),
        method: "copyright-text",
        confidence,
    })
}

/// "… General Public License … version 2 …" → "2".
fn notice_version(flat_lower: &str) -> Option<String> {
    let at = flat_lower.find("general public license")?;
    let rest = &flat_lower[at..flat_lower.len().min(at + 300)];
    let v = rest.split("version ").nth(1)?;
    let v: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = v.trim_end_matches('.').to_string();
    (!v.is_empty()).then_some(v)
}

/// RFC 822-style paragraphs with lower-case keys; continuation lines keep their text (a
/// line of `.` is an empty line).
fn paragraphs(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines().take(100_000) {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            last = None;
        } else if line.starts_with([' ', '\t']) {
            if let Some(v) = last.as_ref().and_then(|k| current.get_mut(k)) {
                v.push('\n');
                let t = line.trim();
                if t != "." {
                    v.push_str(t);
                }
            }
        } else if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            current.insert(k.clone(), v.trim().to_string());
            last = Some(k);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep5_fields_combined() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\nLicense: GPL-2+\n\nFiles: lib/*\nLicense: LGPL-2.1+ or BSD-3-clause\n\nFiles: debian/*\nLicense: Expat\n";
        let l = read(text).unwrap();
        assert_eq!(
            l.expression,
            "GPL-2.0-or-later AND (LGPL-2.1-or-later OR BSD-3-Clause) AND MIT"
        );
        assert!(wants("usr/share/doc/bash/copyright"));
        assert!(!wants("usr/share/doc/bash/x/copyright"));
    }
}
