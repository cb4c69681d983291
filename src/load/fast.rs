//! The load engine's fast path for body-less reads (GET, HEAD) on plain-http targets: hyper's
//! pooled HTTP/1.1 client used directly, without reqwest's layers (its redirect layer parses
//! every URL again, even with redirects off). Same headers, credentials and deadline as the
//! reqwest path; https targets and requests with bodies keep using reqwest.

use super::metrics::{ErrorKind, Failure};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use reqwest::Method;
use reqwest::header::HeaderMap;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// A pooled plain-http client.
pub type FastClient = Client<HttpConnector, Empty<Bytes>>;

/// Builds the pool (connect timeout as the run's limits say).
pub fn build(connect_timeout: Duration) -> FastClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(connect_timeout));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// A response of either path, its body still unread.
pub enum Response {
    /// From reqwest.
    Reqwest(reqwest::Response),
    /// From the fast path, with the URL it answered and the request's deadline.
    Hyper {
        /// The response.
        response: hyper::Response<Incoming>,
        /// URL asked for.
        url: Url,
        /// The whole-request deadline (body included).
        deadline: Instant,
    },
}

/// Why reading a body stopped early.
pub struct ChunkError {
    /// The deadline passed.
    pub timeout: bool,
    /// What happened.
    pub detail: String,
}

impl Response {
    /// Status code.
    pub fn status(&self) -> u16 {
        match self {
            Response::Reqwest(r) => r.status().as_u16(),
            Response::Hyper { response, .. } => response.status().as_u16(),
        }
    }

    /// Headers.
    pub fn headers(&self) -> &HeaderMap {
        match self {
            Response::Reqwest(r) => r.headers(),
            Response::Hyper { response, .. } => response.headers(),
        }
    }

    /// The URL that answered.
    pub fn url(&self) -> &Url {
        match self {
            Response::Reqwest(r) => r.url(),
            Response::Hyper { url, .. } => url,
        }
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, ChunkError> {
        match self {
            Response::Reqwest(r) => r.chunk().await.map_err(|e| ChunkError {
                timeout: e.is_timeout(),
                detail: super::http::root_cause(&e),
            }),
            Response::Hyper {
                response, deadline, ..
            } => loop {
                let frame =
                    match tokio::time::timeout_at(*deadline, response.body_mut().frame()).await {
                        Err(_) => {
                            return Err(ChunkError {
                                timeout: true,
                                detail: "operation timed out".into(),
                            });
                        }
                        Ok(None) => return Ok(None),
                        Ok(Some(Err(e))) => {
                            return Err(ChunkError {
                                timeout: false,
                                detail: crate::client::root_cause(&e),
                            });
                        }
                        Ok(Some(Ok(f))) => f,
                    };
                if let Ok(data) = frame.into_data()
                    && !data.is_empty()
                {
                    return Ok(Some(data));
                }
            },
        }
    }
}

/// Sends a body-less request through the fast path.
pub async fn send(
    client: &FastClient,
    method: &Method,
    url: &Url,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<Response, Failure> {
    let deadline = Instant::now() + timeout;
    let mut builder = hyper::Request::builder()
        .method(method.clone())
        .uri(url.as_str());
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder.body(Empty::new()).map_err(|e| {
        Failure::new(
            ErrorKind::Connection,
            format!(
                "{method} {}: cannot build the request: {e}",
                super::http::shown(url)
            ),
        )
    })?;
    match tokio::time::timeout_at(deadline, client.request(request)).await {
        Err(_) => Err(Failure::new(
            ErrorKind::Timeout,
            format!(
                "{method} {}: no response within {}s",
                super::http::shown(url),
                timeout.as_secs()
            ),
        )),
        Ok(Err(e)) => Err(Failure::new(
            ErrorKind::Connection,
            format!(
                "{method} {}: {}",
                super::http::shown(url),
                crate::client::root_cause(&e)
            ),
        )),
        Ok(Ok(response)) => Ok(Response::Hyper {
            response,
            url: url.clone(),
            deadline,
        }),
    }
}
