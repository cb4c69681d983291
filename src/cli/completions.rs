//! `regcheck completions SHELL` and `regcheck man`: shell completion scripts and a roff man
//! page generated from the clap definitions (so they never drift from `--help`).

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::io::Write;

/// `regcheck completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell. Install, e.g.:
    /// `regcheck completions bash > /etc/bash_completion.d/regcheck`.
    pub shell: Shell,
}

/// Writes the completion script for `args.shell` to stdout.
pub fn completions(args: CompletionsArgs) -> Result<i32> {
    let mut cmd = super::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "regcheck", &mut out);
    out.flush().context("cannot write the completion script")?;
    Ok(0)
}

/// Writes the man page (roff; `regcheck man | man -l -`) to stdout: the top-level page with a
/// section for every subcommand.
pub fn man() -> Result<i32> {
    let cmd = super::Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .context("cannot render the man page")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("regcheck-{}", sub.get_name());
        let sub = sub.clone().display_name(name.clone()).bin_name(name);
        page.extend_from_slice(b"\n");
        clap_mangen::Man::new(sub)
            .render(&mut page)
            .context("cannot render the man page")?;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&page)
        .and_then(|()| out.flush())
        .context("cannot write the man page")?;
    Ok(0)
}
