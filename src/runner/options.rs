//! `RunOptions`: everything the runner needs to know about a run, built by the CLI (or tests).

use crate::client::{RunCredentials, TransportOptions};
use regex::Regex;
use std::time::Duration;
use url::Url;

/// Which API surface to exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// Probe the target and use what it offers.
    #[default]
    Auto,
    /// OCI / Docker v2 only: ACR scenarios are skipped.
    Oci,
    /// Assume ACR extensions and token endpoints exist (fail, not skip, when they are missing).
    Acr,
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Profile::Auto),
            "oci" => Ok(Profile::Oci),
            "acr" => Ok(Profile::Acr),
            other => Err(format!("unknown profile `{other}`; use auto, oci or acr")),
        }
    }
}

/// Which scenarios to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run only scenarios carrying at least one of these tags (empty: all).
    pub tags: Vec<String>,
    /// Skip scenarios carrying any of these tags.
    pub skip_tags: Vec<String>,
    /// Run only scenarios whose name matches.
    pub filter: Option<Regex>,
}

impl Selection {
    /// Whether a scenario with this name and tags is selected.
    pub fn matches(&self, name: &str, tags: &[String]) -> bool {
        (self.tags.is_empty() || tags.iter().any(|t| self.tags.contains(t)))
            && !tags.iter().any(|t| self.skip_tags.contains(t))
            && self.filter.as_ref().is_none_or(|r| r.is_match(name))
    }
}

/// Options of a conformance run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Target base URL.
    pub target: Url,
    /// Scenarios run concurrently.
    pub jobs: usize,
    /// Namespace for repositories (default `regcheck-<run id>`).
    pub namespace: Option<String>,
    /// Leave created content in place.
    pub keep: bool,
    /// Stop starting scenarios after the first failure.
    pub fail_fast: bool,
    /// Warnings fail the exit code too.
    pub strict: bool,
    /// Capabilities the target must have: a scenario skipped for lacking one of them fails
    /// instead, with the probe's evidence.
    pub require: Vec<crate::scenario::Capability>,
    /// API profile.
    pub profile: Profile,
    /// Credentials.
    pub credentials: RunCredentials,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Scenario selection.
    pub selection: Selection,
    /// What the target may send (sizes, times, depth, redirects).
    pub limits: crate::client::Limits,
    /// TLS choices (`--insecure`, `--ca-cert`).
    pub transport: TransportOptions,
    /// `-v`: exchanges written to stderr as they happen.
    pub verbosity: crate::client::verbose::Verbosity,
}

impl RunOptions {
    /// Defaults for a target URL.
    pub fn new(target: Url) -> Self {
        RunOptions {
            target,
            jobs: 4,
            namespace: None,
            keep: false,
            fail_fast: false,
            strict: false,
            require: Vec::new(),
            profile: Profile::Auto,
            credentials: RunCredentials::default(),
            timeout: Duration::from_secs(60),
            selection: Selection::default(),
            limits: crate::client::Limits::default(),
            transport: TransportOptions::default(),
            verbosity: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_tags_and_filter() {
        let sel = Selection {
            tags: vec!["oci".into()],
            skip_tags: vec!["slow".into()],
            filter: Some(Regex::new("^blob").unwrap()),
        };
        assert!(sel.matches("blob-get", &["oci".into()]));
        assert!(!sel.matches("blob-get", &["oci".into(), "slow".into()]));
        assert!(!sel.matches("blob-get", &["acr".into()]));
        assert!(!sel.matches("manifest", &["oci".into()]));
        assert!(Selection::default().matches("x", &[]));
    }
}
