//! The three deletes on the probe image, each its own capability: `tag-delete`,
//! `manifest-delete` (by digest), `blob-delete` (the layer). A delete is offered when it
//! answers 2xx (whether it really deletes is what the delete scenarios judge); the follow-up
//! status is kept as evidence.

use super::capabilities::Evidence;
use super::http::send;
use super::image::{PROBE_TAG, ProbeImage};
use crate::client::simple::request as req;
use crate::client::{Client, Credentials, OutgoingBody};
use crate::runner::error::RunnerError;
use reqwest::Method;

/// `tag-delete`: DELETE of the probe tag.
pub(super) async fn tag_delete(client: &Client, repo: &str) -> Result<Evidence, RunnerError> {
    let tag = format!("/v2/{repo}/manifests/{PROBE_TAG}");
    try_delete(client, &tag, "the tag").await
}

/// `manifest-delete`: DELETE of the probe manifest by digest.
pub(super) async fn manifest_delete(
    client: &Client,
    repo: &str,
    image: &ProbeImage,
) -> Result<Evidence, RunnerError> {
    let by_digest = format!("/v2/{repo}/manifests/{}", image.manifest);
    try_delete(client, &by_digest, "the manifest").await
}

/// `blob-delete`: DELETE of the probe layer.
pub(super) async fn blob_delete(
    client: &Client,
    repo: &str,
    image: &ProbeImage,
) -> Result<Evidence, RunnerError> {
    let blob = format!("/v2/{repo}/blobs/{}", image.layer);
    try_delete(client, &blob, "the blob").await
}

/// DELETE `path`; on 2xx, a HEAD of the same path records what it answers afterwards (as
/// evidence only: a follow-up that fails does not stop the run).
async fn try_delete(client: &Client, path: &str, what: &str) -> Result<Evidence, RunnerError> {
    let s = send(client, Method::DELETE, path).await?.response.status;
    if !(200..300).contains(&s) {
        return Ok(Evidence::new(
            false,
            format!("DELETE of {what} answered {s}"),
        ));
    }
    let head = req(client, Method::HEAD, path, OutgoingBody::Empty);
    let after = match client.execute(&head, Credentials::Auto).await {
        Ok(o) => format!("HEAD then answered {}", o.response.status),
        Err(e) => format!("HEAD then failed: {e}"),
    };
    Ok(Evidence::new(
        true,
        format!("DELETE of {what} answered {s}; {after}"),
    ))
}
