//! The only module that speaks HTTP to the target. Sends one request (streamed body), streams
//! the response through sha256 (keeping small bodies), answers authentication challenges
//! (`auth`), waits out throttling (`throttle`), and enforces the transport rules
//! (`transport`). Credentials are only ever sent to the target's own origin. Two paths share
//! the pool, the credentials and the transport rules: the full one (`execute`: transcripts and
//! observed exchanges, for conformance) and the lean one (`lean`, with its `wire` lane, for
//! load). Redirects are followed by the callers, hop by hop, through the one `redirect` policy.

pub mod auth;
pub mod credentials;
pub mod error;
pub mod fields;
pub mod lean;
pub mod limits;
pub mod origin;
#[cfg(test)]
mod proptests;
pub mod redirect;
pub mod request;
pub mod secret;
pub mod simple;
pub mod throttle;
pub mod transport;
pub mod verbose;
pub mod wire;

pub use auth::AuthStats;
pub use auth::basic::basic_authorization;
pub use auth::challenge;
pub use credentials::RunCredentials;
pub use error::ClientError;
pub use lean::{LeanError, LeanErrorKind, LeanResponse};
pub use limits::Limits;
pub use origin::{host_port, is_loopback, origin, same_origin, strip_query};
pub use request::{Credentials, Observed, OutgoingBody, OutgoingRequest};
pub use secret::Secret;
pub use throttle::{MAX_THROTTLE_RETRIES, MAX_THROTTLE_WAIT};
pub use transport::TransportOptions;

use crate::exchange::{ObservedRequest, ObservedResponse};
use auth::Authenticator;
use std::time::Duration;
use url::Url;

/// How the client configures itself.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL of the target.
    pub target: Url,
    /// Timeout for one whole request (connect + headers + body).
    pub timeout: Duration,
    /// Credentials.
    pub credentials: RunCredentials,
    /// TLS verification choices.
    pub transport: TransportOptions,
    /// What the target may send (sizes, times, depth, redirects).
    pub limits: Limits,
}

/// HTTP client for one run.
pub struct Client {
    http: reqwest::Client,
    options: ClientOptions,
    auth: Authenticator,
    /// The lean path's wire lane (plain http), built on first use.
    wire: std::sync::OnceLock<std::sync::Arc<wire::WirePool>>,
}

impl Client {
    /// Builds the client (no redirects followed, no proxy from the environment). Refuses a
    /// plain-http target off loopback unless `--insecure`.
    pub fn new(options: ClientOptions) -> Result<Self, ClientError> {
        transport::check_target(&options.target, &options.transport)?;
        let http = transport::build(&options.transport, options.timeout, &options.limits)?;
        let auth = Authenticator::new(
            options.target.clone(),
            options.credentials.clone(),
            http.clone(),
            options.timeout,
        );
        Ok(Client {
            http,
            options,
            auth,
            wire: std::sync::OnceLock::new(),
        })
    }

    /// The client options.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// When a request started now must be complete, body included.
    fn deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::now() + self.options.timeout
    }

    /// Token counters so far (for the load report).
    pub fn auth_stats(&self) -> AuthStats {
        self.auth.stats()
    }

    /// Sends `req`, answering one authentication challenge when `creds` is `Auto` and the URL is
    /// on the target's origin, and waiting out throttling (429, or 503 with `Retry-After`) at
    /// most `MAX_THROTTLE_RETRIES` times, each wait capped at `MAX_THROTTLE_WAIT`.
    pub async fn execute(
        &self,
        req: &OutgoingRequest,
        creds: Credentials,
    ) -> Result<Observed, ClientError> {
        transport::check_request(&self.options.target, &req.url, &self.options.transport)?;
        let mut earlier = Vec::new();
        let mut throttled = 0;
        loop {
            let mut o = self.execute_authenticated(req, creds).await?;
            earlier.append(&mut o.retried);
            match throttle::throttle_wait(&o.response) {
                Some(wait) if throttled < MAX_THROTTLE_RETRIES => {
                    throttled += 1;
                    tokio::time::sleep(wait).await;
                    earlier.push(o);
                }
                _ => {
                    o.retried = earlier;
                    return Ok(o);
                }
            }
        }
    }

    async fn execute_authenticated(
        &self,
        req: &OutgoingRequest,
        creds: Credentials,
    ) -> Result<Observed, ClientError> {
        let may_auth = creds == Credentials::Auto && same_origin(&req.url, &self.options.target);
        let sent = if may_auth {
            self.auth.authorization_for(req).await
        } else {
            None
        };
        let first = self.send_once(req, sent.as_deref()).await?;
        if !may_auth || first.response.status != 401 {
            return Ok(first);
        }
        let challenges: Vec<challenge::Challenge> = first
            .response
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
            .flat_map(|(_, v)| challenge::parse_all(v))
            .collect();
        let Some(auth) = self
            .auth
            .answer(req, challenge::pick(challenges), sent.as_deref())
            .await?
        else {
            return Ok(first);
        };
        if sent.as_deref() == Some(auth.as_str()) {
            // Nothing new to offer (the same Basic credentials were refused).
            return Ok(first);
        }
        let mut second = self.send_once(req, Some(&auth)).await?;
        second.retried = vec![first];
        Ok(second)
    }

    async fn send_once(
        &self,
        req: &OutgoingRequest,
        authorization: Option<&str>,
    ) -> Result<Observed, ClientError> {
        let mut rb = self.http.request(req.method.clone(), req.url.clone());
        let mut sent_headers = Vec::with_capacity(req.headers.len() + 2);
        let mut has_content_length = false;
        for (k, v) in &req.headers {
            rb = rb.header(k.as_str(), v.as_str());
            has_content_length |= k.eq_ignore_ascii_case("content-length");
            let shown = if secret::is_sensitive_header(k) {
                secret::redact_auth_header(v)
            } else {
                v.clone()
            };
            sent_headers.push((k.clone(), shown));
        }
        if !req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("accept-encoding"))
        {
            // Never a compressed body the harness did not ask for (no decompression bombs).
            rb = rb.header("accept-encoding", "identity");
            sent_headers.push(("Accept-Encoding".into(), "identity".into()));
        }
        if let Some(a) = authorization {
            rb = rb.header("authorization", a);
            sent_headers.push(("Authorization".into(), secret::redact_auth_header(a)));
        }
        let body_len = req.body.len();
        if let Some(body) = req.body.to_reqwest() {
            if !has_content_length {
                rb = rb.header("content-length", body_len.to_string());
                sent_headers.push(("Content-Length".into(), body_len.to_string()));
            }
            rb = rb.body(body);
        }
        let observed_request = ObservedRequest {
            method: req.method.to_string(),
            url: req.url.to_string(),
            headers: sent_headers,
            body_len,
            body: req.body.small_bytes(),
        };
        let deadline = self.deadline();
        let label = request_label(req.method.as_str(), &req.url, &self.options.target);
        let limit = |breach| ClientError::Limit {
            request: label.clone(),
            breach,
        };
        let headers_by = self.headers_deadline(body_len);
        let resp = match tokio::time::timeout_at(headers_by, rb.send()).await {
            Ok(Err(e)) if e.is_timeout() => return Err(self.head_timeout(&label, u64::MAX)),
            Ok(r) => r.map_err(|e| map_err_for(&label, &req.url, e, self.options.timeout))?,
            Err(_) => return Err(self.head_timeout(&label, body_len)),
        };
        let (class, budget) = self.admit(req.method.as_str(), &req.url, &req.headers, &resp)?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let keep = crate::exchange::observed::KEEP_BODY_LIMIT;
        let body = match limits::read_body(resp, budget, keep, deadline).await {
            Ok(b) => b,
            Err(limits::ReadStop::Breach(b)) => return Err(limit(b)),
            Err(limits::ReadStop::Deadline { received }) => {
                return Err(limit(limits::Breach {
                    kind: limits::LimitKind::RequestDeadline,
                    detail: format!(
                        "body not complete within {}s, the request deadline ({received} bytes arrived; raise --timeout for slow targets)",
                        self.options.timeout.as_secs()
                    ),
                }));
            }
        };
        if class != limits::BodyClass::Blob
            && let Some(bytes) = &body.bytes
        {
            limits::check_json_depth(&self.options.limits, bytes).map_err(limit)?;
        }
        Ok(Observed {
            request: observed_request,
            response: ObservedResponse {
                status,
                headers,
                body,
            },
            authenticated: authorization.is_some(),
            retried: Vec::new(),
        })
    }
}

/// `GET /v2/x/manifests/latest` on the target; `GET http://other/path` on other hosts. The
/// query is left out (it may carry signatures).
pub fn request_label(method: &str, url: &Url, target: &Url) -> String {
    if same_origin(url, target) {
        format!("{method} {}", url.path())
    } else {
        format!("{method} {}", strip_query(url))
    }
}

/// Like [`map_err`], but a response head over hyper's own buffer is a head-size breach.
fn map_err_for(label: &str, url: &Url, e: reqwest::Error, timeout: Duration) -> ClientError {
    if root_cause(&e).contains("message head is too large") {
        return ClientError::Limit {
            request: label.to_string(),
            breach: limits::Breach {
                kind: limits::LimitKind::HeadSize,
                detail: "response head exceeds the HTTP parser's buffer (about 400 KiB, or more than 100 headers)".into(),
            },
        };
    }
    map_err(url, e, timeout)
}

pub(crate) fn map_err(url: &Url, e: reqwest::Error, timeout: Duration) -> ClientError {
    let shown = strip_query(url);
    if e.is_connect()
        && let Some(tls) = tls_error(&shown, &root_cause(&e))
    {
        return tls;
    }
    if e.is_timeout() {
        ClientError::Timeout {
            url: shown,
            secs: timeout.as_secs(),
        }
    } else if e.is_connect() {
        ClientError::Connect {
            url: shown,
            detail: root_cause(&e),
        }
    } else if e.is_builder() {
        ClientError::Build(root_cause(&e))
    } else {
        let mut detail = root_cause(&e);
        if url.scheme() == "http" && detail.contains("invalid HTTP version") {
            detail.push_str("; the server may speak TLS: try https://");
        }
        ClientError::Http { url: shown, detail }
    }
}

/// A TLS failure explained, when the error chain is one.
fn tls_error(url: &str, detail: &str) -> Option<ClientError> {
    transport::tls_hint(detail).map(|hint| ClientError::Tls {
        url: url.to_string(),
        hint: hint.to_string(),
        detail: detail.to_string(),
    })
}

pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        msg = format!("{msg}: {s}");
        cur = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_errors_are_explained() {
        let e = tls_error("https://h/", "invalid peer certificate: UnknownIssuer").expect("tls");
        assert!(e.to_string().contains("--ca-cert"), "{e}");
        assert!(tls_error("https://h/", "tcp connect error: refused").is_none());
    }
}
