//! Compilers named by DWARF `DW_AT_producer` strings and `.comment` lines.

/// A compiler as a producer string names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Producer {
    /// `gcc`, `clang`, …
    pub compiler: String,
    pub version: String,
    /// Source language when the producer says (`GNU C17`, `GNU C++17`).
    pub language: Option<String>,
    /// Command-line flags recorded by `-grecord-gcc-switches` (GCC's default).
    pub flags: Option<String>,
}

/// `GNU C17 12.2.0 -mtune=generic -march=x86-64 -g -O2`, `Debian clang version 14.0.6`,
/// `clang version 17.0.6 (https://github.com/llvm/llvm-project …)`. Rust and Go producers
/// are left to their own catalogers.
pub fn parse_dwarf_producer(s: &str) -> Option<Producer> {
    if s.contains("rustc version") || s.starts_with("Go cmd/compile") {
        return None;
    }
    if let Some(rest) = s.strip_prefix("GNU ") {
        // `<language> <version> <flags…>`; the language is one word (C17, C++17, Fortran2008, AS).
        let mut parts = rest.splitn(3, ' ');
        let language = parts.next()?.to_string();
        let version = parts.next()?.to_string();
        if !version.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let flags = parts.next().map(str::to_string).filter(|f| !f.is_empty());
        let compiler = if language == "AS" { "gas" } else { "gcc" };
        return Some(Producer {
            compiler: compiler.into(),
            version,
            language: Some(language),
            flags,
        });
    }
    let at = s.find("clang version ")?;
    let version = version_at(&s[at + "clang version ".len()..])?;
    Some(Producer {
        compiler: "clang".into(),
        version,
        language: None,
        flags: None,
    })
}

/// `GCC: (Debian 12.2.0-14) 12.2.0`, `clang version 14.0.6`, `Linker: LLD 17.0.6`.
/// Returns the compiler and the upstream version (the last word for GCC).
pub fn parse_comment(line: &str) -> Option<Producer> {
    if let Some(rest) = line.strip_prefix("GCC: ") {
        let version = version_at(rest.rsplit(' ').next()?)?;
        return Some(Producer {
            compiler: "gcc".into(),
            version,
            language: None,
            flags: None,
        });
    }
    if let Some(at) = line.find("clang version ") {
        return Some(Producer {
            compiler: "clang".into(),
            version: version_at(&line[at + "clang version ".len()..])?,
            language: None,
            flags: None,
        });
    }
    None
}

fn version_at(s: &str) -> Option<String> {
    let v: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~'))
        .collect();
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcc_producer_with_flags() {
        let p = parse_dwarf_producer("GNU C17 12.2.0 -mtune=generic -march=x86-64 -g -O2").unwrap();
        assert_eq!(p.compiler, "gcc");
        assert_eq!(p.version, "12.2.0");
        assert_eq!(p.language.as_deref(), Some("C17"));
        assert_eq!(
            p.flags.as_deref(),
            Some("-mtune=generic -march=x86-64 -g -O2")
        );
        let c = parse_dwarf_producer("Debian clang version 14.0.6").unwrap();
        assert_eq!(
            (c.compiler.as_str(), c.version.as_str()),
            ("clang", "14.0.6")
        );
        assert!(parse_dwarf_producer("clang LLVM (rustc version 1.91.0)").is_none());
    }

    #[test]
    fn comment_lines() {
        let p = parse_comment("GCC: (Debian 12.2.0-14) 12.2.0").unwrap();
        assert_eq!((p.compiler.as_str(), p.version.as_str()), ("gcc", "12.2.0"));
        assert!(parse_comment("rustc version 1.91.0").is_none());
    }
}
