//! `regcheck run`: conformance scenarios against a target, then the terminal table and the
//! requested report files.

use super::scenarios::load_scenarios;
use super::target::TargetArgs;
use crate::report::{self, ReportSpec};
use crate::runner::{self, Outcome, Profile, RunOptions, Selection};
use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// `regcheck run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories (default: the bundled scenarios/).
    #[arg(long = "scenarios", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
    /// Run only scenarios with this tag (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Skip scenarios with this tag (repeatable).
    #[arg(long = "skip-tag", value_name = "TAG")]
    pub skip_tags: Vec<String>,
    /// Run only scenarios whose name matches this regex.
    #[arg(long)]
    pub filter: Option<String>,
    /// Scenarios run concurrently.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Repository namespace for the run (default regcheck-<run id>).
    #[arg(long, env = "OCI_NAMESPACE")]
    pub namespace: Option<String>,
    /// Keep what the run created (no cleanup).
    #[arg(long)]
    pub keep: bool,
    /// Start no new scenario after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// API profile: auto (probe), oci (skip ACR scenarios), acr (require ACR extensions).
    #[arg(long, default_value = "auto")]
    pub profile: Profile,
    /// Write a report: FORMAT=PATH (repeatable; formats: json, junit).
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportSpec>,
    /// Target and credentials.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print no per-scenario progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub async fn run(args: RunArgs) -> Result<i32> {
    let Some(scenarios) = load_scenarios(&args.scenarios) else {
        return Ok(2);
    };
    let filter = match &args.filter {
        Some(f) => Some(
            regex::Regex::new(f).with_context(|| format!("--filter `{f}` is not a valid regex"))?,
        ),
        None => None,
    };
    let target = args.target.resolve(!args.quiet).await?;
    let opts = RunOptions {
        target: target.url.clone(),
        jobs: usize::from(args.jobs),
        namespace: args.namespace.clone(),
        keep: args.keep,
        fail_fast: args.fail_fast,
        profile: args.profile,
        credentials: target.credentials.clone(),
        timeout: target.timeout,
        transport: target.transport.clone(),
        selection: Selection {
            tags: args.tags.clone(),
            skip_tags: args.skip_tags.clone(),
            filter,
        },
    };
    let quiet = args.quiet;
    let progress = move |s: &runner::ScenarioResult| {
        if !quiet {
            let label = match s.outcome {
                Outcome::Pass => "pass ",
                Outcome::Fail => "FAIL ",
                Outcome::Skip => "skip ",
                Outcome::Error => "ERROR",
            };
            eprintln!("{label} {} ({:.0} ms)", s.name, s.duration_ms);
        }
    };
    let result = match runner::run(&scenarios, &opts, &progress).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    target.shutdown().await;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(report::terminal::render(&result).as_bytes());
    for spec in &args.reports {
        report::write(spec, &result)?;
    }
    Ok(result.exit_code())
}
