//! `regcheck load`: a load test against a target (default: an embedded reference registry),
//! from flags and/or a YAML load profile; prints the summary table, writes the JSON report and
//! HDR interval log when asked; exits 1 when a threshold is violated, the target broke a
//! contract rule or sent wrong bytes, or any operation failed without a threshold bounding
//! errors, and 130 on Ctrl-C (after writing the partial reports).

use super::target::TargetArgs;
use crate::load::{self, LoadOptions, profile::Settings};
use crate::report::{self, ReportSpec};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// `regcheck load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// A YAML load profile (see scenarios/load/); flags override its fields.
    pub profile: Option<PathBuf>,
    /// Workload mix: pull, pull-range, head, push, push-chunked, manifest-get, manifest-put,
    /// token, image-pull, image-push, image-push-chunked, with weights (`pull=70,push=20,head=10`). Default: pull.
    #[arg(long)]
    pub workload: Option<String>,
    /// Blob size, or a weighted distribution (`4KiB:50,1MiB:40,64MiB:10`). Default: 1MiB.
    #[arg(long)]
    pub blob_size: Option<String>,
    /// Bytes per ranged GET (pull-range). Default: 64KiB.
    #[arg(long)]
    pub range_size: Option<String>,
    /// Bytes per PATCH (push-chunked). Default: 1MiB.
    #[arg(long)]
    pub chunk_size: Option<String>,
    /// Blobs pushed before measuring, for reads (split across shards). Default: 16.
    #[arg(long)]
    pub pool: Option<usize>,
    /// Layers per image for image-pull (pool blobs, sizes from --blob-size). Default: 3.
    #[arg(long)]
    pub image_layers: Option<usize>,
    /// Image workloads through a multi-platform image: an OCI index over N platform images
    /// (image-pull picks one platform per pull). Default: 0, a plain image manifest.
    #[arg(long, value_name = "N")]
    pub image_platforms: Option<usize>,
    /// Closed model: workers sending back to back. Default: 8.
    #[arg(long, short = 'c')]
    pub concurrency: Option<usize>,
    /// Open model: operations started per second (`200` or `200/s`), latency measured from the
    /// intended start.
    #[arg(long)]
    pub rate: Option<String>,
    /// Open model: operations in flight at most (default 1000).
    #[arg(long)]
    pub max_in_flight: Option<usize>,
    /// Stages ramping the concurrency or rate: `10s:5,60s:50,10s:0`.
    #[arg(long)]
    pub stages: Option<String>,
    /// Measured duration (after warm-up). Default: 10s unless --requests or --stages bound it.
    #[arg(long)]
    pub duration: Option<String>,
    /// Measured operations at most.
    #[arg(long, short = 'n')]
    pub requests: Option<u64>,
    /// Time at the start whose operations are not recorded.
    #[arg(long)]
    pub warmup: Option<String>,
    /// Do not verify pulled bytes against their digests.
    #[arg(long)]
    pub no_verify: bool,
    /// This generator is shard INDEX of COUNT (`0/4`): its own namespace and share of the pool.
    #[arg(long)]
    pub shard: Option<String>,
    /// Fail (exit 1) unless this holds: `pull.p99<250ms`, `error_rate<0.1%`, `pull.mbps>500`
    /// (repeatable). Without an `error_rate` or `errors` threshold, any failed operation exits
    /// 1; with one, that threshold decides. Ctrl-C exits 130 with the partial reports.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Write a report: FORMAT=PATH (repeatable; json, junit, md, html, bench-smaller,
    /// bench-bigger: github-action-benchmark JSON). Without it, every
    /// format is written to <report-dir>/<run id>/.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportSpec>,
    /// Where a run without --report writes its reports (in a subdirectory named by the run id).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub report_dir: PathBuf,
    /// Write no report directory: only the terminal summary and what --report asks for.
    #[arg(long, env = "REGCHECK_NO_REPORT", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_report: bool,
    /// Write an HdrHistogram interval log (one histogram per workload per second).
    #[arg(long, value_name = "PATH")]
    pub hdr_log: Option<PathBuf>,
    /// Repository namespace (default regcheck-load-<run id>).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Keep what the run created (no cleanup).
    #[arg(long)]
    pub keep: bool,
    /// No progress line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write a sample of the exchanges to stderr (the first 8, then one a second): request
    /// line and headers, status and headers, secrets redacted as in reports. Turns off the
    /// progress line.
    #[arg(long, short)]
    pub verbose: bool,
    /// Capacity search: step the open-model arrival rate up from --start-rate (doubling, then
    /// bisecting) until an --slo breaks; reports the highest rate at which every SLO held.
    #[arg(long, requires = "slos")]
    pub find_max: bool,
    /// With --find-max: a service-level objective in threshold syntax (`pull.p99<200ms`,
    /// `error_rate<0.1%`), repeatable; each step must hold them all.
    #[arg(long = "slo", value_name = "EXPR")]
    pub slos: Vec<String>,
    /// With --find-max: the first rate tried, operations per second.
    #[arg(long, default_value_t = 10.0, value_name = "OPS")]
    pub start_rate: f64,
    /// With --find-max: the highest rate tried.
    #[arg(long, default_value_t = 100_000.0, value_name = "OPS")]
    pub max_rate: f64,
    /// With --find-max: how long each step measures.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub step_duration: String,
    /// With --find-max: steps at most (the search is bounded by steps × step duration).
    #[arg(long, default_value_t = 12)]
    pub max_steps: usize,
    /// Target and credentials.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Limits on what the target may send.
    #[command(flatten)]
    pub limits: super::LimitArgs,
}

impl LoadArgs {
    fn settings(&self) -> Settings {
        Settings {
            workload: self.workload.clone(),
            blob_size: self.blob_size.clone(),
            range_size: self.range_size.clone(),
            chunk_size: self.chunk_size.clone(),
            pool: self.pool,
            image_layers: self.image_layers,
            image_platforms: self.image_platforms,
            concurrency: self.concurrency,
            rate: self.rate.clone(),
            max_in_flight: self.max_in_flight,
            stages: self.stages.clone(),
            duration: self.duration.clone(),
            requests: self.requests,
            warmup: self.warmup.clone(),
            verify: self.no_verify.then_some(false),
            shard: self.shard.clone(),
            thresholds: self.thresholds.clone(),
            ..Settings::default()
        }
    }
}

/// Runs `regcheck load`.
pub async fn load(args: LoadArgs) -> Result<i32> {
    let base = match &args.profile {
        Some(p) => match load::profile::load_profile(p) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        },
        None => Settings::default(),
    };
    let settings = base.overlay(args.settings());
    let (spec, thresholds) = match settings
        .to_spec()
        .and_then(|s| Ok((s, settings.thresholds()?)))
    {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let find_max = match find_max(&args, &spec) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let target = args.target.resolve(!args.quiet).await?;
    let opts = LoadOptions {
        find_max,
        target: target.url.clone(),
        credentials: target.credentials.clone(),
        timeout: target.timeout,
        spec,
        namespace: args.namespace.clone(),
        keep: args.keep,
        thresholds,
        hdr_log: args.hdr_log.clone(),
        quiet: args.quiet || args.verbose,
        verbose: args.verbose,
        transport: target.transport.clone(),
        limits: args.limits.to_limits(),
        target_in_process: args.target.target.is_none(),
    };
    let secrets = target.credentials.secrets();
    let stop = CancellationToken::new();
    let on_ctrl_c = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: stopping, the report covers what finished");
            on_ctrl_c.cancel();
        }
    });
    let result = load::run(&opts, stop).await;
    target.shutdown().await;
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    print!("{}", crate::report::load_summary::render(&report.load));
    let specs = if !args.reports.is_empty() {
        args.reports.clone()
    } else if args.no_report {
        Vec::new()
    } else {
        let dir = args.report_dir.join(&report.run_id);
        println!("reports: {}/ (json, junit, md, html)", dir.display());
        report::default_specs(&dir)
    };
    for spec in &specs {
        report::write_load(spec, &report, &secrets)
            .with_context(|| format!("cannot write {}", spec.path.display()))?;
    }
    Ok(report.exit_code())
}

/// The capacity search the flags ask for, if any.
fn find_max(
    args: &LoadArgs,
    spec: &load::LoadSpec,
) -> Result<Option<load::search::FindMax>, load::LoadError> {
    if !args.find_max {
        return Ok(None);
    }
    let slos = args
        .slos
        .iter()
        .map(|s| s.parse())
        .collect::<Result<Vec<load::threshold::Threshold>, _>>()?;
    let step = load::units::parse_duration(&args.step_duration)?;
    if !(args.start_rate > 0.0 && args.start_rate <= args.max_rate) || step.is_zero() {
        return Err(load::LoadError::Config(
            "--find-max needs 0 < --start-rate <= --max-rate and a --step-duration above 0".into(),
        ));
    }
    let max_in_flight = match spec.model {
        load::spec::Model::Open { max_in_flight, .. } => max_in_flight,
        load::spec::Model::Closed { concurrency } => concurrency.max(64),
    };
    Ok(Some(load::search::FindMax {
        slos,
        start_rate: args.start_rate,
        max_rate: args.max_rate,
        step,
        max_steps: args.max_steps.max(1),
        precision: 0.05,
        max_in_flight,
    }))
}
