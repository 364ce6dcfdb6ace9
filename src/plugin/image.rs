//! What one host or plugin file says about itself, read from the file alone: platform,
//! Go build info, plugin support, pluginpath, per-package link hashes and the order of the
//! plugin's hash table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use object::Object;
use serde::Serialize;

use super::dynamic::{self, DynamicView};
use crate::binary::{self, read_at_address, Platform};
use crate::catalog::golang::{self, GoVersion, ModInfo};

/// Symbol prefixes of the per-package link hashes: `go:link.` since Go 1.20, `go.link.` before.
const HASH_PREFIXES: [&str; 2] = ["go:link.", "go.link."];

/// How the order of a plugin's `pkghashes` table was recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableOrder {
    /// From the dynamic relocations that fill each entry's `runtimehash` pointer: entries
    /// are contiguous, so sorting those relocations by address gives the table order.
    Relocations,
    /// Fallback: by the address of each `go:link.pkghash.P` string header, which the linker
    /// emits in the same loop as the table (observed, not guaranteed).
    SymbolAddresses,
}

/// One package's link hash (the compiler's fingerprint of its export data).
#[derive(Debug, Clone, Serialize)]
pub struct PackageHash {
    pub package: String,
    #[serde(serialize_with = "hex")]
    pub hash: Vec<u8>,
}

fn hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Everything plugin checks need from one file.
#[derive(Debug, Clone, Serialize)]
pub struct GoImage {
    pub path: PathBuf,
    pub platform: Platform,
    /// `ELF`, `Mach-O`, …
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_version: Option<GoVersion>,
    #[serde(skip)]
    pub modinfo: Option<ModInfo>,
    /// Exports the link hashes, so it can host plugins (`plugin` linked and cgo on).
    pub exports_link_hashes: bool,
    /// Links package `plugin` (a `plugin.Open` function is present).
    pub links_plugin_package: bool,
    /// Built with cgo (build setting, else the presence of `runtime/cgo`).
    pub cgo: Option<bool>,
    /// For a plugin: its pluginpath as the runtime compares it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pluginpath: Option<String>,
    /// For a plugin: its `pkghashes` table, in table order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_table: Vec<PackageHash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_order: Option<TableOrder>,
    /// Every package hash this file defines (host or plugin), by package.
    #[serde(skip)]
    pub provided: HashMap<String, Vec<u8>>,
    #[serde(skip)]
    pub dynamic: DynamicView,
}

impl GoImage {
    pub fn is_plugin(&self) -> bool {
        !self.hash_table.is_empty()
    }

    pub fn setting(&self, key: &str) -> Option<&str> {
        self.modinfo.as_ref().and_then(|m| m.setting(key))
    }
}

/// Reads one file. Errors are for files that cannot be read or parsed at all.
pub fn read(path: &Path) -> Result<GoImage, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // SAFETY: read-only map; assay does not rely on the file staying unchanged for
    // memory safety beyond what the `object` parser's bounds checks give.
    let map =
        unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("{}: {e}", path.display()))?;
    read_bytes(path, &map)
}

/// Reads the host executable: an error unless it is a Go program (build info or link hashes).
pub fn read_host(path: &Path) -> Result<GoImage, String> {
    let host = read(path)?;
    if host.go_version.is_none() && !host.exports_link_hashes {
        return Err(format!(
            "{}: not a Go executable (no Go build info)",
            path.display()
        ));
    }
    Ok(host)
}

pub fn read_bytes(path: &Path, data: &[u8]) -> Result<GoImage, String> {
    let format = binary::detect(data)
        .ok_or_else(|| format!("{}: not an ELF, Mach-O or PE binary", path.display()))?;
    let object = object::File::parse(data)
        .map_err(|e| format!("{}: cannot parse {}: {e}", path.display(), format.as_str()))?;
    let mut platform = binary::describe(&object);

    let raw = golang::buildinfo::read(&object).map_err(|e| format!("{}: {e}", path.display()))?;
    let go_version = raw.as_ref().map(|r| GoVersion::parse(&r.go_version));
    let modinfo = raw.as_ref().map(|r| golang::modinfo::parse(&r.modinfo));

    // A static ELF (a CGO_ENABLED=0 host) names no OS: the build settings do.
    if platform.os.is_none() {
        platform.os = modinfo
            .as_ref()
            .and_then(|m| m.setting("GOOS"))
            .map(str::to_string);
    }

    let dynamic = dynamic::read(&object)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .unwrap_or_default();
    let provided = provided_hashes(&object, &dynamic);
    let buildmode = modinfo.as_ref().and_then(|m| m.setting("-buildmode"));
    // A plugin is a shared object without a program interpreter (a PIE host has one).
    let shared_object =
        object.kind() == object::ObjectKind::Dynamic && binary::elf_interpreter(&object).is_none();
    let looks_like_plugin = buildmode.map_or(shared_object, |m| m == "plugin");
    let table = looks_like_plugin
        .then(|| hash_table(&dynamic, &provided))
        .flatten();
    let (hash_table, table_order) = match table {
        Some((table, order)) => (table, Some(order)),
        None => (Vec::new(), None),
    };
    let pluginpath = (!hash_table.is_empty())
        .then(|| pluginpath(modinfo.as_ref(), &hash_table))
        .flatten();

    let links_plugin_package =
        // Without exported hashes (no cgo), package plugin's function names in pclntab:
        // `plugin.Open` (kept as an inlined name too) or its implementation.
        provided.contains_key("plugin")
            || memchr::memmem::find(data, b"\0plugin.Open\0").is_some()
            || memchr::memmem::find(data, b"\0plugin.open\0").is_some();
    let cgo = match modinfo.as_ref().and_then(|m| m.setting("CGO_ENABLED")) {
        Some(v) => Some(v == "1"),
        None if provided.contains_key("runtime/cgo") => Some(true),
        None => None,
    };
    Ok(GoImage {
        path: path.to_path_buf(),
        platform,
        format: format.as_str().to_string(),
        go_version,
        modinfo,
        exports_link_hashes: !provided.is_empty(),
        links_plugin_package,
        cgo,
        pluginpath,
        hash_table,
        table_order,
        provided,
        dynamic,
    })
}

/// `go:link.pkghashbytes.P` → its bytes, for every P this file defines.
fn provided_hashes(object: &object::File<'_>, dynamic: &DynamicView) -> HashMap<String, Vec<u8>> {
    let mut out = HashMap::new();
    for symbol in dynamic.symbols.iter().filter(|s| s.defined) {
        let Some(package) = HASH_PREFIXES
            .iter()
            .find_map(|p| symbol.name.strip_prefix(p)?.strip_prefix("pkghashbytes."))
        else {
            continue;
        };
        if let Some(bytes) = read_at_address(object, symbol.value, symbol.size) {
            out.entry(package.to_string())
                .or_insert_with(|| bytes.to_vec());
        }
    }
    out
}

/// The plugin's `pkghashes` table: the packages whose `go:link.pkghash.P` header is the
/// target of a symbolic relocation (only the table's `runtimehash` fields reference them),
/// in address order. `None` for a file that is not a Go plugin.
fn hash_table(
    dynamic: &DynamicView,
    provided: &HashMap<String, Vec<u8>>,
) -> Option<(Vec<PackageHash>, TableOrder)> {
    let header_package = |name: &str| {
        HASH_PREFIXES
            .iter()
            .find_map(|p| name.strip_prefix(p)?.strip_prefix("pkghash."))
            .map(str::to_string)
    };
    let mut referenced: Vec<(u64, String)> = dynamic
        .relocations
        .iter()
        .filter_map(|r| {
            let package = header_package(&dynamic.symbols[r.symbol].name)?;
            Some((r.offset, package))
        })
        .collect();
    let order = if !referenced.is_empty() {
        TableOrder::Relocations
    } else {
        // No relocations readable: fall back to the headers' own addresses. A host also
        // defines these headers but is not a plugin; callers tell them apart by build mode.
        referenced = dynamic
            .symbols
            .iter()
            .filter(|s| s.defined)
            .filter_map(|s| Some((s.value, header_package(&s.name)?)))
            .collect();
        TableOrder::SymbolAddresses
    };
    if referenced.is_empty() {
        return None;
    }
    referenced.sort();
    referenced.dedup_by(|a, b| a.1 == b.1);
    let table = referenced
        .into_iter()
        .map(|(_, package)| PackageHash {
            hash: provided.get(&package).cloned().unwrap_or_default(),
            package,
        })
        .collect();
    Some((table, order))
}

/// The plugin's pluginpath: the main package's import path from build info when the table
/// has it, else the table's `plugin/unnamed-…` entry (file-list builds).
fn pluginpath(modinfo: Option<&ModInfo>, table: &[PackageHash]) -> Option<String> {
    let has = |p: &str| table.iter().any(|h| h.package == p);
    if let Some(path) = modinfo.map(|m| m.path.as_str()).filter(|p| has(p)) {
        return Some(path.to_string());
    }
    table
        .iter()
        .find(|h| h.package.starts_with("plugin/unnamed-"))
        .map(|h| h.package.clone())
}

/// Go's `objabi.PathToPrefix`: how a package path appears in symbol names.
pub fn path_to_prefix(path: &str) -> String {
    let last_slash = path.rfind('/').map(|i| i + 1).unwrap_or(0);
    let mut out = String::with_capacity(path.len());
    for (i, b) in path.bytes().enumerate() {
        if b <= b' ' || (b == b'.' && i >= last_slash) || b == b'%' || b == b'"' || b >= 0x7f {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, value: u64) -> dynamic::DynSymbol {
        dynamic::DynSymbol {
            name: name.into(),
            value,
            size: 16,
            kind: 1,
            defined: true,
        }
    }

    #[test]
    fn table_order_comes_from_relocations_else_header_addresses() {
        let mut view = DynamicView::default();
        view.symbols = vec![
            header("", 0),
            header("go:link.pkghash.b", 0x100),
            header("go.link.pkghash.a", 0x200),
            header("go:link.pkghashbytes.a", 0x300),
        ];
        let provided = HashMap::from([("a".to_string(), vec![1]), ("b".to_string(), vec![2])]);
        // No relocations: header addresses, b then a; the old `go.link.` prefix counts.
        let (table, order) = hash_table(&view, &provided).expect("table");
        assert_eq!(order, TableOrder::SymbolAddresses);
        let names: Vec<&str> = table.iter().map(|h| h.package.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        // Relocations into the table decide: a's entry comes first.
        view.relocations = vec![
            dynamic::SymbolRelocation {
                offset: 0x528,
                symbol: 1,
            },
            dynamic::SymbolRelocation {
                offset: 0x500,
                symbol: 2,
            },
            dynamic::SymbolRelocation {
                offset: 0x400,
                symbol: 3,
            }, // bytes, not a header
        ];
        let (table, order) = hash_table(&view, &provided).expect("table");
        assert_eq!(order, TableOrder::Relocations);
        let names: Vec<&str> = table.iter().map(|h| h.package.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(table[0].hash, vec![1]);
    }

    #[test]
    fn path_to_prefix_escapes_like_go() {
        assert_eq!(path_to_prefix("example.com/a/b"), "example.com/a/b");
        assert_eq!(path_to_prefix("example.com/a.b"), "example.com/a%2eb");
        assert_eq!(path_to_prefix("gopkg.in/yaml.v3"), "gopkg.in/yaml%2ev3");
    }
}
