//! The target a command talks to: `--target URL` with its credentials and TLS choices, or an
//! embedded reference registry started for the command. Shared by `run` and `load`
//! (`TargetArgs` is flattened into both), so both resolve credentials and targets the same way.
//!
//! Credentials are looked up in the order users expect: flags (`--username`,
//! `--password-stdin`, `--aad-token`, `--aad-refresh-token`, `--refresh-token`), then the
//! environment (`REGCHECK_USERNAME`/`REGCHECK_PASSWORD`/`REGCHECK_AAD_TOKEN`/
//! `REGCHECK_AAD_REFRESH_TOKEN`/`REGCHECK_REFRESH_TOKEN`, and
//! the OCI conformance suite's `OCI_USERNAME`/`OCI_PASSWORD`), then `user:password@` in the
//! target URL, then the docker client configuration. `--password VALUE` is refused: it would
//! be readable by every user in the process list.

use crate::client::credentials::{self, RunCredentials};
use crate::client::{Secret, TransportOptions, host_port};
use crate::registry::{self, AuthMode, Fault, RegistryConfig, RunningRegistry, Surface, TlsSetup};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// Target, credential and TLS flags.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Registry base URL (e.g. https://myreg.azurecr.io). Without it, an embedded registry is
    /// started.
    #[arg(long, env = "OCI_ROOT_URL")]
    pub target: Option<String>,
    /// Username for Basic auth and token requests (also OCI_USERNAME).
    #[arg(long, env = "REGCHECK_USERNAME")]
    pub username: Option<String>,
    /// Read the password from standard input (one line). Or set REGCHECK_PASSWORD (or
    /// OCI_PASSWORD) in the environment.
    #[arg(long)]
    pub password_stdin: bool,
    /// Refused: a password on the command line is visible in process lists.
    #[arg(long = "password", value_name = "PASSWORD", hide = true)]
    pub password_on_command_line: Option<String>,
    /// AAD access token for ACR's /oauth2/exchange (prefer the environment variable).
    #[arg(long, env = "REGCHECK_AAD_TOKEN", hide_env_values = true)]
    pub aad_token: Option<String>,
    /// AAD refresh token for ACR's /oauth2/exchange grant_type=refresh_token and
    /// access_token_refresh_token (prefer the environment variable); the scenarios of those
    /// grants are skipped without one.
    #[arg(long, env = "REGCHECK_AAD_REFRESH_TOKEN", hide_env_values = true)]
    pub aad_refresh_token: Option<String>,
    /// ACR refresh token for /oauth2/token grant_type=refresh_token (prefer the environment
    /// variable).
    #[arg(long, env = "REGCHECK_REFRESH_TOKEN", hide_env_values = true)]
    pub refresh_token: Option<String>,
    /// Do not look for credentials in the docker config ($DOCKER_CONFIG/config.json or
    /// ~/.docker/config.json) and its credential helpers.
    #[arg(long)]
    pub no_docker_config: bool,
    /// Accept any TLS certificate and plain http to non-loopback hosts (and https→http
    /// redirects). For test registries only.
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file (besides the built-in roots).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Auth mode of the embedded registry (when no --target): none, basic or token. The
    /// default, token (ACR's own mode), exercises every scenario, token exchange and scope
    /// checks included; with --embedded-minimal the default is basic.
    #[arg(long)]
    pub embedded_auth: Option<AuthMode>,
    /// The embedded registry offers only what OCI distribution-spec 1.1.1 requires: no
    /// Docker-* headers, JSON errors, ranges, deletes, catalog, ACR or token endpoints (the
    /// negative control of the verdicts; `regcheck serve --minimal` serves the same).
    #[arg(long)]
    pub embedded_minimal: bool,
    /// Start the embedded registry with an injected fault (repeatable; `regcheck list --faults`).
    #[arg(long = "embedded-fault", value_name = "NAME")]
    pub embedded_faults: Vec<Fault>,
    /// Requests the embedded registry's hostile faults answer (any, blob-get, manifest-get,
    /// tags-list or path:<text>; default: each fault's own operation).
    #[arg(long, value_name = "TRIGGER")]
    pub embedded_fault_on: Option<registry::FaultTrigger>,
    /// The embedded registry answers blob GETs with 307 to a signed URL on a second listener.
    #[arg(long)]
    pub embedded_redirect_blobs: bool,
    /// The embedded registry serves https with a throwaway CA that this run trusts.
    #[arg(long)]
    pub embedded_tls: bool,
}

/// A resolved target: where to send requests, with what, and the embedded registry (if any)
/// that must be shut down when the command ends.
pub struct Target {
    /// Base URL, without userinfo.
    pub url: url::Url,
    /// Credentials for `url`'s origin only.
    pub credentials: RunCredentials,
    /// Per-request timeout.
    pub timeout: Duration,
    /// TLS choices.
    pub transport: TransportOptions,
    /// The embedded registry serving `url`, when no `--target` was given.
    pub embedded: Option<RunningRegistry>,
}

impl Target {
    /// Stops the embedded registry, if one was started.
    pub async fn shutdown(self) {
        if let Some(reg) = self.embedded {
            reg.shutdown().await;
        }
    }
}

/// Longest password read from standard input.
const MAX_STDIN_PASSWORD: u64 = 64 * 1024;

/// Environment lookups, injectable for tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl TargetArgs {
    /// Parses `--target` (moving userinfo into the credentials) or starts the embedded
    /// registry. `announce` prints the embedded registry's address and where credentials came
    /// from on stderr.
    pub async fn resolve(&self, announce: bool) -> Result<Target> {
        let stdin = if self.password_stdin {
            Some(read_password(std::io::stdin().lock())?)
        } else {
            None
        };
        self.resolve_with(announce, &process_env, stdin).await
    }

    /// `resolve` with the environment and the stdin password given.
    pub async fn resolve_with(
        &self,
        announce: bool,
        env: Env<'_>,
        stdin_password: Option<String>,
    ) -> Result<Target> {
        if self.password_on_command_line.is_some() {
            bail!(
                "--password on the command line is refused: every user on this machine can read it in the process list. \
                 Use --password-stdin (e.g. `printenv PW | regcheck run --password-stdin ...`) or the REGCHECK_PASSWORD environment variable"
            );
        }
        let timeout = Duration::from_secs(self.timeout);
        let transport = TransportOptions {
            insecure: self.insecure,
            ca_cert: self.ca_cert.clone(),
        };
        let Some(t) = &self.target else {
            return self.start_embedded(announce, timeout, transport).await;
        };
        let mut url = url::Url::parse(t)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .with_context(|| {
                format!(
                    "--target is not an http(s) URL (example: https://myreg.azurecr.io): {}",
                    without_userinfo(t)
                )
            })?;
        let mut credentials = RunCredentials {
            username: self.username.clone().or_else(|| env("OCI_USERNAME")),
            password: stdin_password
                .or_else(|| env("REGCHECK_PASSWORD"))
                .or_else(|| env("OCI_PASSWORD"))
                .map(Secret::new),
            aad_token: self.aad_token.clone().map(Secret::new),
            aad_refresh_token: self.aad_refresh_token.clone().map(Secret::new),
            refresh_token: self.refresh_token.clone().map(Secret::new),
        };
        let given = !credentials.is_empty();
        take_userinfo(&mut url, &mut credentials);
        let mut source = if given {
            "flags/environment".to_string()
        } else if !credentials.is_empty() {
            "the target URL".to_string()
        } else {
            String::new()
        };
        if credentials.is_empty() && !self.no_docker_config {
            let dc = env("DOCKER_CONFIG").map(PathBuf::from);
            let home = env("HOME").map(PathBuf::from);
            if let Some(path) = credentials::docker_config_path(dc.as_deref(), home.as_deref()) {
                match credentials::from_docker_config(&path, &host_port(&url)).await {
                    Ok(Some(found)) => {
                        credentials = found.credentials;
                        source = found.source;
                    }
                    Ok(None) => {}
                    // A broken config or helper is reported; the run goes on anonymously.
                    Err(e) => eprintln!("warning: {e}; continuing without its credentials"),
                }
            }
        }
        if announce && !source.is_empty() {
            eprintln!("credentials for {}: from {source}", host_port(&url));
        }
        crate::client::transport::check_target(&url, &transport)?;
        Ok(Target {
            url,
            credentials,
            timeout,
            transport,
            embedded: None,
        })
    }

    async fn start_embedded(
        &self,
        announce: bool,
        timeout: Duration,
        mut transport: TransportOptions,
    ) -> Result<Target> {
        let (surface, default_auth) = if self.embedded_minimal {
            (Surface::Minimal, AuthMode::Basic)
        } else {
            (Surface::Full, AuthMode::Token)
        };
        let auth = self.embedded_auth.unwrap_or(default_auth);
        let config = RegistryConfig {
            auth,
            surface,
            faults: self.embedded_faults.clone(),
            fault_on: self.embedded_fault_on.clone(),
            redirect_blobs: self.embedded_redirect_blobs,
            tls: self.embedded_tls.then_some(TlsSetup::Generate),
            ..RegistryConfig::default()
        };
        let reg = registry::start(config)
            .await
            .context("cannot start the embedded registry")?;
        let c = reg.config().credentials.clone();
        let credentials = RunCredentials {
            username: Some(c.username),
            password: Some(Secret::new(c.password)),
            // The minimal registry has no token endpoints to exchange an AAD token at.
            aad_token: (surface == Surface::Full).then(|| Secret::new(c.aad_token)),
            aad_refresh_token: (surface == Surface::Full).then(|| Secret::new(c.aad_refresh_token)),
            refresh_token: None,
        };
        if let Some(ca) = reg.ca_cert_path() {
            transport.ca_cert = Some(ca.to_owned());
        }
        let url = url::Url::parse(&reg.url()).context("embedded registry URL")?;
        if announce {
            eprintln!("embedded registry at {url} (auth {auth}, {surface} surface)");
        }
        Ok(Target {
            url,
            credentials,
            timeout,
            transport,
            embedded: Some(reg),
        })
    }
}

/// The first line of `input` (at most 64 KiB), without its line ending.
fn read_password(input: impl Read) -> Result<String> {
    let mut buf = String::new();
    input
        .take(MAX_STDIN_PASSWORD + 1)
        .read_to_string(&mut buf)
        .context("--password-stdin: cannot read standard input as UTF-8")?;
    if buf.len() as u64 > MAX_STDIN_PASSWORD {
        bail!("--password-stdin: more than {MAX_STDIN_PASSWORD} bytes on standard input");
    }
    let line = buf.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        bail!("--password-stdin: standard input is empty; pipe the password in");
    }
    Ok(line)
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        args: TargetArgs,
    }

    fn parse(args: &[&str]) -> TargetArgs {
        let mut argv = vec!["t"];
        argv.extend_from_slice(args);
        T::try_parse_from(argv).expect("parse").args
    }

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

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

    #[tokio::test]
    async fn password_on_the_command_line_is_refused_without_echo() {
        let args = parse(&["--target", "http://127.0.0.1:1", "--password", "hunter2-pw"]);
        let e = args
            .resolve_with(false, &env_of(&[]), None)
            .await
            .err()
            .expect("refused");
        let msg = format!("{e:#}");
        assert!(
            msg.contains("--password-stdin") && msg.contains("REGCHECK_PASSWORD"),
            "{msg}"
        );
        assert!(!msg.contains("hunter2-pw"));
    }

    #[tokio::test]
    async fn credential_sources_in_order() {
        // Flags and REGCHECK_* beat OCI_*, which beat the URL; stdin beats the environment.
        let env = env_of(&[
            ("REGCHECK_PASSWORD", "env-pw"),
            ("OCI_USERNAME", "oci-user"),
            ("OCI_PASSWORD", "oci-pw"),
            ("DOCKER_CONFIG", "/nonexistent"),
        ]);
        let t = parse(&["--target", "http://u:url-pw@127.0.0.1:1"])
            .resolve_with(false, &env, None)
            .await
            .unwrap();
        assert_eq!(t.credentials.username.as_deref(), Some("oci-user"));
        assert_eq!(t.credentials.password.unwrap().expose(), "env-pw");
        let t = parse(&["--target", "http://127.0.0.1:1", "--username", "flag-user"])
            .resolve_with(false, &env, Some("stdin-pw".into()))
            .await
            .unwrap();
        assert_eq!(t.credentials.username.as_deref(), Some("flag-user"));
        assert_eq!(t.credentials.password.unwrap().expose(), "stdin-pw");
        let only_oci = env_of(&[
            ("OCI_PASSWORD", "oci-pw"),
            ("DOCKER_CONFIG", "/nonexistent"),
        ]);
        let t = parse(&["--target", "http://127.0.0.1:1"])
            .resolve_with(false, &only_oci, None)
            .await
            .unwrap();
        assert_eq!(t.credentials.password.unwrap().expose(), "oci-pw");
    }

    #[tokio::test]
    async fn docker_config_is_the_last_source() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths": {"127.0.0.1:1": {"auth": "ZGM6ZGMtcHc="}}}"#,
        )
        .unwrap();
        let dc = dir.path().to_str().unwrap().to_string();
        let env = move |k: &str| (k == "DOCKER_CONFIG").then(|| dc.clone());
        let t = parse(&["--target", "http://127.0.0.1:1"])
            .resolve_with(false, &env, None)
            .await
            .unwrap();
        assert_eq!(t.credentials.username.as_deref(), Some("dc"));
        assert_eq!(t.credentials.password.unwrap().expose(), "dc-pw");
        // Anything given first wins; --no-docker-config turns it off.
        let t = parse(&["--target", "http://127.0.0.1:1", "--username", "x"])
            .resolve_with(false, &env, None)
            .await
            .unwrap();
        assert!(t.credentials.password.is_none());
        let t = parse(&["--target", "http://127.0.0.1:1", "--no-docker-config"])
            .resolve_with(false, &env, None)
            .await
            .unwrap();
        assert!(t.credentials.is_empty());
    }

    #[tokio::test]
    async fn plain_http_off_loopback_needs_insecure() {
        let env = env_of(&[("DOCKER_CONFIG", "/nonexistent")]);
        let e = parse(&["--target", "http://reg.example"])
            .resolve_with(false, &env, None)
            .await
            .err()
            .expect("refused");
        assert!(format!("{e:#}").contains("--insecure"), "{e:#}");
        assert!(
            parse(&["--target", "http://reg.example", "--insecure"])
                .resolve_with(false, &env, None)
                .await
                .is_ok()
        );
    }

    #[test]
    fn stdin_passwords_are_one_bounded_line() {
        assert_eq!(read_password(&b"pw\n"[..]).unwrap(), "pw");
        assert_eq!(read_password(&b"pw\r\nrest"[..]).unwrap(), "pw");
        assert!(read_password(&b""[..]).is_err());
        let big = vec![b'a'; 70 * 1024];
        assert!(read_password(&big[..]).is_err());
    }
}
