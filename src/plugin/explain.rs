//! Beyond the runtime's one-line error: which module and version each side links for a
//! package, which build settings differ, and what to change.

use serde::Serialize;

use super::image::GoImage;

/// The module a package comes from, on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleOrigin {
    /// Module path, or `std` for the standard library.
    pub module: String,
    /// Module version (the replacement's when replaced), or the Go toolchain for `std`.
    pub version: String,
    /// Set when the module is replaced: the replacement path (a directory or another module).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

/// A build setting whose value differs between the plugin and the package's provider.
#[derive(Debug, Clone, Serialize)]
pub struct SettingDifference {
    pub setting: String,
    pub plugin: String,
    pub provider: String,
}

/// Settings that change compiled export data, or that users ask about, in report order.
/// `go` is the toolchain version including `X:` experiments.
const COMPARED_SETTINGS: &[&str] = &[
    "go",
    "GOOS",
    "GOARCH",
    "-trimpath",
    "-tags",
    "-race",
    "-msan",
    "-asan",
    "GOEXPERIMENT",
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GO386",
    "GOPPC64",
    "GORISCV64",
    "GOMIPS",
    "GOMIPS64",
    "CGO_ENABLED",
    "-gcflags",
    "-asmflags",
    "-compiler",
    "-cover",
    "-pgo",
];

/// The value of a compared setting as the build info records it; absent booleans mean false.
fn setting_value(image: &GoImage, key: &str) -> String {
    if key == "go" {
        return image
            .go_version
            .as_ref()
            .map(|v| v.raw.clone())
            .unwrap_or_else(|| "(unknown)".into());
    }
    match image.setting(key) {
        Some(v) => v.to_string(),
        None if matches!(key, "-trimpath" | "-race" | "-msan" | "-asan" | "-cover") => {
            "false".into()
        }
        None => "(unset)".into(),
    }
}

pub fn setting_differences(plugin: &GoImage, provider: &GoImage) -> Vec<SettingDifference> {
    if plugin.modinfo.is_none() || provider.modinfo.is_none() {
        return Vec::new();
    }
    COMPARED_SETTINGS
        .iter()
        .filter_map(|&key| {
            let (a, b) = (setting_value(plugin, key), setting_value(provider, key));
            (a != b).then(|| SettingDifference {
                setting: key.to_string(),
                plugin: a,
                provider: b,
            })
        })
        .collect()
}

/// Maps a package to its module by the longest module path that is a path prefix of it
/// (main module included); packages outside every module are the standard library's when
/// their first element has no dot.
pub fn module_of(image: &GoImage, package: &str) -> Option<ModuleOrigin> {
    let modinfo = image.modinfo.as_ref()?;
    let contains = |module: &str| {
        package == module
            || package
                .strip_prefix(module)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let best = modinfo
        .main
        .iter()
        .chain(modinfo.deps.iter())
        .filter(|m| contains(&m.path))
        .max_by_key(|m| m.path.len());
    if let Some(m) = best {
        let linked = m.linked();
        return Some(ModuleOrigin {
            module: m.path.clone(),
            version: linked.version.clone(),
            replaced_by: m.replace.as_ref().map(|r| {
                if r.version.is_empty() || r.version == "(devel)" {
                    r.path.clone()
                } else {
                    format!("{} {}", r.path, r.version)
                }
            }),
        });
    }
    let first = package.split('/').next().unwrap_or(package);
    if !first.contains('.') && !package.starts_with("plugin/unnamed-") {
        let go = image.go_version.as_ref()?;
        return Some(ModuleOrigin {
            module: "std".into(),
            version: go.raw.clone(),
            replaced_by: None,
        });
    }
    None
}

/// A fix for a package mismatch, most specific cause first.
pub fn mismatch_hint(
    package: &str,
    plugin_module: Option<&ModuleOrigin>,
    provider_module: Option<&ModuleOrigin>,
    differences: &[SettingDifference],
    provider_is_host: bool,
) -> String {
    let other = if provider_is_host {
        "the host"
    } else {
        "the earlier plugin"
    };
    if let Some(go) = differences.iter().find(|d| d.setting == "go") {
        let toolchain = go.provider.split([' ', '-']).next().unwrap_or(&go.provider);
        return format!(
            "build both with the same Go toolchain, {toolchain} (plugin: {}, {other}: {})",
            go.plugin, go.provider
        );
    }
    if let (Some(p), Some(h)) = (plugin_module, provider_module) {
        // Two local-directory replacements cannot be compared from build info (the
        // directories are relative to different go.mod files): not a version difference.
        let both_local = [p, h].iter().all(|o| {
            o.replaced_by
                .as_deref()
                .is_some_and(crate::catalog::golang::modinfo::is_directory_path)
        });
        if p.module == h.module
            && p.module != "std"
            && !both_local
            && (p.version != h.version || p.replaced_by != h.replaced_by)
        {
            let wanted = match &h.replaced_by {
                Some(r) => format!("replace {} => {r}", h.module),
                None => format!("require {} {}", h.module, h.version),
            };
            return format!("{wanted} in the plugin's go.mod, as {other} does");
        }
    }
    if let Some(d) = differences.iter().find(|d| d.setting != "go") {
        return format!(
            "build both with the same {} (plugin: {}, {other}: {})",
            d.setting, d.plugin, d.provider
        );
    }
    format!(
        "package {package} was compiled from different source with the same module versions \
         and settings (a local replace, vendored edits or GOFLAGS not recorded?): rebuild the \
         plugin and {other} from the same source"
    )
}
