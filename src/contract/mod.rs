//! The documented contract: the operation catalogue, the rules every response is checked
//! against, and the JSON schemas of ACR bodies. Data and pure functions, no I/O.

pub mod operation;

pub use operation::{Operation, Surface, UnknownOperation};
