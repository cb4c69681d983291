//! The target a command talks to: `--target URL` with its credentials, or an embedded reference
//! registry started for the command. Shared by `run` and `load` (`TargetArgs` is flattened into
//! both), so both resolve credentials and targets the same way.

use crate::client::{RunCredentials, Secret};
use crate::registry::{self, AuthMode, Fault, RegistryConfig, RunningRegistry};
use anyhow::{Context, Result};
use clap::Args;
use std::time::Duration;

/// Target and credential flags.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Registry base URL (e.g. http://127.0.0.1:5000). Without it, an embedded registry is started.
    #[arg(long)]
    pub target: Option<String>,
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
    /// Requests the embedded registry's hostile faults answer (any, blob-get, manifest-get,
    /// tags-list or path:<text>; default: each fault's own operation).
    #[arg(long, value_name = "TRIGGER")]
    pub embedded_fault_on: Option<registry::FaultTrigger>,
    /// The embedded registry answers blob GETs with 307 to a signed URL on a second listener.
    #[arg(long)]
    pub embedded_redirect_blobs: bool,
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

impl TargetArgs {
    /// Parses `--target` (moving userinfo into the credentials) or starts the embedded
    /// registry. `announce` prints the embedded registry's address on stderr.
    pub async fn resolve(&self, announce: bool) -> Result<Target> {
        let mut credentials = RunCredentials {
            username: self.username.clone(),
            password: self.password.clone().map(Secret::new),
            aad_token: self.aad_token.clone().map(Secret::new),
        };
        let timeout = Duration::from_secs(self.timeout);
        match &self.target {
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
                Ok(Target {
                    url,
                    credentials,
                    timeout,
                    embedded: None,
                })
            }
            None => {
                let config = RegistryConfig {
                    auth: self.embedded_auth,
                    faults: self.embedded_faults.clone(),
                    fault_on: self.embedded_fault_on.clone(),
                    redirect_blobs: self.embedded_redirect_blobs,
                    ..RegistryConfig::default()
                };
                let reg = registry::start(config)
                    .await
                    .context("cannot start the embedded registry")?;
                let c = reg.config().credentials.clone();
                let credentials = RunCredentials {
                    username: Some(c.username),
                    password: Some(Secret::new(c.password)),
                    aad_token: Some(Secret::new(c.aad_token)),
                };
                let url = url::Url::parse(&reg.url()).context("embedded registry URL")?;
                if announce {
                    eprintln!("embedded registry at {url} (auth {})", self.embedded_auth);
                }
                Ok(Target {
                    url,
                    credentials,
                    timeout,
                    embedded: Some(reg),
                })
            }
        }
    }
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
