//! What the dynamic loader reads from an ELF file, and the findings that predict a load
//! failure (filled by the loader model in src/loader/, written by every SBOM format).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Severity;

/// The property that marks a library the loader model decided on (`not-found`): the
/// by-name linking leaves it alone.
pub const STATUS_PROPERTY: &str = "assay:loader:status";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ElfFacts {
    /// ELF class and machine: the loader skips candidates of another class or machine.
    pub class64: bool,
    pub machine: u16,
    /// `PT_INTERP`: a program the kernel hands to this loader.
    pub interpreter: Option<String>,
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// `DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW`: every symbol is bound at load time.
    pub bind_now: bool,
    /// Undefined symbols the file needs from others.
    pub imports: Vec<Import>,
    /// Defined dynamic symbols visible to unversioned lookups.
    pub exports: BTreeSet<String>,
    /// Version node → symbols defined in it (`GLIBC_2.38` → {`strlcpy`, …}).
    pub versioned_exports: BTreeMap<String, BTreeSet<String>>,
    /// Version nodes the file defines (`SHT_GNU_VERDEF`), the base node (its SONAME) aside.
    pub defined_versions: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Import {
    pub name: String,
    /// Version requirement and the library it names (`GLIBC_2.38`, `libc.so.6`).
    pub version: Option<(String, String)>,
    pub weak: bool,
    /// Bound at load time even without BIND_NOW: it has a relocation other than a PLT
    /// jump slot (data references, function pointers).
    pub eager: bool,
}

impl ElfFacts {
    pub fn is_program(&self) -> bool {
        self.interpreter.is_some()
    }
}

/// A finding that predicts a load failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct LoaderFinding {
    /// `library-not-found`, `symbol-version-missing`, `interpreter-missing`,
    /// `libc-family-mismatch`, `undefined-symbol`.
    #[serde(deserialize_with = "crate::model::static_str::intern")]
    pub rule: crate::model::static_str::StaticStr,
    pub severity: Severity,
    /// The program (document file name) whose start fails.
    pub file: String,
    /// The document file id of `file`.
    pub file_id: String,
    /// What the loader would say.
    pub message: String,
    /// How assay got there: needed-by chain, directories searched, symbols concerned.
    pub evidence: Vec<String>,
}

impl LoaderFinding {
    /// The text every SBOM format carries as an annotation of the file.
    pub fn annotation(&self) -> String {
        format!(
            "assay:loader: {} {}: {} [evidence: {}]",
            self.severity.as_str(),
            self.rule,
            self.message,
            self.evidence.join("; ")
        )
    }
}
