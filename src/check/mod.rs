//! Evaluation mechanism: takes one observed exchange and answers verdicts, for the contract
//! rules (`contract::evaluate`) and for a step's explicit expectations (`expect`).

pub mod exchange;
pub mod expect;
pub mod finding;

pub use exchange::{Exchange, ExchangeContext, ObservedBody, ObservedRequest, ObservedResponse};
pub use finding::{Finding, FindingSource, Verdict};
