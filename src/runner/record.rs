//! Recording what a step created (a manifest or blob answered 201) with the cleanup tracker,
//! so the run can delete it at the end.

use super::paths;
use crate::client::Observed;
use crate::contract::Operation;
use crate::exchange::ObservedResponse;
use crate::namespace::cleanup::{Created, Kind, Tracker};
use std::collections::HashSet;
use url::Url;

/// Records the object a step created: its repository from the step's first request, its
/// digest from `Docker-Content-Digest` (else the `digest` query parameter); `run_unique` are
/// the digests of content only this run has.
pub(super) fn record_created(
    tracker: &Tracker,
    op: Operation,
    first: &Observed,
    last: &ObservedResponse,
    run_unique: &HashSet<String>,
) {
    if last.status != 201 {
        return;
    }
    let Ok(url) = Url::parse(&first.request.url) else {
        return;
    };
    let Some(repo) = paths::repository_of(url.path()) else {
        return;
    };
    let digest = last
        .header("docker-content-digest")
        .map(str::to_string)
        .or_else(|| {
            url.query_pairs()
                .find(|(k, _)| k == "digest")
                .map(|(_, v)| v.into_owned())
        });
    let Some(digest) = digest else { return };
    let kind = match op {
        Operation::CreateManifest => Kind::Manifest,
        Operation::CompleteUpload | Operation::StartUpload | Operation::MountBlob => Kind::Blob,
        _ => return,
    };
    let run_unique = run_unique.contains(&digest);
    tracker.record(Created {
        kind,
        repo,
        digest,
        run_unique,
    });
}
