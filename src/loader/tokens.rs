//! glibc's dynamic string tokens in RPATH, RUNPATH, `LD_LIBRARY_PATH` and `LD_PRELOAD`:
//! `$ORIGIN`, `$LIB`, `$PLATFORM` (also `${NAME}`), and the `glibc-hwcaps` subdirectory
//! levels the loader would search first on a capable CPU.

/// What the tokens expand to for one loader and ELF machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    /// `$LIB`: glibc's library directory name, relative (`lib/x86_64-linux-gnu` on a
    /// Debian-style multiarch glibc, else `lib64` or `lib`). `None` for musl.
    pub lib: Option<String>,
    /// `$PLATFORM`: the kernel's `AT_PLATFORM` for the machine (`x86_64`, `aarch64`).
    pub platform: Option<String>,
}

/// `AT_PLATFORM` as Linux reports it for an ELF machine (glibc ≥ 2.26 on x86_64 no
/// longer refines it to `haswell`/`xeon_phi`). Unknown machines: `None`.
pub fn platform_of(machine: u16) -> Option<&'static str> {
    match machine {
        62 => Some("x86_64"),
        183 => Some("aarch64"),
        3 => Some("i686"),
        _ => None,
    }
}

/// The `glibc-hwcaps` subdirectories glibc (≥ 2.33) searches, best first, before each
/// directory of a search path — only those the CPU supports. assay assumes the baseline
/// CPU level, where none is searched; these name the variants it does not pick.
pub fn hwcaps_levels(machine: u16) -> &'static [&'static str] {
    match machine {
        62 => &["x86-64-v4", "x86-64-v3", "x86-64-v2"],
        21 => &["power10", "power9"],
        22 => &["z16", "z15", "z14", "z13"],
        _ => &[],
    }
}

/// Expands the tokens of one search-path entry; `origin` is the directory (with a leading
/// `/`) of the object whose entry it is. `None` when a known token cannot be expanded:
/// glibc drops such an entry. Unknown `$NAME`s stay literal, as in glibc.
pub fn expand(entry: &str, origin: &str, tokens: &Tokens) -> Option<String> {
    let mut out = String::with_capacity(entry.len());
    let mut rest = entry;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = match after.strip_prefix('{') {
            Some(b) => match b.find('}') {
                Some(end) => (&b[..end], &b[end + 1..]),
                None => ("", after),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        let value = match name {
            "ORIGIN" => Some(origin),
            "LIB" => Some(tokens.lib.as_deref()?),
            "PLATFORM" => Some(tokens.platform.as_deref()?),
            _ => None,
        };
        match value {
            Some(v) => {
                out.push_str(v);
                rest = tail;
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expand_as_glibc_does_on_debian() {
        let t = Tokens {
            lib: Some("lib/x86_64-linux-gnu".into()),
            platform: Some("x86_64".into()),
        };
        assert_eq!(
            expand("/opt/r/$LIB:x", "/o", &t).as_deref(),
            Some("/opt/r/lib/x86_64-linux-gnu:x")
        );
        assert_eq!(
            expand("${ORIGIN}/../${PLATFORM}/$ORIGIN", "/opt/a", &t).as_deref(),
            Some("/opt/a/../x86_64//opt/a")
        );
        // Not tokens: left as written.
        assert_eq!(
            expand("/a/$ORIGINX/$HOME/${X", "/o", &t).as_deref(),
            Some("/a/$ORIGINX/$HOME/${X")
        );
        // musl knows $ORIGIN only: an entry with $LIB is dropped.
        assert_eq!(expand("/a/$LIB", "/o", &Tokens::default()), None);
        assert_eq!(platform_of(62), Some("x86_64"));
    }
}
