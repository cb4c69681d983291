//! The documented contract: the operation catalogue, the rules every response is checked
//! against, and the JSON schemas of ACR bodies. Data and pure functions, no I/O.

pub mod catalogue;
pub mod norm;
pub mod norms;
pub mod operation;
pub mod rules;
pub mod schema;

pub use catalogue::{
    BodyKind, Condition, HeaderFormat, HeaderSpec, OperationSpec, Origin, StatusSpec, catalogue,
    spec,
};
pub use norm::{Level, Severity, Target};
pub use operation::{Operation, Surface, UnknownOperation};
pub use rules::{Rule, RuleResult, evaluate, rule, rules};
pub use schema::{SchemaError, Violation, schema_names, validate_schema};
