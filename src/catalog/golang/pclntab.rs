//! Go binaries without build info (a patched linker, or the blob wiped): recognised by the
//! pclntab (the runtime's function table, which the program needs to run), so it survives.
//! From it: function names (→ package paths) and source file names (→ module paths with
//! versions when they contain `module@version/`); the Go version from the runtime's
//! `runtime.buildVersion` string in read-only data.

use std::collections::{BTreeMap, BTreeSet};

use memchr::memmem;
use object::{Object, ObjectSection};

/// pclntab magics by the Go release that introduced the layout.
pub const MAGICS: &[(u32, &str)] = &[
    (0xffff_fff1, "go1.20"),
    (0xffff_fff0, "go1.18"),
    (0xffff_fffa, "go1.16"),
    (0xffff_fffb, "go1.2"),
];
/// Names kept (a large program has ~100k functions; packages are far fewer).
const MAX_NAMES: usize = 500_000;
/// Candidate pclntab headers tried when there is no section to say where it is.
const MAX_CANDIDATES: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct Pclntab {
    /// The layout generation (`go1.20`, `go1.18`, `go1.16`, `go1.2`).
    pub layout: &'static str,
    pub ptr_size: u8,
    pub located_by: &'static str,
    /// Package paths of the functions (third-party and standard library).
    pub packages: BTreeSet<String>,
    /// `module@version` found in source file paths → version.
    pub file_modules: BTreeMap<String, String>,
}

/// Finds and reads the pclntab; `None` when the image has none (not a Go binary).
pub fn read(file: &object::File<'_>, data: &[u8]) -> Option<Pclntab> {
    let little = file.is_little_endian();
    let named = ["gopclntab", ".gopclntab", "__gopclntab"]
        .iter()
        .find_map(|n| file.section_by_name(n))
        .and_then(|s| s.data().ok());
    if let Some(bytes) = named {
        if let Some(t) = parse(bytes, little, "section") {
            return Some(t);
        }
    }
    // No section (PE, `-nosections`, renamed): try the magic at 4-aligned offsets with a
    // plausible header after it.
    let mut tried = 0;
    for &(magic, _) in MAGICS {
        let pattern = if little {
            magic.to_le_bytes()
        } else {
            magic.to_be_bytes()
        };
        // Window by window: in a big mapped program (no pclntab: not Go) the pages searched
        // leave the resident set again.
        for at in crate::spill::find_iter(data, &pattern) {
            if at % 4 != 0 {
                continue;
            }
            tried += 1;
            if tried > MAX_CANDIDATES {
                return None;
            }
            if let Some(t) = parse(&data[at..], little, "magic-scan") {
                return Some(t);
            }
        }
    }
    None
}

fn parse(bytes: &[u8], little: bool, located_by: &'static str) -> Option<Pclntab> {
    let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    let magic = if little {
        u32::from_le_bytes(head)
    } else {
        u32::from_be_bytes(head)
    };
    let layout = MAGICS.iter().find(|(m, _)| *m == magic)?.1;
    let (pad, min_lc, ptr_size) = (bytes.get(4..6)?, *bytes.get(6)?, *bytes.get(7)?);
    if pad != [0, 0] || !matches!(min_lc, 1 | 2 | 4) || !matches!(ptr_size, 4 | 8) {
        return None;
    }
    let p = ptr_size as usize;
    let word = |i: usize| -> Option<usize> {
        let b = bytes.get(8 + i * p..8 + (i + 1) * p)?;
        let v = match (p, little) {
            (8, true) => u64::from_le_bytes(b.try_into().ok()?),
            (8, false) => u64::from_be_bytes(b.try_into().ok()?),
            (_, true) => u32::from_le_bytes(b.try_into().ok()?) as u64,
            (_, false) => u32::from_be_bytes(b.try_into().ok()?) as u64,
        };
        usize::try_from(v).ok()
    };
    let mut t = Pclntab {
        layout,
        ptr_size,
        located_by,
        ..Default::default()
    };
    // Header words after magic/pad/minLC/ptrSize: nfunc, nfiles, [textStart (1.18+)],
    // funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset.
    let first = match layout {
        "go1.20" | "go1.18" => 3,
        "go1.16" => 2,
        _ => {
            // go1.2 layout: names are spread through the table; read it as strings.
            strings(bytes.get(..bytes.len().min(64 << 20))?, &mut t);
            return Some(t);
        }
    };
    let (names, cu, filetab, pctab) = (
        word(first)?,
        word(first + 1)?,
        word(first + 2)?,
        word(first + 3)?,
    );
    if !(names <= cu && filetab <= pctab && pctab <= bytes.len() && cu <= bytes.len()) {
        return None;
    }
    strings(bytes.get(names..cu)?, &mut t);
    strings(bytes.get(filetab..pctab)?, &mut t);
    (!t.packages.is_empty()).then_some(t)
}

/// Sorts NUL-terminated strings into function names and file names.
fn strings(bytes: &[u8], t: &mut Pclntab) {
    for raw in bytes.split(|&b| b == 0).take(MAX_NAMES) {
        let Ok(s) = std::str::from_utf8(raw) else {
            continue;
        };
        if s.ends_with(".go") || s.ends_with(".s") {
            if let Some((m, v)) = module_in_file_path(s) {
                t.file_modules.insert(m, v);
            }
        } else if let Some(p) = package_of(s) {
            if t.packages.len() < MAX_NAMES {
                t.packages.insert(p.to_string());
            }
        }
    }
}

/// `github.com/a/b.(*T).M`, `github.com/a/b.F[go.shape.int].func1` → `github.com/a/b`.
pub fn package_of(func: &str) -> Option<&str> {
    if func.starts_with("type:") || func.starts_with("go:") {
        return None;
    }
    let plain = &func[..func.find('[').unwrap_or(func.len())];
    if plain.contains(' ') {
        return None;
    }
    let slash = plain.rfind('/').map_or(0, |i| i + 1);
    let dot = plain[slash..].find('.')? + slash;
    let pkg = &func[..dot];
    (!pkg.is_empty()
        && pkg
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'(' && b != b'*'))
    .then_some(pkg)
}

/// `…/pkg/mod/github.com/a/b@v1.2.3/x.go` or (trimpath) `github.com/a/b@v1.2.3/x.go` →
/// (`github.com/a/b`, `v1.2.3`). Upper-case letters are `!`-escaped in the module cache.
pub fn module_in_file_path(path: &str) -> Option<(String, String)> {
    let at = path.find('@')?;
    let (before, after) = (&path[..at], &path[at + 1..]);
    let version = &after[..after.find('/')?];
    if !version.starts_with('v') {
        return None;
    }
    let module = match before.find("/pkg/mod/") {
        Some(i) => &before[i + "/pkg/mod/".len()..],
        None => before,
    };
    if !module.split('/').next()?.contains('.') {
        return None;
    }
    Some((unescape(module), unescape(version)))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '!' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a package path belongs to the standard library (no dot in its first element).
pub fn is_stdlib(pkg: &str) -> bool {
    !pkg.split('/').next().unwrap_or("").contains('.')
}

/// The module a third-party package belongs to, when the hosting convention says:
/// three elements on the big forges and golang.org/x, two on gopkg.in. Else the package
/// path itself (the module is a prefix of it; which one is unknown).
pub fn guess_module(pkg: &str) -> (String, bool) {
    let parts: Vec<&str> = pkg.split('/').collect();
    let n = match parts[0] {
        "github.com" | "gitlab.com" | "bitbucket.org" | "go.googlesource.com" => 3,
        "golang.org" if parts.get(1) == Some(&"x") => 3,
        "gopkg.in" => 2,
        _ => return (pkg.to_string(), false),
    };
    if parts.len() < n {
        return (pkg.to_string(), false);
    }
    (parts[..n].join("/"), true)
}

/// The runtime version string (`runtime.buildVersion`, e.g. `go1.26.8`) from read-only data:
/// the most specific `go1.N[.P]` string found, ties broken by how often it occurs.
pub fn go_version(data: &[&[u8]]) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in data {
        for at in memmem::find_iter(d, b"go1.") {
            let rest = &d[at + 2..];
            let len = rest
                .iter()
                .take(24)
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.')
                .count();
            let mut v = &rest[..len];
            // Strings are packed without separators: cut at the first letter run that is
            // not a pre-release tag.
            if let Some(i) = v.iter().position(|b| b.is_ascii_alphabetic()) {
                let tail = &v[i..];
                if !(tail.starts_with(b"rc") || tail.starts_with(b"beta")) {
                    v = &v[..i];
                }
            }
            while v.last() == Some(&b'.') {
                v = &v[..v.len() - 1];
            }
            let dots = v.iter().filter(|&&b| b == b'.').count();
            if (1..=2).contains(&dots) && v.len() > 3 {
                *counts
                    .entry(format!("go{}", String::from_utf8_lossy(v)))
                    .or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(v, n)| (v.matches('.').count(), *n))
        .map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_and_modules() {
        assert_eq!(package_of("github.com/a/b.(*T).M"), Some("github.com/a/b"));
        assert_eq!(
            package_of("github.com/a/b.F[go.shape.struct { X string }].func1"),
            Some("github.com/a/b")
        );
        assert_eq!(package_of("runtime.main"), Some("runtime"));
        assert_eq!(package_of("type:.eq.[2]interface {}"), None);
        assert_eq!(
            module_in_file_path("/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.3.2/decode.go"),
            Some(("github.com/BurntSushi/toml".into(), "v1.3.2".into()))
        );
        assert_eq!(
            module_in_file_path("golang.org/x/text@v0.14.0/language/tags.go"),
            Some(("golang.org/x/text".into(), "v0.14.0".into()))
        );
        assert_eq!(
            guess_module("github.com/a/b/c/d"),
            ("github.com/a/b".into(), true)
        );
    }

    #[test]
    fn version_string() {
        let d: &[u8] = b"xxgo1.26.8goexit0 go1.21 go1.26.8\0";
        assert_eq!(go_version(&[d]).as_deref(), Some("go1.26.8"));
    }
}
