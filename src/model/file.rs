//! Facts about one file as found: its container format, the platform of each object image,
//! and its checksums. The binary readers and the hasher compute them.

/// Container or object format of a whole file, decided by magic bytes only.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Format {
    #[serde(rename = "ELF")]
    Elf,
    #[serde(rename = "Mach-O")]
    MachO,
    #[serde(rename = "Mach-O-fat")]
    MachOFat,
    #[serde(rename = "PE")]
    Pe,
    /// A Unix `ar` archive (static library, Go `-buildmode=c-archive`).
    #[serde(rename = "ar")]
    Archive,
    /// A WebAssembly module (no object model: read by the wasm cataloger).
    #[serde(rename = "wasm")]
    Wasm,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Elf => "ELF",
            Format::MachO => "Mach-O",
            Format::MachOFat => "Mach-O-fat",
            Format::Pe => "PE",
            Format::Archive => "ar",
            Format::Wasm => "wasm",
        }
    }
}

/// What a slice was built for, as far as the object headers tell.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Platform {
    /// Go-style architecture name; the `object` crate's name when Go has none.
    pub arch: String,
    /// Operating system when the headers say so (`None` for a generic ELF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// 32 or 64.
    pub bits: u8,
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub endian: crate::model::static_str::StaticStr,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checksums {
    /// Absent when no requested output records SHA-1 (see `Digests` in the hash module).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    pub sha256: String,
}
