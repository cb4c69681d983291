//! Load mode (`regcheck load`): capacity testing of blob and manifest traffic. A prepare phase
//! pushes the pool that reads use (outside the measurement); the engine then drives the
//! workload mix in a closed or open model, with stages, bounded by time or requests, verifying
//! every pulled byte and keeping cheap contract checks on; latency goes into HDR histograms.
//! The result is a `LoadRunReport` (JSON report, terminal summary, thresholds for CI, HDR
//! interval log); shard reports merge exactly. Everything created lives in the run's namespace
//! and is deleted at the end unless `keep`.

pub mod backoff;
pub mod cpu;
pub mod engine;
pub mod error;
pub mod hdrlog;
pub mod http;
pub mod judge;
pub mod metrics;
pub mod ops;
pub mod pool;
pub mod profile;
pub mod progress;
pub mod report;
pub mod search;
pub mod spec;
pub mod threshold;
pub mod units;
pub mod verify;

pub use error::LoadError;
pub use report::LoadReport;
pub use spec::{LoadSpec, Model, Shard, Workload};
pub use threshold::Threshold;

use crate::client::{
    Client, ClientOptions, Credentials, OutgoingBody, OutgoingRequest, RunCredentials,
};
use crate::namespace::CleanupReport;
use crate::namespace::cleanup::{self, Scope, Tracker};
use crate::namespace::slots::{self, Slot};
use cpu::CpuTime;
use metrics::Metrics;
use ops::Ctx;
use pool::Pool;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;
use url::Url;

/// Version of the load JSON report format.
pub const SCHEMA_VERSION: u32 = 1;

/// How to run a load test.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Target base URL.
    pub target: Url,
    /// Credentials for the target's origin.
    pub credentials: RunCredentials,
    /// Deadline of one whole request.
    pub timeout: Duration,
    /// What to drive.
    pub spec: LoadSpec,
    /// Namespace given by the user (default `regcheck-load-<run id>`).
    pub namespace: Option<String>,
    /// Keep what the run created.
    pub keep: bool,
    /// CI thresholds.
    pub thresholds: Vec<Threshold>,
    /// HDR interval log file.
    pub hdr_log: Option<PathBuf>,
    /// No progress line.
    pub quiet: bool,
    /// `-v`: a sample of the exchanges on stderr.
    pub verbose: bool,
    /// TLS choices (`--insecure`, `--ca-cert`).
    pub transport: crate::client::TransportOptions,
    /// What the target may send (head size, redirects; bodies are checked by the engine).
    pub limits: crate::client::Limits,
    /// `--find-max`: search the highest rate holding these SLOs instead of one load.
    pub find_max: Option<search::FindMax>,
    /// The target runs in this process (the embedded registry): the generator's CPU time
    /// includes the target's.
    pub target_in_process: bool,
}

/// A whole load run, as serialized in the JSON report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadRunReport {
    /// Format version.
    pub schema_version: u32,
    /// Always "load".
    pub kind: String,
    /// `regcheck <version>`.
    pub tool: String,
    /// Target base URL (no credentials).
    pub target: String,
    /// Run id.
    pub run_id: String,
    /// Namespace the run wrote into.
    pub namespace: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub ended_at: String,
    /// Cleanup of what the run created.
    pub cleanup: CleanupReport,
    /// Measurements.
    pub load: LoadReport,
    /// A threshold bounds errors (`error_rate`, `errors`): it decides whether errors fail the
    /// run (set by [`LoadRunReport::apply_thresholds`]).
    #[serde(skip)]
    pub errors_bounded: bool,
}

impl LoadRunReport {
    /// 130 when interrupted (Ctrl-C; the report covers what finished). 1 when a threshold is
    /// violated, when the target returned wrong bytes or broke a contract rule under load (never
    /// acceptable, whatever the thresholds), or when any operation failed and no threshold
    /// bounds errors (`--threshold 'error_rate<1%'` makes some acceptable), or when a capacity
    /// search found no rate holding its SLOs. 0 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.load.interrupted {
            return 130;
        }
        let t = &self.load.total;
        let integrity = t
            .errors_by_kind
            .get("digest_mismatch")
            .copied()
            .unwrap_or(0)
            + t.errors_by_kind.get("contract").copied().unwrap_or(0);
        let unbounded_errors = t.errors > 0 && !self.errors_bounded;
        let no_capacity = self
            .load
            .capacity
            .as_ref()
            .is_some_and(|c| c.max_rate_held.is_none());
        if self.load.thresholds.iter().any(|th| !th.ok)
            || integrity > 0
            || unbounded_errors
            || no_capacity
        {
            1
        } else {
            0
        }
    }

    /// Evaluates thresholds into the report.
    pub fn apply_thresholds(&mut self, thresholds: &[Threshold]) {
        self.load.thresholds = thresholds.iter().map(|t| t.check(&self.load)).collect();
        self.errors_bounded = thresholds.iter().any(Threshold::bounds_errors);
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Runs a load test. `stop` ends it early (Ctrl-C); the report still covers what finished.
pub async fn run(opts: &LoadOptions, stop: CancellationToken) -> Result<LoadRunReport, LoadError> {
    opts.spec.validate()?;
    let started_at = now_rfc3339();
    let client = Arc::new(Client::new(ClientOptions {
        target: opts.target.clone(),
        timeout: opts.timeout,
        credentials: opts.credentials.clone(),
        limits: opts.limits.clone(),
        transport: opts.transport.clone(),
    })?);
    let run_id = crate::namespace::new_run_id();
    let generated = opts.namespace.is_none();
    let shard = opts.spec.shard.index;
    let progress = progress::Progress::start(opts.quiet);
    progress.phase("checking the target");
    let acr = reachable_and_acr(&client).await?;
    // The default namespace is a reusable slot, as for `run` (namespace::slots).
    let slot = match &opts.namespace {
        Some(_) => None,
        None => slots::acquire(&client, &run_id).await,
    };
    let namespace = match (&opts.namespace, &slot) {
        (Some(ns), _) => ns.clone(),
        (None, Some(slot)) => slot.namespace.clone(),
        (None, None) => format!("regcheck-load-{run_id}"),
    };
    let release = Release {
        slot: slot.as_ref(),
        run_id: &run_id,
    };
    let mut ctx = Ctx {
        http: http::Http::new(client.clone(), opts.verbose),
        target: opts.target.clone(),
        spec: opts.spec.clone(),
        run_id: run_id.clone(),
        pool: Pool {
            repo: format!("{namespace}/load-s{shard}-pool"),
            ..Pool::default()
        },
        push_repo: format!("{namespace}/load-s{shard}-push"),
        counter: AtomicU64::new(0),
        tracker: Tracker::default(),
        token_challenge: None,
    };
    let needs_pool = opts.spec.mix.iter().any(|(w, _)| {
        w.reads_pool()
            || matches!(
                w,
                Workload::ManifestPut
                    | Workload::Token
                    | Workload::ImagePush
                    | Workload::ImagePushChunked
            )
    });
    let needs_manifests = opts.spec.mix.iter().any(|(w, _)| {
        matches!(
            w,
            Workload::ManifestGet
                | Workload::ManifestPut
                | Workload::ImagePull
                | Workload::ImagePush
                | Workload::ImagePushChunked
        )
    });
    progress.phase(&format!(
        "prepare: pushing {} pool blobs",
        if needs_pool {
            opts.spec.pool_indices().len()
        } else {
            0
        }
    ));
    let mut prepared = pool::PrepareStats::default();
    let mut outcome_err = None;
    if needs_pool {
        match pool::prepare(&mut ctx, needs_manifests).await {
            Ok(p) => prepared = p,
            Err(e) => outcome_err = Some(e),
        }
    }
    if outcome_err.is_none() && opts.spec.mix.iter().any(|(w, _)| *w == Workload::Token) {
        match token_challenge(&ctx).await {
            Ok(c) => ctx.token_challenge = Some(c),
            Err(e) => outcome_err = Some(e),
        }
    }
    let ctx = Arc::new(ctx);
    if let Some(e) = outcome_err {
        progress.finish();
        clean(&ctx, &namespace, generated, acr, opts.keep, &release).await;
        return Err(e);
    }
    let before = ctx.http.challenges_answered.load(Ordering::Relaxed);
    let tokens_before = client.auth_stats();
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let measure_wall = SystemTime::now() + opts.spec.warmup;
    let hdr = match &opts.hdr_log {
        Some(p) => Some(hdrlog::HdrLog::create(p, measure_wall)?),
        None => None,
    };
    let ticker_stop = CancellationToken::new();
    let ticker = {
        let (metrics, ticker_stop) = (metrics.clone(), ticker_stop.clone());
        let warmup = opts.spec.warmup;
        let progress_metrics = metrics.clone();
        let start = Instant::now();
        let progress_line = progress;
        async move {
            let mut last_log = start + warmup;
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = ticker_stop.cancelled() => break,
                }
                progress_line.update(&progress_metrics, start + warmup);
                if last_log.elapsed() >= Duration::from_secs(1) {
                    let histograms = metrics
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take_interval();
                    if let Some(h) = &hdr {
                        h.write(hdrlog::Interval {
                            start: last_log.saturating_duration_since(start + warmup),
                            length: last_log.elapsed(),
                            histograms,
                        });
                    }
                    last_log = Instant::now();
                }
            }
            let histograms = metrics
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take_interval();
            if let Some(h) = &hdr
                && !histograms.is_empty()
            {
                h.write(hdrlog::Interval {
                    start: last_log.saturating_duration_since(start + warmup),
                    length: last_log.elapsed(),
                    histograms,
                });
            }
            progress_line.finish();
            hdr
        }
    };
    let ticker = tokio::spawn(ticker);
    let facts = |_: &Metrics, outcome: &engine::Outcome, wall: SystemTime| {
        let tokens = client.auth_stats();
        report::RunFacts {
            spec: opts.spec.clone(),
            measure_start_unix_ms: unix_ms(wall),
            measured_secs: outcome.measured.as_secs_f64(),
            interrupted: outcome.interrupted,
            late_starts: outcome.late_starts,
            generator_cpu: outcome.cpu.map(|c| CpuTime {
                includes_target: opts.target_in_process,
                ..c
            }),
            prepare: prepared,
            auth: report::AuthReport {
                challenges_answered: ctx.http.challenges_answered.load(Ordering::Relaxed) - before,
                token_requests: tokens.token_requests - tokens_before.token_requests,
                token_refreshes: tokens.token_refreshes - tokens_before.token_refreshes,
            },
            contract_warnings: ctx.http.warnings.counts(),
        }
    };
    let report = match &opts.find_max {
        None => {
            let outcome = engine::drive(ctx.clone(), metrics.clone(), stop.clone()).await;
            ticker_stop.cancel();
            let m = metrics.lock().unwrap_or_else(|e| e.into_inner());
            LoadReport::build(&m, facts(&m, &outcome, measure_wall))
        }
        Some(fm) => {
            let (capacity, chosen) = search::search(&ctx, fm, facts, &stop).await;
            ticker_stop.cancel();
            let mut r = match chosen {
                Some(s) => {
                    LoadReport::build(&s.metrics, facts(&s.metrics, &s.outcome, s.measure_wall))
                }
                None => {
                    let none = Metrics::default();
                    let outcome = engine::Outcome {
                        measure_start: Instant::now(),
                        measured: Duration::ZERO,
                        interrupted: stop.is_cancelled(),
                        late_starts: 0,
                        cpu: None,
                    };
                    LoadReport::build(&none, facts(&none, &outcome, SystemTime::now()))
                }
            };
            r.capacity = Some(capacity);
            r
        }
    };
    let hdr = ticker.await.ok().flatten();
    if let Some(h) = hdr {
        h.finish()?;
    }
    if !opts.quiet {
        eprintln!("cleaning up {namespace}");
    }
    let cleanup = clean(&ctx, &namespace, generated, acr, opts.keep, &release).await;
    let mut run = LoadRunReport {
        schema_version: SCHEMA_VERSION,
        kind: "load".into(),
        tool: concat!("regcheck ", env!("CARGO_PKG_VERSION")).into(),
        target: opts.target.to_string(),
        run_id,
        namespace,
        started_at,
        ended_at: now_rfc3339(),
        cleanup,
        load: report,
        errors_bounded: false,
    };
    run.apply_thresholds(&opts.thresholds);
    Ok(run)
}

/// `GET /v2/` must get an HTTP answer; `/acr/v1/_catalog` answering 200 means ACR extensions
/// (then cleanup deletes whole repositories).
async fn reachable_and_acr(client: &Client) -> Result<bool, LoadError> {
    let get = |path: &str| OutgoingRequest {
        method: Method::GET,
        url: client
            .options()
            .target
            .join(path)
            .unwrap_or_else(|_| client.options().target.clone()),
        headers: Vec::new(),
        body: OutgoingBody::Empty,
    };
    let v2 = client.execute(&get("/v2/"), Credentials::Auto).await?;
    if v2.response.status == 401 {
        return Err(LoadError::Prepare(
            "GET /v2/ answered 401 even with the credentials given; check --username/--password or --aad-token".into(),
        ));
    }
    let acr = client
        .execute(&get("/acr/v1/_catalog"), Credentials::Auto)
        .await
        .map(|o| o.response.status == 200)
        .unwrap_or(false);
    Ok(acr)
}

/// The Bearer challenge a pull of the pool gets without credentials.
async fn token_challenge(ctx: &Ctx) -> Result<String, LoadError> {
    let url = ctx
        .url(&format!(
            "/v2/{}/blobs/{}",
            ctx.pool.repo,
            ctx.pool
                .blobs
                .first()
                .map(|b| b.digest.as_str())
                .unwrap_or("sha256:0")
        ))
        .map_err(|f| LoadError::Prepare(f.detail))?;
    let req = OutgoingRequest {
        method: Method::GET,
        url,
        headers: Vec::new(),
        body: OutgoingBody::Empty,
    };
    let o = ctx.http.client().execute(&req, Credentials::Never).await?;
    match o.response.header("www-authenticate") {
        Some(c)
            if o.response.status == 401
                && c.trim_start().to_ascii_lowercase().starts_with("bearer") =>
        {
            Ok(c.to_string())
        }
        _ => Err(LoadError::Config(format!(
            "the token workload needs a target that answers anonymous pulls with a Bearer challenge; this one answered {}",
            o.response.status
        ))),
    }
}

/// The namespace slot to give back after cleanup, if the run claimed one.
struct Release<'a> {
    slot: Option<&'a Slot>,
    run_id: &'a str,
}

async fn clean(
    ctx: &Ctx,
    namespace: &str,
    generated: bool,
    acr: bool,
    keep: bool,
    release: &Release<'_>,
) -> CleanupReport {
    let mut report = if keep {
        CleanupReport {
            kept: true,
            ..CleanupReport::default()
        }
    } else {
        let scope = match (generated, acr) {
            (true, true) => Scope::Repositories,
            (true, false) => Scope::AllObjects,
            (false, _) => Scope::RunUniqueObjects,
        };
        cleanup::clean(ctx.http.client(), &ctx.tracker, namespace, scope).await
    };
    if let Some(slot) = release.slot {
        let clean = !report.kept && report.leftovers.is_empty();
        if let Some(note) = slots::release(ctx.http.client(), slot, release.run_id, clean).await {
            report.notes.push(note);
        }
    }
    report
}
