//! Will a Go plugin load into a host? Predicted from the files alone, by modelling what
//! `plugin.Open` does (see `predict`), with explanations beyond the runtime's one-line error.
//!
//! [`image`] reads each file (platform, build info, link hashes and the plugin's hash table
//! through [`dynamic`]), [`predict`] replays the loads in order, [`explain`] maps a
//! mismatched package to modules and build settings.
//!
//! Layer: checks. May use inputs and the Go cataloger.

pub mod dynamic;
pub mod explain;
pub mod image;
pub mod predict;

pub use image::{GoImage, TableOrder};
pub use predict::{predict, Check, Confidence, Outcome, PluginInput, Verdict};
