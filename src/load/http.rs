//! The load engine's request loop: one request through the client's lean path with the run's
//! credentials (from the client's shared token cache, answering a 401 once), redirects of reads
//! followed through the client's one redirect policy, every response head judged by the
//! request's contract rules (`judge`), and bodies streamed — hashed or compared, never kept.
//! Failures come back as `Failure`s of a kind, never as panics or retries.

use super::judge::{self, Checks, Seen, Warnings};
use super::metrics::{ErrorKind, Failure};
pub use super::verify::{BodyCheck, Verify};
use crate::client::redirect::{RedirectError, Redirects};
use crate::client::verbose::{self, Sampler, WireExchange};
use crate::client::{Client, LeanError, LeanErrorKind, LeanResponse, secret};
use crate::exchange::ObservedBody;
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
    /// SHOULD-level contract rules broken.
    pub warnings: Warnings,
    /// Whether the target ever asked for credentials: until it does, no request looks up the
    /// token cache (the fast path of unauthenticated targets).
    auth_seen: AtomicBool,
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
    /// The method of the request that got it (a 303 makes it a GET).
    method: Method,
    /// The request went to another origin by a redirect.
    via_redirect: bool,
    response: LeanResponse,
}

impl Head {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response.headers().get_str(name)
    }

    /// The URL that answered.
    pub fn url(&self) -> &Url {
        self.response.url()
    }
}

impl Http {
    /// Wraps the run's client; `verbose` writes a sample of the exchanges to stderr.
    pub fn new(client: Arc<Client>, verbose: bool) -> Self {
        Http {
            sample: verbose.then(Sampler::default),
            client,
            challenges_answered: AtomicU64::new(0),
            warnings: Warnings::default(),
            auth_seen: AtomicBool::new(false),
        }
    }

    /// The run's client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a request. `body` makes a fresh body for each attempt (a 401 is answered once).
    /// GET and HEAD follow redirects (credentials go only to the target's origin); each
    /// redirect followed is judged by `checks.head` (a MUST broken is the request's failure),
    /// the final head by the caller ([`Http::judge`]) when it has done what must be done first.
    pub async fn send(
        &self,
        checks: &Checks,
        method: Method,
        url: Url,
        headers: &[(&str, String)],
        body: &(dyn Fn() -> Option<reqwest::Body> + Send + Sync),
    ) -> Result<Head, Failure> {
        let options = self.client.options();
        let mut redirects = Redirects::new(&options.target, options.limits.max_redirects);
        let (mut method, mut url, mut credentials) = (method, url, true);
        // Only GET and HEAD are followed here (a write's redirect is its answer).
        let follow = method == Method::GET || method == Method::HEAD;
        loop {
            let head = self
                .answered(&method, &url, headers, body, credentials)
                .await?;
            if !follow {
                return Ok(head);
            }
            let hop = redirects
                .next(&method, &url, head.status, head.header("location"))
                .map_err(|e| redirect_failure(&method, &url, e))?;
            let Some(hop) = hop else {
                return Ok(head);
            };
            self.judge(checks, &head, headers)?;
            discard(head).await;
            (method, url, credentials) = (hop.method, hop.url, hop.credentials);
        }
    }

    /// Judges a response head by `checks.head` (`headers` as sent): a MUST broken is the
    /// request's failure, a SHOULD broken a warning.
    pub fn judge(
        &self,
        checks: &Checks,
        head: &Head,
        headers: &[(&str, String)],
    ) -> Result<(), Failure> {
        judge::judge_head(checks, &head.seen(headers), &self.warnings)
    }

    /// One request, its 401 answered once with fresh credentials (on the target's origin).
    async fn answered(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&str, String)],
        body: &(dyn Fn() -> Option<reqwest::Body> + Send + Sync),
        credentials: bool,
    ) -> Result<Head, Failure> {
        let via_redirect = !credentials;
        let head = self
            .attempt(method, url, headers, body, None, credentials, via_redirect)
            .await?;
        if head.status != 401 || !credentials {
            return Ok(head);
        }
        let challenge = head.header("www-authenticate").map(str::to_string);
        let answer = self
            .client
            .authorize(method, url, challenge.as_deref(), head.sent_auth.as_deref())
            .await
            .map_err(|e| Failure::new(ErrorKind::Auth, e.to_string()))?;
        let Some(auth) = answer else {
            return Ok(head);
        };
        self.challenges_answered.fetch_add(1, Ordering::Relaxed);
        self.auth_seen.store(true, Ordering::Relaxed);
        let head = self
            .attempt(
                method,
                url,
                headers,
                body,
                Some(auth),
                credentials,
                via_redirect,
            )
            .await?;
        if head.status == 401 {
            return Err(Failure::new(
                ErrorKind::Auth,
                format!("{method} {}: 401 with fresh credentials", shown(url)),
            ));
        }
        Ok(head)
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&str, String)],
        body: &(dyn Fn() -> Option<reqwest::Body> + Send + Sync),
        auth: Option<String>,
        credentials: bool,
        via_redirect: bool,
    ) -> Result<Head, Failure> {
        let auth = auth.or_else(|| {
            (credentials && self.auth_seen.load(Ordering::Relaxed))
                .then(|| self.client.cached_authorization(method, url))
                .flatten()
        });
        let response = self
            .client
            .send_lean(method, url, headers, auth.as_deref(), body())
            .await
            .map_err(|e| lean_failure(method, url, e))?;
        if self.sample.as_ref().is_some_and(Sampler::take) {
            self.show(method, url, headers, auth.as_deref(), &response);
        }
        Ok(Head {
            status: response.status(),
            at: Instant::now(),
            sent_auth: auth,
            method: method.clone(),
            via_redirect,
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
        response: &LeanResponse,
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
                let v = String::from_utf8_lossy(v);
                let v = if secret::is_sensitive_header(k) {
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

impl Head {
    /// What the rules see of this head, asked with `headers`.
    pub fn seen<'a>(&'a self, headers: &'a [(&'a str, String)]) -> Seen<'a> {
        Seen {
            method: &self.method,
            url: self.response.url(),
            sent: headers,
            authenticated: self.sent_auth.is_some(),
            via_redirect: self.via_redirect,
            status: self.status,
            headers: self.response.headers(),
        }
    }
}

/// Reads a body to its end, checking it; returns the bytes received. Reading stops as soon as
/// more than `expected_len` bytes arrived.
pub async fn drain(
    mut head: Head,
    expected_len: Option<u64>,
    verify: Verify<'_>,
) -> Result<u64, Failure> {
    read_body(&mut head.response, expected_len, verify).await
}

async fn read_body(
    response: &mut LeanResponse,
    expected_len: Option<u64>,
    verify: Verify<'_>,
) -> Result<u64, Failure> {
    let mut check = BodyCheck::new(verify, expected_len);
    loop {
        match response.chunk().await {
            Ok(Some(c)) => check.update(c).map_err(|f| f.at(&shown(response.url())))?,
            Ok(None) => break,
            Err(e) => {
                let kind = if e.kind == LeanErrorKind::Timeout {
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

/// Reads a body to its end like [`drain`], then judges the response by `checks.body` with
/// what was read: its length and, when `digest` is given (the body was verified against it),
/// its digest.
pub async fn drain_judged(
    http: &Http,
    checks: &Checks,
    mut head: Head,
    sent: &[(&str, String)],
    expected_len: Option<u64>,
    verify: Verify<'_>,
    digest: Option<&str>,
) -> Result<u64, Failure> {
    let len = read_body(&mut head.response, expected_len, verify).await?;
    if checks.body.is_empty() {
        return Ok(len);
    }
    let body = ObservedBody {
        len,
        digest: digest.unwrap_or_default().to_string(),
        ..ObservedBody::default()
    };
    judge::judge(
        checks.op,
        checks.body,
        &head.seen(sent),
        Some(body),
        &http.warnings,
    )?;
    Ok(len)
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

fn lean_failure(method: &Method, url: &Url, e: LeanError) -> Failure {
    let kind = match e.kind {
        LeanErrorKind::Timeout => ErrorKind::Timeout,
        LeanErrorKind::Connection | LeanErrorKind::Body => ErrorKind::Connection,
    };
    Failure::new(kind, format!("{method} {}: {}", shown(url), e.detail))
}

fn redirect_failure(method: &Method, url: &Url, e: RedirectError) -> Failure {
    match e {
        RedirectError::TooMany { max, .. } => Failure::contract(
            "limits.redirects",
            format!(
                "{method} {}: more than {max} redirects (--max-redirects)",
                shown(url)
            ),
        ),
        RedirectError::ForeignWrite(why) => Failure::new(ErrorKind::Connection, why),
    }
}
