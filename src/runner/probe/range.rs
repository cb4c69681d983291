//! `range`: whether the target serves range reads of a blob — advertised, tried, or served by
//! the storage a blob HEAD redirects to — and whether blob answers advertise them.

use super::capabilities::Evidence;
use super::http::send;
use super::image::ProbeImage;
use crate::client::simple::request as req;
use crate::client::{Client, Credentials, OutgoingBody};
use crate::runner::error::RunnerError;
use reqwest::Method;

/// What the range probe found.
pub(super) struct Ranges {
    /// The `range` capability.
    pub evidence: Evidence,
    /// Blob answers advertise `Accept-Ranges: bytes`.
    pub advertised: bool,
}

/// Range reads: advertised (`Accept-Ranges: bytes` on the blob HEAD), or tried (`Range:
/// bytes=0-0` answered 206 with `Content-Range: bytes 0-0/<size>` and one byte), or served by
/// the storage a blob HEAD redirects to.
pub(super) async fn range(
    client: &Client,
    repo: &str,
    image: &ProbeImage,
) -> Result<Ranges, RunnerError> {
    let path = format!("/v2/{repo}/blobs/{}", image.layer);
    let head = send(client, Method::HEAD, &path).await?.response;
    let advertised = head
        .header("accept-ranges")
        .is_some_and(|v| v.to_ascii_lowercase().contains("bytes"));
    let evidence = if advertised {
        Evidence::new(true, "blob HEAD advertises Accept-Ranges: bytes")
    } else if head.status == 307 {
        Evidence::new(
            true,
            "blob HEAD redirects (307) to storage, which serves ranges",
        )
    } else {
        try_range(client, &path, image.layer_len).await
    };
    Ok(Ranges {
        evidence,
        advertised,
    })
}

/// `GET` with `Range: bytes=0-0` on a blob of `len` bytes: honoured when it answers 206 with
/// `Content-Range: bytes 0-0/<len>` and one byte.
async fn try_range(client: &Client, path: &str, len: usize) -> Evidence {
    let mut get = req(client, Method::GET, path, OutgoingBody::Empty);
    get.headers.push(("Range".into(), "bytes=0-0".into()));
    // Only evidence: a target that breaks on the try is judged by the scenarios, not here.
    let r = match client.execute(&get, Credentials::Auto).await {
        Ok(o) => o.response,
        Err(e) => {
            return Evidence::new(
                false,
                format!("no Accept-Ranges, and GET with Range: bytes=0-0 failed: {e}"),
            );
        }
    };
    let want = format!("bytes 0-0/{len}");
    let honoured =
        r.status == 206 && r.header("content-range") == Some(want.as_str()) && r.body.len == 1;
    Evidence::new(
        honoured,
        if honoured {
            format!("no Accept-Ranges, but GET with Range: bytes=0-0 answered 206 {want}")
        } else {
            format!(
                "no Accept-Ranges, and GET with Range: bytes=0-0 answered {} ({} bytes)",
                r.status, r.body.len
            )
        },
    )
}
