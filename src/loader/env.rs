//! The loader's environment: the `LD_*` variables of an image config's `Env`
//! (`LD_LIBRARY_PATH`, `LD_PRELOAD`, `LD_BIND_NOW`). A `dir:` root has none.
//!
//! A setuid/setgid program runs in secure-execution mode, where glibc ignores
//! `LD_LIBRARY_PATH` and restricts `LD_PRELOAD`; assay does not know how a program is
//! started and applies the environment to every program (docs/loader.md).

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoaderEnv {
    /// `LD_LIBRARY_PATH` entries in order (`:` or `;` separated), empty ones dropped.
    pub library_path: Vec<String>,
    /// `LD_PRELOAD` entries in order (space or `:` separated).
    pub preload: Vec<String>,
    /// `LD_BIND_NOW` set and non-empty: every symbol is bound at load time.
    pub bind_now: bool,
    /// The variables as the config sets them, for evidence (`LD_LIBRARY_PATH=/opt/lib`).
    pub vars: BTreeMap<String, String>,
}

/// Entries read from one variable at most.
const MAX_ENTRIES: usize = 256;

impl LoaderEnv {
    pub fn from_vars(vars: &BTreeMap<String, String>) -> LoaderEnv {
        let split = |name: &str, seps: &[char]| -> Vec<String> {
            vars.get(name)
                .map(|v| {
                    v.split(seps)
                        .filter(|e| !e.is_empty())
                        .take(MAX_ENTRIES)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        LoaderEnv {
            library_path: split("LD_LIBRARY_PATH", &[':', ';']),
            preload: split("LD_PRELOAD", &[' ', ':', '\t', '\n']),
            bind_now: vars.get("LD_BIND_NOW").is_some_and(|v| !v.is_empty()),
            vars: vars
                .iter()
                .filter(|(k, _)| {
                    ["LD_LIBRARY_PATH", "LD_PRELOAD", "LD_BIND_NOW"].contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// `NAME=VALUE (image config Env)` for a finding's evidence.
    pub fn evidence(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| format!("{name}={v} (image config Env)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_split_as_glibc_splits_them() {
        let vars: BTreeMap<String, String> = [
            ("LD_LIBRARY_PATH", "/opt/a::/opt/b;/opt/c"),
            ("LD_PRELOAD", "libx.so /opt/y.so:libz.so"),
            ("LD_BIND_NOW", "1"),
            ("LD_DEBUG", "all"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let env = LoaderEnv::from_vars(&vars);
        assert_eq!(env.library_path, ["/opt/a", "/opt/b", "/opt/c"]);
        assert_eq!(env.preload, ["libx.so", "/opt/y.so", "libz.so"]);
        assert!(env.bind_now);
        assert!(!env.vars.contains_key("LD_DEBUG"));
        assert_eq!(
            env.evidence("LD_PRELOAD").as_deref(),
            Some("LD_PRELOAD=libx.so /opt/y.so:libz.so (image config Env)")
        );
        assert!(!LoaderEnv::from_vars(&BTreeMap::new()).bind_now);
    }
}
