//! The load engine's request path: one HTTP request with the run's credentials (from the
//! client's shared token cache, answering a 401 once), redirects of reads followed without
//! credentials to other hosts, and bodies streamed — hashed or compared, never kept. Failures
//! come back as `Failure`s of a kind, never as panics or retries.

use super::fast::{self, FastClient, Response};
use super::metrics::{ErrorKind, Failure};
pub use super::verify::{BodyCheck, Verify};

/// Sent by both request paths.
const USER_AGENT: &str = concat!("regcheck/", env!("CARGO_PKG_VERSION"));
use crate::client::verbose::{self, Sampler, WireExchange};
use crate::client::{Client, secret};
use reqwest::Method;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use url::Url;

/// Shared request sender.
pub struct Http {
    client: Arc<Client>,
    /// 401s answered with fresh credentials (token fetches or Basic).
    pub challenges_answered: AtomicU64,
    /// Whether the target ever asked for credentials: until it does, no request looks up the
    /// token cache (the fast path of unauthenticated targets).
    auth_seen: AtomicBool,
    /// The fast path for body-less reads, on plain-http targets.
    fast: Option<FastClient>,
    /// `load -v`: which exchanges are written to stderr.
    sample: Option<Sampler>,
}

/// A response head, its body still unread.
pub struct Head {
    /// Status code.
    pub status: u16,
    /// When the head arrived.
    pub at: Instant,
    /// The `Authorization` the request carried.
    sent_auth: Option<String>,
    response: Response,
}

impl Head {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
    }
}

impl Http {
    /// Wraps the run's client; `verbose` writes a sample of the exchanges to stderr.
    pub fn new(client: Arc<Client>, verbose: bool) -> Self {
        let options = client.options();
        let fast = (options.target.scheme() == "http")
            .then(|| fast::build(options.limits.connect_timeout.min(options.timeout)));
        Http {
            sample: verbose.then(Sampler::default),
            fast,
            client,
            challenges_answered: AtomicU64::new(0),
            auth_seen: AtomicBool::new(false),
        }
    }

    /// The run's client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a request. `body` makes a fresh body for each attempt (a 401 is answered once).
    /// GET and HEAD follow redirects; credentials go only to the target's origin.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, String)],
        body: &(dyn Fn() -> Option<reqwest::Body> + Send + Sync),
    ) -> Result<Head, Failure> {
        let mut url = url;
        let follow = method == Method::GET || method == Method::HEAD;
        let max_redirects = self.client.options().limits.max_redirects;
        for _hop in 0..=max_redirects {
            let mut head = self.attempt(&method, &url, headers, body, None).await?;
            if head.status == 401 {
                let challenge = head.header("www-authenticate").map(str::to_string);
                let answer = self
                    .client
                    .authorize(
                        &method,
                        &url,
                        challenge.as_deref(),
                        head.sent_auth.as_deref(),
                    )
                    .await
                    .map_err(|e| Failure::new(ErrorKind::Auth, e.to_string()))?;
                let Some(auth) = answer else {
                    return Ok(head);
                };
                self.challenges_answered.fetch_add(1, Ordering::Relaxed);
                self.auth_seen.store(true, Ordering::Relaxed);
                head = self
                    .attempt(&method, &url, headers, body, Some(auth))
                    .await?;
                if head.status == 401 {
                    return Err(Failure::new(
                        ErrorKind::Auth,
                        format!("{method} {}: 401 with fresh credentials", shown(&url)),
                    ));
                }
            }
            if follow && matches!(head.status, 301 | 302 | 303 | 307 | 308) {
                let next = head
                    .header("location")
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| {
                        Failure::contract(
                            "GetBlob.redirect-location",
                            format!(
                                "{method} {}: redirect without a usable Location",
                                shown(&url)
                            ),
                        )
                    })?;
                url = next;
                continue;
            }
            return Ok(head);
        }
        Err(Failure::contract(
            "limits.redirects",
            format!(
                "{method} {}: more than {max_redirects} redirects (--max-redirects)",
                shown(&url)
            ),
        ))
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&str, String)],
        body: &(dyn Fn() -> Option<reqwest::Body> + Send + Sync),
        auth: Option<String>,
    ) -> Result<Head, Failure> {
        let auth = auth.or_else(|| {
            self.auth_seen
                .load(Ordering::Relaxed)
                .then(|| self.client.cached_authorization(method, url))
                .flatten()
        });
        let body = body();
        let response = match (&self.fast, &body) {
            (Some(fast), None)
                if url.scheme() == "http"
                    && (*method == Method::GET || *method == Method::HEAD) =>
            {
                let mut all: Vec<(&str, &str)> = Vec::with_capacity(headers.len() + 3);
                all.push(("user-agent", USER_AGENT));
                all.push(("accept-encoding", "identity"));
                all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
                if let Some(a) = &auth {
                    all.push(("authorization", a.as_str()));
                }
                fast::send(fast, method, url, &all, self.client.options().timeout).await?
            }
            _ => {
                let mut rb = self.client.http().request(method.clone(), url.clone());
                for (k, v) in headers {
                    rb = rb.header(*k, v.as_str());
                }
                if let Some(a) = &auth {
                    rb = rb.header("authorization", a.as_str());
                }
                if let Some(b) = body {
                    rb = rb.body(b);
                }
                Response::Reqwest(rb.send().await.map_err(|e| transport(method, url, &e))?)
            }
        };
        if self.sample.as_ref().is_some_and(Sampler::take) {
            self.show(method, url, headers, auth.as_deref(), &response);
        }
        Ok(Head {
            status: response.status(),
            at: Instant::now(),
            sent_auth: auth,
            response,
        })
    }

    /// `load -v`: one exchange on stderr, redacted like the reports (the body is streamed and
    /// verified, never kept, so it is not shown).
    fn show(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&str, String)],
        auth: Option<&str>,
        response: &Response,
    ) {
        let secrets = self.client.options().credentials.secrets();
        let red = |s: &str| secret::redact_url_params(&secret::redact(s, &secrets));
        let mut request_headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), red(v)))
            .collect();
        if let Some(a) = auth {
            request_headers.push(("authorization".into(), secret::redact_auth_header(a)));
        }
        let response_headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes());
                let v = if secret::is_sensitive_header(k.as_str()) {
                    secret::redact_auth_header(&v)
                } else {
                    red(&v)
                };
                // Control characters escaped: a hostile target must not drive the terminal.
                let shown: String = v
                    .chars()
                    .map(|c| {
                        if c.is_control() {
                            c.escape_default().to_string()
                        } else {
                            c.to_string()
                        }
                    })
                    .collect();
                (k.to_string(), shown)
            })
            .collect();
        verbose::emit(&verbose::render(&WireExchange {
            title: "load (sampled: the first exchanges, then one a second)",
            request_line: &red(&format!("{method} {url}")),
            request_headers: &request_headers,
            request_body: None,
            status: response.status(),
            response_headers: &response_headers,
            response_body: "",
        }));
    }
}

/// Reads a body to its end, checking it; returns the bytes received. Reading stops as soon as
/// more than `expected_len` bytes arrived.
pub async fn drain(
    head: Head,
    expected_len: Option<u64>,
    verify: Verify<'_>,
) -> Result<u64, Failure> {
    let mut response = head.response;
    let mut check = BodyCheck::new(verify, expected_len);
    loop {
        match response.chunk().await {
            Ok(Some(c)) => check.update(&c).map_err(|f| f.at(&shown(response.url())))?,
            Ok(None) => break,
            Err(e) => {
                let kind = if e.timeout {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Body
                };
                return Err(Failure::new(
                    kind,
                    format!(
                        "GET {}: body broke off after {} bytes: {}",
                        shown(response.url()),
                        check.received(),
                        e.detail
                    ),
                ));
            }
        }
    }
    check.finish().map_err(|f| f.at(&shown(response.url())))
}

/// Discards a body (errors and small answers) without checking it, reading at most 64 KiB.
pub async fn discard(head: Head) {
    let mut response = head.response;
    let mut read = 0usize;
    while read < 64 * 1024 {
        match response.chunk().await {
            Ok(Some(c)) => read += c.len(),
            _ => break,
        }
    }
}

/// A URL for messages: no query string (signed URLs carry secrets there).
pub fn shown(url: &Url) -> String {
    crate::client::strip_query(url)
}

fn transport(method: &Method, url: &Url, e: &reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connection
    };
    Failure::new(kind, format!("{method} {}: {}", shown(url), root_cause(e)))
}

/// The causes of a reqwest error, without reqwest's own message (it repeats the URL, query
/// string and all).
pub(super) fn root_cause(e: &reqwest::Error) -> String {
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
