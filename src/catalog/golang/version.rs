//! Go toolchain version strings and main-module version recovery.

use crate::model::go::ModInfo;
pub use crate::model::go::{is_real_version, is_shared_version, GoVersion, RecoveredVersion};

/// Recovers a version from the build settings: first a `-X …version=` flag, then VCS
/// stamping. Never invents one.
pub fn recover_from_settings(info: &ModInfo) -> Option<RecoveredVersion> {
    if let Some(v) = info.setting("-ldflags").and_then(from_ldflags) {
        return Some(v);
    }
    from_vcs(info)
}

/// Names of `-X` variables that conventionally hold the program's version (compared on the
/// identifier after the last `.`, case-insensitively).
pub fn is_version_variable(name: &str) -> bool {
    let ident = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    ident.ends_with("version") || matches!(ident.as_str(), "ver" | "tag" | "gittag" | "release")
}

/// Accepts values that look like versions (`1.2.3`, `v1.2.3-rc.1`), not `dev` or `unknown`.
pub fn normalize_version_value(value: &str) -> Option<String> {
    let v = value.trim().trim_matches(|c| c == '\'' || c == '"');
    let digits = v.strip_prefix('v').unwrap_or(v);
    if !digits.starts_with(|c: char| c.is_ascii_digit())
        || v.chars().any(|c| c.is_whitespace() || c == '$')
    {
        return None;
    }
    Some(if v.starts_with('v') {
        v.to_string()
    } else {
        format!("v{v}")
    })
}

fn from_ldflags(ldflags: &str) -> Option<RecoveredVersion> {
    let args = split_quoted(ldflags);
    let mut candidates: Vec<(bool, String, String)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let assignment = match arg {
            "-X" | "--X" => {
                i += 1;
                args.get(i).map(String::as_str)
            }
            _ => arg.strip_prefix("-X=").or_else(|| arg.strip_prefix("--X=")),
        };
        if let Some((name, value)) = assignment.and_then(|a| a.split_once('=')) {
            if is_version_variable(name) {
                if let Some(version) = normalize_version_value(value) {
                    let preferred = name.eq_ignore_ascii_case("main.version");
                    candidates.push((preferred, version, format!("-X {name}={value}")));
                }
            }
        }
        i += 1;
    }
    // Prefer main.version; otherwise the first plausible one, in command-line order.
    let pick = candidates.iter().position(|c| c.0).unwrap_or(0);
    let (_, version, evidence) = candidates.into_iter().nth(pick)?;
    Some(RecoveredVersion {
        version,
        method: "ldflags-x",
        evidence,
    })
}

/// Splits a flag string the way `cmd/internal/quoted.Split` does: on spaces, with single or
/// double quotes grouping (no escapes).
fn split_quoted(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_arg = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_arg = true;
            }
            None if c.is_whitespace() => {
                if in_arg {
                    args.push(std::mem::take(&mut current));
                    in_arg = false;
                }
            }
            None => {
                current.push(c);
                in_arg = true;
            }
        }
    }
    if in_arg {
        args.push(current);
    }
    args
}

/// `v0.0.0-<UTC yyyymmddhhmmss>-<12 hex>` from `vcs.time` and `vcs.revision`, the form Go
/// uses for untagged commits; `+dirty` when the tree was modified, as Go 1.24+ stamps it.
fn from_vcs(info: &ModInfo) -> Option<RecoveredVersion> {
    let revision = info.setting("vcs.revision")?;
    let time = info.setting("vcs.time")?;
    if revision.len() < 12 || !revision.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    // vcs.time is RFC 3339 in UTC (`2024-05-01T10:20:30Z`).
    let stamp: String = time
        .strip_suffix('Z')?
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    if stamp.len() != 14 {
        return None;
    }
    let dirty = info.setting("vcs.modified") == Some("true");
    let version = format!(
        "v0.0.0-{stamp}-{}{}",
        &revision[..12],
        if dirty { "+dirty" } else { "" }
    );
    Some(RecoveredVersion {
        version,
        method: "vcs-pseudo-version",
        evidence: format!("vcs.revision={revision} vcs.time={time}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::golang::modinfo::parse;

    #[test]
    fn experiments_both_spellings() {
        let old = GoVersion::parse("go1.22.1 X:boringcrypto");
        assert_eq!(old.toolchain, "go1.22.1");
        assert_eq!(old.experiments, ["boringcrypto"]);
        let new = GoVersion::parse("go1.26.0-X:nodwarf5,jsonv2");
        assert_eq!(new.toolchain, "go1.26.0");
        assert_eq!(new.experiments, ["nodwarf5", "jsonv2"]);
        assert_eq!(new.stdlib_version(), "1.26.0");
        let devel = GoVersion::parse("devel go1.24-abcdef Tue Jan 2 15:04:05 2024 +0000");
        assert_eq!(devel.stdlib_version(), devel.toolchain);
    }

    #[test]
    fn ldflags_version_variable() {
        let info = parse("build\t-ldflags=\"-s -w -X 'main.commit=abc' -X main.version=1.4.2\"\n");
        let v = recover_from_settings(&info).expect("recovered");
        assert_eq!(v.version, "v1.4.2");
        assert_eq!(v.method, "ldflags-x");
        let info = parse("build\t-ldflags=-X=github.com/x/y/internal/build.Version=v2.0.0\n");
        assert_eq!(
            recover_from_settings(&info).map(|v| v.version).as_deref(),
            Some("v2.0.0")
        );
        let info = parse("build\t-ldflags=\"-X main.version=dev\"\n");
        assert_eq!(recover_from_settings(&info), None);
    }

    #[test]
    fn vcs_pseudo_version() {
        let info = parse(
            "build\tvcs=git\nbuild\tvcs.revision=0123456789abcdef0123\nbuild\tvcs.time=2024-05-01T10:20:30Z\nbuild\tvcs.modified=true\n",
        );
        let v = recover_from_settings(&info).expect("recovered");
        assert_eq!(v.version, "v0.0.0-20240501102030-0123456789ab+dirty");
        assert_eq!(v.method, "vcs-pseudo-version");
    }
}
