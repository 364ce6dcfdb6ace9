//! assay: what is inside compiled binaries, under which licenses, and whether their exported
//! ABI still matches.
//!
//! Data flows one way: [`source`] finds the files → [`binary`] recognises formats and splits
//! containers into object images → [`catalog`] runs every cataloger (Go, …) on each image →
//! [`model`] merges the results into one graph → [`sbom`] writers render it. [`scan`] wires
//! the steps together; [`cli`] is the command line. [`plugin`] (`assay plugin-check`) reuses
//! [`binary`] and [`golang`] to predict whether Go plugins load into a host.

pub mod attribution;
pub mod binary;
pub mod cache;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod diff;
pub mod dwarf;
pub mod golang;
pub mod hash;
pub mod image;
pub mod license;
pub mod model;
pub mod native;
pub mod native_meta;
pub mod ospkg;
pub mod plugin;
pub mod purl;
pub mod report;
pub mod rust;
pub mod sbom;
pub mod scan;
pub mod source;
pub mod spill;
pub mod timestamp;
pub mod upx;
pub mod wasm;
