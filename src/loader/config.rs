//! The loader's configuration files inside a root filesystem: glibc's `/etc/ld.so.conf` (with
//! `include` globs) and musl's `/etc/ld-musl-<arch>.path`.

use std::collections::{BTreeMap, BTreeSet};

/// glibc's view of `/etc/ld.so.cache`: the loader searches it (not `ld.so.conf`) after
/// DT_RUNPATH, so a library added to an `ld.so.conf` directory without running `ldconfig`
/// is not found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cache {
    /// No cache file: glibc goes straight to the default directories.
    Absent,
    /// `(library name, path)` in file order. `hwcaps`: the entries ldconfig made for
    /// `glibc-hwcaps/<level>/` subdirectories, which a loader picks only on a CPU of that
    /// level; assay assumes the baseline level and does not pick them (docs/loader.md).
    Entries {
        baseline: Vec<(String, String)>,
        hwcaps: Vec<(String, String)>,
    },
    /// A format assay does not read (the pre-2.32 combined format): the `ld.so.conf`
    /// directories stand in for it, as if `ldconfig` had just run.
    Unreadable(String),
}

/// Entries read from one cache at most.
const MAX_CACHE_ENTRIES: usize = 1 << 16;

/// Reads the `glibc-ld.so.cache1.1` format (glibc 2.32+ writes only this): a 48-byte
/// header, `nlibs` 24-byte entries (flags, key, value, osversion, hwcap), string offsets
/// from the start of the file.
pub fn ld_so_cache(texts: &BTreeMap<&str, &[u8]>) -> Cache {
    let Some(data) = texts.get("etc/ld.so.cache") else {
        return Cache::Absent;
    };
    const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
    if !data.starts_with(MAGIC) {
        return Cache::Unreadable("/etc/ld.so.cache: not the glibc-ld.so.cache1.1 format".into());
    }
    let u32_at = |o: usize| -> Option<u32> {
        let b = data.get(o..o.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let string_at = |o: u32| -> Option<String> {
        let rest = data.get(o as usize..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    };
    let Some(nlibs) = u32_at(20) else {
        return Cache::Unreadable("/etc/ld.so.cache: truncated header".into());
    };
    let u64_at = |o: usize| -> Option<u64> {
        Some(u64::from(u32_at(o)?) | (u64::from(u32_at(o + 4)?) << 32))
    };
    let mut entries = Vec::new();
    let mut hwcaps = Vec::new();
    for i in 0..(nlibs as usize).min(MAX_CACHE_ENTRIES) {
        let at = 48 + i * 24;
        let (Some(flags), Some(key), Some(value)) = (u32_at(at), u32_at(at + 4), u32_at(at + 8))
        else {
            return Cache::Unreadable(format!("/etc/ld.so.cache: entry {i} past the end"));
        };
        // FLAG_ELF_LIBC6 (class and machine are checked on the file itself).
        if flags & 0xff != 3 {
            continue;
        }
        // DL_CACHE_HWCAP_EXTENSION (bit 62): a glibc-hwcaps subdirectory entry.
        let is_hwcaps = u64_at(at + 16).is_some_and(|h| h & (1 << 62) != 0);
        match (string_at(key), string_at(value)) {
            (Some(k), Some(v)) => {
                let entry = (k, v.trim_start_matches('/').to_string());
                if is_hwcaps {
                    hwcaps.push(entry);
                } else {
                    entries.push(entry);
                }
            }
            _ => {
                return Cache::Unreadable(format!(
                    "/etc/ld.so.cache: entry {i} names a string past the end"
                ))
            }
        }
    }
    Cache::Entries {
        baseline: entries,
        hwcaps,
    }
}

/// Includes followed at most (ldconfig has no limit; a cycle would loop it forever).
const MAX_CONF_FILES: usize = 256;

/// Directories `ldconfig` would put in `ld.so.cache`, in order: `ld.so.conf` lines, each
/// `include PATTERN` expanded in name order where it appears. A file included twice (a
/// cycle) is read once and reported.
pub fn ld_so_conf_dirs(texts: &BTreeMap<&str, &[u8]>, problems: &mut Vec<String>) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut seen = BTreeSet::new();
    read_conf("etc/ld.so.conf", texts, &mut seen, &mut dirs, problems, 0);
    dirs
}

fn read_conf(
    file: &str,
    texts: &BTreeMap<&str, &[u8]>,
    seen: &mut BTreeSet<String>,
    dirs: &mut Vec<String>,
    problems: &mut Vec<String>,
    depth: usize,
) {
    if !seen.insert(file.to_string()) {
        problems.push(format!(
            "/{file}: included again (include cycle): not read twice"
        ));
        return;
    }
    if seen.len() > MAX_CONF_FILES || depth > 32 {
        problems.push(format!("/{file}: too many nested includes: not read"));
        return;
    }
    let Some(text) = texts.get(file) else {
        return;
    };
    for line in String::from_utf8_lossy(text).lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(pattern) = line
            .strip_prefix("include")
            .filter(|p| p.starts_with([' ', '\t']))
        {
            for pattern in pattern.split_whitespace() {
                // Relative include patterns are relative to the including file's directory.
                let pattern = if pattern.starts_with('/') {
                    pattern.trim_start_matches('/').to_string()
                } else {
                    match file.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{pattern}"),
                        None => pattern.to_string(),
                    }
                };
                let matches: Vec<&str> = texts
                    .keys()
                    .filter(|k| glob_match(&pattern, k))
                    .copied()
                    .collect();
                for m in matches {
                    read_conf(m, texts, seen, dirs, problems, depth + 1);
                }
            }
        } else if line.starts_with("hwcap") {
            continue;
        } else {
            // `DIR` or the old `DIR=TYPE` form; several may share a line.
            for dir in line.split([' ', '\t', ',', ':']).filter(|d| !d.is_empty()) {
                let dir = dir.split('=').next().unwrap_or(dir);
                if !dir.starts_with('/') {
                    problems.push(format!(
                        "/{file}: relative directory {dir}: ldconfig resolves it against its working directory; taken from the root"
                    ));
                }
                if climbs_above_root(dir) {
                    problems.push(format!(
                        "/{file}: {dir} climbs above the root: resolved inside it, as in a chroot"
                    ));
                }
                let dir = dir
                    .trim_start_matches('/')
                    .trim_end_matches('/')
                    .to_string();
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
    }
}

/// Whether `..` components take a path above where it starts (`/../../opt`).
fn climbs_above_root(path: &str) -> bool {
    let mut depth = 0usize;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            _ => depth += 1,
        }
    }
    false
}

/// `*` and `?` within one path component (what `include` patterns use).
fn glob_match(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == s.len()
        && p.iter()
            .zip(&s)
            .all(|(p, s)| component_match(p.as_bytes(), s.as_bytes()))
}

fn component_match(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            component_match(&p[1..], s) || (!s.is_empty() && component_match(p, &s[1..]))
        }
        (Some(b'?'), Some(_)) => component_match(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => component_match(&p[1..], &s[1..]),
        _ => false,
    }
}

/// musl's system path: `etc/ld-musl-ARCH.path` (entries separated by newlines or `:`), else
/// musl's built-in `/lib:/usr/local/lib:/usr/lib`.
pub fn musl_sys_path(texts: &BTreeMap<&str, &[u8]>, arch: &str) -> (Vec<String>, Option<String>) {
    let file = format!("etc/ld-musl-{arch}.path");
    match texts.get(file.as_str()) {
        Some(text) => (
            String::from_utf8_lossy(text)
                .split(['\n', ':'])
                .map(|d| d.trim().trim_start_matches('/').trim_end_matches('/'))
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
            Some(format!("/{file}")),
        ),
        None => (
            ["lib", "usr/local/lib", "usr/lib"]
                .map(String::from)
                .to_vec(),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_in_order_and_cycles_reported() {
        let mut texts: BTreeMap<&str, &[u8]> = BTreeMap::new();
        texts.insert(
            "etc/ld.so.conf",
            b"include /etc/ld.so.conf.d/*.conf\n/opt/last\n",
        );
        texts.insert(
            "etc/ld.so.conf.d/a.conf",
            b"# c\n/usr/local/lib\ninclude /etc/ld.so.conf\n",
        );
        texts.insert(
            "etc/ld.so.conf.d/b.conf",
            b"/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu\n",
        );
        texts.insert(
            "etc/ld.so.conf.d/c.conf",
            b"/../../opt/up relative/dir /opt/x/../y\n",
        );
        let mut problems = Vec::new();
        let dirs = ld_so_conf_dirs(&texts, &mut problems);
        assert_eq!(
            dirs,
            [
                "usr/local/lib",
                "lib/x86_64-linux-gnu",
                "usr/lib/x86_64-linux-gnu",
                "../../opt/up",
                "relative/dir",
                "opt/x/../y",
                "opt/last"
            ]
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("cycle"));
        assert!(problems[1].contains("/../../opt/up climbs above the root"));
        assert!(problems[2].contains("relative directory relative/dir"));
    }

    #[test]
    fn cache_entries_and_damage() {
        let mut cache = b"glibc-ld.so.cache1.1".to_vec();
        cache.extend(1u32.to_le_bytes()); // nlibs
        cache.extend([0u8; 24]); // len_strings, flags, padding, extension, unused
        let strings = 48 + 24;
        cache.extend(0x303u32.to_le_bytes());
        cache.extend((strings as u32).to_le_bytes());
        cache.extend((strings as u32 + 10).to_le_bytes());
        cache.extend([0u8; 12]);
        cache.extend(b"libz.so.1\0/lib/libz.so.1\0");
        let mut texts: BTreeMap<&str, &[u8]> = BTreeMap::new();
        assert_eq!(ld_so_cache(&texts), Cache::Absent);
        texts.insert("etc/ld.so.cache", &cache);
        assert_eq!(
            ld_so_cache(&texts),
            Cache::Entries {
                baseline: vec![("libz.so.1".into(), "lib/libz.so.1".into())],
                hwcaps: Vec::new()
            }
        );
        let short = &cache[..60];
        texts.insert("etc/ld.so.cache", short);
        assert!(matches!(ld_so_cache(&texts), Cache::Unreadable(_)));
    }

    #[test]
    fn musl_path_file_or_default() {
        let mut texts: BTreeMap<&str, &[u8]> = BTreeMap::new();
        assert_eq!(
            musl_sys_path(&texts, "x86_64").0,
            ["lib", "usr/local/lib", "usr/lib"]
        );
        texts.insert(
            "etc/ld-musl-x86_64.path",
            b"/usr/lib/x86_64-linux-musl\n/opt/m:/lib\n",
        );
        assert_eq!(
            musl_sys_path(&texts, "x86_64").0,
            ["usr/lib/x86_64-linux-musl", "opt/m", "lib"]
        );
    }
}
