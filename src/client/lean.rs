//! The client's lean path for the load engine: one request through the shared connection pool
//! (or, for body-less reads on plain http, the `wire` lane), its body streamed chunk by chunk,
//! and the authentication answers — without transcripts, checks or body capture. The transport
//! rules are the full path's (no https→http downgrade), requests carry credentials only to the
//! target's origin, and the token cache is the one `execute` uses (one fetch for concurrent
//! requests, refreshed before expiry and after a 401). Redirects are the caller's, hop by hop,
//! through `redirect`.

use super::fields::{Fields, HeaderView};
use super::wire::{self, WireBody, WirePool};
use super::{Client, ClientError, OutgoingBody, OutgoingRequest, challenge};
use bytes::Bytes;
use reqwest::Method;
use tokio::time::Instant;
use url::Url;

/// Sent by both lanes.
const USER_AGENT: &str = concat!("regcheck/", env!("CARGO_PKG_VERSION"));

/// Why a lean request or its body produced nothing usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeanError {
    /// What kind of failure.
    pub kind: LeanErrorKind,
    /// What happened (no URL: the caller names the request).
    pub detail: String,
}

/// Kinds of [`LeanError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeanErrorKind {
    /// No connection, a refused request or an unusable response head.
    Connection,
    /// The deadline passed.
    Timeout,
    /// The body broke off.
    Body,
}

impl LeanError {
    pub(super) fn connection(detail: impl Into<String>) -> Self {
        LeanError {
            kind: LeanErrorKind::Connection,
            detail: detail.into(),
        }
    }

    pub(super) fn timeout(detail: impl Into<String>) -> Self {
        LeanError {
            kind: LeanErrorKind::Timeout,
            detail: detail.into(),
        }
    }

    pub(super) fn body(detail: impl Into<String>) -> Self {
        LeanError {
            kind: LeanErrorKind::Body,
            detail: detail.into(),
        }
    }
}

/// A response of either lane, its body still unread.
pub struct LeanResponse {
    lane: Lane,
    url: Url,
}

enum Lane {
    Reqwest {
        response: reqwest::Response,
        /// The piece [`LeanResponse::chunk`] lent out last.
        current: Bytes,
    },
    Wire {
        status: u16,
        headers: Fields,
        body: WireBody,
    },
}

impl LeanResponse {
    /// Status code.
    pub fn status(&self) -> u16 {
        match &self.lane {
            Lane::Reqwest { response, .. } => response.status().as_u16(),
            Lane::Wire { status, .. } => *status,
        }
    }

    /// Headers.
    pub fn headers(&self) -> HeaderView<'_> {
        match &self.lane {
            Lane::Reqwest { response, .. } => HeaderView::Map(response.headers()),
            Lane::Wire { headers, .. } => HeaderView::Fields(headers),
        }
    }

    /// The URL asked for.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The next piece of the body (lent until the next call); `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<&[u8]>, LeanError> {
        match &mut self.lane {
            Lane::Reqwest { response, current } => {
                let next = response.chunk().await.map_err(|e| LeanError {
                    kind: if e.is_timeout() {
                        LeanErrorKind::Timeout
                    } else {
                        LeanErrorKind::Body
                    },
                    detail: reqwest_cause(&e),
                })?;
                Ok(next.map(|b| {
                    *current = b;
                    &current[..]
                }))
            }
            Lane::Wire { body, .. } => body.chunk().await,
        }
    }
}

impl Client {
    /// The wire lane's pool, built on first use (plain-http targets only).
    fn wire_lane(&self) -> Option<&std::sync::Arc<WirePool>> {
        if self.options.target.scheme() != "http" {
            return None;
        }
        Some(self.wire.get_or_init(|| {
            let limits = &self.options.limits;
            WirePool::new(
                limits.connect_timeout.min(self.options.timeout),
                limits.max_head_bytes,
            )
        }))
    }

    /// Sends one request on the lean path: `headers` as given, `auth` as the `Authorization`
    /// (the caller decided it may go to this URL), `body` streamed. Body-less GET and HEAD on
    /// plain http take the wire lane (with `User-Agent` and `Accept-Encoding: identity`, as
    /// the pool's defaults are on the other lane).
    pub async fn send_lean(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&str, String)],
        auth: Option<&str>,
        body: Option<reqwest::Body>,
    ) -> Result<LeanResponse, LeanError> {
        super::transport::check_request(&self.options.target, url, &self.options.transport)
            .map_err(|e| LeanError::connection(e.to_string()))?;
        let lane = match (self.wire_lane(), body) {
            (Some(pool), None)
                if url.scheme() == "http"
                    && (*method == Method::GET || *method == Method::HEAD) =>
            {
                let mut all: Vec<(&str, &str)> = Vec::with_capacity(headers.len() + 3);
                all.push(("user-agent", USER_AGENT));
                all.push(("accept-encoding", "identity"));
                all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
                if let Some(a) = auth {
                    all.push(("authorization", a));
                }
                let deadline = Instant::now() + self.options.timeout;
                let response =
                    wire::send(pool, method, url, &all, deadline, self.options.timeout).await?;
                Lane::Wire {
                    status: response.status,
                    headers: response.headers,
                    body: response.body,
                }
            }
            (_, body) => {
                let mut rb = self.http.request(method.clone(), url.clone());
                for (k, v) in headers {
                    rb = rb.header(*k, v.as_str());
                }
                if let Some(a) = auth {
                    rb = rb.header("authorization", a);
                }
                if let Some(b) = body {
                    rb = rb.body(b);
                }
                let response = rb.send().await.map_err(|e| LeanError {
                    kind: if e.is_timeout() {
                        LeanErrorKind::Timeout
                    } else {
                        LeanErrorKind::Connection
                    },
                    detail: reqwest_cause(&e),
                })?;
                Lane::Reqwest {
                    response,
                    current: Bytes::new(),
                }
            }
        };
        Ok(LeanResponse {
            lane,
            url: url.clone(),
        })
    }

    /// The cached `Authorization` value for `method url`, if any (never for another origin).
    pub fn cached_authorization(&self, method: &Method, url: &Url) -> Option<String> {
        if !super::same_origin(url, &self.options.target) {
            return None;
        }
        self.auth.peek(&bare(method, url))
    }

    /// Answers the challenge of a 401 to `method url` (`www_authenticate` is its header, if it
    /// had one) and caches the result; `None` when there is nothing to offer or the URL is not
    /// on the target's origin. `sent` is the `Authorization` the refused request carried: a
    /// cached value equal to it is fetched anew (once, however many callers were refused
    /// together), while one fetched by a concurrent caller in the meantime is reused.
    pub async fn authorize(
        &self,
        method: &Method,
        url: &Url,
        www_authenticate: Option<&str>,
        sent: Option<&str>,
    ) -> Result<Option<String>, ClientError> {
        if !super::same_origin(url, &self.options.target) {
            return Ok(None);
        }
        let req = bare(method, url);
        let challenge = www_authenticate.and_then(challenge::parse);
        self.auth.answer(&req, challenge, sent).await
    }

    /// A fresh answer to the challenge of `method url`, whatever is cached (the token
    /// workload measures token fetches).
    pub async fn authorize_fresh(
        &self,
        method: &Method,
        url: &Url,
        www_authenticate: Option<&str>,
    ) -> Result<Option<String>, ClientError> {
        let cached = self.cached_authorization(method, url);
        self.authorize(method, url, www_authenticate, cached.as_deref())
            .await
    }
}

fn bare(method: &Method, url: &Url) -> OutgoingRequest {
    OutgoingRequest {
        method: method.clone(),
        url: url.clone(),
        headers: Vec::new(),
        body: OutgoingBody::Empty,
    }
}

/// The causes of a reqwest error, without reqwest's own message (it repeats the URL, query
/// string and all).
fn reqwest_cause(e: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut cur = std::error::Error::source(e);
    while let Some(s) = cur {
        causes.push(s.to_string());
        cur = s.source();
    }
    if causes.is_empty() {
        if e.is_timeout() {
            "timed out".into()
        } else {
            "request failed".into()
        }
    } else {
        causes.join(": ")
    }
}
