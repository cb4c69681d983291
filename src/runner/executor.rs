//! Runs one scenario: steps in order (groups and `for_each` loops included), each request sent
//! through the client, redirects followed and checked hop by hop, the contract rules of the
//! step's operation and its explicit expectations evaluated, values captured, created content
//! recorded for cleanup. Produces a `ScenarioResult`; never prints.

use super::paths;
use super::probe::Capabilities;
use super::request::{self, BuildError};
use super::result::{Outcome, ScenarioResult, StepResult, Transcript};
use super::vars::{Builtins, Vars};
use crate::client::verbose::{self, Verbosity, WireExchange};
use crate::client::{self, Client, Credentials, Observed, OutgoingRequest, secret};
use crate::contract::Operation;
use crate::exchange::{Exchange, ExchangeContext, Finding, FindingSource, Verdict};
use crate::namespace::cleanup::{Created, Kind, Tracker};
use crate::scenario::load::LoadedScenario;
use crate::scenario::template::{self, TValue};
use crate::scenario::{CaptureSpec, ForEach, Step, StepAuth};
use futures::future::BoxFuture;
use std::collections::{HashMap, HashSet};
use std::time::Instant;
use url::Url;

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

/// What happens after a step.
#[derive(Debug, Clone, PartialEq)]
enum Flow {
    Continue,
    /// An expectation failed: later steps depend on it.
    Stop,
    /// A spec-legal variant: the rest is skipped.
    Skip(String),
    /// The step could not run.
    Error(String),
}

/// Runs one scenario in `repo`.
pub async fn run_scenario(
    ctx: &Context<'_>,
    loaded: &LoadedScenario,
    builtins: Builtins,
) -> ScenarioResult {
    let started = Instant::now();
    let scenario = &loaded.scenario;
    let mut result = ScenarioResult {
        name: scenario.name.clone(),
        file: loaded.file.display().to_string(),
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
                        out.push(error_step(&name, step.op, &e));
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
    if !step.steps.is_empty() {
        return run_steps(ctx, &step.steps, vars, out, format!("{name} / ")).await;
    }
    if let Some(push) = &step.push {
        let steps = super::push::expand(push);
        return run_steps(ctx, &steps, vars, out, format!("{name} / ")).await;
    }
    let (result, flow) = run_request(ctx, step, vars, name).await;
    out.push(result);
    flow
}

/// At most this many iterations per `for_each` (every loop is bounded).
pub const MAX_ITERATIONS: u64 = 10_000;

/// A `for_each` resolved to its iterations; each layer is built only when its turn comes.
enum Iterations {
    /// `chunk_size`-sized pieces of a blob of `size` bytes.
    Chunks { size: u64, chunk: u64, count: u64 },
    /// Rendered items.
    Items(Vec<TValue>),
}

impl Iterations {
    fn new(fe: &ForEach, vars: &Vars) -> Result<Self, String> {
        let it = if let Some(blob) = &fe.chunks {
            let g = vars
                .blobs
                .get(blob)
                .ok_or_else(|| format!("for_each: no blob named `{blob}`"))?;
            let chunk = fe.chunk_size.map(|s| s.0).unwrap_or(g.size).max(1);
            // An empty blob has no chunks: nothing to send.
            Iterations::Chunks {
                size: g.size,
                chunk,
                count: g.size.div_ceil(chunk),
            }
        } else {
            let items = fe
                .items
                .iter()
                .flatten()
                .map(|item| template::render_value(item, vars).map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            Iterations::Items(items)
        };
        if it.len() > MAX_ITERATIONS {
            return Err(format!(
                "for_each would run {} iterations; at most {MAX_ITERATIONS} are allowed (use a larger chunk_size)",
                it.len()
            ));
        }
        Ok(it)
    }

    fn len(&self) -> u64 {
        match self {
            Iterations::Chunks { count, .. } => *count,
            Iterations::Items(items) => items.len() as u64,
        }
    }

    /// The loop variables of iteration `i`.
    fn layer(&self, i: u64) -> HashMap<String, TValue> {
        let mut l = HashMap::new();
        match self {
            Iterations::Chunks { size, chunk, count } => {
                let start = i * chunk;
                let end = (start + chunk).min(*size) - 1;
                l.insert("chunk.index".into(), TValue::Int(i as i64));
                l.insert("chunk.start".into(), TValue::Int(start as i64));
                l.insert("chunk.end".into(), TValue::Int(end as i64));
                l.insert("chunk.length".into(), TValue::Int((end + 1 - start) as i64));
                l.insert("chunk.count".into(), TValue::Int(*count as i64));
            }
            Iterations::Items(items) => {
                l.insert("item".into(), items[i as usize].clone());
                l.insert("item.index".into(), TValue::Int(i as i64));
            }
        }
        l
    }
}

fn error_step(name: &str, op: Option<Operation>, reason: &str) -> StepResult {
    StepResult {
        name: name.to_string(),
        op: op.map(|o| o.name().to_string()).unwrap_or_default(),
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

/// The namespace guard: writes only inside the run namespace.
fn guard(req: &OutgoingRequest, namespace: &str) -> Result<(), String> {
    if matches!(req.method.as_str(), "GET" | "HEAD") {
        return Ok(());
    }
    let path = req.url.path();
    if path.starts_with("/oauth2/") {
        return Ok(());
    }
    match paths::repository_of(path) {
        Some(repo) if repo.starts_with(&format!("{namespace}/")) => Ok(()),
        Some(repo) => Err(format!(
            "refusing to {} in repository `{repo}`: outside the run namespace `{namespace}`",
            req.method
        )),
        None => Ok(()),
    }
}

async fn run_request(
    ctx: &Context<'_>,
    step: &Step,
    vars: &mut Vars,
    name: String,
) -> (StepResult, Flow) {
    let Some(op) = step.op else {
        let r = "step has neither `op` nor `steps`".to_string();
        return (error_step(&name, None, &r), Flow::Error(r));
    };
    let Some(spec) = &step.request else {
        let r = "step has no `request`".to_string();
        return (error_step(&name, Some(op), &r), Flow::Error(r));
    };
    let target = &ctx.client.options().target;
    let req = match request::build(op, spec, vars, target) {
        Ok(r) => r,
        Err(e) => {
            let r = match e {
                BuildError::Template(t) => format!("cannot render request: {t}"),
                BuildError::Invalid(m) => m,
            };
            return (error_step(&name, Some(op), &r), Flow::Error(r));
        }
    };
    let creds = match step.auth {
        StepAuth::Auto => Credentials::Auto,
        StepAuth::None => Credentials::Never,
    };
    let started = Instant::now();
    let hops =
        match send_following(ctx.client, req, creds, spec.follow_redirects, ctx.namespace).await {
            Ok(h) => h,
            Err(SendError::Refused(r)) => return (error_step(&name, Some(op), &r), Flow::Error(r)),
            Err(SendError::Transport { hops, error }) => {
                let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
                return transport_failure(name, op, &hops, &error, duration_ms, &vars.secrets);
            }
        };
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;

    let mut findings = Vec::new();
    let mut passed = 0u32;
    let mut contract_passed = Vec::new();
    // Every answer the target gave is checked: the ones that were retried (401 challenges,
    // throttling), then each redirect hop.
    let checked: Vec<(usize, &Observed)> = hops
        .iter()
        .enumerate()
        .flat_map(|(i, o)| o.retried.iter().chain([o]).map(move |x| (i, x)))
        .collect();
    for (i, observed) in checked {
        let via_redirect = i > 0
            && Url::parse(&observed.request.url)
                .map(|u| !client::same_origin(&u, target))
                .unwrap_or(true);
        let ex = Exchange {
            op,
            request: observed.request.clone(),
            response: observed.response.clone(),
            context: ExchangeContext {
                expects_api_version_header: ctx.caps.api_version_header,
                via_redirect,
                ranges_advertised: ctx.caps.ranges_advertised,
                authenticated: observed.authenticated,
                target: ctx.caps.target(),
            },
        };
        for (rule, verdict) in super::checks::contract(&ex) {
            match verdict {
                Verdict::Pass => {
                    passed += 1;
                    contract_passed.push(rule.to_string());
                }
                Verdict::Fail(f) => findings.push(f),
                Verdict::NotApplicable => {}
            }
        }
    }
    // `hops` is never empty: send_following returns at least the first response.
    let last = step_response(&hops);
    let mut flow = Flow::Continue;

    let body = (!step.skip_on.is_empty()).then(|| last.json()).flatten();
    if let Some(skip) = step
        .skip_on
        .iter()
        .find(|s| s.applies(last.status, body.as_ref()))
    {
        let without = skip
            .absent
            .as_deref()
            .map(|p| format!(" without {p}"))
            .unwrap_or_default();
        flow = Flow::Skip(format!(
            "{} answered {}{without}: {}",
            name, last.status, skip.reason
        ));
    } else {
        match request::render_expect(&step.expect, vars) {
            Err(e) => flow = Flow::Error(format!("cannot render expectations: {e}")),
            Ok(expect) => {
                let mut expectation_failed = false;
                for v in super::checks::expectations(&expect, &last) {
                    match v {
                        Verdict::Pass => passed += 1,
                        Verdict::Fail(f) => {
                            expectation_failed = true;
                            findings.push(f);
                        }
                        Verdict::NotApplicable => {}
                    }
                }
                // One finding never hides another: after a failed expectation the captures are
                // still tried, and the scenario goes on unless a value later steps need is
                // missing (a failed capture stops it).
                let final_url = hops
                    .last()
                    .map(|o| o.request.url.clone())
                    .unwrap_or_default();
                for (var, cap) in &step.capture {
                    match capture(cap, &last, &final_url) {
                        Ok(value) => {
                            if cap.secret {
                                vars.secrets.push(value.clone());
                            }
                            vars.set(var, TValue::Str(value));
                        }
                        Err(msg) => {
                            // After a failed expectation a missing value is its
                            // consequence, not a finding of its own.
                            if !expectation_failed {
                                findings.push(Finding::scenario(
                                    format!("scenario.capture.{var}"),
                                    msg,
                                ));
                            }
                            flow = Flow::Stop;
                        }
                    }
                }
            }
        }
    }
    if let Some(first) = hops.first() {
        record_created(ctx, op, first, &last, &vars.run_unique);
    }
    let outcome = if findings.iter().any(|f| !f.is_warning()) {
        Outcome::Fail
    } else if !findings.is_empty() && !matches!(flow, Flow::Error(_) | Flow::Skip(_)) {
        Outcome::Warn
    } else if matches!(flow, Flow::Error(_)) {
        Outcome::Error
    } else if matches!(flow, Flow::Skip(_)) {
        Outcome::Skip
    } else {
        Outcome::Pass
    };
    // Findings quote what the target sent (headers, bodies): same redaction as transcripts,
    // and control characters escaped so a hostile body cannot drive the terminal.
    let redact = |t: &str| {
        escape_controls(&secret::redact_url_params(&secret::redact(
            t,
            &vars.secrets,
        )))
    };
    for f in &mut findings {
        f.message = redact(&f.message);
        f.expected = f.expected.as_deref().map(redact);
        f.actual = f.actual.as_deref().map(redact);
    }
    show_exchanges(ctx, &name, op, &hops, &vars.secrets);
    let transcript = if matches!(outcome, Outcome::Pass | Outcome::Skip) {
        Vec::new()
    } else {
        hops.iter()
            .flat_map(|o| o.retried.iter().chain([o]))
            .map(|o| transcript(o, &vars.secrets))
            .collect()
    };
    let reason = match &flow {
        Flow::Skip(r) | Flow::Error(r) => Some(r.clone()),
        _ => None,
    };
    (
        StepResult {
            name,
            op: op.name().to_string(),
            outcome,
            status: last.status,
            duration_ms,
            checks_passed: passed,
            contract_passed,
            findings,
            reason,
            transcript,
        },
        flow,
    )
}

/// `t` with control characters (ESC, NUL, …; not newlines or tabs) shown as `\u{..}`.
fn escape_controls(t: &str) -> String {
    if !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return t.to_string();
    }
    t.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The response a step's expectations and captures see: the last hop, plus the registry's
/// `Docker-*` headers from earlier hops when the last hop lacks them — ACR puts
/// `Docker-Content-Digest` on its 307 to storage, and storage knows nothing of Docker headers.
fn step_response(hops: &[Observed]) -> crate::exchange::ObservedResponse {
    let Some((last, earlier)) = hops.split_last() else {
        return Default::default();
    };
    let mut resp = last.response.clone();
    for hop in earlier.iter().rev() {
        for (k, v) in &hop.response.headers {
            let registry_header = k.to_ascii_lowercase().starts_with("docker-");
            if registry_header && resp.header(k).is_none() {
                resp.headers.push((k.clone(), v.clone()));
            }
        }
    }
    resp
}

/// Why `send_following` produced no final answer.
enum SendError {
    /// The runner refused to send (namespace guard, write redirected to another host).
    Refused(String),
    /// The target gave no usable answer (limit breached, deadline passed, protocol broken):
    /// a finding. `hops` are the answers before it.
    Transport {
        hops: Vec<Observed>,
        error: client::ClientError,
    },
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
    let red = |t: &str| escape_controls(&secret::redact_url_params(&secret::redact(t, secrets)));
    if !error.is_target_fault() {
        let r = red(&error.to_string());
        return (error_step(&name, Some(op), &r), Flow::Error(r));
    }
    let kind = error.kind();
    let rule = if kind.starts_with("limits.") {
        kind
    } else {
        format!("transport.{kind}")
    };
    let finding = Finding {
        rule,
        source: FindingSource::Contract,
        message: red(&error.to_string()),
        expected: Some("a complete HTTP answer within the client's limits".into()),
        actual: Some(red(&error.to_string())),
        spec: Some(
            "RFC 9112 (message framing); regcheck limits (--timeout, --headers-timeout, --max-*)"
                .into(),
        ),
        level: Some(crate::contract::Level::Must),
        severity: Default::default(),
        quote: None,
        known: false,
    };
    let result = StepResult {
        name,
        op: op.name().to_string(),
        outcome: Outcome::Fail,
        status: hops.last().map(|h| h.response.status).unwrap_or(0),
        duration_ms,
        checks_passed: 0,
        contract_passed: Vec::new(),
        findings: vec![finding],
        reason: None,
        transcript: hops
            .iter()
            .flat_map(|o| o.retried.iter().chain([o]))
            .map(|o| transcript(o, secrets))
            .collect(),
    };
    (result, Flow::Stop)
}

/// Sends a request and follows redirects (each hop is returned for checking). On a foreign
/// origin, credentials are never sent and `Authorization` headers are removed.
/// Every hop passes the namespace guard; a write is never redirected to another host.
/// A chain longer than the client's `max_redirects` (a loop, say) is a transport finding.
async fn send_following(
    client: &Client,
    mut req: OutgoingRequest,
    creds: Credentials,
    follow: bool,
    namespace: &str,
) -> Result<Vec<Observed>, SendError> {
    let mut hops = Vec::new();
    let mut creds_now = creds;
    let max_redirects = client.options().limits.max_redirects;
    loop {
        guard(&req, namespace).map_err(SendError::Refused)?;
        let foreign = !client::same_origin(&req.url, &client.options().target);
        if foreign && !matches!(req.method.as_str(), "GET" | "HEAD") {
            return Err(SendError::Refused(format!(
                "refusing to follow a redirect of {} to another host ({})",
                req.method,
                client::strip_query(&req.url)
            )));
        }
        let observed = match client.execute(&req, creds_now).await {
            Ok(o) => o,
            Err(error) => return Err(SendError::Transport { hops, error }),
        };
        let status = observed.response.status;
        let location = observed.response.header("location").map(str::to_string);
        hops.push(observed);
        let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
        let (true, true, Some(loc)) = (follow, redirect, location) else {
            break;
        };
        if hops.len() > max_redirects {
            let error = client::ClientError::Limit {
                request: client::request_label(
                    req.method.as_str(),
                    &req.url,
                    &client.options().target,
                ),
                breach: client::limits::Breach {
                    kind: client::limits::LimitKind::Redirects,
                    detail: format!(
                        "more than {max_redirects} redirects (the last one, {status}, points to {})",
                        loc.split('?').next().unwrap_or_default()
                    ),
                },
            };
            return Err(SendError::Transport { hops, error });
        }
        let Ok(next) = req.url.join(&loc) else {
            break;
        };
        if !client::same_origin(&next, &client.options().target) {
            creds_now = Credentials::Never;
            req.headers.retain(|(k, _)| !secret::is_sensitive_header(k));
        }
        if status == 303 {
            req.method = reqwest::Method::GET;
            req.body = client::OutgoingBody::Empty;
        }
        req.url = next;
    }
    Ok(hops)
}

fn capture(
    cap: &CaptureSpec,
    resp: &crate::exchange::ObservedResponse,
    request_url: &str,
) -> Result<String, String> {
    let raw = if let Some(h) = &cap.header {
        let v = resp
            .header(h)
            .ok_or_else(|| format!("cannot capture header `{h}`: absent from the response"))?;
        if h.eq_ignore_ascii_case("location") {
            // Keep Locations absolute, resolved against the URL that answered.
            Url::parse(request_url)
                .and_then(|u| u.join(v))
                .map(|u| u.to_string())
                .unwrap_or_else(|_| v.to_string())
        } else {
            v.to_string()
        }
    } else if let Some(ptr) = &cap.json {
        let json = resp
            .json()
            .ok_or_else(|| format!("cannot capture `{ptr}`: the body is not JSON"))?;
        match json.pointer(ptr) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => {
                return Err(format!("cannot capture `{ptr}`: not in the body"));
            }
            Some(other) => other.to_string(),
        }
    } else if cap.body_digest == Some(true) {
        resp.body.digest.clone()
    } else {
        return Err("capture has no source".into());
    };
    match &cap.regex {
        None => Ok(raw),
        Some(re) => {
            let re = regex::Regex::new(re).map_err(|e| format!("bad capture regex: {e}"))?;
            let caps = re
                .captures(&raw)
                .ok_or_else(|| format!("capture regex `{re}` does not match `{raw}`"))?;
            Ok(caps
                .get(1)
                .or_else(|| caps.get(0))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default())
        }
    }
}

fn record_created(
    ctx: &Context<'_>,
    op: Operation,
    first: &Observed,
    last: &crate::exchange::ObservedResponse,
    run_unique: &HashSet<String>,
) {
    if last.status != 201 {
        return;
    }
    let Ok(url) = Url::parse(&first.request.url) else {
        return;
    };
    let Some(repo) = paths::repository_of(url.path()) else {
        return;
    };
    let digest = last
        .header("docker-content-digest")
        .map(str::to_string)
        .or_else(|| {
            url.query_pairs()
                .find(|(k, _)| k == "digest")
                .map(|(_, v)| v.into_owned())
        });
    let Some(digest) = digest else { return };
    let kind = match op {
        Operation::CreateManifest => Kind::Manifest,
        Operation::CompleteUpload | Operation::StartUpload | Operation::MountBlob => Kind::Blob,
        _ => return,
    };
    let run_unique = run_unique.contains(&digest);
    ctx.tracker.record(Created {
        kind,
        repo,
        digest,
        run_unique,
    });
}

/// `-v`: writes every exchange of a step (retries and redirect hops included) to stderr,
/// redacted like the reports' transcripts.
fn show_exchanges(
    ctx: &Context<'_>,
    step: &str,
    op: Operation,
    hops: &[Observed],
    secrets: &[String],
) {
    if ctx.verbosity == Verbosity::Quiet {
        return;
    }
    let limit = ctx.verbosity.body_limit();
    for o in hops.iter().flat_map(|o| o.retried.iter().chain([o])) {
        // The terminal must not be driven by what a hostile target sends.
        let mut t = transcript_limited(o, secrets, limit);
        t.response_body = escape_controls(&t.response_body);
        for (_, v) in t.response_headers.iter_mut() {
            *v = escape_controls(v);
        }
        let request_body = (ctx.verbosity == Verbosity::Bodies)
            .then(|| request_body_text(o, secrets))
            .flatten();
        verbose::emit(&verbose::render(&WireExchange {
            title: &format!("{} ▸ {step} ({})", ctx.scenario, op.name()),
            request_line: &t.request_line,
            request_headers: &t.request_headers,
            request_body: request_body.as_deref(),
            status: t.status,
            response_headers: &t.response_headers,
            response_body: &t.response_body,
        }));
    }
}

/// The request body as redacted text (binary bodies as their length).
fn request_body_text(o: &Observed, secrets: &[String]) -> Option<String> {
    let bytes = o.request.body.as_ref()?;
    Some(match std::str::from_utf8(bytes) {
        Ok(text) => escape_controls(&secret::redact_url_params(&secret::redact(
            &redact_text_tokens(text),
            secrets,
        ))),
        Err(_) => format!("<{} bytes of binary>", bytes.len()),
    })
}

/// Text with the values of token fields redacted when it is JSON or a form.
fn redact_text_tokens(text: &str) -> String {
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) {
        redact_token_fields(&mut v);
        return v.to_string();
    }
    if text.contains('=') && !text.contains(char::is_whitespace) {
        let pairs: Vec<String> = url::form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| {
                let sensitive =
                    k.to_ascii_lowercase().contains("token") || k.eq_ignore_ascii_case("password");
                let v = if sensitive { "<redacted>".into() } else { v };
                format!("{k}={v}")
            })
            .collect();
        return pairs.join("&");
    }
    text.to_string()
}

/// A redacted transcript of one exchange (body excerpt of at most 2 KiB, as in reports).
fn transcript(o: &Observed, secrets: &[String]) -> Transcript {
    transcript_limited(o, secrets, Some(2048))
}

/// A redacted transcript with a body excerpt of at most `limit` bytes (`None`: whole).
fn transcript_limited(o: &Observed, secrets: &[String], limit: Option<usize>) -> Transcript {
    let red = |s: &str| secret::redact_url_params(&secret::redact(s, secrets));
    let body = match &o.response.body.bytes {
        Some(b) if !b.is_empty() => match std::str::from_utf8(b) {
            Ok(text) => {
                let text = match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(mut v) => {
                        redact_token_fields(&mut v);
                        v.to_string()
                    }
                    Err(_) => text.to_string(),
                };
                let mut t = red(&text);
                if let Some(limit) = limit
                    && t.len() > limit
                {
                    let mut cut = limit;
                    while !t.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    t.truncate(cut);
                    t.push('…');
                }
                t
            }
            Err(_) => format!("<{} bytes of binary, {}>", b.len(), o.response.body.digest),
        },
        Some(_) => String::new(),
        None => format!(
            "<{} bytes, {}>",
            o.response.body.len, o.response.body.digest
        ),
    };
    Transcript {
        request_line: red(&format!("{} {}", o.request.method, o.request.url)),
        request_headers: o
            .request
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), red(v)))
            .collect(),
        status: o.response.status,
        response_headers: o
            .response
            .headers
            .iter()
            .map(|(k, v)| {
                if secret::is_sensitive_header(k) {
                    (k.clone(), secret::redact_auth_header(v))
                } else {
                    (k.clone(), red(v))
                }
            })
            .collect(),
        response_body: body,
    }
}

/// Replaces the values of JSON fields that hold tokens (`access_token`, `refresh_token`, …).
fn redact_token_fields(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if k.to_ascii_lowercase().contains("token") && val.is_string() {
                    *val = serde_json::Value::String("<redacted>".into());
                } else {
                    redact_token_fields(val);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_token_fields),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::OutgoingBody;

    fn req(method: &str, path: &str) -> OutgoingRequest {
        OutgoingRequest {
            method: reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            url: Url::parse("http://127.0.0.1:1")
                .unwrap()
                .join(path)
                .unwrap(),
            headers: vec![],
            body: OutgoingBody::Empty,
        }
    }

    #[test]
    fn guard_refuses_writes_outside_the_namespace() {
        assert!(guard(&req("DELETE", "/v2/ns1/a/manifests/sha256:00"), "ns1").is_ok());
        assert!(guard(&req("DELETE", "/v2/other/a/manifests/sha256:00"), "ns1").is_err());
        assert!(guard(&req("PATCH", "/acr/v1/library/hello"), "ns1").is_err());
        assert!(guard(&req("DELETE", "/acr/v1/ns1x/a"), "ns1").is_err());
        assert!(guard(&req("GET", "/v2/other/a/manifests/v1"), "ns1").is_ok());
        assert!(guard(&req("POST", "/oauth2/token"), "ns1").is_ok());
    }

    fn observed(status: u16, headers: &[(&str, &str)]) -> Observed {
        Observed {
            request: Default::default(),
            response: crate::exchange::ObservedResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: Default::default(),
            },
            authenticated: false,
            retried: Vec::new(),
        }
    }

    #[test]
    fn redirected_steps_keep_the_registry_docker_headers() {
        let hops = [
            observed(
                307,
                &[
                    ("Location", "http://storage/x"),
                    ("Docker-Content-Digest", "sha256:aa"),
                    ("Content-Length", "412"),
                ],
            ),
            observed(
                200,
                &[
                    ("Content-Length", "5"),
                    ("Docker-Content-Digest", "sha256:bb"),
                ],
            ),
        ];
        let r = step_response(&hops);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-length"), Some("5"));
        // The final answer's own header wins; missing Docker headers come from the registry hop.
        assert_eq!(r.header("docker-content-digest"), Some("sha256:bb"));
        let r = step_response(
            &hops[..1]
                .iter()
                .cloned()
                .chain([observed(200, &[])])
                .collect::<Vec<_>>(),
        );
        assert_eq!(r.header("docker-content-digest"), Some("sha256:aa"));
        assert_eq!(r.header("location"), None);
    }

    #[test]
    fn chunk_iterations_cover_the_blob_exactly() {
        let it = Iterations::Chunks {
            size: 10,
            chunk: 4,
            count: 3,
        };
        let spans: Vec<(TValue, TValue, TValue)> = (0..it.len())
            .map(|i| {
                let l = it.layer(i);
                (
                    l["chunk.start"].clone(),
                    l["chunk.end"].clone(),
                    l["chunk.length"].clone(),
                )
            })
            .collect();
        assert_eq!(
            spans,
            vec![
                (TValue::Int(0), TValue::Int(3), TValue::Int(4)),
                (TValue::Int(4), TValue::Int(7), TValue::Int(4)),
                (TValue::Int(8), TValue::Int(9), TValue::Int(2)),
            ]
        );
        let empty = Iterations::Chunks {
            size: 0,
            chunk: 4,
            count: 0,
        };
        assert_eq!(empty.len(), 0);
    }

    proptest::proptest! {
        /// Captures read target input (Location, JSON bodies): any value is captured or
        /// refused with a message, never a panic.
        #[test]
        fn captures_take_any_response(
            location in "[ -~]{0,60}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            pointer in "(/[a-z0-9~]{0,6}){0,3}",
        ) {
            let resp = crate::exchange::ObservedResponse {
                status: 201,
                headers: vec![("Location".into(), location)],
                body: crate::exchange::ObservedBody {
                    len: body.len() as u64,
                    bytes: Some(bytes::Bytes::from(body)),
                    ..Default::default()
                },
            };
            for cap in [
                CaptureSpec { header: Some("Location".into()), ..Default::default() },
                CaptureSpec { json: Some(pointer.clone()), ..Default::default() },
                CaptureSpec {
                    header: Some("Location".into()),
                    regex: Some("/([^/]+)$".into()),
                    ..Default::default()
                },
            ] {
                let _ = capture(&cap, &resp, "http://127.0.0.1:5000/v2/a/blobs/uploads/");
            }
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\tb\nc"), "a\tb\nc");
        assert_eq!(escape_controls("x\u{1b}[2Jy\0"), "x\\u{1b}[2Jy\\u{0}");
    }

    #[test]
    fn token_fields_are_redacted_in_json() {
        let mut v =
            serde_json::json!({"access_token": "abc", "nested": [{"refresh_token": "x"}], "n": 1});
        redact_token_fields(&mut v);
        assert_eq!(v["access_token"], "<redacted>");
        assert_eq!(v["nested"][0]["refresh_token"], "<redacted>");
        assert_eq!(v["n"], 1);
    }
}
