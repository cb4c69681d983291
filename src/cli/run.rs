//! `regcheck run`: conformance scenarios against a target, then the terminal table and the
//! report files: those of `--report FORMAT=PATH`, or without it every format in
//! `<report-dir>/<run id>/` (`--no-report`: none). `--baseline FILE` turns known deviations
//! into outcome `known` before anything is rendered.

use super::scenarios::load_scenarios;
use super::target::TargetArgs;
use crate::report::baseline::Baseline;
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
    /// Warnings (a SHOULD broken, a convention not followed) fail the exit code too.
    #[arg(long)]
    pub strict: bool,
    /// Capabilities the target must offer (comma-separated: range, blob-delete,
    /// manifest-delete, tag-delete, catalog, acr, oauth2, auth, token-auth, …): a scenario
    /// skipped for lacking one fails instead, with what the probe saw.
    #[arg(long, value_name = "CAP,...", value_delimiter = ',')]
    pub require: Vec<crate::scenario::Capability>,
    /// API profile: auto (probe), oci (skip ACR scenarios), acr (require ACR extensions).
    #[arg(long, default_value = "auto")]
    pub profile: Profile,
    /// Write a report: FORMAT=PATH (repeatable; formats: json, junit, md, html, bench-smaller,
    /// bench-bigger: github-action-benchmark JSON). Without it,
    /// every format is written to <report-dir>/<run id>/.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportSpec>,
    /// Where a run without --report writes its reports (in a subdirectory named by the run id).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub report_dir: PathBuf,
    /// Write no report directory: only the terminal summary and what --report asks for.
    #[arg(long, env = "REGCHECK_NO_REPORT", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_report: bool,
    /// Known deviations: a previous JSON report or a YAML list of `scenario ▸ rule` / rule ids.
    /// Listed failures are reported as `known` and do not fail the exit code.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Target and credentials.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Limits on what the target may send.
    #[command(flatten)]
    pub limits: super::LimitArgs,
    /// Print no per-scenario progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write every exchange to stderr as it happens: request line and headers, status and
    /// headers, a body excerpt (binary as length and digest); -vv: whole text bodies, the
    /// request's too. Secrets are redacted as in reports.
    #[arg(long, short, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    let baseline = match &args.baseline {
        Some(path) => Some(Baseline::read(path)?),
        None => None,
    };
    let target = args.target.resolve(!args.quiet).await?;
    let opts = RunOptions {
        target: target.url.clone(),
        jobs: usize::from(args.jobs),
        namespace: args.namespace.clone(),
        keep: args.keep,
        fail_fast: args.fail_fast,
        strict: args.strict,
        require: args.require.clone(),
        profile: args.profile,
        credentials: target.credentials.clone(),
        timeout: target.timeout,
        limits: args.limits.to_limits(),
        transport: target.transport.clone(),
        verbosity: crate::client::verbose::Verbosity::from_count(args.verbose),
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
                Outcome::Warn => "warn ",
                Outcome::Fail => "FAIL ",
                Outcome::Skip => "skip ",
                Outcome::Error => "ERROR",
                Outcome::Known => "known",
            };
            eprintln!("{label} {} ({:.0} ms)", s.name, s.duration_ms);
        }
    };
    let mut result = match runner::run(&scenarios, &opts, &progress).await {
        Ok(r) => r,
        Err(e) => {
            // Could not run at all: say why, and still leave a report that says it.
            eprintln!("error: {e}");
            runner::RunResult::aborted(&opts, &e.to_string())
        }
    };
    let secrets = target.credentials.secrets();
    target.shutdown().await;
    if let Some(b) = &baseline {
        b.apply(&mut result);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(report::terminal::render(&result).as_bytes());
    let specs = if !args.reports.is_empty() {
        args.reports.clone()
    } else if args.no_report {
        Vec::new()
    } else {
        let dir = args.report_dir.join(&result.run_id);
        let _ = writeln!(
            stdout,
            "reports: {}/ (json, junit, md, html)",
            dir.display()
        );
        report::default_specs(&dir)
    };
    let code = result.exit_code();
    let document = report::Document::from(result);
    for spec in &specs {
        report::write(spec, &document, &secrets)?;
    }
    Ok(code)
}
