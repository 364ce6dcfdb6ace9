//! Type-aware ABI: the type graph behind every exported symbol, read from DWARF
//! ([`types`], [`sections`]), attached to an `assay abi dump` baseline ([`baseline`]), and the
//! diff that follows it to the type that changed ([`diff`]). The symbol-level part of a
//! baseline (names, versions, bindings) is [`crate::catalog::native::abi`].

pub mod baseline;
pub mod diff;
pub mod sections;
pub mod types;
