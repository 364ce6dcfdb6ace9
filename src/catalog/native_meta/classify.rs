//! Statically linked C libraries recognised by the version strings they embed, the way
//! binary classifiers (syft's, for one) do: a fixed marker next to a version.

use memchr::memmem;

pub struct Classifier {
    /// Component name.
    pub name: &'static str,
    /// purl type and name when a standard one exists (`pkg:generic/zlib@…`).
    pub purl_name: &'static str,
    /// Bytes right before the version.
    pub prefix: &'static [u8],
    /// Bytes that must follow the version (empty: any non-version byte).
    pub suffix: &'static [u8],
    /// What the evidence string looks like, for the `assay:evidence` property.
    pub pattern: &'static str,
}

pub const CLASSIFIERS: &[Classifier] = &[
    Classifier {
        name: "zlib",
        purl_name: "zlib",
        prefix: b"deflate ",
        suffix: b" Copyright ",
        pattern: "deflate <version> Copyright",
    },
    Classifier {
        name: "zlib",
        purl_name: "zlib",
        prefix: b"inflate ",
        suffix: b" Copyright ",
        pattern: "inflate <version> Copyright",
    },
    Classifier {
        name: "openssl",
        purl_name: "openssl",
        prefix: b"OpenSSL ",
        suffix: b" ",
        pattern: "OpenSSL <version> <date>",
    },
    Classifier {
        name: "curl",
        purl_name: "curl",
        prefix: b"libcurl/",
        suffix: b"",
        pattern: "libcurl/<version>",
    },
    Classifier {
        name: "node",
        purl_name: "node",
        prefix: b"node.js/v",
        suffix: b"",
        pattern: "node.js/v<version>",
    },
    Classifier {
        name: "python",
        purl_name: "python",
        prefix: b"CPython ",
        suffix: b"",
        pattern: "CPython <version>",
    },
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    pub name: &'static str,
    pub purl_name: &'static str,
    pub version: String,
    pub evidence: String,
}

/// Longest version string considered.
const MAX_VERSION: usize = 32;

pub fn classify(bytes: &[u8], out: &mut Vec<Match>) {
    for c in CLASSIFIERS {
        for at in memmem::find_iter(bytes, c.prefix) {
            let start = at + c.prefix.len();
            let Some(rest) = bytes.get(start..) else {
                continue;
            };
            let len = rest
                .iter()
                .take(MAX_VERSION + 1)
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
                .count();
            if len == 0
                || len > MAX_VERSION
                || !rest[0].is_ascii_digit()
                || !rest[..len].contains(&b'.')
            {
                continue;
            }
            if !rest[len..].starts_with(c.suffix) {
                continue;
            }
            // OpenSSL's version line is followed by its release date (`3.0.11 19 Sep 2023`).
            if c.name == "openssl" && !rest.get(len + 1).is_some_and(u8::is_ascii_digit) {
                continue;
            }
            let version = String::from_utf8_lossy(&rest[..len]).into_owned();
            out.push(Match {
                name: c.name,
                purl_name: c.purl_name,
                evidence: c.pattern.replace("<version>", &version),
                version,
            });
        }
    }
    sqlite(bytes, out);
}

/// SQLite keeps its version (`sqlite3_version[]`) as a bare NUL-delimited string, so it is
/// recognised by its `SQLite format 3` marker and a bare `3.x.y` string. Other libraries
/// keep bare version strings too (OpenSSL's `OPENSSL_VERSION_STR` `3.2.1` sits next to
/// SQLite's source id in real binaries), so a candidate another recognised library claims is
/// not SQLite's; of the rest, the one nearest SQLite's source id
/// (`2022-12-28 14:03:47 <hex>`) wins. [`version_from_symbol`] is exact when symbols remain.
fn sqlite(bytes: &[u8], out: &mut Vec<Match>) {
    if memmem::find(bytes, b"SQLite format 3").is_none() {
        return;
    }
    let claimed: Vec<String> = out
        .iter()
        .filter(|m| m.name != "sqlite")
        .map(|m| m.version.clone())
        .collect();
    let source_id = find_source_id(bytes);
    let mut best: Option<(usize, String)> = None;
    for at in memmem::find_iter(bytes, b"\x003.") {
        let rest = &bytes[at + 1..];
        let len = rest
            .iter()
            .take(16)
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count();
        if rest.get(len) != Some(&0) || rest[..len].iter().filter(|&&b| b == b'.').count() != 2 {
            continue;
        }
        let version = String::from_utf8_lossy(&rest[..len]).into_owned();
        if claimed.contains(&version) {
            continue;
        }
        let distance = source_id.map_or(0, |s| s.abs_diff(at));
        if best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, version));
        }
    }
    if let Some((_, version)) = best {
        out.push(Match {
            name: "sqlite",
            purl_name: "sqlite",
            evidence: format!("\"SQLite format 3\" and version string {version}"),
            version,
        });
    }
}

/// Offset of SQLite's source id: `YYYY-MM-DD HH:MM:SS ` and at least 40 hex digits.
fn find_source_id(bytes: &[u8]) -> Option<usize> {
    memmem::find_iter(bytes, b" ").find_map(|space| {
        let start = space.checked_sub(19)?;
        let stamp = bytes.get(start..space)?;
        let shape = b"dddd-dd-dd dd:dd:dd";
        let stamp_ok = stamp.iter().zip(shape).all(|(b, s)| match s {
            b'd' => b.is_ascii_digit(),
            other => b == other,
        });
        let hex = bytes.get(space + 1..space + 41)?;
        (stamp_ok && hex.iter().all(u8::is_ascii_hexdigit)).then_some(start)
    })
}

/// The exact SQLite version from the `sqlite3_version` symbol's bytes, when the symbol
/// table survives (unstripped binaries): `3.40.1\0`.
pub fn sqlite_version_from_symbol(file: &object::File<'_>) -> Option<String> {
    use object::{Object, ObjectSection, ObjectSymbol};
    let sym = file.symbols().find(|s| s.name() == Ok("sqlite3_version"))?;
    let section = file.section_by_index(sym.section_index()?).ok()?;
    let size = sym.size().clamp(1, 32);
    let data = section.data_range(sym.address(), size).ok()??;
    let text = data.split(|&b| b == 0).next()?;
    let valid = text.first() == Some(&b'3')
        && text.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && text.iter().filter(|&&b| b == b'.').count() == 2;
    valid.then(|| String::from_utf8_lossy(text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_zlib_and_openssl() {
        let mut out = Vec::new();
        classify(
            b"\0 deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler \0OpenSSL 3.0.11 19 Sep 2023\0OpenSSL and more\0",
            &mut out,
        );
        let got: Vec<(&str, &str)> = out.iter().map(|m| (m.name, m.version.as_str())).collect();
        assert_eq!(got, vec![("zlib", "1.2.13"), ("openssl", "3.0.11")]);
    }

    #[test]
    fn sqlite_takes_its_own_version_not_openssls() {
        // Layout seen in a real binary: OpenSSL's bare version right before SQLite's source id.
        let mut out = Vec::new();
        classify(
            b"SQLite format 3\0OpenSSL 3.2.1 30 Jan 2024\0\x003.2.1\x002022-12-28 14:03:47 df5c253c0b3dd24916e4ec7cf77d3db5294cc9fd45ae7b9c5e82ad8197f3alt1\0pad\x003.40.1\0",
            &mut out,
        );
        let got: Vec<(&str, &str)> = out.iter().map(|m| (m.name, m.version.as_str())).collect();
        assert_eq!(got, vec![("openssl", "3.2.1"), ("sqlite", "3.40.1")]);
    }
}
