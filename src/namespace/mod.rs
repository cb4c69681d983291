//! The run namespace: where a run (conformance or load) may write, and leaving it as found.
//! `slots` picks the default namespace (a reusable `regcheck-s<N>` claimed by a marker);
//! `cleanup` records what the run created and deletes exactly that at the end. Used by the
//! runner and by load mode alike; depends only on the HTTP client.

pub mod cleanup;
pub mod slots;

use serde::{Deserialize, Serialize};

/// A fresh run id: 8 lowercase hex characters.
pub fn new_run_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// Cleanup outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CleanupReport {
    /// Cleanup was skipped by `--keep`.
    pub kept: bool,
    /// Objects deleted.
    pub deleted: u32,
    /// Objects that could not be deleted (with reason).
    pub leftovers: Vec<String>,
    /// Repositories the run wrote to that the registry has no way to delete through its API:
    /// emptied, but they may stay listed in its catalog (a reused namespace slot keeps this
    /// list from growing run after run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empty_repositories: Vec<String>,
    /// What else the user should know about the namespace (a slot that cannot be reused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
