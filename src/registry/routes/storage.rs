//! The second loopback listener of `--redirect-blobs` mode, imitating Azure Storage: serves
//! `GET`/`HEAD /blobs/<digest>?se=<unix expiry>&sig=<hmac>` (200/206/416 with `Accept-Ranges`,
//! no Docker-* headers, no registry auth) only for a valid, unexpired signature; else 403.

use super::super::auth::unix_now;
use super::App;
use super::blobs::serve_blob;
use super::{body_response, parse_query};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, Response, StatusCode, header};
use std::sync::Arc;

fn storage_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    body_response(status, "application/xml", body)
}

/// Fallback handler of the storage listener.
pub(crate) async fn handle(State(app): State<Arc<App>>, req: Request) -> Response<Body> {
    let head = req.method() == Method::HEAD;
    if !head && req.method() != Method::GET {
        return storage_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnsupportedHttpVerb",
            "only GET and HEAD are supported",
        );
    }
    let Some(digest) = req.uri().path().strip_prefix("/blobs/").map(str::to_owned) else {
        return storage_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "no such resource",
        );
    };
    let query = parse_query(req.uri().query());
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.as_str());
    let (Some(se), Some(sig)) = (get("se"), get("sig")) else {
        return storage_error(
            StatusCode::FORBIDDEN,
            "AuthenticationFailed",
            "signature missing",
        );
    };
    let signed = app
        .signer
        .verify_hex(format!("{digest}\n{se}").as_bytes(), sig);
    let unexpired = se.parse::<i64>().is_ok_and(|t| t > unix_now());
    if !signed || !unexpired {
        return storage_error(
            StatusCode::FORBIDDEN,
            "AuthenticationFailed",
            "signature invalid or expired",
        );
    }
    let Some(data) = app.store.content(&digest) else {
        return storage_error(
            StatusCode::NOT_FOUND,
            "BlobNotFound",
            "the blob does not exist",
        );
    };
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match serve_blob(&app, &data, range.as_deref(), head, None).await {
        Ok(r) => r,
        Err(_) => storage_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "read failed",
        ),
    }
}
