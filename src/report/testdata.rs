//! A small hand-made `RunResult` for the renderers' unit tests: one scenario of each outcome
//! (pass, fail, error, skip, known), text that needs escaping, a redacted transcript. For the
//! snapshot tests (`report::snapshots`) also the fuller documents that reach every renderer
//! branch: warnings, cited findings, a baseline, cleanup leftovers, an aborted run, and load
//! runs (with and without thresholds and errors). Every value is fixed (timestamps, run ids,
//! durations, the tool name `regcheck test`), so rendering them gives the same bytes each time.

use crate::exchange::{Finding, FindingSource};
use crate::runner::{Outcome, RunResult, ScenarioResult, StepResult, Summary, Transcript};

fn step(outcome: Outcome, findings: Vec<Finding>) -> StepResult {
    let failing = matches!(outcome, Outcome::Fail | Outcome::Known | Outcome::Error);
    StepResult {
        name: "step <one> & \"two\"".into(),
        op: "GetBlob".into(),
        endpoint: Some("end-2".into()),
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
        endpoints: Default::default(),
        coverage: Default::default(),
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

/// [`result`] with what it leaves out, so every branch of every renderer has something to
/// show: a scenario with warnings (one rule twice, cited with a quote), a failed finding with
/// its MUST and citation, a known warning, a scenario that errored before any step, a baseline
/// (matched, fixed, unchecked entries) and a cleanup with leftovers, emptied repositories and a
/// note.
pub fn full_document() -> super::Document {
    use crate::contract::Level;
    let mut r = result();
    let cited = |f: Finding, level: Level| Finding {
        level: Some(level),
        spec: Some("OCI distribution-spec v1.1 §Pulling blobs".into()),
        quote: Some("the registry MUST return the blob's <digest>".into()),
        ..f
    };
    r.scenarios[1].steps[0].findings.push(cited(
        finding("GetBlob.content-type", "Content-Type missing"),
        Level::Must,
    ));
    let warn = cited(
        warning("GetBlob.accept-ranges", "no Accept-Ranges header"),
        Level::Should,
    );
    let mut warned = scenario("warned", Outcome::Warn, vec![]);
    warned.steps[0].outcome = Outcome::Warn;
    warned.steps[0].findings = vec![warn.clone(), warn];
    r.scenarios.insert(1, warned);
    let tolerated = r.scenarios.len() - 1;
    r.scenarios[tolerated].steps[0].findings.push(Finding {
        known: true,
        ..warning("GetBlob.etag", "no ETag header")
    });
    r.scenarios.push(ScenarioResult {
        reason: Some("setup failed: blob `base` could not be uploaded".into()),
        ..scenario("unreachable", Outcome::Error, vec![])
    });
    let last = r.scenarios.len() - 1;
    r.scenarios[last].steps.clear();
    r.baseline = Some(crate::runner::BaselineReport {
        file: "regcheck-baseline.yaml".into(),
        matched: vec!["tolerated ▸ scenario.status".into()],
        fixed: vec!["ok ▸ GetBlob.digest-matches-body".into()],
        unchecked: vec!["skipped ▸ scenario.status".into()],
    });
    r.cleanup = crate::namespace::CleanupReport {
        kept: false,
        deleted: 7,
        leftovers: vec!["ns/bad:latest (DELETE answered 405)".into()],
        empty_repositories: vec!["ns/bad".into(), "ns/ok".into()],
        notes: vec!["slot regcheck-s0 left dirty: a delete was refused".into()],
    };
    r.recount();
    r.into()
}

/// A run that could not start: no scenarios, only the reason.
pub fn aborted_document() -> super::Document {
    let mut r = result();
    r.scenarios.clear();
    r.capabilities.clear();
    r.capability_evidence.clear();
    r.finished_at = None;
    r.duration_ms = 4.0;
    r.aborted = Some("no HTTP answer from http://127.0.0.1:1/: connection refused".into());
    r.recount();
    r.into()
}

/// The fixture load report (`testdata_load.json`, a real 3 s pull/push run) with what a clean
/// run lacks: thresholds (one held, one violated), errors of several kinds (a digest mismatch
/// fails integrity) with examples, late starts, an interrupted run.
pub fn load_with_failures() -> crate::load::LoadReport {
    let mut l = super::load::tests::load_report();
    l.interrupted = true;
    l.late_starts = 3;
    l.thresholds = vec![
        crate::load::threshold::ThresholdResult {
            expr: "pull.p99<1s".into(),
            ok: true,
            actual: "pull.p99 = 185 ms".into(),
        },
        crate::load::threshold::ThresholdResult {
            expr: "push.error_rate<0.1%".into(),
            ok: false,
            actual: "push.error_rate = 1.76%".into(),
        },
    ];
    let kinds = [("digest_mismatch", 1u64), ("status", 2)];
    let examples = vec![
        "PUT /v2/ns/load/blobs/uploads/<id> answered 500".to_string(),
        "GET /v2/ns/load/blobs/sha256:aa: body digest sha256:bb".to_string(),
    ];
    for op in [&mut l.operations[1], &mut l.total] {
        op.errors = 3;
        op.error_rate = 3.0 / op.requests as f64;
        op.errors_by_kind = kinds.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        op.statuses = [("500".to_string(), 2)].into_iter().collect();
        op.examples = examples.clone();
    }
    if let Some(p) = l.timeline.get_mut(1) {
        p.tick.errors = 3;
    }
    l
}

/// A load run's own report (`regcheck load`, `kind: "load"`) with `load` as measurements.
pub fn load_run(load: crate::load::LoadReport) -> crate::load::LoadRunReport {
    crate::load::LoadRunReport {
        schema_version: 1,
        kind: "load".into(),
        tool: "regcheck test".into(),
        target: "http://127.0.0.1:1/".into(),
        run_id: "0000abcd".into(),
        namespace: "ns".into(),
        started_at: "2026-11-26T00:00:00Z".into(),
        ended_at: "2026-11-26T00:00:03Z".into(),
        cleanup: crate::namespace::CleanupReport {
            deleted: 16,
            ..Default::default()
        },
        load,
        errors_bounded: false,
    }
}

/// [`full_document`] with the fixture load report as its `load` member.
pub fn document_with_load() -> super::Document {
    super::Document {
        load: Some(super::load::tests::load_report()),
        ..full_document()
    }
}
