//! File names as SPDX wants them: relative to the scan root, `./`-prefixed, never absolute
//! and never climbing out with `..` (SPDX 2.3 §8.1; pyspdxtools and ntia-conformance-checker
//! reject `/abs/path`).
//!
//! The scan names a file by the target the user gave (`/abs/dir/app` for a file target,
//! `/abs/dir/sub/x` under one of several directory targets). The scan root of such a name is
//! the directory holding its target, so the relative name is the target's base name followed
//! by the rest: `/abs/dir/app` → `./app`, `/abs/dir/sub/x` → `./dir/sub/x` (target `/abs/dir`).

use std::path::Path;

/// The SPDX `fileName` for a scan name. `targets` are the scan's targets as given.
pub fn spdx_file_name(name: &str, targets: &[String]) -> String {
    if let Some(rest) = name.strip_prefix("./") {
        return format!("./{}", clean(rest));
    }
    // The longest target the name is, or lies under.
    let target = targets
        .iter()
        .map(|t| t.trim_end_matches('/'))
        .filter(|t| !t.is_empty())
        .filter(|t| name == *t || name.strip_prefix(t).is_some_and(|r| r.starts_with('/')))
        .max_by_key(|t| t.len());
    let relative = match target {
        Some(t) => {
            let base = Path::new(t)
                .file_name()
                .map(|b| b.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{base}{}", &name[t.len()..])
        }
        None => name.to_string(),
    };
    format!("./{}", clean(&relative))
}

/// Drops empty, `.` and `..` segments, so the name stays inside the scan root.
fn clean(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    if parts.is_empty() {
        // A target of `/` or `.` as a file name: keep something readable and valid.
        "root".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::spdx_file_name;

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_file_by_absolute_path_is_its_base_name() {
        assert_eq!(
            spdx_file_name("/abs/path/app", &t(&["/abs/path/app"])),
            "./app"
        );
        assert_eq!(spdx_file_name("../bin/app", &t(&["../bin/app"])), "./app");
        assert_eq!(spdx_file_name("bin/app", &t(&["bin/app"])), "./app");
    }

    #[test]
    fn under_a_single_directory_the_name_is_kept() {
        assert_eq!(
            spdx_file_name("./usr/bin/ls", &t(&["/rootfs"])),
            "./usr/bin/ls"
        );
        assert_eq!(spdx_file_name("./a/../b", &t(&["d"])), "./a/b");
    }

    #[test]
    fn under_one_of_several_directories_the_target_base_leads() {
        let targets = t(&["/abs/dist/", "/abs/dist/sub", "other"]);
        assert_eq!(spdx_file_name("/abs/dist/x", &targets), "./dist/x");
        assert_eq!(spdx_file_name("/abs/dist/sub/y", &targets), "./sub/y");
        assert_eq!(spdx_file_name("other/z", &targets), "./other/z");
    }

    #[test]
    fn unknown_absolute_names_lose_the_leading_slash() {
        assert_eq!(spdx_file_name("/usr/bin/ls", &[]), "./usr/bin/ls");
        assert_eq!(spdx_file_name("/", &t(&["/"])), "./root");
    }
}
