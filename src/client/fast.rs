//! The lean path's fast lane for body-less reads (GET, HEAD) on plain-http targets: hyper's
//! pooled HTTP/1.1 client used directly, without reqwest's layers (its redirect layer parses
//! every URL again, even with redirects off). `lean` chooses it; same headers, credentials and
//! deadline as the reqwest lane, and https targets and requests with bodies keep using reqwest.

use super::lean::LeanError;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use reqwest::Method;
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

/// Sends a body-less request; the response's body is still unread.
pub async fn send(
    client: &FastClient,
    method: &Method,
    url: &Url,
    headers: &[(&str, &str)],
    deadline: Instant,
    timeout: Duration,
) -> Result<hyper::Response<Incoming>, LeanError> {
    let mut builder = hyper::Request::builder()
        .method(method.clone())
        .uri(url.as_str());
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder
        .body(Empty::new())
        .map_err(|e| LeanError::connection(format!("cannot build the request: {e}")))?;
    match tokio::time::timeout_at(deadline, client.request(request)).await {
        Err(_) => Err(LeanError::timeout(format!(
            "no response within {}s",
            timeout.as_secs()
        ))),
        Ok(Err(e)) => Err(LeanError::connection(super::root_cause(&e))),
        Ok(Ok(response)) => Ok(response),
    }
}

/// The next piece of a fast-lane body before `deadline`; `None` at its end.
pub async fn chunk(
    response: &mut hyper::Response<Incoming>,
    deadline: Instant,
) -> Result<Option<Bytes>, LeanError> {
    loop {
        let frame = match tokio::time::timeout_at(deadline, response.body_mut().frame()).await {
            Err(_) => return Err(LeanError::timeout("operation timed out")),
            Ok(None) => return Ok(None),
            Ok(Some(Err(e))) => return Err(LeanError::body(super::root_cause(&e))),
            Ok(Some(Ok(f))) => f,
        };
        if let Ok(data) = frame.into_data()
            && !data.is_empty()
        {
            return Ok(Some(data));
        }
    }
}
