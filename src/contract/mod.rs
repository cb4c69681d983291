//! The documented contract: the operation catalogue, the rules every response is checked
//! against, and the JSON schemas of ACR bodies. Data and pure functions, no I/O.

pub mod catalogue;
pub mod operation;
pub mod rules;
pub mod schema;

pub use catalogue::{
    BodyKind, Condition, HeaderFormat, HeaderSpec, OperationSpec, Origin, StatusSpec, catalogue,
    spec,
};
pub use operation::{Operation, Surface, UnknownOperation};
pub use rules::{Rule, RuleResult, evaluate, rule, rules};
pub use schema::{SchemaError, Violation, schema_names, validate_schema};
