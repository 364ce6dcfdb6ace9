//! The prediction: `plugin.Open` on each plugin in load order, modelled on
//! `plugin/plugin_dlopen.go` (`open`) and `runtime/plugin.go` (`plugin_lastmoduleinit`).
//!
//! State carried between plugins, as in the real process:
//! - files opened so far, by real path: a second `plugin.Open` of the same real path returns
//!   the first result (or `<err> (previous failure)`) without loading anything;
//! - the global symbol scope: the host, then every plugin `dlopen` accepted (RTLD_GLOBAL),
//!   including those the runtime checks then rejected — their symbols stay bound;
//! - active modules: the host and the plugins that loaded; their pluginpaths are taken.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use super::explain::{self, ModuleOrigin, SettingDifference};
use super::image::{path_to_prefix, GoImage, TableOrder};
use crate::catalog::golang::GoVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Outcome {
    Loads,
    Fails,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Loads => "LOADS",
            Outcome::Fails => "FAILS",
            Outcome::Unknown => "UNKNOWN",
        }
    }
}

/// The checks, in the order the runtime makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The host's GOOS/GOARCH has a plugin implementation (else `plugin: not implemented`).
    PlatformSupported,
    /// The host links package `plugin` and was built with cgo.
    HostPluginSupport,
    /// The same real path was opened before.
    PreviousOpen,
    /// `dlopen` accepts the file: same format, ELF class, machine and OS as the host.
    SamePlatform,
    /// The file is a Go plugin at all (has a pluginpath and a package hash table).
    GoPlugin,
    /// Host and plugin runtimes share the module data layout (same Go minor release).
    Toolchain,
    /// No active module has the same pluginpath (`plugin already loaded`).
    AlreadyLoaded,
    /// Every package hash equals the first provider's (`different version of package P`).
    PackageHashes,
    /// The exports named by `--expect` are present (`Plugin.Lookup` would find them).
    ExpectedExports,
}

impl Check {
    /// The kebab-case name, as in JSON and in `assay check`'s rule ids (`plugin/<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Check::PlatformSupported => "platform-supported",
            Check::HostPluginSupport => "host-plugin-support",
            Check::PreviousOpen => "previous-open",
            Check::SamePlatform => "same-platform",
            Check::GoPlugin => "go-plugin",
            Check::Toolchain => "toolchain",
            Check::AlreadyLoaded => "already-loaded",
            Check::PackageHashes => "package-hashes",
            Check::ExpectedExports => "expected-exports",
        }
    }

    pub const ALL: [Check; 9] = [
        Check::PlatformSupported,
        Check::HostPluginSupport,
        Check::PreviousOpen,
        Check::SamePlatform,
        Check::GoPlugin,
        Check::Toolchain,
        Check::AlreadyLoaded,
        Check::PackageHashes,
        Check::ExpectedExports,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

/// Why a package's hash differs, with both sides' origin.
#[derive(Debug, Clone, Serialize)]
pub struct PackageMismatch {
    pub package: String,
    /// The file whose definition of the package the runtime compares against.
    pub provider: PathBuf,
    pub provider_is_host: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_module: Option<ModuleOrigin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_module: Option<ModuleOrigin>,
    /// Every package of the table that differs from its provider, in table order.
    pub all_mismatched: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The argument as given (what `plugin.Open` would be called with).
    pub name: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_check: Option<Check>,
    /// The exact error `plugin.Open` (or `Plugin.Lookup` for `--expect`) would return;
    /// `None` when it loads or when no exact text can be predicted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub confidence: Confidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pluginpath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<PackageMismatch>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub setting_differences: Vec<SettingDifference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_exports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explanation: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A plugin to open: the argument as given and what the file says.
pub struct PluginInput {
    pub name: String,
    pub image: GoImage,
}

/// Platforms with a `plugin_dlopen.go` implementation (its build constraint, and
/// `internal/platform.BuildModeSupported(plugin)`).
fn platform_supported(os: Option<&str>, arch: &str) -> bool {
    match os {
        Some("linux") => matches!(
            arch,
            "amd64" | "arm" | "arm64" | "386" | "loong64" | "riscv64" | "s390x" | "ppc64le"
        ),
        Some("android") => matches!(arch, "amd64" | "386"),
        Some("darwin") => matches!(arch, "amd64" | "arm64"),
        Some("freebsd") => arch == "amd64",
        _ => false,
    }
}

/// `plugin.Open("<name>"): <reason>` with the `.so` trimmed as `open` does after `dlopen`.
fn open_error(name: &str, reason: &str) -> String {
    let trimmed = if name.len() > 3 && name.ends_with(".so") {
        &name[..name.len() - 3]
    } else {
        name
    };
    format!("plugin.Open(\"{trimmed}\"): {reason}")
}

/// What happened to a real path opened earlier.
#[derive(Clone)]
enum Opened {
    Loaded,
    /// Rejected by the runtime checks; `plugin.Open` remembers the reason.
    Rejected(String),
}

/// Identity of a file for `dlopen`: glibc reuses a loaded object with the same device
/// and inode even under another path.
fn file_identity(path: &std::path::Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Go minor release (`go1.26.8` → `(1, 26)`); `None` for development toolchains.
fn minor_release(v: &GoVersion) -> Option<(u32, u32)> {
    let rest = v.toolchain.strip_prefix("go")?;
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub fn predict(host: &GoImage, plugins: &[PluginInput], expect: Option<&[String]>) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let mut opened: HashMap<PathBuf, Opened> = HashMap::new();
    let mut identities: HashMap<(u64, u64), PathBuf> = HashMap::new();
    // Global scope for symbol resolution, in lookup order (host first when it exports).
    let mut scope: Vec<&GoImage> = Vec::new();
    if host.exports_link_hashes {
        scope.push(host);
    }
    let mut active_pluginpaths: Vec<String> = Vec::new();

    for input in plugins {
        let verdict = predict_one(
            host,
            input,
            expect,
            &mut opened,
            &mut identities,
            &mut scope,
            &mut active_pluginpaths,
        );
        verdicts.push(verdict);
    }
    verdicts
}

fn base_verdict(input: &PluginInput) -> Verdict {
    Verdict {
        name: input.name.clone(),
        outcome: Outcome::Loads,
        failed_check: None,
        error: None,
        confidence: Confidence::High,
        pluginpath: input.image.pluginpath.clone(),
        mismatch: None,
        setting_differences: Vec::new(),
        missing_exports: Vec::new(),
        explanation: Vec::new(),
        hint: None,
    }
}

fn fail(mut v: Verdict, check: Check, error: Option<String>, why: String) -> Verdict {
    v.outcome = Outcome::Fails;
    v.failed_check = Some(check);
    v.error = error;
    v.explanation.push(why);
    v
}

#[allow(clippy::too_many_arguments)]
fn predict_one<'a>(
    host: &'a GoImage,
    input: &'a PluginInput,
    expect: Option<&[String]>,
    opened: &mut HashMap<PathBuf, Opened>,
    identities: &mut HashMap<(u64, u64), PathBuf>,
    scope: &mut Vec<&'a GoImage>,
    active_pluginpaths: &mut Vec<String>,
) -> Verdict {
    let plugin = &input.image;
    let name = input.name.as_str();
    let v = base_verdict(input);

    // 1–2. plugin_stubs.go: no dlopen implementation for this host.
    let host_os = host.platform.os.as_deref();
    if !platform_supported(host_os, &host.platform.arch) {
        return fail(
            v,
            Check::PlatformSupported,
            Some("plugin: not implemented".into()),
            format!(
                "Go has no plugin support on the host's platform {}/{}",
                host_os.unwrap_or("unknown"),
                host.platform.arch
            ),
        );
    }
    if host.format != "ELF" {
        // Link hashes are read from ELF dynamic symbols only; a Mach-O host (darwin) would
        // otherwise look as if it exported none.
        let mut v = v;
        v.outcome = Outcome::Unknown;
        v.failed_check = Some(Check::HostPluginSupport);
        v.confidence = Confidence::Low;
        v.explanation
            .push(format!("{} hosts are not read yet (ELF only)", host.format));
        return v;
    }
    if !host.links_plugin_package {
        let mut v = fail(
            v,
            Check::HostPluginSupport,
            None,
            "the host does not link package plugin: it has no plugin.Open to call, and it does \
             not export its Go symbols, so a raw dlopen would start a second, separate Go runtime"
                .into(),
        );
        v.hint = Some("import \"plugin\" in the host and build it with CGO_ENABLED=1".into());
        return v;
    }
    if host.cgo == Some(false) || !host.exports_link_hashes {
        let mut v = fail(
            v,
            Check::HostPluginSupport,
            Some("plugin: not implemented".into()),
            format!(
                "the host links package plugin but was built without cgo (CGO_ENABLED={}), so \
                 it carries the plugin stubs",
                host.setting("CGO_ENABLED").unwrap_or("unknown")
            ),
        );
        v.hint = Some("build the host with CGO_ENABLED=1 (and a C toolchain)".into());
        if host.cgo == Some(true) {
            v.confidence = Confidence::Low; // cgo on but no hash symbols: unexpected
        }
        return v;
    }

    // 3. The same real path opened before: plugin.Open answers from its map.
    let real = std::fs::canonicalize(&plugin.path).unwrap_or_else(|_| plugin.path.clone());
    match opened.get(&real) {
        Some(Opened::Loaded) => {
            let mut v = v;
            v.explanation.push(format!(
                "{} was already opened: plugin.Open returns the same plugin again",
                real.display()
            ));
            return v;
        }
        Some(Opened::Rejected(reason)) => {
            // The name keeps its .so here: open() trims it only after dlopen.
            let error = format!("plugin.Open(\"{name}\"): {reason} (previous failure)");
            return fail(
                v,
                Check::PreviousOpen,
                Some(error),
                format!(
                    "{} failed before; plugin.Open repeats that failure",
                    real.display()
                ),
            );
        }
        None => {}
    }

    // 4. dlopen: the dynamic loader rejects another format, class or machine.
    if plugin.format != host.format
        || plugin.platform.bits != host.platform.bits
        || plugin.platform.arch != host.platform.arch
        || plugin.platform.endian != host.platform.endian
    {
        let (error, confidence) =
            if plugin.format == "ELF" && plugin.platform.bits != host.platform.bits {
                (
                    Some(format!(
                        "plugin.Open(\"{name}\"): {}: wrong ELF class: ELFCLASS{}",
                        real.display(),
                        plugin.platform.bits
                    )),
                    Confidence::High,
                )
            } else {
                (None, Confidence::Medium)
            };
        let mut v = fail(
            v,
            Check::SamePlatform,
            error,
            format!(
                "the plugin is {} {}-bit {}, the host {} {}-bit {}: dlopen refuses it",
                plugin.format,
                plugin.platform.bits,
                plugin.platform.arch,
                host.format,
                host.platform.bits,
                host.platform.arch
            ),
        );
        v.confidence = confidence;
        return v;
    }
    // dlopen succeeded from here on: the file joins the global scope (RTLD_GLOBAL) even if
    // the runtime rejects it below.
    let same_object = file_identity(&real).and_then(|id| identities.get(&id).cloned());
    if let Some(first) = same_object {
        // dlopen hands back the object already mapped under the other path; no new module
        // data appears, and the last module is a loaded one.
        let reason = "plugin already loaded".to_string();
        opened.insert(real, Opened::Rejected(reason.clone()));
        return fail(
            v,
            Check::AlreadyLoaded,
            Some(open_error(name, &reason)),
            format!(
                "this is the same file as {} (a hard link): dlopen returns the object already loaded",
                first.display()
            ),
        );
    }
    if let Some(id) = file_identity(&real) {
        identities.insert(id, real.clone());
    }

    let Some(pluginpath) = plugin.pluginpath.clone() else {
        let mut v = v;
        v.outcome = Outcome::Unknown;
        v.failed_check = Some(Check::GoPlugin);
        v.confidence = Confidence::Low;
        v.explanation.push(if plugin.format != "ELF" {
            format!("{} plugins are not read yet (ELF only)", plugin.format)
        } else if plugin.is_plugin() {
            "the plugin's pluginpath could not be determined (no Go build info naming a \
             package of its hash table)"
                .into()
        } else {
            "no Go plugin package hash table was found: not a Go plugin (-buildmode=plugin); \
             the runtime would throw or misbehave"
                .into()
        });
        return v;
    };
    scope.push(plugin);

    // Module data layout: the host runtime reads the plugin's moduledata with its own
    // struct layout, which changes between Go minor releases.
    if let (Some(h), Some(p)) = (&host.go_version, &plugin.go_version) {
        if minor_release(h) != minor_release(p) {
            let mut v = fail(
                v,
                Check::Toolchain,
                None,
                format!(
                    "the plugin was built with {} and the host with {}: the host runtime reads \
                     the plugin's module data with another release's layout, so plugin.Open \
                     fails in an undefined way (observed: `fatal error: runtime: no plugin \
                     module data`, or `plugin already loaded` after another plugin)",
                    p.raw, h.raw
                ),
            );
            v.setting_differences = explain::setting_differences(plugin, host);
            v.hint = Some(format!(
                "build both with the same Go toolchain, {}",
                h.toolchain
            ));
            // Not recorded in `opened`: what a second open would do is as undefined.
            return v;
        }
    }

    // 5. plugin_lastmoduleinit: pluginpath taken by an active module.
    if active_pluginpaths.contains(&pluginpath) {
        let reason = "plugin already loaded".to_string();
        opened.insert(real, Opened::Rejected(reason.clone()));
        let mut v = fail(
            v,
            Check::AlreadyLoaded,
            Some(open_error(name, &reason)),
            format!("a plugin with pluginpath {pluginpath} is already loaded from another file"),
        );
        v.hint = Some("load each plugin once; give distinct plugins distinct import paths".into());
        return v;
    }

    // 6. Package hashes, in the table's order, against the first definition in scope.
    let mut mismatched: Vec<(String, &GoImage)> = Vec::new();
    let mut unreadable = false;
    for entry in &plugin.hash_table {
        if entry.hash.is_empty() {
            unreadable = true;
            continue;
        }
        let provider = scope
            .iter()
            .find(|img| img.provided.contains_key(&entry.package))
            .copied()
            .unwrap_or(plugin);
        if std::ptr::eq(provider, plugin) {
            continue;
        }
        if provider.provided.get(&entry.package) != Some(&entry.hash) {
            mismatched.push((entry.package.clone(), provider));
        }
    }
    if let Some((package, provider)) = mismatched.first() {
        let reason = format!("plugin was built with a different version of package {package}");
        opened.insert(real, Opened::Rejected(reason.clone()));
        let provider_is_host = std::ptr::eq(*provider, host);
        let plugin_module = explain::module_of(plugin, package);
        let provider_module = explain::module_of(provider, package);
        let differences = explain::setting_differences(plugin, provider);
        let mut v = fail(
            v,
            Check::PackageHashes,
            Some(open_error(name, &reason)),
            format!(
                "package {package} in the plugin differs from its first definition, in {} ({})",
                if provider_is_host {
                    "the host"
                } else {
                    "the earlier plugin"
                },
                provider.path.display()
            ),
        );
        if let (Some(p), Some(h)) = (&plugin_module, &provider_module) {
            v.explanation.push(format!(
                "module: plugin has {} {}{}, {} has {} {}{}",
                p.module,
                p.version,
                p.replaced_by
                    .as_ref()
                    .map(|r| format!(" => {r}"))
                    .unwrap_or_default(),
                if provider_is_host {
                    "host"
                } else {
                    "earlier plugin"
                },
                h.module,
                h.version,
                h.replaced_by
                    .as_ref()
                    .map(|r| format!(" => {r}"))
                    .unwrap_or_default(),
            ));
        }
        for d in &differences {
            v.explanation.push(format!(
                "setting {}: plugin {}, {} {}",
                d.setting,
                d.plugin,
                if provider_is_host {
                    "host"
                } else {
                    "earlier plugin"
                },
                d.provider
            ));
        }
        v.hint = Some(explain::mismatch_hint(
            package,
            plugin_module.as_ref(),
            provider_module.as_ref(),
            &differences,
            provider_is_host,
        ));
        if mismatched.len() > 1 && plugin.table_order != Some(TableOrder::Relocations) {
            v.confidence = Confidence::Medium;
            v.explanation.push(
                "the table order was inferred from symbol addresses: with several mismatched \
                 packages the one named first may differ"
                    .into(),
            );
        }
        v.mismatch = Some(PackageMismatch {
            package: package.clone(),
            provider: provider.path.clone(),
            provider_is_host,
            plugin_module,
            provider_module,
            all_mismatched: mismatched.iter().map(|(p, _)| p.clone()).collect(),
        });
        v.setting_differences = differences;
        return v;
    }

    // Loaded: the module becomes active and its pluginpath is taken.
    opened.insert(real, Opened::Loaded);
    active_pluginpaths.push(pluginpath.clone());
    let mut v = v;
    if unreadable {
        v.confidence = Confidence::Medium;
        v.explanation
            .push("some package hashes could not be read; they were not compared".into());
    }
    v.setting_differences = explain::setting_differences(plugin, host)
        .into_iter()
        .filter(|d| d.setting != "-gcflags" && d.setting != "-asmflags")
        .collect();

    // 7. --expect: exported names Plugin.Lookup must find.
    if let Some(names) = expect {
        let prefix = path_to_prefix(&pluginpath);
        let missing: Vec<String> = names
            .iter()
            .filter(|n| plugin.dynamic.defined(&format!("{prefix}.{n}")).is_none())
            .cloned()
            .collect();
        if let Some(first) = missing.first() {
            let error = format!("plugin: symbol {first} not found in plugin {prefix}");
            let mut v = fail(
                v,
                Check::ExpectedExports,
                Some(error),
                format!(
                    "plugin.Open succeeds, but the plugin lacks expected exports: {}",
                    missing.join(", ")
                ),
            );
            v.missing_exports = missing;
            return v;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::Platform;
    use crate::plugin::image::PackageHash;

    fn image(path: &str, go: &str, provided: &[(&str, u8)], pluginpath: Option<&str>) -> GoImage {
        GoImage {
            path: PathBuf::from(path),
            platform: Platform {
                arch: "amd64".into(),
                os: Some("linux".into()),
                bits: 64,
                endian: "little",
            },
            format: "ELF".into(),
            go_version: Some(GoVersion::parse(go)),
            modinfo: None,
            exports_link_hashes: !provided.is_empty(),
            links_plugin_package: true,
            cgo: Some(true),
            pluginpath: pluginpath.map(str::to_string),
            hash_table: match pluginpath {
                Some(_) => provided
                    .iter()
                    .map(|(p, h)| PackageHash {
                        package: p.to_string(),
                        hash: vec![*h],
                    })
                    .collect(),
                None => Vec::new(),
            },
            table_order: pluginpath.map(|_| TableOrder::Relocations),
            provided: provided
                .iter()
                .map(|(p, h)| (p.to_string(), vec![*h]))
                .collect(),
            dynamic: Default::default(),
        }
    }

    fn input(name: &str, image: GoImage) -> PluginInput {
        PluginInput {
            name: name.into(),
            image,
        }
    }

    #[test]
    fn first_mismatch_in_table_order_names_the_package() {
        let host = image(
            "host",
            "go1.26.8",
            &[("runtime", 1), ("a", 1), ("b", 1)],
            None,
        );
        // Table order b before a: b is reported although a differs too.
        let p = image(
            "/nonexistent/p.so",
            "go1.26.8",
            &[("b", 2), ("a", 2), ("p", 9)],
            Some("p"),
        );
        let v = predict(&host, &[input("dir/p.so", p)], None);
        assert_eq!(v[0].outcome, Outcome::Fails);
        assert_eq!(
            v[0].error.as_deref(),
            Some("plugin.Open(\"dir/p\"): plugin was built with a different version of package b")
        );
        assert_eq!(
            v[0].mismatch.as_ref().map(|m| m.all_mismatched.len()),
            Some(2)
        );
    }

    #[test]
    fn earlier_plugin_provides_packages_the_host_lacks() {
        let host = image("host", "go1.26.8", &[("runtime", 1)], None);
        let first = image(
            "/nonexistent/x.so",
            "go1.26.8",
            &[("dep", 1), ("x", 5)],
            Some("x"),
        );
        let second = image(
            "/nonexistent/y.so",
            "go1.26.8",
            &[("dep", 2), ("y", 6)],
            Some("y"),
        );
        let v = predict(&host, &[input("x.so", first), input("y.so", second)], None);
        assert_eq!(v[0].outcome, Outcome::Loads);
        assert_eq!(v[1].failed_check, Some(Check::PackageHashes));
        assert!(!v[1].mismatch.as_ref().is_some_and(|m| m.provider_is_host));
    }

    #[test]
    fn other_minor_release_fails_without_claiming_a_text() {
        let host = image("host", "go1.26.8", &[("runtime", 1)], None);
        let p = image(
            "/nonexistent/p.so",
            "go1.25.5",
            &[("runtime", 2), ("p", 3)],
            Some("p"),
        );
        let v = predict(&host, &[input("p.so", p)], None);
        assert_eq!(v[0].failed_check, Some(Check::Toolchain));
        assert_eq!(v[0].error, None);
        assert_eq!(
            v[0].hint.as_deref(),
            Some("build both with the same Go toolchain, go1.26.8")
        );
    }

    #[test]
    fn host_without_cgo_gets_the_stub_error_without_prefix() {
        let mut host = image("host", "go1.26.8", &[], None);
        host.cgo = Some(false);
        let p = image("/nonexistent/p.so", "go1.26.8", &[("p", 3)], Some("p"));
        let v = predict(&host, &[input("p.so", p)], None);
        assert_eq!(v[0].error.as_deref(), Some("plugin: not implemented"));
    }

    #[test]
    fn minor_release_parses_go_versions() {
        assert_eq!(minor_release(&GoVersion::parse("go1.26.8")), Some((1, 26)));
        assert_eq!(
            minor_release(&GoVersion::parse("go1.22rc1 X:boringcrypto")),
            Some((1, 22))
        );
        assert_eq!(minor_release(&GoVersion::parse("devel go1.27-abc")), None);
    }

    #[test]
    fn check_names_are_their_json_names() {
        for c in Check::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
