//! Executes scenarios against a target and returns a `RunResult`; never prints.

pub mod paths;
pub mod result;

pub use result::*;
