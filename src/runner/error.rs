//! `RunnerError`: the run could not happen at all (target unreachable, not a registry, bad
//! options). Failed checks are never errors.

use crate::client::ClientError;

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunnerError {
    /// The capability probe could not talk to the target.
    #[error("cannot probe {target}: {source}")]
    Unreachable {
        /// Target URL.
        target: String,
        /// Cause.
        #[source]
        source: ClientError,
    },
    /// The target answered, but not like a registry.
    #[error("{target} does not look like a registry: {detail}")]
    NotARegistry {
        /// Target URL.
        target: String,
        /// What it answered.
        detail: String,
    },
    /// Bad option values.
    #[error("{0}")]
    Config(String),
}
