//! Runs one scenario: steps in order (groups, `push` steps and `for_each` loops included),
//! each request step a composition of the steps of `super`'s modules — built (`request`), sent
//! with its redirects followed (`send`), judged (`judge`), its values captured (`capture`),
//! what it created recorded for cleanup (`record`), and its exchanges redacted into
//! transcripts and `-v` output (`transcript`). Produces a `ScenarioResult`; prints nothing
//! but the `-v` exchanges.

use super::capture;
use super::flow::Flow;
use super::iterations::Iterations;
use super::judge::{self, Judgement};
use super::probe::Capabilities;
use super::record;
use super::request;
use super::result::{Outcome, ScenarioResult, StepResult};
use super::send::{SendError, send_following};
use super::transcript;
use super::vars::{Builtins, Vars};
use crate::client::{self, Client, Observed, OutgoingRequest};
use crate::contract::Operation;
use crate::exchange::{Finding, ObservedResponse};
use crate::namespace::cleanup::Tracker;
use crate::scenario::ValidScenario;
use crate::scenario::valid::{RequestStep, Step, StepKind};
use futures::future::BoxFuture;
use std::time::Instant;

pub use super::iterations::MAX_ITERATIONS;

/// Everything a scenario run shares with the rest of the run.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// HTTP client.
    pub client: &'a Client,
    /// Probe results.
    pub caps: &'a Capabilities,
    /// Run namespace.
    pub namespace: &'a str,
    /// Created-object tracker.
    pub tracker: &'a Tracker,
    /// `-v`: write every exchange to stderr.
    pub verbosity: crate::client::verbose::Verbosity,
    /// The scenario being run (for `-v`); empty outside one.
    pub scenario: &'a str,
}

/// Runs one scenario in `repo`.
pub async fn run_scenario(
    ctx: &Context<'_>,
    scenario: &ValidScenario,
    builtins: Builtins,
) -> ScenarioResult {
    let started = Instant::now();
    let mut result = ScenarioResult {
        name: scenario.name.clone(),
        file: scenario.file.display().to_string(),
        tags: scenario.tags.clone(),
        repository: builtins.repo.clone(),
        outcome: Outcome::Pass,
        reason: None,
        duration_ms: 0.0,
        steps: Vec::new(),
    };
    let mut vars = match Vars::new(scenario, &builtins) {
        Ok(v) => v,
        Err(e) => {
            result.outcome = Outcome::Error;
            result.reason = Some(format!("cannot prepare scenario: {e}"));
            return result;
        }
    };
    let ctx = &Context {
        scenario: &scenario.name,
        ..*ctx
    };
    let flow = run_steps(
        ctx,
        &scenario.steps,
        &mut vars,
        &mut result.steps,
        String::new(),
    )
    .await;
    let any_fail = result.steps.iter().any(|s| s.outcome == Outcome::Fail);
    let any_warn = result.steps.iter().any(|s| s.outcome == Outcome::Warn);
    match flow {
        Flow::Error(reason) => {
            result.outcome = Outcome::Error;
            result.reason = Some(reason);
        }
        _ if any_fail => result.outcome = Outcome::Fail,
        Flow::Skip(reason) => {
            result.outcome = Outcome::Skip;
            result.reason = Some(reason);
        }
        Flow::Continue | Flow::Stop if any_warn => result.outcome = Outcome::Warn,
        Flow::Continue | Flow::Stop => result.outcome = Outcome::Pass,
    }
    result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    result
}

fn run_steps<'a>(
    ctx: &'a Context<'a>,
    steps: &'a [Step],
    vars: &'a mut Vars,
    out: &'a mut Vec<StepResult>,
    prefix: String,
) -> BoxFuture<'a, Flow> {
    Box::pin(async move {
        for step in steps {
            let name = format!("{prefix}{}", step.name);
            let flow = match &step.for_each {
                None => run_one(ctx, step, vars, out, name).await,
                Some(fe) => match Iterations::new(fe, vars) {
                    Err(e) => {
                        out.push(error_step(&name, step.op(), &e));
                        Flow::Error(e)
                    }
                    Ok(iterations) => {
                        let mut flow = Flow::Continue;
                        for i in 0..iterations.len() {
                            vars.push_layer(iterations.layer(i));
                            flow = run_one(ctx, step, vars, out, format!("{name}[{i}]")).await;
                            vars.pop_layer();
                            if flow != Flow::Continue {
                                break;
                            }
                        }
                        flow
                    }
                },
            };
            if flow != Flow::Continue {
                return flow;
            }
        }
        Flow::Continue
    })
}

async fn run_one(
    ctx: &Context<'_>,
    step: &Step,
    vars: &mut Vars,
    out: &mut Vec<StepResult>,
    name: String,
) -> Flow {
    match &step.kind {
        StepKind::Group(steps) => run_steps(ctx, steps, vars, out, format!("{name} / ")).await,
        StepKind::Push(push) => {
            let steps = super::push::expand(push, &step.pos);
            run_steps(ctx, &steps, vars, out, format!("{name} / ")).await
        }
        StepKind::Request(request) => {
            let (result, flow) = run_request(ctx, request, vars, name).await;
            out.push(result);
            flow
        }
    }
}

/// A step that could not run.
fn error_step(name: &str, op: Option<Operation>, reason: &str) -> StepResult {
    StepResult {
        name: name.to_string(),
        op: op.map(|o| o.name().to_string()).unwrap_or_default(),
        endpoint: None,
        outcome: Outcome::Error,
        status: 0,
        duration_ms: 0.0,
        checks_passed: 0,
        contract_passed: Vec::new(),
        findings: Vec::new(),
        reason: Some(reason.to_string()),
        transcript: Vec::new(),
    }
}

/// One request step: built, sent (redirects followed), judged, its values captured and what
/// it created recorded for cleanup.
async fn run_request(
    ctx: &Context<'_>,
    step: &RequestStep,
    vars: &mut Vars,
    name: String,
) -> (StepResult, Flow) {
    let target = &ctx.client.options().target;
    let op = step.op;
    let built = match request::for_step(step, vars, target) {
        Ok(b) => b,
        Err(r) => return (error_step(&name, Some(op), &r), Flow::Error(r)),
    };
    let endpoint = endpoint_of(op, &built.request);
    let started = Instant::now();
    let sent = send_following(
        ctx.client,
        built.request,
        built.creds,
        built.follow,
        ctx.namespace,
    )
    .await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let hops = match sent {
        Ok(h) => h,
        Err(SendError::Refused(r)) => return (error_step(&name, Some(op), &r), Flow::Error(r)),
        Err(SendError::Transport { hops, error }) => {
            let (mut result, flow) =
                transport_failure(name, op, &hops, &error, duration_ms, &vars.secrets);
            result.endpoint = endpoint;
            return (result, flow);
        }
    };
    let mut judged = judge::contract(op, &hops, ctx.caps, target);
    // `hops` is never empty: send_following returns at least the first response.
    let answered = Answered {
        last: judge::step_response(&hops),
        hops,
        duration_ms,
    };
    let flow = judge_and_capture(step, vars, &name, &answered, &mut judged);
    if let Some(first) = answered.hops.first() {
        record::record_created(ctx.tracker, op, first, &answered.last, &vars.run_unique);
    }
    let (mut result, flow) = step_result(ctx, name, op, &answered, judged, flow, &vars.secrets);
    result.endpoint = endpoint;
    (result, flow)
}

/// The OCI endpoint a request exercises (`vocab::document::endpoint_for`: its operation,
/// method and query keys), as its id.
fn endpoint_of(op: Operation, request: &OutgoingRequest) -> Option<String> {
    let keys: Vec<String> = request
        .url
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    crate::vocab::document::endpoint_for(op, request.method.as_str(), &keys)
        .map(|e| e.id.to_string())
}

/// What a step's request got.
struct Answered {
    /// Every answer, hop by hop (each with the answers that were retried).
    hops: Vec<Observed>,
    /// The response the step's expectations and captures see.
    last: ObservedResponse,
    /// Wall time of the request, redirects included.
    duration_ms: f64,
}

/// The step's own checks on the response it sees: a `skip_on` variant skips the rest, else
/// the expectations are judged and the values captured. One finding never hides another:
/// after a failed expectation the captures are still tried, and the scenario goes on unless
/// a value later steps need is missing (a failed capture stops it).
fn judge_and_capture(
    step: &RequestStep,
    vars: &mut Vars,
    name: &str,
    answered: &Answered,
    judged: &mut Judgement,
) -> Flow {
    let last = &answered.last;
    if let Some((reason, skip)) = judge::skip_reason(&step.skip_on, name, last) {
        if let Some(level) = skip.level {
            let mut warning = Finding::scenario("scenario.skip_on", reason.clone());
            warning.actual = Some(format!("status {}", last.status));
            warning.spec = Some("the text the scenario description quotes (skip_on)".into());
            warning.quote = Some(skip.reason.clone());
            warning.level = Some(level);
            warning.severity = level.severity();
            judged.findings.push(warning);
        }
        return Flow::Skip(reason);
    }
    let expectation_failed = match judge::expectations(&step.expect, vars, last, judged) {
        Ok(failed) => failed,
        Err(reason) => return Flow::Error(reason),
    };
    let final_url = answered
        .hops
        .last()
        .map(|o| o.request.url.clone())
        .unwrap_or_default();
    let missing = capture::capture_all(&step.capture, last, &final_url, vars);
    if missing.is_empty() {
        return Flow::Continue;
    }
    // After a failed expectation a missing value is its consequence, not a finding of its own.
    if !expectation_failed {
        judged.findings.extend(
            missing
                .into_iter()
                .map(|(var, msg)| Finding::scenario(format!("scenario.capture.{var}"), msg)),
        );
    }
    Flow::Stop
}

/// The result of a step that got an answer: its outcome, its findings redacted, and unless it
/// passed or was skipped the transcripts of its exchanges; `-v` shows the exchanges.
fn step_result(
    ctx: &Context<'_>,
    name: String,
    op: Operation,
    answered: &Answered,
    mut judged: Judgement,
    flow: Flow,
    secrets: &[String],
) -> (StepResult, Flow) {
    let outcome = judge::outcome(&judged.findings, &flow);
    transcript::redact_findings(&mut judged.findings, secrets);
    let hops = &answered.hops;
    transcript::show_exchanges(ctx.verbosity, ctx.scenario, &name, op, hops, secrets);
    let transcript = if matches!(outcome, Outcome::Pass | Outcome::Skip) {
        Vec::new()
    } else {
        transcript::transcripts(hops, secrets)
    };
    let result = StepResult {
        name,
        op: op.name().to_string(),
        endpoint: None,
        outcome,
        status: answered.last.status,
        duration_ms: answered.duration_ms,
        checks_passed: judged.passed,
        contract_passed: judged.contract_passed,
        findings: judged.findings,
        reason: flow.reason(),
        transcript,
    };
    (result, flow)
}

/// A step whose request got no usable answer: one finding naming the request, the limit or
/// failure and what arrived; later steps of the scenario are not run (they depend on it).
fn transport_failure(
    name: String,
    op: Operation,
    hops: &[Observed],
    error: &client::ClientError,
    duration_ms: f64,
    secrets: &[String],
) -> (StepResult, Flow) {
    let finding = match judge::transport_finding(error, secrets) {
        Ok(f) => f,
        Err(r) => return (error_step(&name, Some(op), &r), Flow::Error(r)),
    };
    let result = StepResult {
        name,
        op: op.name().to_string(),
        endpoint: None,
        outcome: Outcome::Fail,
        status: hops.last().map(|h| h.response.status).unwrap_or(0),
        duration_ms,
        checks_passed: 0,
        contract_passed: Vec::new(),
        findings: vec![finding],
        reason: None,
        transcript: transcript::transcripts(hops, secrets),
    };
    (result, Flow::Stop)
}
