//! What the run created, and deleting exactly that at the end (unless `--keep`). Blobs and
//! manifests are recorded from the 201 answers that created them, with whether their content is
//! unique to this run (generated blobs, and documents that reference them) — content that is
//! not could have been in the registry before the run.
//!
//! - Namespace generated for this run, target with ACR extensions: every repository the run
//!   wrote to is deleted whole (`DELETE /acr/v1/<repo>`), since nothing else can be in it.
//! - Namespace generated for this run, OCI target: every recorded object is deleted.
//! - Namespace given with `--namespace`: only run-unique objects are deleted; the others are
//!   reported as left over, because they may predate the run.

use super::CleanupReport;
use crate::client::{Client, Credentials, OutgoingBody, OutgoingRequest};
use reqwest::Method;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Kind of created object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A manifest (deleted first: manifests reference blobs).
    Manifest,
    /// A blob.
    Blob,
}

/// One object the run created.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Created {
    /// Manifest or blob.
    pub kind: Kind,
    /// Repository.
    pub repo: String,
    /// Digest.
    pub digest: String,
    /// The content exists only because of this run (its bytes depend on the run id).
    pub run_unique: bool,
}

/// Records created objects and repositories; shared by concurrently running scenarios.
#[derive(Debug, Default)]
pub struct Tracker {
    items: Mutex<BTreeSet<Created>>,
    repositories: Mutex<BTreeSet<String>>,
}

impl Tracker {
    /// Records an object (and its repository).
    pub fn record(&self, c: Created) {
        self.record_repository(&c.repo);
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(c);
    }

    /// Records a repository the run wrote to.
    pub fn record_repository(&self, repo: &str) {
        self.repositories
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(repo.to_string());
    }

    fn items(&self) -> BTreeSet<Created> {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn repositories(&self) -> BTreeSet<String> {
        self.repositories
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// How much cleanup may delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Whole repositories (generated namespace, ACR target).
    Repositories,
    /// Every recorded object (generated namespace, OCI target).
    AllObjects,
    /// Only run-unique objects (namespace given by the user).
    RunUniqueObjects,
}

async fn delete(client: &Client, path: &str) -> Result<u16, String> {
    let url = client
        .options()
        .target
        .join(path)
        .map_err(|e| e.to_string())?;
    let req = OutgoingRequest {
        method: Method::DELETE,
        url,
        headers: Vec::new(),
        body: OutgoingBody::Empty,
    };
    client
        .execute(&req, Credentials::Auto)
        .await
        .map(|o| o.response.status)
        .map_err(|e| e.to_string())
}

/// Deletes what `tracker` recorded, inside `namespace` only, as far as `scope` allows.
pub async fn clean(
    client: &Client,
    tracker: &Tracker,
    namespace: &str,
    scope: Scope,
) -> CleanupReport {
    let mut report = CleanupReport::default();
    let prefix = format!("{namespace}/");
    if scope == Scope::Repositories {
        for repo in tracker.repositories() {
            if !repo.starts_with(&prefix) {
                continue;
            }
            let path = format!("/acr/v1/{repo}");
            tally(
                &mut report,
                &format!("repository {repo}"),
                delete(client, &path).await,
            );
        }
        return report;
    }
    let mut not_emptied = BTreeSet::new();
    // Manifests first (they reference blobs), then blobs: `Created` orders by `kind` first.
    for c in tracker.items() {
        if !c.repo.starts_with(&prefix) {
            continue;
        }
        let (what, path) = match c.kind {
            Kind::Manifest => ("manifest", format!("/v2/{}/manifests/{}", c.repo, c.digest)),
            Kind::Blob => ("blob", format!("/v2/{}/blobs/{}", c.repo, c.digest)),
        };
        if scope == Scope::RunUniqueObjects && !c.run_unique {
            report.leftovers.push(format!(
                "{what} {path}: kept, its content is not unique to this run and may predate it"
            ));
            continue;
        }
        let before = report.leftovers.len();
        tally(
            &mut report,
            &format!("{what} {path}"),
            delete(client, &path).await,
        );
        if report.leftovers.len() > before {
            not_emptied.insert(c.repo.clone());
        }
    }
    // Without a repository delete, the emptied repositories may stay in the catalog.
    report.empty_repositories = tracker
        .repositories()
        .into_iter()
        .filter(|r| r.starts_with(&prefix) && !not_emptied.contains(r))
        .collect();
    report
}

fn tally(report: &mut CleanupReport, what: &str, outcome: Result<u16, String>) {
    match outcome {
        Ok(200 | 202 | 204) => report.deleted += 1,
        // Already gone (the scenario deleted it itself).
        Ok(404) => {}
        Ok(405) => report
            .leftovers
            .push(format!("{what}: the target does not allow deletes (405)")),
        Ok(s) => report
            .leftovers
            .push(format!("{what}: DELETE answered {s}")),
        Err(e) => report.leftovers.push(format!("{what}: {e}")),
    }
}
