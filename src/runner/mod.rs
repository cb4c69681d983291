//! Executes scenarios against a target and returns a `RunResult`; never prints.
//!
//! `run` probes the target's capabilities, runs the selected scenarios concurrently (`jobs`),
//! each in its own repository `<namespace>/<scenario>`, then deletes what the run created
//! (unless `keep`). Failed checks are data in the result; `RunnerError` only means the run
//! could not happen.

mod capture;
pub mod checks;
pub mod error;
pub mod executor;
pub mod expect;
mod flow;
mod iterations;
mod judge;
pub mod options;
/// Registry URL paths (kept at their old path).
pub use crate::vocab::paths;
pub mod probe;
pub mod push;
mod record;
pub mod request;
pub mod result;
mod send;
mod transcript;
pub mod vars;

pub use crate::namespace::{cleanup, new_run_id, slots};
pub use error::RunnerError;
pub use options::{Profile, RunOptions, Selection};
pub use result::*;

use crate::client::{Client, ClientOptions};
use crate::scenario::Capability;
use crate::scenario::ValidScenario;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Runs `scenarios` (already loaded and validated) with `opts`. `on_scenario` is called as each
/// scenario finishes (for progress output).
pub async fn run(
    scenarios: &[ValidScenario],
    opts: &RunOptions,
    on_scenario: &(dyn Fn(&ScenarioResult) + Sync),
) -> Result<RunResult, RunnerError> {
    let started = Instant::now();
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let run_id = new_run_id();
    if let Some(namespace) = &opts.namespace
        && !valid_namespace(namespace)
    {
        return Err(RunnerError::Config(format!(
            "namespace `{namespace}` is not a valid repository path component (use lowercase letters, digits, `-`, `_`, `.`, `/`)"
        )));
    }
    let client = Client::new(ClientOptions {
        target: opts.target.clone(),
        timeout: opts.timeout,
        credentials: opts.credentials.clone(),
        limits: opts.limits.clone(),
        transport: opts.transport.clone(),
    })
    .map_err(|e| RunnerError::Config(e.to_string()))?;
    let selected: Vec<&ValidScenario> = scenarios
        .iter()
        .filter(|s| opts.selection.matches(&s.name, &s.tags))
        .collect();
    if selected.is_empty() {
        // A typo in --tag/--filter must not look like a green run (and must not touch the target).
        return Err(RunnerError::Config(format!(
            "no scenario matches the selection (--tag/--skip-tag/--filter) among {} loaded; `regcheck list` shows names and tags",
            scenarios.len()
        )));
    }
    // The default namespace is a reusable slot (see `slots`), else one of the run's own.
    let slot = match &opts.namespace {
        Some(_) => None,
        None => slots::acquire(&client, &run_id).await,
    };
    let namespace = match (&opts.namespace, &slot) {
        (Some(ns), _) => ns.clone(),
        (None, Some(slot)) => slot.namespace.clone(),
        (None, None) => format!("regcheck-{run_id}"),
    };
    let caps = probe::probe(&client, &namespace, opts.profile, &run_id).await?;
    let tracker = cleanup::Tracker::default();
    if let Some(repo) = &caps.probe_repository {
        tracker.record_repository(repo);
        // The probe's objects carry the run id in their bytes.
        for (kind, digest) in &caps.probe_objects {
            tracker.record(cleanup::Created {
                kind: *kind,
                repo: repo.clone(),
                digest: digest.clone(),
                run_unique: true,
            });
        }
    }
    let ctx = executor::Context {
        client: &client,
        caps: &caps,
        namespace: &namespace,
        tracker: &tracker,
        verbosity: opts.verbosity,
        scenario: "",
    };
    let registry = crate::client::host_port(&opts.target);
    let creds = &opts.credentials;
    let stop = AtomicBool::new(false);
    let jobs = opts.jobs.max(1);
    // Scenarios start as soon as a slot is free; results are put back in file order.
    let mut results: Vec<(usize, ScenarioResult)> =
        futures::stream::iter(selected.into_iter().enumerate().map(|(index, loaded)| {
            let ctx = &ctx;
            let caps = &caps;
            let stop = &stop;
            let builtins = vars::Builtins {
                repo: format!("{namespace}/{}", loaded.name),
                namespace: namespace.clone(),
                run_id: run_id.clone(),
                registry: registry.clone(),
                target: opts.target.to_string().trim_end_matches('/').to_string(),
                username: creds.username.clone().unwrap_or_default(),
                password: creds
                    .password
                    .as_ref()
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default(),
                aad_token: creds
                    .aad_token
                    .as_ref()
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default(),
                aad_refresh_token: creds
                    .aad_refresh_token
                    .as_ref()
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default(),
            };
            async move {
                let result = if stop.load(Ordering::SeqCst) {
                    skipped(
                        loaded,
                        &builtins.repo,
                        "not started: --fail-fast after a failure".into(),
                    )
                } else if let Some(missing) = caps.missing(&loaded.requires) {
                    let why = format!(
                        "target lacks capability `{missing}` ({})",
                        caps.evidence_of(*missing)
                    );
                    if opts.require.contains(missing) {
                        lacking_required(loaded, &builtins.repo, *missing, caps, why)
                    } else {
                        skipped(loaded, &builtins.repo, why)
                    }
                } else {
                    executor::run_scenario(ctx, loaded, builtins).await
                };
                if opts.fail_fast && matches!(result.outcome, Outcome::Fail | Outcome::Error) {
                    stop.store(true, Ordering::SeqCst);
                }
                on_scenario(&result);
                (index, result)
            }
        }))
        .buffer_unordered(jobs)
        .collect()
        .await;
    results.sort_by_key(|(index, _)| *index);
    let results: Vec<ScenarioResult> = results.into_iter().map(|(_, r)| r).collect();

    let cleanup = if opts.keep {
        CleanupReport {
            kept: true,
            ..Default::default()
        }
    } else {
        let scope = match (opts.namespace.is_none(), caps.has(Capability::Acr)) {
            (true, true) => cleanup::Scope::Repositories,
            (true, false) => cleanup::Scope::AllObjects,
            (false, _) => cleanup::Scope::RunUniqueObjects,
        };
        cleanup::clean(&client, &tracker, &namespace, scope).await
    };
    let mut cleanup = cleanup;
    if let Some(slot) = &slot {
        let clean = !cleanup.kept && cleanup.leftovers.is_empty();
        if let Some(note) = slots::release(&client, slot, &run_id, clean).await {
            cleanup.notes.push(note);
        }
    }

    let mut result = RunResult {
        schema_version: 1,
        tool: format!("regcheck {}", env!("CARGO_PKG_VERSION")),
        target: opts.target.to_string(),
        run_id,
        namespace,
        profile: caps.target().as_str().into(),
        started_at,
        finished_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .ok(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        capabilities: Capability::ALL
            .iter()
            .map(|c| (c.name().to_string(), caps.has(*c)))
            .collect(),
        capability_evidence: caps
            .evidence
            .iter()
            .map(|(c, e)| (c.name().to_string(), e.clone()))
            .collect(),
        summary: Summary::default(),
        operations: BTreeMap::new(),
        endpoints: BTreeMap::new(),
        coverage: Default::default(),
        rules: BTreeMap::new(),
        scenarios: results,
        cleanup,
        baseline: None,
        strict: opts.strict,
        aborted: None,
    };
    result.recount();
    Ok(result)
}

fn skipped(loaded: &ValidScenario, repo: &str, reason: String) -> ScenarioResult {
    ScenarioResult {
        name: loaded.name.clone(),
        file: loaded.file.display().to_string(),
        tags: loaded.tags.clone(),
        repository: repo.to_string(),
        outcome: Outcome::Skip,
        reason: Some(reason),
        duration_ms: 0.0,
        steps: Vec::new(),
    }
}

/// A scenario that needs a capability the user required (`--require`) and the target lacks:
/// a failure whose one finding names the capability and the probe's evidence.
fn lacking_required(
    loaded: &ValidScenario,
    repo: &str,
    missing: Capability,
    caps: &probe::Capabilities,
    why: String,
) -> ScenarioResult {
    let evidence = caps.evidence_of(missing);
    let finding = crate::exchange::Finding {
        expected: Some(format!("the target offers `{missing}` (--require)")),
        actual: Some(evidence.to_string()),
        ..crate::exchange::Finding::scenario(
            format!("capability.{missing}"),
            format!("required capability `{missing}` is missing: {evidence}"),
        )
    };
    ScenarioResult {
        outcome: Outcome::Fail,
        steps: vec![StepResult {
            name: "capability probe".into(),
            op: "probe".into(),
            endpoint: None,
            outcome: Outcome::Fail,
            status: 0,
            duration_ms: 0.0,
            checks_passed: 0,
            contract_passed: Vec::new(),
            findings: vec![finding],
            reason: None,
            transcript: Vec::new(),
        }],
        ..skipped(loaded, repo, why)
    }
}

fn valid_namespace(ns: &str) -> bool {
    !ns.is_empty()
        && ns.split('/').all(|c| {
            !c.is_empty()
                && c.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '-' | '_' | '.')
                })
                && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        })
}

impl RunResult {
    /// The result of a run that could not run at all: no scenarios, one error saying why.
    pub fn aborted(opts: &RunOptions, error: &str) -> RunResult {
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let run_id = new_run_id();
        let mut result = RunResult {
            schema_version: 1,
            tool: format!("regcheck {}", env!("CARGO_PKG_VERSION")),
            target: opts.target.to_string(),
            namespace: opts
                .namespace
                .clone()
                .unwrap_or_else(|| format!("regcheck-{run_id}")),
            run_id,
            profile: format!("{:?}", opts.profile).to_lowercase(),
            started_at: now.clone(),
            finished_at: Some(now),
            duration_ms: 0.0,
            capabilities: BTreeMap::new(),
            capability_evidence: BTreeMap::new(),
            summary: Summary::default(),
            operations: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            coverage: Default::default(),
            rules: BTreeMap::new(),
            scenarios: Vec::new(),
            cleanup: CleanupReport::default(),
            baseline: None,
            strict: false,
            aborted: Some(error.to_string()),
        };
        result.coverage = result.document_coverage();
        result
    }

    /// Warnings of the run that the `--baseline` does not list.
    pub fn unlisted_warnings(&self) -> usize {
        self.scenarios
            .iter()
            .flat_map(|s| &s.steps)
            .flat_map(|st| &st.findings)
            .filter(|f| f.is_warning() && !f.known)
            .count()
    }

    /// Recomputes `summary`, `operations`, `endpoints` and `rules` from the scenarios.
    pub fn recount(&mut self) {
        let mut s = Summary {
            scenarios: self.scenarios.len() as u32,
            ..Default::default()
        };
        let mut ops: BTreeMap<String, OperationStats> = BTreeMap::new();
        let mut endpoints: BTreeMap<String, OperationStats> = BTreeMap::new();
        let mut rules: BTreeMap<String, RuleStats> = BTreeMap::new();
        for sc in &self.scenarios {
            match sc.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::Warn => s.warned += 1,
                Outcome::Fail => s.failed += 1,
                Outcome::Skip => s.skipped += 1,
                Outcome::Error => s.errors += 1,
                Outcome::Known => s.known += 1,
            }
            for st in &sc.steps {
                s.checks.passed += st.checks_passed;
                let warned = st.findings.iter().filter(|f| f.is_warning()).count() as u32;
                s.checks.warned += warned;
                s.checks.failed += st.findings.len() as u32 - warned;
                for id in &st.contract_passed {
                    rules.entry(id.clone()).or_default().passed += 1;
                }
                for f in st
                    .findings
                    .iter()
                    .filter(|f| f.source == crate::exchange::FindingSource::Contract)
                {
                    let e = rules.entry(f.rule.clone()).or_default();
                    if f.is_warning() {
                        e.warned += 1;
                    } else {
                        e.failed += 1;
                    }
                }
                if st.op.is_empty() {
                    continue;
                }
                let tally = |e: &mut OperationStats| {
                    e.steps += 1;
                    match st.outcome {
                        Outcome::Pass | Outcome::Warn => e.passed += 1,
                        Outcome::Fail | Outcome::Known => e.failed += 1,
                        _ => {}
                    }
                };
                tally(ops.entry(st.op.clone()).or_default());
                if let Some(id) = &st.endpoint {
                    tally(endpoints.entry(id.clone()).or_default());
                }
            }
        }
        s.checks.total = s.checks.passed + s.checks.failed + s.checks.warned;
        self.summary = s;
        self.operations = ops;
        self.endpoints = endpoints;
        self.rules = rules;
        self.coverage = self.document_coverage();
    }

    /// Exit code: 0 all passed (skips and warnings allowed), 1 any failure (or, with
    /// `--strict`, any warning the baseline does not list), 2 any error.
    pub fn exit_code(&self) -> i32 {
        if self.summary.errors > 0 || self.aborted.is_some() {
            2
        } else if self.summary.failed > 0 || (self.strict && self.unlisted_warnings() > 0) {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_must_be_repository_components() {
        assert!(valid_namespace("regcheck-1a2b3c4d"));
        assert!(valid_namespace("ci/regcheck"));
        assert!(!valid_namespace("Upper"));
        assert!(!valid_namespace("a//b"));
        assert!(!valid_namespace("-x"));
        assert!(!valid_namespace(""));
    }
}
