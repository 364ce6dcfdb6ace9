//! Section contents several catalogers search: read-only data (version strings, panic
//! locations) and the ELF `.comment` section (one NUL-terminated line per toolchain).

use object::{Object, ObjectSection, SectionKind};

/// The bytes of every read-only data section (ELF `.rodata`, PE `.rdata`, Mach-O
/// `__TEXT,__const`/`__cstring`), in section order. Data sections are included because
/// some toolchains put constant strings there.
pub fn readonly_data<'data>(file: &object::File<'data>) -> Vec<&'data [u8]> {
    file.sections()
        // Go's runtime tables (function tables, type links, build info) are read-only data
        // but hold no strings worth a scan, and are often a third of a Go binary.
        .filter(|s| !s.name().is_ok_and(is_go_runtime_table))
        .filter(|s| {
            matches!(
                s.kind(),
                SectionKind::ReadOnlyData
                    | SectionKind::ReadOnlyString
                    | SectionKind::ReadOnlyDataWithRel
                    | SectionKind::Data
            )
        })
        .filter_map(|s| s.data().ok())
        .collect()
}

/// The NUL-separated lines of `.comment` (`GCC: (Debian 12.2.0-14) 12.2.0`, `rustc version …`),
/// deduplicated in first-seen order.
pub fn comment_lines(file: &object::File<'_>) -> Vec<String> {
    let Some(data) = file.section_by_name(".comment").and_then(|s| s.data().ok()) else {
        return Vec::new();
    };
    let mut lines: Vec<String> = Vec::new();
    for part in data.split(|&b| b == 0) {
        let line = String::from_utf8_lossy(part).trim().to_string();
        if !line.is_empty() && !lines.contains(&line) && lines.len() < 64 {
            lines.push(line);
        }
    }
    lines
}

fn is_go_runtime_table(name: &str) -> bool {
    let name = name.trim_start_matches(['.', '_']);
    [
        "gopclntab",
        "gosymtab",
        "typelink",
        "itablink",
        "go.buildinfo",
        "go_buildinfo",
        "go.fipsinfo",
    ]
    .contains(&name)
}
