//! Small request helpers for the harness's own bookkeeping (capability probes, namespace
//! markers): a request to a path of the target, and a whole-blob upload. Scenario requests do
//! not use these; they go through the runner's request pipeline.

use super::{Client, ClientError, Credentials, Observed, OutgoingBody, OutgoingRequest};
use crate::blob::sha256_digest;
use bytes::Bytes;
use reqwest::Method;

/// A request for `path` (with query) on the target, no extra headers.
pub fn request(client: &Client, method: Method, path: &str, body: OutgoingBody) -> OutgoingRequest {
    let url = client
        .options()
        .target
        .join(path)
        .unwrap_or_else(|_| client.options().target.clone());
    OutgoingRequest {
        method,
        url,
        headers: Vec::new(),
        body,
    }
}

/// Sends `r` with the client's credentials as needed.
pub async fn execute(client: &Client, r: &OutgoingRequest) -> Result<Observed, ClientError> {
    client.execute(r, Credentials::Auto).await
}

/// Uploads one blob: a single POST, or POST then PUT when the 202 opened a session. The outer
/// error is a transport failure; the inner one says how the registry refused.
pub async fn push_blob(
    client: &Client,
    repo: &str,
    content: &[u8],
) -> Result<Result<(), String>, ClientError> {
    let digest = sha256_digest(content);
    let mut push = request(
        client,
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
        OutgoingBody::Bytes(Bytes::copy_from_slice(content)),
    );
    push.headers
        .push(("Content-Type".into(), "application/octet-stream".into()));
    let posted = execute(client, &push).await?;
    Ok(match posted.response.status {
        201 => Ok(()),
        // Single-POST uploads not supported: the 202 opened a session; finish it with a PUT.
        202 => complete_upload(client, &posted, &digest, content).await,
        s => Err(format!("POST answered {s}")),
    })
}

/// PUTs `content` to the session a 202 answer opened.
async fn complete_upload(
    client: &Client,
    started: &Observed,
    digest: &str,
    content: &[u8],
) -> Result<(), String> {
    let Some(location) = started.response.header("location") else {
        return Err("the 202 to POST has no Location".into());
    };
    let Ok(mut url) = url::Url::parse(&started.request.url).and_then(|u| u.join(location)) else {
        return Err(format!("the upload Location `{location}` is not a URL"));
    };
    url.query_pairs_mut().append_pair("digest", digest);
    let put = OutgoingRequest {
        method: Method::PUT,
        url,
        headers: vec![("Content-Type".into(), "application/octet-stream".into())],
        body: OutgoingBody::Bytes(Bytes::copy_from_slice(content)),
    };
    match execute(client, &put).await {
        Ok(o) if o.response.status == 201 => Ok(()),
        Ok(o) => Err(format!("the closing PUT answered {}", o.response.status)),
        Err(e) => Err(format!("the closing PUT failed: {e}")),
    }
}
