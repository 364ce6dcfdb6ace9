//! assay: what is inside compiled binaries and container images, under which licenses, and
//! whether their exported ABI still matches.
//!
//! The crate is layered; a module uses only modules below it (see `docs/architecture.md`):
//!
//! | layer | modules |
//! |---|---|
//! | model | [`model`]: the document, components, relationships, files, problems, plain facts |
//! | helpers | [`hash`], [`purl`], [`json`], [`timestamp`], [`cache`], [`spill`] |
//! | inputs | [`source`] (files and directories), [`binary`] (formats, slices), [`upx`] |
//! | catalogers | [`catalog`]: one folder per ecosystem, plus the per-file analysis |
//! | pipelines | [`scan`] (directories), [`image`] (container images) |
//! | enrichers | [`license`], [`loader`] (what the dynamic loader will do in an image) |
//! | checks | [`check`], [`diff`], [`plugin`], [`abi`] |
//! | writers | [`sbom`], [`report`], [`attribution`], and [`output`] choosing among them |
//! | command line | [`cli`] |
//!
//! Data flows one way: targets → files → catalogers → graph → enrichers → writers.

pub mod abi;
pub mod attribution;
pub mod binary;
pub mod cache;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod diff;
pub mod hash;
pub mod image;
pub mod json;
pub mod license;
pub mod loader;
pub mod model;
pub mod output;
pub mod plugin;
pub mod purl;
pub mod report;
pub mod sbom;
pub mod scan;
pub mod source;
pub mod spill;
pub mod timestamp;
pub mod upx;
