//! The documented contract: the operation catalogue, the rules every response is checked
//! against, and the JSON schemas of ACR bodies. Data and pure functions, no I/O.

pub mod catalogue;
pub mod norm;
pub mod norms;
pub mod rules;
pub mod schema;

/// The operation names (kept at their old path).
pub use crate::vocab::operation;
pub use crate::vocab::{Operation, Surface, UnknownOperation};
pub use catalogue::{
    BodyKind, Condition, HeaderFormat, HeaderSpec, OperationSpec, Origin, StatusSpec, catalogue,
    spec,
};
pub use norm::{Level, Severity, Target};
pub use rules::{Rule, RuleResult, evaluate, rule, rules};
pub use schema::{SchemaError, Violation, schema_names, validate_schema};
