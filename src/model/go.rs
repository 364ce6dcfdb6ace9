//! What a Go binary records about its build (the Go build info), as plain facts: the
//! toolchain version, the main module and every dependency with its replacement, the build
//! settings. The Go cataloger reads them from binaries.

use serde::Serialize;

/// Everything the Go build info of one image says, as assay reports it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct GoInfo {
    pub go_version: GoVersion,
    /// `module` (has a main module) or `gopath` (a `path` line and no `mod` line).
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub mode: crate::model::static_str::StaticStr,
    #[serde(flatten)]
    pub modinfo: ModInfo,
    /// Set when the main module is `(devel)` and a version could be recovered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered_main_version: Option<RecoveredVersion>,
    pub layout: Layout,
    /// `section` or `segment`: how the blob was found.
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub located_by: crate::model::static_str::StaticStr,
}

impl GoInfo {
    /// The main module's version to report: the recorded one when real, else the
    /// recovered one, else none.
    pub fn main_version(&self) -> Option<&str> {
        let main = self.modinfo.main.as_ref()?;
        if is_real_version(&main.version) {
            Some(&main.version)
        } else {
            self.recovered_main_version
                .as_ref()
                .map(|r| r.version.as_str())
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Module {
    pub path: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sum: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<Box<Module>>,
}

impl Module {
    /// The module that was actually compiled in: the replacement when there is one.
    pub fn linked(&self) -> &Module {
        self.replace.as_deref().unwrap_or(self)
    }

    /// A replacement by a local directory (`=> ../fork`): Go records no version or
    /// `(devel)` for it. Decided by Go's directory-path rule (`modfile.IsDirectoryPath`).
    pub fn is_local_replacement(&self) -> bool {
        self.replace
            .as_deref()
            .is_some_and(|r| is_directory_path(&r.path))
    }
}

/// True for a filesystem path as `go.mod` replace directives write them: `./x`, `../x`,
/// `.`, `..`, an absolute path, or a Windows drive path.
pub fn is_directory_path(path: &str) -> bool {
    let b = path.as_bytes();
    path == "."
        || path == ".."
        || path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path.starts_with(".\\")
        || path.starts_with("..\\")
        || path.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Setting {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ModInfo {
    /// The main package path (`path` line).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The main module; `None` for GOPATH-mode builds, which have a `path` and no `mod`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    pub settings: Vec<Setting>,
    /// Lines that did not parse, with the reason; they do not stop the parse.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl ModInfo {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }
}

/// A Go toolchain version as recorded in `runtime.buildVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GoVersion {
    /// Exactly as recorded, e.g. `go1.22.1 X:boringcrypto`.
    pub raw: String,
    /// The toolchain without experiments, e.g. `go1.22.1`.
    pub toolchain: String,
    /// `GOEXPERIMENT`s baked into the runtime (`X:` suffix), in recorded order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experiments: Vec<String>,
}

impl GoVersion {
    /// Splits off the experiment suffix: ` X:a,b` (older Go) or `-X:a,b` (newest Go).
    pub fn parse(raw: &str) -> GoVersion {
        let raw = raw.trim();
        let (toolchain, experiments) = match raw.find(" X:").or_else(|| raw.find("-X:")) {
            Some(i) => (
                &raw[..i],
                raw[i + 3..]
                    .split(',')
                    .filter(|e| !e.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            None => (raw, Vec::new()),
        };
        GoVersion {
            raw: raw.to_string(),
            toolchain: toolchain.to_string(),
            experiments,
        }
    }

    /// The standard library's version for its purl: `go1.23.4` → `1.23.4`. Development
    /// toolchains (`devel go1.24-abc…`) keep their full text.
    pub fn stdlib_version(&self) -> &str {
        self.toolchain
            .strip_prefix("go")
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(&self.toolchain)
    }
}

/// A version for a `(devel)` main module, recovered from what the binary records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RecoveredVersion {
    pub version: String,
    /// `ldflags-x` (a `-X` flag in the recorded `-ldflags`), `symbol` (the string value of a
    /// version variable read through the symbol table), or `vcs-pseudo-version`.
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub method: crate::model::static_str::StaticStr,
    /// The evidence, e.g. `-X main.version=1.4.2`.
    pub evidence: String,
}

/// True when the main module's recorded version is a real one.
pub fn is_real_version(version: &str) -> bool {
    !version.is_empty() && version != "(devel)"
}

/// True when the version identifies the same source wherever it appears, so a main module at
/// it can be one component across binaries (`+dirty` builds cannot).
pub fn is_shared_version(version: &str) -> bool {
    is_real_version(version) && !version.contains("+dirty")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Go 1.18+: strings inline after the header.
    Inline,
    /// Before Go 1.18: pointers to string headers, `ptr_size` bytes each.
    Pointers,
}
