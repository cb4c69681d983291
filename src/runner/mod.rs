//! Executes scenarios against a target and returns a `RunResult`; never prints.

pub mod result;

pub use result::*;
