//! Command-line interface: clap types (`Cli`) and `execute`, which turns them into library
//! options, runs the command and returns the exit code (0 passed, 1 checks failed, 2 usage,
//! configuration or connection error). Environment variables are read here only (by clap).

mod completions;
mod coverage;
mod limits;
mod list;
mod load;
mod load_merge;
mod report;
mod run;
mod scenarios;
mod serve;
mod target;
mod validate;

pub use limits::LimitArgs;
pub use list::ListArgs;
pub use load::LoadArgs;
pub use report::ReportArgs;
pub use run::RunArgs;
pub use serve::ServeArgs;
pub use target::{Target, TargetArgs};
pub use validate::ValidateArgs;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Conformance and load-testing harness for ACR / OCI distribution registries.
#[derive(Debug, Parser)]
#[command(name = "regcheck", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run conformance scenarios against a target (default: an embedded reference registry).
    Run(RunArgs),
    /// Drive concurrent blob and manifest traffic and measure latency and throughput.
    Load(Box<LoadArgs>),
    /// Work with report files: diff two runs, merge load shards.
    Report(ReportArgs),
    /// List bundled scenarios, operations, contract rules or registry faults.
    List(ListArgs),
    /// Check scenario files without running them.
    Validate(ValidateArgs),
    /// Run the embedded reference registry standalone.
    Serve(ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff): `regcheck man | man -l -`.
    Man,
}

/// Runs the parsed command; returns the process exit code.
pub async fn execute(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => run::run(args).await,
        Command::Load(args) => load::load(*args).await,
        Command::Report(args) => report::report(args),
        Command::List(args) => list::list(args),
        Command::Validate(args) => validate::validate(args),
        Command::Serve(args) => serve::serve(args).await,
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
    }
}
