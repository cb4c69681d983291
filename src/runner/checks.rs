//! The runner's bridge to the checks: contract rules and step expectations evaluated on one
//! exchange, flattened to verdicts.

use crate::check::{Exchange, Finding, FindingSource, ObservedResponse, Verdict};
use crate::scenario::Expect;

/// Contract verdicts for one exchange.
pub fn contract(ex: &Exchange) -> Vec<Verdict> {
    let mut out = Vec::new();
    out.push(match &ex.response.body.incomplete {
        None => Verdict::Pass,
        Some(why) => Verdict::Fail(Finding {
            rule: "all.body-complete".into(),
            source: FindingSource::Contract,
            message: "the response body broke off before its end".into(),
            expected: ex
                .response
                .header("content-length")
                .map(|l| format!("{l} bytes (Content-Length)")),
            actual: Some(format!("{} bytes, then: {why}", ex.response.body.len)),
            spec: Some("RFC 9112 §6.3 (message body length)".into()),
        }),
    });
    out
}

/// Expectation verdicts for the final response of a step.
pub fn expectations(_expect: &Expect, _resp: &ObservedResponse) -> Vec<Verdict> {
    Vec::new()
}

/// `(id, operations, explanation)` of every contract rule, for `regcheck list --rules`.
pub fn rule_list() -> Vec<(String, String, String)> {
    Vec::new()
}
