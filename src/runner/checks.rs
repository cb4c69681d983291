//! The runner's bridge to the checks: contract rules and step expectations evaluated on one
//! exchange, flattened to verdicts.

use crate::exchange::{Exchange, ObservedResponse, Verdict};
use crate::scenario::Expect;

/// Contract verdicts for one exchange, with the id of the rule that gave each.
pub fn contract(ex: &Exchange) -> Vec<(&'static str, Verdict)> {
    crate::contract::evaluate(ex)
        .into_iter()
        .map(|r| (r.rule.id, r.verdict))
        .collect()
}

/// Expectation verdicts for the final response of a step.
pub fn expectations(expect: &Expect, resp: &ObservedResponse) -> Vec<Verdict> {
    crate::runner::expect::evaluate(expect, resp)
}
