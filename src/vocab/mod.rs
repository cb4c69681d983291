//! The shared vocabulary every layer may use, and that uses no other module of the crate: the
//! names of the documented operations, requirement levels and target profiles, the registry
//! URL paths (repository names, references) they are spelled in, content digests and media
//! types, and the documents the operations come from (with the OCI endpoint table).

pub mod digest;
pub mod document;
pub mod level;
pub mod media;
pub mod operation;
pub mod paths;

pub use level::{Level, Severity, Target};
pub use operation::{Operation, Surface, UnknownOperation};
