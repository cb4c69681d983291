//! A small hand-made `RunResult` for the renderers' unit tests: one scenario of each outcome
//! (pass, fail, error, skip, known), text that needs escaping, a redacted transcript.

use crate::exchange::{Finding, FindingSource};
use crate::runner::{Outcome, RunResult, ScenarioResult, StepResult, Summary, Transcript};

fn step(outcome: Outcome, findings: Vec<Finding>) -> StepResult {
    let failing = matches!(outcome, Outcome::Fail | Outcome::Known | Outcome::Error);
    StepResult {
        name: "step <one> & \"two\"".into(),
        op: "GetBlob".into(),
        outcome,
        status: if outcome == Outcome::Error { 0 } else { 200 },
        duration_ms: 1.0,
        checks_passed: if outcome == Outcome::Error { 0 } else { 3 },
        contract_passed: vec!["GetBlob.digest-header-matches".into()],
        findings,
        reason: (outcome == Outcome::Error).then(|| "connection refused\nby 127.0.0.1:1".into()),
        transcript: if failing {
            vec![Transcript {
                request_line: "GET http://127.0.0.1:1/v2/ns/bad/blobs/sha256:aa".into(),
                request_headers: vec![("Authorization".into(), "Bearer <redacted>".into())],
                status: 200,
                response_headers: vec![("Content-Length".into(), "3".into())],
                response_body: "abc".into(),
            }]
        } else {
            Vec::new()
        },
    }
}

/// A scenario named `name` with one `GetBlob` step.
pub fn scenario(name: &str, outcome: Outcome, findings: Vec<Finding>) -> ScenarioResult {
    ScenarioResult {
        name: name.into(),
        file: format!("scenarios/{name}.yaml"),
        tags: vec!["oci".into()],
        repository: format!("ns/{name}"),
        outcome,
        reason: (outcome == Outcome::Skip).then(|| "target lacks capability `acr`".into()),
        duration_ms: 12.0,
        steps: if outcome == Outcome::Skip {
            Vec::new()
        } else {
            let known = outcome == Outcome::Known;
            let findings = findings
                .into_iter()
                .map(|f| Finding { known, ..f })
                .collect();
            vec![step(outcome, findings)]
        },
    }
}

/// A finding of `rule`.
pub fn finding(rule: &str, message: &str) -> Finding {
    Finding {
        rule: rule.into(),
        source: if rule.starts_with("scenario.") {
            FindingSource::Scenario
        } else {
            FindingSource::Contract
        },
        message: message.into(),
        expected: Some("sha256:aa".into()),
        actual: Some("sha256:bb".into()),
        spec: None,
        level: None,
        severity: Default::default(),
        quote: None,
        known: false,
    }
}

/// A warning of `rule` (a convention not followed).
pub fn warning(rule: &str, message: &str) -> Finding {
    Finding {
        level: Some(crate::contract::Level::Convention),
        severity: crate::contract::norm::Severity::Warn,
        ..finding(rule, message)
    }
}

/// Five scenarios: ok (pass), bad (fail), down (error), skipped (skip), tolerated (known).
pub fn result() -> RunResult {
    let mut r = RunResult {
        schema_version: 1,
        tool: "regcheck test".into(),
        target: "http://127.0.0.1:1/".into(),
        run_id: "0000abcd".into(),
        namespace: "ns".into(),
        profile: "oci".into(),
        started_at: "2026-11-26T00:00:00Z".into(),
        finished_at: Some("2026-11-26T00:00:01Z".into()),
        duration_ms: 30.0,
        capabilities: [
            ("manifest-delete".to_string(), true),
            ("acr".to_string(), false),
        ]
        .into_iter()
        .collect(),
        capability_evidence: [
            (
                "manifest-delete".to_string(),
                "DELETE of the manifest answered 202; HEAD then answered 404".to_string(),
            ),
            (
                "acr".to_string(),
                "GET /acr/v1/_catalog answered 404".to_string(),
            ),
        ]
        .into_iter()
        .collect(),
        summary: Summary::default(),
        operations: Default::default(),
        rules: Default::default(),
        scenarios: vec![
            scenario("ok", Outcome::Pass, vec![]),
            scenario(
                "bad",
                Outcome::Fail,
                vec![finding(
                    "GetBlob.digest-matches-body",
                    "body <sha256> differs",
                )],
            ),
            scenario("down", Outcome::Error, vec![]),
            scenario("skipped", Outcome::Skip, vec![]),
            scenario(
                "tolerated",
                Outcome::Known,
                vec![finding("scenario.status", "status 200, expected 404")],
            ),
        ],
        cleanup: Default::default(),
        baseline: None,
        strict: false,
        aborted: None,
    };
    r.recount();
    r
}

/// [`result`] as a report document (no load member).
pub fn document() -> super::Document {
    result().into()
}
