//! The runner's bridge to the checks: contract rules and step expectations evaluated on one
//! exchange, flattened to verdicts.

use crate::check::{Exchange, Finding, FindingSource, ObservedResponse, Verdict};
use crate::scenario::Expect;

/// Contract verdicts for one exchange.
pub fn contract(ex: &Exchange) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = crate::contract::evaluate(ex)
        .into_iter()
        .map(|r| r.verdict)
        .collect();
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
pub fn expectations(expect: &Expect, resp: &ObservedResponse) -> Vec<Verdict> {
    crate::check::expect::evaluate(expect, resp)
}

/// `(id, operations, explanation)` of every contract rule, for `regcheck list --rules`.
pub fn rule_list() -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = crate::contract::rules()
        .iter()
        .map(|r| {
            let ops: Vec<&str> = r.ops.iter().map(|o| o.name()).collect();
            let ops = if ops.is_empty() {
                "all".to_string()
            } else {
                ops.join(",")
            };
            (r.id.to_string(), ops, r.explanation.to_string())
        })
        .collect();
    out.push((
        "all.body-complete".into(),
        "all".into(),
        "the response body is delivered in full (as long as Content-Length says)".into(),
    ));
    out
}
