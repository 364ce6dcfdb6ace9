//! Type-aware ABI: the type graph behind every exported symbol, read from DWARF
//! ([`types`], [`sections`]), attached to an `assay abi dump` baseline ([`baseline`]), and the
//! diff that follows it to the type that changed ([`diff`]). The symbol-level part of a
//! baseline (names, versions, bindings, the symbol-level diff) is [`symbols`].
//!
//! Layer: checks. Reads symbols through the native cataloger; rendered by `cli::abi` and the
//! `[abi]` gate of `assay check`.

pub mod baseline;
pub mod diff;
pub mod sections;
pub mod symbols;
pub mod types;
