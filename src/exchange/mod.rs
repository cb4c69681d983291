//! What an exchange with the target is made of, as the verdicts see it: the observed request
//! and response (`observed`), the context a rule needs, and the outcome of one check
//! (`Verdict`, and for failures a `Finding`). Data only; the rules that judge an exchange live
//! in `contract`, a step's own expectations in `runner::expect`.

pub mod finding;
pub mod observed;

pub use finding::{Finding, FindingSource, Verdict};
pub use observed::{Exchange, ExchangeContext, ObservedBody, ObservedRequest, ObservedResponse};
