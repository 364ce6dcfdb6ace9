//! Parsing the modinfo text (the reverse of `runtime/debug.BuildInfo.String`).
//!
//! Grammar, one record per `\n`-terminated line:
//! `path\t<pkg>`, `mod\t<path>\t<version>[\t<sum>]`, `dep\t…` (same columns),
//! `=>\t<path>\t<version>\t<sum>` (replaces the previous mod/dep), `build\t<key>=<value>`
//! with keys and values quoted by Go's rules when needed. Unknown lines are ignored, as Go
//! does. Unlike Go, a malformed line does not discard the whole record: it is kept as a
//! warning so the rest of the dependency list is not lost.

use super::quote;
pub use crate::model::go::{is_directory_path, ModInfo, Module, Setting};

/// Which module line a following `=>` line replaces.
#[derive(Clone, Copy)]
enum Last {
    None,
    Main,
    Dep(usize),
}

pub fn parse(text: &str) -> ModInfo {
    let mut info = ModInfo::default();
    let mut last = Last::None;
    // Go drops a final line without a newline; so do we.
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    for (index, line) in complete.split('\n').enumerate() {
        let number = index + 1;
        let warn = |msg: String| info_warn(number, msg);
        if let Some(rest) = line.strip_prefix("path\t") {
            info.path = rest.to_string();
        } else if let Some(rest) = line.strip_prefix("mod\t") {
            match module_line(rest) {
                Ok(m) => {
                    info.main = Some(m);
                    last = Last::Main;
                }
                Err(e) => {
                    info.warnings.push(warn(e));
                    last = Last::None;
                }
            }
        } else if let Some(rest) = line.strip_prefix("dep\t") {
            match module_line(rest) {
                Ok(m) => {
                    info.deps.push(m);
                    last = Last::Dep(info.deps.len() - 1);
                }
                Err(e) => {
                    info.warnings.push(warn(e));
                    last = Last::None;
                }
            }
        } else if let Some(rest) = line.strip_prefix("=>\t") {
            let cols: Vec<&str> = rest.split('\t').collect();
            if cols.len() != 3 {
                info.warnings.push(warn(format!(
                    "expected 3 columns for replacement; got {}",
                    cols.len()
                )));
                continue;
            }
            let replacement = Box::new(Module {
                path: cols[0].to_string(),
                version: cols[1].to_string(),
                sum: cols[2].to_string(),
                replace: None,
            });
            let target = match last {
                Last::Main => info.main.as_mut(),
                Last::Dep(i) => info.deps.get_mut(i),
                Last::None => None,
            };
            match target {
                Some(m) => m.replace = Some(replacement),
                None => info
                    .warnings
                    .push(warn("replacement with no module on previous line".into())),
            }
            last = Last::None;
        } else if let Some(rest) = line.strip_prefix("build\t") {
            match build_line(rest) {
                Ok(s) => info.settings.push(s),
                Err(e) => info.warnings.push(warn(e)),
            }
        }
    }
    info
}

fn info_warn(line: usize, msg: String) -> String {
    format!("modinfo line {line}: {msg}")
}

fn module_line(rest: &str) -> Result<Module, String> {
    let cols: Vec<&str> = rest.split('\t').collect();
    if cols.len() != 2 && cols.len() != 3 {
        return Err(format!("expected 2 or 3 columns; got {}", cols.len()));
    }
    Ok(Module {
        path: cols[0].to_string(),
        version: cols[1].to_string(),
        sum: cols.get(2).map(|s| s.to_string()).unwrap_or_default(),
        replace: None,
    })
}

fn build_line(kv: &str) -> Result<Setting, String> {
    if kv.is_empty() {
        return Err("build line missing '='".into());
    }
    let (key, raw_value) = if kv.starts_with('"') {
        let quoted = quote::quoted_prefix(kv).ok_or("invalid quoted key in build line")?;
        let after = &kv[quoted.len()..];
        let raw_value = after
            .strip_prefix('=')
            .ok_or("build line missing '=' after quoted key")?;
        let key = quote::unquote(quoted).ok_or("invalid quoted key in build line")?;
        (key, raw_value)
    } else {
        let (key, value) = kv
            .split_once('=')
            .ok_or("build line missing '=' after key")?;
        if quote::key_needs_quoting(key) {
            return Err(format!("unquoted key {key:?} must be quoted"));
        }
        (key.to_string(), value)
    };
    let value = if raw_value.starts_with('"') {
        quote::unquote(raw_value).ok_or("invalid quoted value in build line")?
    } else {
        if quote::value_needs_quoting(raw_value) {
            return Err(format!("unquoted value {raw_value:?} must be quoted"));
        }
        raw_value.to_string()
    };
    Ok(Setting { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "path\texample.com/hello\n\
mod\texample.com/hello\t(devel)\t\n\
dep\tgithub.com/google/uuid\tv1.6.0\th1:abc=\n\
dep\tgithub.com/pkg/errors\tv0.9.1\n\
=>\tgithub.com/pkg/errors\tv0.8.1\th1:def=\n\
dep\texample.com/localdep\tv0.0.0-00010101000000-000000000000\n\
=>\t./localdep\t(devel)\t\n\
build\t-buildmode=exe\n\
build\t-ldflags=\"-X main.version=1.4.2 -s\"\n\
build\t\"odd key\"=v\n\
build\tCGO_ENABLED=0\n\
build\tvcs.modified=false\n";

    #[test]
    fn parses_everything_go_writes() {
        let info = parse(SAMPLE);
        assert_eq!(info.path, "example.com/hello");
        let main = info.main.as_ref().expect("main module");
        assert_eq!(main.version, "(devel)");
        assert_eq!(main.sum, "");
        assert_eq!(info.deps.len(), 3);
        assert_eq!(info.deps[0].sum, "h1:abc=");
        let errors = &info.deps[1];
        assert_eq!(errors.linked().version, "v0.8.1");
        assert_eq!(errors.version, "v0.9.1");
        assert!(info.deps[2].is_local_replacement());
        assert_eq!(info.deps[2].linked().path, "./localdep");
        assert_eq!(info.setting("-ldflags"), Some("-X main.version=1.4.2 -s"));
        assert_eq!(info.setting("odd key"), Some("v"));
        assert_eq!(info.settings.len(), 5);
        assert!(info.warnings.is_empty(), "{:?}", info.warnings);
    }

    #[test]
    fn gopath_mode_has_no_main_module() {
        let info = parse("path\tgithub.com/x/tool\nbuild\tGOOS=linux\n");
        assert_eq!(info.path, "github.com/x/tool");
        assert!(info.main.is_none());
    }

    #[test]
    fn malformed_lines_become_warnings_without_losing_the_rest() {
        let info = parse("dep\tonly-one-column\n=>\ta\tb\ndep\tgood\tv1.0.0\nbuild\tbad key=1\nbuild\tk=\"unterminated\n");
        assert_eq!(info.deps.len(), 1);
        assert_eq!(info.deps[0].path, "good");
        assert_eq!(info.warnings.len(), 4, "{:?}", info.warnings);
    }

    #[test]
    fn last_line_without_newline_is_dropped_like_go() {
        let info = parse("path\ta\ndep\tb\tv1");
        assert!(info.deps.is_empty());
    }
}
