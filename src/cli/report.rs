//! `regcheck report ...`: commands over report files written by earlier runs.

use super::load_merge::{self, MergeArgs};
use anyhow::Result;
use clap::{Args, Subcommand};

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
    /// Merge the JSON reports of load shards into one (histograms added exactly).
    Merge(MergeArgs),
}

/// Runs `regcheck report ...`.
pub fn report(args: ReportArgs) -> Result<i32> {
    match args.command {
        ReportCommand::Merge(a) => load_merge::merge(a),
    }
}
