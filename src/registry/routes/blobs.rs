//! Blob GET/HEAD (200, 206 ranges, 416, or 307 to the storage listener) and DELETE, plus the
//! byte-serving routine shared with the storage listener.

use super::super::digest::{DigestKind, fake_digest, parse_digest};
use super::super::errors::ApiError;
use super::super::faults::Fault;
use super::super::range::{RangeOutcome, interpret};
use super::super::store::BlobData;
use super::{App, Ctx, empty_response, ensure_repo_deletable};
use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use bytes::Bytes;

/// Lifetime of redirect URLs (ACR's SAS URLs: 20 minutes).
pub(crate) const REDIRECT_TTL_SECS: i64 = 20 * 60;

/// Parses a path digest: malformed → 400 DIGEST_INVALID, algorithms other than sha256 and
/// sha512 → 404 BLOB_UNKNOWN.
fn blob_digest(raw: &str) -> Result<String, ApiError> {
    match parse_digest(raw) {
        Some(DigestKind::Sha256(d)) => Ok(d),
        Some(DigestKind::Other(d)) if d.starts_with("sha512:") => Ok(d),
        Some(DigestKind::Other(d)) => Err(ApiError::blob_unknown(&d)),
        None => Err(ApiError::digest_invalid(format!(
            "`{raw}` is not a valid digest"
        ))),
    }
}

/// `GET`/`HEAD /v2/<name>/blobs/<digest>`.
pub(crate) async fn get(ctx: &Ctx, name: &str, raw: &str) -> Result<Response<Body>, ApiError> {
    let digest = blob_digest(raw)?;
    let state = ctx.app.store.read(|m| {
        m.repos
            .get(name)
            .map(|r| (r.blobs.contains(&digest), r.attrs.read_enabled))
    });
    match state {
        Some((true, true)) => {}
        Some((true, false)) => return Err(ApiError::denied()),
        _ => return Err(ApiError::blob_unknown(&digest)),
    }
    let data = ctx
        .app
        .store
        .content(&digest)
        .ok_or_else(|| ApiError::blob_unknown(&digest))?;
    let dcd = if ctx.app.has(Fault::WrongDigestHeader) {
        fake_digest(&digest)
    } else {
        digest.clone()
    };
    if let Some(storage) = &ctx.app.storage_url {
        let se = super::super::auth::unix_now() + REDIRECT_TTL_SECS;
        let sig = ctx.app.signer.mac_hex(format!("{digest}\n{se}").as_bytes());
        return Ok(empty_response(
            StatusCode::TEMPORARY_REDIRECT,
            &[
                (
                    "location",
                    format!("{storage}/blobs/{digest}?se={se}&sig={sig}"),
                ),
                ("docker-content-digest", dcd),
            ],
        ));
    }
    let ranges = !ctx.app.minimal() || super::super::surface::ranges_offered(&ctx.app.faults);
    let range = ctx
        .header(header::RANGE)
        .filter(|_| ranges)
        .map(str::to_owned);
    let head = ctx.method == axum::http::Method::HEAD;
    serve_blob(
        &ctx.app,
        &data,
        range.as_deref(),
        head,
        Some((&dcd, &digest)),
    )
    .await
}

/// Serves blob bytes with range support. `docker` = (Docker-Content-Digest value, ETag digest)
/// for the registry; `None` for the storage listener (no Docker-* headers).
pub(crate) async fn serve_blob(
    app: &App,
    data: &BlobData,
    range: Option<&str>,
    head: bool,
    docker: Option<(&str, &str)>,
) -> Result<Response<Body>, ApiError> {
    let total = data.len();
    let outcome = if app.has(Fault::RangeIgnored) {
        RangeOutcome::Full
    } else {
        interpret(range, total)
    };
    let mut builder = Response::builder()
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, "application/octet-stream");
    if let Some((dcd, etag)) = docker {
        builder = builder
            .header("docker-content-digest", dcd)
            .header(header::ETAG, format!("\"{etag}\""));
    }
    let (status, start, len) = match outcome {
        RangeOutcome::Unsatisfiable => {
            return builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{total}"))
                .header(header::CONTENT_LENGTH, "0")
                .body(Body::empty())
                .map_err(|e| ApiError::internal(e.to_string()));
        }
        RangeOutcome::Full => (StatusCode::OK, 0, total),
        RangeOutcome::Partial { start, end } => {
            let shift = u64::from(app.has(Fault::WrongContentRange));
            builder = builder.header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{total}", start + shift, end + shift),
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
    };
    builder = builder.status(status).header(header::CONTENT_LENGTH, len);
    let body = if head {
        Body::empty()
    } else if app.has(Fault::CorruptBlobBody) && len > 0 {
        let all = data
            .read_all(u64::MAX)
            .await
            .map_err(|e| ApiError::internal(format!("cannot read blob: {e}")))?;
        let s = usize::try_from(start).unwrap_or(0);
        let e = usize::try_from(start + len)
            .unwrap_or(all.len())
            .min(all.len());
        let mut served = all.slice(s..e).to_vec();
        if let Some(b) = served.first_mut() {
            *b ^= 0xff;
        }
        Body::from(Bytes::from(served))
    } else {
        data.body(start, len)
            .await
            .map_err(|e| ApiError::internal(format!("cannot read blob: {e}")))?
    };
    builder
        .body(body)
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `DELETE /v2/<name>/blobs/<digest>` → 202 (the repository link is removed).
pub(crate) async fn delete(ctx: &Ctx, name: &str, raw: &str) -> Result<Response<Body>, ApiError> {
    let digest = match parse_digest(raw) {
        Some(DigestKind::Sha256(d)) | Some(DigestKind::Other(d)) => d,
        None => {
            return Err(ApiError::digest_invalid(format!(
                "`{raw}` is not a valid digest"
            )));
        }
    };
    let linked = ctx
        .app
        .store
        .read(|m| m.repos.get(name).is_some_and(|r| r.blobs.contains(&digest)));
    if !linked {
        return Err(ApiError::blob_unknown(&digest));
    }
    ensure_repo_deletable(ctx, name)?;
    if ctx.app.has(Fault::BlobDeleteIgnored) {
        return Ok(empty_response(
            StatusCode::ACCEPTED,
            &[("docker-content-digest", digest.clone())],
        ));
    }
    ctx.app
        .store
        .mutate(|m| {
            let now = m.tick();
            let repo = m
                .repos
                .get_mut(name)
                .ok_or_else(|| ApiError::blob_unknown(&digest))?;
            if !repo.blobs.remove(&digest) {
                return Err(ApiError::blob_unknown(&digest));
            }
            repo.updated = now;
            Ok(())
        })
        .await?;
    // ACR documents Docker-Content-Digest on the 202 (real ACR omits it; the reference follows
    // the document).
    Ok(empty_response(
        StatusCode::ACCEPTED,
        &[("docker-content-digest", digest.clone())],
    ))
}
