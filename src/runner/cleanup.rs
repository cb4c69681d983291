//! What the run created, and deleting exactly that at the end (unless `--keep`). Blobs and
//! manifests are recorded from the 201 answers that created them; with ACR extensions the
//! whole scenario repository is deleted instead (it only ever holds the run's content).

use super::result::CleanupReport;
use crate::client::{Client, Credentials, OutgoingBody, OutgoingRequest};
use reqwest::Method;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Kind of created object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Created {
    /// A manifest (repository, digest).
    Manifest(String, String),
    /// A blob (repository, digest).
    Blob(String, String),
}

/// Records created objects; shared by concurrently running scenarios.
#[derive(Debug, Default)]
pub struct Tracker {
    items: Mutex<BTreeSet<Created>>,
}

impl Tracker {
    /// Records an object.
    pub fn record(&self, c: Created) {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(c);
    }

    /// Everything recorded.
    pub fn snapshot(&self) -> BTreeSet<Created> {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Repositories holding recorded objects.
    pub fn repositories(&self) -> BTreeSet<String> {
        self.snapshot()
            .into_iter()
            .map(|c| match c {
                Created::Manifest(r, _) | Created::Blob(r, _) => r,
            })
            .collect()
    }
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

/// Deletes what `tracker` recorded, every repository only if it is inside `namespace`.
/// `whole_repositories`: the namespace was generated for this run (so every repository in it
/// is the run's own) and the target has ACR's repository DELETE; otherwise objects are deleted
/// one by one, so content that was there before the run is never touched.
pub async fn clean(
    client: &Client,
    tracker: &Tracker,
    namespace: &str,
    whole_repositories: bool,
) -> CleanupReport {
    let mut report = CleanupReport::default();
    let prefix = format!("{namespace}/");
    let items = tracker.snapshot();
    if whole_repositories {
        for repo in tracker.repositories() {
            if !repo.starts_with(&prefix) {
                continue;
            }
            match delete(client, &format!("/acr/v1/{repo}")).await {
                Ok(202 | 200 | 204) => report.deleted += 1,
                Ok(404) => {}
                Ok(s) => report
                    .leftovers
                    .push(format!("repository {repo}: DELETE answered {s}")),
                Err(e) => report.leftovers.push(format!("repository {repo}: {e}")),
            }
        }
        return report;
    }
    // Manifests first (they reference blobs), then blobs.
    let ordered = items
        .iter()
        .filter(|c| matches!(c, Created::Manifest(..)))
        .chain(items.iter().filter(|c| matches!(c, Created::Blob(..))));
    for c in ordered {
        let (repo, path, what) = match c {
            Created::Manifest(r, d) => (r, format!("/v2/{r}/manifests/{d}"), "manifest"),
            Created::Blob(r, d) => (r, format!("/v2/{r}/blobs/{d}"), "blob"),
        };
        if !repo.starts_with(&prefix) {
            continue;
        }
        match delete(client, &path).await {
            Ok(202 | 200 | 204) => report.deleted += 1,
            Ok(404) => {}
            Ok(405) => report.leftovers.push(format!(
                "{what} {path}: the target does not allow deletes (405)"
            )),
            Ok(s) => report
                .leftovers
                .push(format!("{what} {path}: DELETE answered {s}")),
            Err(e) => report.leftovers.push(format!("{what} {path}: {e}")),
        }
    }
    report
}
