//! Command-line interface: clap types (`Cli`) and `execute`, which turns them into library
//! options, runs the command and returns the exit code (0 passed, 1 checks failed, 2 usage,
//! configuration or connection error). Environment variables are read here only (by clap).

use crate::client::{RunCredentials, Secret};
use crate::contract::Operation;
use crate::registry::{self, AuthMode, Fault, RegistryConfig};
use crate::report::{self, ReportSpec};
use crate::runner::{self, Outcome, Profile, RunOptions, Selection};
use crate::scenario::load::{self, LoadedScenario};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Conformance and load-testing harness for ACR / OCI distribution registries.
#[derive(Debug, Parser)]
#[command(name = "regcheck", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run conformance scenarios against a target (default: an embedded reference registry).
    Run(RunArgs),
    /// List bundled scenarios, operations, contract rules or registry faults.
    List(ListArgs),
    /// Check scenario files without running them.
    Validate(ValidateArgs),
    /// Run the embedded reference registry standalone.
    Serve(ServeArgs),
}

/// `regcheck run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Registry base URL (e.g. http://127.0.0.1:5000). Without it, an embedded registry is started.
    #[arg(long)]
    pub target: Option<String>,
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
    #[arg(long)]
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
    /// Username for Basic auth and token requests.
    #[arg(long, env = "REGCHECK_USERNAME")]
    pub username: Option<String>,
    /// Password (prefer the environment variable).
    #[arg(long, env = "REGCHECK_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// AAD access token for ACR's /oauth2/exchange (prefer the environment variable).
    #[arg(long, env = "REGCHECK_AAD_TOKEN", hide_env_values = true)]
    pub aad_token: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Auth mode of the embedded registry (when no --target): none, basic or token. Token
    /// (ACR's own mode) exercises every scenario, token exchange and scope checks included.
    #[arg(long, default_value = "token")]
    pub embedded_auth: AuthMode,
    /// Start the embedded registry with an injected fault (repeatable; `regcheck list --faults`).
    #[arg(long = "embedded-fault", value_name = "NAME")]
    pub embedded_faults: Vec<Fault>,
    /// The embedded registry answers blob GETs with 307 to a signed URL on a second listener.
    #[arg(long)]
    pub embedded_redirect_blobs: bool,
    /// Print no per-scenario progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `regcheck list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// List the contract operations instead of scenarios.
    #[arg(long, conflicts_with = "rules")]
    pub operations: bool,
    /// List the contract rules instead of scenarios.
    #[arg(long, conflicts_with = "faults")]
    pub rules: bool,
    /// List the faults the embedded registry can inject (`serve --fault`, `run --embedded-fault`).
    #[arg(long, conflicts_with = "operations")]
    pub faults: bool,
    /// Scenario files or directories (default: the bundled scenarios/).
    #[arg(long = "scenarios", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
}

/// `regcheck validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories (default: the bundled scenarios/).
    pub paths: Vec<PathBuf>,
}

/// `regcheck serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address (loopback by default).
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub addr: std::net::SocketAddr,
    /// Authentication: none, basic or token.
    #[arg(long, default_value = "none")]
    pub auth: AuthMode,
    /// Keep blobs and metadata in this directory (default: memory).
    #[arg(long)]
    pub storage: Option<PathBuf>,
    /// Answer blob GETs with 307 to a signed URL on a second loopback listener.
    #[arg(long)]
    pub redirect_blobs: bool,
    /// Inject a named contract violation (repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<Fault>,
    /// Username accepted for Basic auth and `GET /oauth2/token`.
    #[arg(long, env = "REGCHECK_SERVE_USERNAME")]
    pub username: Option<String>,
    /// Password accepted with the username.
    #[arg(long, env = "REGCHECK_SERVE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// AAD access token accepted by `/oauth2/exchange`.
    #[arg(long, env = "REGCHECK_SERVE_AAD_TOKEN", hide_env_values = true)]
    pub aad_token: Option<String>,
}

/// Runs the parsed command; returns the process exit code.
pub async fn execute(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::List(args) => list(args),
        Command::Validate(args) => validate(args),
        Command::Serve(args) => serve(args).await,
    }
}

fn scenario_paths(given: &[PathBuf]) -> Vec<PathBuf> {
    if given.is_empty() {
        vec![load::builtin_dir()]
    } else {
        given.to_vec()
    }
}

/// Loads and validates scenarios, printing every error; `None` when any failed.
fn load_scenarios(paths: &[PathBuf]) -> Option<Vec<LoadedScenario>> {
    match load::load_and_validate(&scenario_paths(paths)) {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("{} error(s) in scenario files", errors.len());
            None
        }
    }
}

async fn run(args: RunArgs) -> Result<i32> {
    let Some(scenarios) = load_scenarios(&args.scenarios) else {
        return Ok(2);
    };
    let filter = match &args.filter {
        Some(f) => Some(
            regex::Regex::new(f).with_context(|| format!("--filter `{f}` is not a valid regex"))?,
        ),
        None => None,
    };
    let mut credentials = RunCredentials {
        username: args.username.clone(),
        password: args.password.clone().map(Secret::new),
        aad_token: args.aad_token.clone().map(Secret::new),
    };
    let mut embedded = None;
    let target = match &args.target {
        Some(t) => {
            let mut url = url::Url::parse(t)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .with_context(|| {
                    format!(
                        "--target is not an http(s) URL (example: http://127.0.0.1:5000): {}",
                        without_userinfo(t)
                    )
                })?;
            take_userinfo(&mut url, &mut credentials);
            url
        }
        None => {
            let config = RegistryConfig {
                auth: args.embedded_auth,
                faults: args.embedded_faults.clone(),
                redirect_blobs: args.embedded_redirect_blobs,
                ..RegistryConfig::default()
            };
            let reg = registry::start(config)
                .await
                .context("cannot start the embedded registry")?;
            let c = reg.config().credentials.clone();
            credentials = RunCredentials {
                username: Some(c.username),
                password: Some(Secret::new(c.password)),
                aad_token: Some(Secret::new(c.aad_token)),
            };
            let url = url::Url::parse(&reg.url()).context("embedded registry URL")?;
            if !args.quiet {
                eprintln!("embedded registry at {url} (auth {})", args.embedded_auth);
            }
            embedded = Some(reg);
            url
        }
    };
    let opts = RunOptions {
        target,
        jobs: usize::from(args.jobs),
        namespace: args.namespace.clone(),
        keep: args.keep,
        fail_fast: args.fail_fast,
        profile: args.profile,
        credentials,
        timeout: Duration::from_secs(args.timeout),
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
    if let Some(reg) = embedded {
        reg.shutdown().await;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(report::terminal::render(&result).as_bytes());
    for spec in &args.reports {
        report::write(spec, &result)?;
    }
    Ok(result.exit_code())
}

/// `user:password@` in a target URL become the run's credentials (unless given by flag) and
/// leave the URL, so they never reach reports, variables or messages.
fn take_userinfo(url: &mut url::Url, credentials: &mut RunCredentials) {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    if !url.username().is_empty() && credentials.username.is_none() {
        credentials.username = Some(decode(url.username()));
    }
    if let Some(p) = url.password()
        && credentials.password.is_none()
    {
        credentials.password = Some(Secret::new(decode(p)));
    }
    let _ = url.set_username("");
    let _ = url.set_password(None);
}

/// A target string with any `user:password@` removed, for error messages.
fn without_userinfo(t: &str) -> String {
    match (t.find("://"), t.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}{}", &t[..scheme + 3], &t[at + 1..]),
        _ => t.to_string(),
    }
}

fn list(args: ListArgs) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    if args.operations {
        for op in Operation::ALL {
            writeln!(
                out,
                "{:<44} {:<7} {}",
                op.name(),
                op.method(),
                op.path_template()
            )?;
        }
        return Ok(0);
    }
    if args.faults {
        for f in Fault::ALL {
            writeln!(out, "{:<28} {}", f.name(), f.description())?;
        }
        return Ok(0);
    }
    if args.rules {
        for r in crate::contract::rules() {
            let ops: Vec<&str> = r.ops.iter().map(|o| o.name()).collect();
            let ops = if ops.is_empty() {
                "all".to_string()
            } else {
                ops.join(",")
            };
            writeln!(out, "{:<48} [{ops}] {}", r.id, r.explanation)?;
        }
        return Ok(0);
    }
    let Some(scenarios) = load_scenarios(&args.scenarios) else {
        return Ok(2);
    };
    for s in &scenarios {
        let sc = &s.scenario;
        let requires: Vec<&str> = sc.requires.iter().map(|c| c.name()).collect();
        writeln!(
            out,
            "{:<40} tags: {:<30} requires: {:<20} {}",
            sc.name,
            sc.tags.join(","),
            requires.join(","),
            sc.description
        )?;
    }
    Ok(0)
}

fn validate(args: ValidateArgs) -> Result<i32> {
    match load::load_and_validate(&scenario_paths(&args.paths)) {
        Ok(s) => {
            println!("{} scenario(s) valid", s.len());
            Ok(0)
        }
        Err(errors) => {
            for e in &errors {
                println!("{e}");
            }
            eprintln!("{} error(s)", errors.len());
            Ok(1)
        }
    }
}

async fn serve(args: ServeArgs) -> Result<i32> {
    let defaults = registry::Credentials::default();
    let credentials = registry::Credentials {
        username: args.username.unwrap_or(defaults.username),
        password: args.password.unwrap_or(defaults.password),
        aad_token: args.aad_token.unwrap_or(defaults.aad_token),
    };
    let config = RegistryConfig {
        credentials,
        addr: args.addr,
        auth: args.auth,
        storage: args.storage,
        redirect_blobs: args.redirect_blobs,
        faults: args.faults,
    };
    let reg = registry::start(config)
        .await
        .with_context(|| format!("cannot start the registry on {}", args.addr))?;
    let c = &reg.config().credentials;
    println!("regcheck registry listening on {}", reg.url());
    println!("auth: {}", reg.config().auth);
    if reg.config().auth != AuthMode::None {
        println!("username: {}", c.username);
        println!("password: {}", c.password);
        println!("aad token: {}", c.aad_token);
    }
    for f in &reg.config().faults {
        println!("fault: {} ({})", f.name(), f.description());
    }
    let _ = std::io::stdout().flush();
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    reg.shutdown().await;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_moves_from_the_target_into_credentials() {
        let mut url = url::Url::parse("https://me:p%40ss@reg.example:5000/").unwrap();
        let mut creds = RunCredentials::default();
        take_userinfo(&mut url, &mut creds);
        assert_eq!(url.as_str(), "https://reg.example:5000/");
        assert_eq!(creds.username.as_deref(), Some("me"));
        assert_eq!(creds.password.as_ref().map(|p| p.expose()), Some("p@ss"));
        // Flags win over the URL.
        let mut url = url::Url::parse("http://a:b@h/").unwrap();
        let mut creds = RunCredentials {
            username: Some("flag".into()),
            ..Default::default()
        };
        take_userinfo(&mut url, &mut creds);
        assert_eq!(creds.username.as_deref(), Some("flag"));
        assert_eq!(url.as_str(), "http://h/");
        assert_eq!(without_userinfo("http://a:secret@h x"), "http://h x");
    }
}
