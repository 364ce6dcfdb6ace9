//! Reports about findings and changes (as opposed to SBOMs about contents): `assay check`
//! results ([`check`]: table, JSON, SARIF), `assay diff` results ([`diff`]: text, JSON,
//! Markdown), and the SARIF 2.1.0 writer ([`sarif`]) they and `scan -o sarif` share.
//!
//! Layer: writers. May use checks, the model and [`crate::json`].

pub mod check;
pub mod diff;
pub mod sarif;
