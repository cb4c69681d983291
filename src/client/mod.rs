//! The only module that speaks HTTP to the target. Sends one request (streamed body), streams
//! the response through sha256 (keeping small bodies), and answers authentication challenges
//! with the run's credentials: Basic, or Bearer tokens from the challenge's realm (Docker token
//! protocol with Basic credentials, or ACR's `/oauth2/exchange` with an AAD token).
//! Credentials are only ever sent to the target's own origin; redirects are not followed here
//! (the runner follows them and calls back with `Credentials::Never` on a foreign origin).

pub mod challenge;
pub mod error;
mod lean;
pub mod limits;
#[cfg(test)]
mod proptests;
pub mod secret;

pub use error::ClientError;
pub use limits::Limits;
pub use secret::Secret;

use crate::blob::BlobGen;
use crate::check::{ObservedRequest, ObservedResponse};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// Credentials of a run.
#[derive(Debug, Clone, Default)]
pub struct RunCredentials {
    /// Username for Basic auth / token requests.
    pub username: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// AAD access token for `/oauth2/exchange`.
    pub aad_token: Option<Secret>,
}

/// How the client configures itself.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL of the target.
    pub target: Url,
    /// Timeout for one whole request (connect + headers + body).
    pub timeout: Duration,
    /// Credentials.
    pub credentials: RunCredentials,
    /// What the target may send (sizes, times, depth, redirects).
    pub limits: Limits,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum OutgoingBody {
    /// No body.
    Empty,
    /// In-memory bytes.
    Bytes(Bytes),
    /// Bytes `start..=end` of a generated blob, streamed (`end < start` means empty).
    Blob {
        /// The blob.
        blob: BlobGen,
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
}

impl OutgoingBody {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            OutgoingBody::Empty => 0,
            OutgoingBody::Bytes(b) => b.len() as u64,
            OutgoingBody::Blob { start, end, blob } => {
                // Inclusive range clamped to the blob; empty when it starts past either end.
                let end_excl = end.saturating_add(1).min(blob.size);
                end_excl.saturating_sub(*start)
            }
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn to_reqwest(&self) -> Option<reqwest::Body> {
        match self {
            OutgoingBody::Empty => None,
            OutgoingBody::Bytes(b) => Some(reqwest::Body::from(b.clone())),
            OutgoingBody::Blob { blob, start, end } => {
                let it = blob.range(*start, *end).map(Ok::<Bytes, std::io::Error>);
                Some(reqwest::Body::wrap_stream(futures::stream::iter(it)))
            }
        }
    }

    /// Small bodies (≤ 64 KiB) as bytes, for rules that compare request and response.
    fn small_bytes(&self) -> Option<Bytes> {
        match self {
            OutgoingBody::Bytes(b) if b.len() <= 64 * 1024 => Some(b.clone()),
            _ => None,
        }
    }
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// Method.
    pub method: reqwest::Method,
    /// Absolute URL.
    pub url: Url,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: OutgoingBody,
}

/// Whether the client may add credentials and answer challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Add cached credentials and answer a 401 challenge once (same origin only).
    Auto,
    /// Send exactly the given headers.
    Never,
}

/// A completed exchange as observed on the wire.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The request as sent (credentials redacted).
    pub request: ObservedRequest,
    /// The response.
    pub response: ObservedResponse,
    /// Whether credentials were attached to the final attempt.
    pub authenticated: bool,
    /// Earlier answers to the same request that were retried — a 401 answered with
    /// credentials, a 429/503 waited out — oldest first. They are checked too.
    pub retried: Vec<Observed>,
}

/// HTTP client for one run.
pub struct Client {
    http: reqwest::Client,
    options: ClientOptions,
    /// `Authorization` values by cache key (`origin` for Basic, `origin method repo` for tokens).
    auth_cache: Mutex<HashMap<String, String>>,
}

impl Client {
    /// Builds the client (no redirects followed, no proxy from the environment for loopback).
    pub fn new(options: ClientOptions) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // The whole-request deadline, also for paths that drive the pool themselves.
            .timeout(options.timeout)
            .connect_timeout(options.limits.connect_timeout.min(options.timeout))
            .user_agent(concat!("regcheck/", env!("CARGO_PKG_VERSION")))
            // Every path through this pool (the load engine's too) asks for bytes as stored.
            .default_headers(reqwest::header::HeaderMap::from_iter([(
                reqwest::header::ACCEPT_ENCODING,
                reqwest::header::HeaderValue::from_static("identity"),
            )]))
            .no_proxy()
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Client {
            http,
            options,
            auth_cache: Mutex::new(HashMap::new()),
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

    /// Sends `req`, answering one authentication challenge when `creds` is `Auto` and the URL is
    /// on the target's origin, and waiting out throttling (429, or 503 with `Retry-After`) at
    /// most `MAX_THROTTLE_RETRIES` times, each wait capped at `MAX_THROTTLE_WAIT`.
    pub async fn execute(
        &self,
        req: &OutgoingRequest,
        creds: Credentials,
    ) -> Result<Observed, ClientError> {
        let mut earlier = Vec::new();
        let mut throttled = 0;
        loop {
            let mut o = self.execute_authenticated(req, creds).await?;
            earlier.append(&mut o.retried);
            match throttle_wait(&o.response) {
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
        let same_origin = same_origin(&req.url, &self.options.target);
        let may_auth = creds == Credentials::Auto && same_origin;
        let key = cache_key(req);
        let cached = if may_auth {
            self.cached_auth(&req.url, &key)
        } else {
            None
        };
        let first = self.send_once(req, cached.as_deref()).await?;
        if !may_auth || first.response.status != 401 {
            return Ok(first);
        }
        let challenge = first
            .response
            .header("www-authenticate")
            .and_then(challenge::parse)
            .unwrap_or_else(|| self.assumed_challenge(req));
        let Some(auth) = self.answer(&challenge).await? else {
            return Ok(first);
        };
        {
            let mut cache = self.auth_cache.lock().unwrap_or_else(|e| e.into_inner());
            if challenge.scheme == "basic" {
                cache.insert(origin(&req.url), auth.clone());
            } else {
                cache.insert(key, auth.clone());
            }
        }
        let mut second = self.send_once(req, Some(&auth)).await?;
        second.retried = vec![first];
        Ok(second)
    }

    /// What to try when a 401 carries no (usable) challenge: Basic when a password was given,
    /// else ACR's token endpoint on the target itself (`/oauth2/token`, service = host). The
    /// missing challenge is still reported by the contract rules on the 401 itself.
    fn assumed_challenge(&self, req: &OutgoingRequest) -> challenge::Challenge {
        let creds = &self.options.credentials;
        let target = &self.options.target;
        if creds.aad_token.is_none() && creds.password.is_some() {
            return challenge::Challenge {
                scheme: "basic".into(),
                params: Default::default(),
            };
        }
        let host = host_port(target);
        let realm = target
            .join("/oauth2/token")
            .map(|u| u.to_string())
            .unwrap_or_default();
        challenge::Challenge {
            scheme: "bearer".into(),
            params: [
                ("realm".to_string(), realm),
                ("service".to_string(), host),
                ("scope".to_string(), assumed_scope(req)),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn cached_auth(&self, url: &Url, key: &str) -> Option<String> {
        let cache = self.auth_cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(key).or_else(|| cache.get(&origin(url))).cloned()
    }

    /// Turns a challenge into an `Authorization` value, or `None` if we have nothing to offer.
    async fn answer(
        &self,
        challenge: &challenge::Challenge,
    ) -> Result<Option<String>, ClientError> {
        let creds = &self.options.credentials;
        match challenge.scheme.as_str() {
            "basic" => Ok(basic_value(creds)),
            "bearer" => {
                let Some(realm) = challenge.param("realm") else {
                    return Ok(None);
                };
                let realm_url = Url::parse(realm)
                    .or_else(|_| self.options.target.join(realm))
                    .map_err(|e| ClientError::Auth(format!("bad realm `{realm}`: {e}")))?;
                if !same_origin(&realm_url, &self.options.target) {
                    return Err(ClientError::Auth(format!(
                        "the token realm {realm_url} is not on the target's host; regcheck does not send credentials to another host"
                    )));
                }
                let service = challenge.param("service").unwrap_or_default().to_string();
                let scope = challenge.param("scope").unwrap_or_default().to_string();
                let token = self.fetch_token(&realm_url, &service, &scope).await?;
                Ok(token.map(|t| format!("Bearer {t}")))
            }
            _ => Ok(None),
        }
    }

    /// Gets an access token for `scope` from the realm.
    async fn fetch_token(
        &self,
        realm: &Url,
        service: &str,
        scope: &str,
    ) -> Result<Option<String>, ClientError> {
        let creds = &self.options.credentials;
        // ACR flow: AAD token → refresh token → access token.
        if let Some(aad) = &creds.aad_token {
            let exchange = realm
                .join("/oauth2/exchange")
                .map_err(|e| ClientError::Auth(e.to_string()))?;
            let refresh: serde_json::Value = self
                .form_json(
                    &exchange,
                    &[
                        ("grant_type", "access_token"),
                        ("service", service),
                        ("access_token", aad.expose()),
                    ],
                )
                .await?;
            if let Some(rt) = refresh.get("refresh_token").and_then(|v| v.as_str()) {
                let access: serde_json::Value = self
                    .form_json(
                        realm,
                        &[
                            ("grant_type", "refresh_token"),
                            ("service", service),
                            ("scope", scope),
                            ("refresh_token", rt),
                        ],
                    )
                    .await?;
                if let Some(t) = access.get("access_token").and_then(|v| v.as_str()) {
                    return Ok(Some(t.to_string()));
                }
            }
        }
        // Docker token flow: GET realm?service=&scope= with Basic credentials (or anonymous).
        let mut url = realm.clone();
        {
            let mut q = url.query_pairs_mut();
            if !service.is_empty() {
                q.append_pair("service", service);
            }
            for s in scope.split(' ').filter(|s| !s.is_empty()) {
                q.append_pair("scope", s);
            }
        }
        let mut rb = self.http.get(url.clone());
        if let Some(v) = basic_value(creds) {
            rb = rb.header("authorization", v);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| map_err(&url, e, self.options.timeout))?;
        if !resp.status().is_success() {
            return Err(ClientError::Auth(format!(
                "token endpoint {} answered {}; check --username/--password",
                strip_query(&url),
                resp.status()
            )));
        }
        let body = limits::read_json(resp, &self.options.limits, self.deadline())
            .await
            .map_err(|e| ClientError::Auth(format!("token endpoint {}: {e}", strip_query(&url))))?;
        Ok(body
            .get("access_token")
            .or_else(|| body.get("token"))
            .and_then(|v| v.as_str())
            .map(str::to_string))
    }

    async fn form_json(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, ClientError> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .http
            .post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| map_err(url, e, self.options.timeout))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(ClientError::Auth(format!(
                "{} answered {status}; check --aad-token",
                strip_query(url)
            )));
        }
        limits::read_json(resp, &self.options.limits, self.deadline())
            .await
            .map_err(|e| ClientError::Auth(format!("{}: {e}", strip_query(url))))
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
        let keep = crate::check::exchange::KEEP_BODY_LIMIT;
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

fn map_err(url: &Url, e: reqwest::Error, timeout: Duration) -> ClientError {
    let shown = strip_query(url);
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
        ClientError::Http {
            url: shown,
            detail: root_cause(&e),
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        msg = format!("{msg}: {s}");
        cur = s.source();
    }
    msg
}

fn basic_value(creds: &RunCredentials) -> Option<String> {
    let (u, p) = (creds.username.as_ref()?, creds.password.as_ref()?);
    Some(basic_authorization(u, p.expose()))
}

/// `Basic <base64(user:password)>`, an `Authorization` value.
pub fn basic_authorization(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// `host[:port]` of a URL (the `service` of token requests).
pub fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

/// How many times a throttled request is retried.
pub const MAX_THROTTLE_RETRIES: usize = 3;
/// The longest wait for one `Retry-After`.
pub const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(10);

/// How long to wait before retrying, when the response asks to be retried: 429, or 503 with
/// `Retry-After` (delta-seconds; an HTTP date or garbage counts as 1 s), capped.
fn throttle_wait(resp: &ObservedResponse) -> Option<Duration> {
    let after = resp.header("retry-after");
    match (resp.status, after) {
        (429, _) | (503, Some(_)) => {
            let secs = after
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1);
            Some(Duration::from_secs(secs).min(MAX_THROTTLE_WAIT))
        }
        _ => None,
    }
}

/// `scheme://host:port` of a URL.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether two URLs share scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// The URL without its query (queries may carry signatures).
pub fn strip_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// The scope ACR would put in its challenge for this request (acr-contract.md §6.3).
fn assumed_scope(req: &OutgoingRequest) -> String {
    let path = req.url.path();
    if path.ends_with("/_catalog") {
        return "registry:catalog:*".into();
    }
    let Some(repo) = crate::runner::paths::repository_of(path) else {
        return String::new();
    };
    let method = req.method.as_str();
    let action = match (path.starts_with("/acr/"), method) {
        (false, _) if path.contains("/blobs/uploads") => "push,pull",
        (_, "DELETE") => "delete",
        (true, "PATCH") => "metadata_write",
        (true, _) => "metadata_read",
        (false, "GET" | "HEAD") => "pull",
        (false, _) => "push,pull",
    };
    let mut scope = format!("repository:{repo}:{action}");
    // A cross-repository mount also reads the source repository.
    if let Some((_, from)) = req.url.query_pairs().find(|(k, _)| k == "from") {
        scope.push_str(&format!(" repository:{from}:pull"));
    }
    scope
}

/// Token cache key: the origin and the scope the request needs, so a token is only reused for
/// requests that need exactly what it was issued for.
fn cache_key(req: &OutgoingRequest) -> String {
    format!("{} {}", origin(&req.url), assumed_scope(req))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_body_length_is_inclusive_and_clamped() {
        let blob = BlobGen::new("r", 1, 10);
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 0,
                end: 9
            }
            .len(),
            10
        );
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 2,
                end: 4
            }
            .len(),
            3
        );
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 5,
                end: 100
            }
            .len(),
            5
        );
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 5,
                end: 4
            }
            .len(),
            0
        );
        let len = |start, end| OutgoingBody::Blob { blob, start, end }.len();
        assert_eq!(
            len(20, 30),
            0,
            "a range past the end is empty, not an underflow"
        );
        assert_eq!(len(0, u64::MAX), 10);
    }

    #[test]
    fn assumed_scopes_follow_acr_conventions() {
        let r = |m: &str, p: &str| OutgoingRequest {
            method: reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
            url: Url::parse("http://h:1").unwrap().join(p).unwrap(),
            headers: vec![],
            body: OutgoingBody::Empty,
        };
        for (method, path, scope) in [
            ("GET", "/v2/a/b/blobs/sha256:0", "repository:a/b:pull"),
            ("PATCH", "/v2/a/blobs/uploads/u", "repository:a:push,pull"),
            ("GET", "/v2/a/blobs/uploads/u", "repository:a:push,pull"),
            ("DELETE", "/v2/a/blobs/uploads/u", "repository:a:push,pull"),
            ("DELETE", "/acr/v1/a/_tags/t", "repository:a:delete"),
            ("PATCH", "/acr/v1/a", "repository:a:metadata_write"),
            ("GET", "/acr/v1/a/_tags", "repository:a:metadata_read"),
            ("GET", "/v2/_catalog", "registry:catalog:*"),
            (
                "POST",
                "/v2/a/blobs/uploads/?mount=sha256:0&from=b",
                "repository:a:push,pull repository:b:pull",
            ),
        ] {
            assert_eq!(assumed_scope(&r(method, path)), scope, "{method} {path}");
        }
    }

    #[test]
    fn throttling_waits_are_bounded() {
        let resp = |status, after: Option<&str>| ObservedResponse {
            status,
            headers: after
                .map(|a| vec![("Retry-After".to_string(), a.to_string())])
                .unwrap_or_default(),
            body: Default::default(),
        };
        assert_eq!(
            throttle_wait(&resp(429, Some("2"))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            throttle_wait(&resp(429, None)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            throttle_wait(&resp(429, Some("3600"))),
            Some(MAX_THROTTLE_WAIT)
        );
        assert_eq!(
            throttle_wait(&resp(503, Some("Wed, 21 Oct 2015 07:28:00 GMT"))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(throttle_wait(&resp(503, None)), None);
        assert_eq!(throttle_wait(&resp(200, Some("5"))), None);
    }

    #[test]
    fn origins_compare_scheme_host_port() {
        let a = Url::parse("http://127.0.0.1:5000/v2/").unwrap();
        let b = Url::parse("http://127.0.0.1:5000/x?y").unwrap();
        let c = Url::parse("http://127.0.0.1:5001/v2/").unwrap();
        assert!(same_origin(&a, &b));
        assert!(!same_origin(&a, &c));
    }
}
