//! The YAML scenario model: what a scenario file may say, how files are loaded, and how errors
//! are located (`file:line:col`). Knows nothing about HTTP.

pub mod model;

pub use model::*;
