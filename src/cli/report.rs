//! `regcheck report …`: works on JSON reports written by earlier runs. `diff` compares two
//! (conformance and load changes, regressions); `render` turns one (conformance or load) into
//! other formats (md, html, junit); `merge` adds up load shards.

use super::load_merge::{self, MergeArgs};
use crate::report::diff::{self, Tolerance};
use crate::report::{self, ReportSpec, json};
use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `regcheck report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to do with the reports.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// Report subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Compare two JSON reports: newly failing, fixed, new and removed scenarios and checks.
    Diff(DiffArgs),
    /// Merge the JSON reports of load shards into one (histograms added exactly).
    Merge(MergeArgs),
    /// Render a JSON report (of `run` or `load`) as other formats: md, html, junit, json.
    Render(RenderArgs),
}

/// `regcheck report render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The JSON report.
    #[arg(value_name = "REPORT.json")]
    pub input: PathBuf,
    /// What to write: FORMAT=PATH (repeatable; formats: json, junit, md, html, bench-smaller,
    /// bench-bigger — the github-action-benchmark customSmallerIsBetter/customBiggerIsBetter JSON).
    #[arg(long = "report", value_name = "FORMAT=PATH", required = true)]
    pub reports: Vec<ReportSpec>,
}

/// Output format of `report diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Terminal tables.
    Table,
    /// Markdown (pull-request comments).
    Md,
    /// Self-contained HTML page.
    Html,
    /// JSON.
    Json,
}

/// `regcheck report diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    #[arg(value_name = "BASE.json")]
    pub base: PathBuf,
    /// The later JSON report.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// Exit 1 when NEW regressed (a scenario or check fails that did not in BASE).
    #[arg(long)]
    pub fail_on_regression: bool,
    /// New warnings (a SHOULD or a convention no longer followed) are regressions too.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: DiffFormat,
    /// Noise threshold for measured values (load runs): changes within it are not flagged.
    #[arg(long, default_value = "10%")]
    pub tolerance: Tolerance,
    /// Write the diff to this file instead of stdout.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// Runs `regcheck report ...`.
pub fn report(args: ReportArgs) -> Result<i32> {
    match args.command {
        ReportCommand::Diff(a) => run_diff(a),
        ReportCommand::Merge(a) => load_merge::merge(a),
        ReportCommand::Render(a) => render(a),
    }
}

fn render(args: RenderArgs) -> Result<i32> {
    let result = json::read(&args.input)?;
    for spec in &args.reports {
        report::write(spec, &result, &[])?;
        eprintln!("{} written to {}", spec.format, spec.path.display());
    }
    Ok(0)
}

fn run_diff(args: DiffArgs) -> Result<i32> {
    let base = json::read(&args.base)?;
    let new = json::read(&args.new)?;
    let d = diff::diff(&base, &new, args.tolerance, args.strict);
    let text = match args.format {
        DiffFormat::Table => diff::render_table(&d),
        DiffFormat::Md => diff::render_markdown(&d),
        DiffFormat::Html => diff::render_html(&d),
        DiffFormat::Json => diff::render_json(&d),
    };
    match &args.output {
        Some(path) => {
            crate::report::write_text(path, &text)?;
            eprintln!("diff written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(if args.fail_on_regression && d.has_regression() {
        1
    } else {
        0
    })
}
