//! Limits on what a target may send, and their enforcement while a response is read: time to
//! connect, time to response headers (the whole-request deadline is `ClientOptions::timeout`),
//! response head size, body size by kind (manifest, JSON; blobs stop past their expected length),
//! JSON nesting depth and redirect chains. A breach is a [`Breach`] naming the limit and what
//! arrived; the client turns it into `ClientError::Limit`, the runner into a finding.

use super::ClientError;
use crate::exchange::ObservedBody;
use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;
use url::Url;

/// One MiB.
pub const MIB: u64 = 1024 * 1024;

/// What a target may send before the harness stops reading. Every field has a sane default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Time to establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time from sending the request to receiving the whole response head.
    pub headers_timeout: Duration,
    /// Largest manifest body (containerd and ACR clients use 4 MiB).
    pub max_manifest_bytes: u64,
    /// Largest JSON body of listings, tokens, ACR metadata and errors.
    pub max_json_bytes: u64,
    /// Largest response head (status line and headers).
    pub max_head_bytes: u64,
    /// Longest redirect chain followed.
    pub max_redirects: usize,
    /// Deepest JSON nesting accepted in a JSON or manifest body.
    pub max_json_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            headers_timeout: Duration::from_secs(30),
            max_manifest_bytes: 4 * MIB,
            max_json_bytes: 4 * MIB,
            max_head_bytes: 64 * 1024,
            max_redirects: 10,
            max_json_depth: 64,
        }
    }
}

/// Which limit a response broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// No response head within the headers timeout.
    HeadersTimeout,
    /// The whole request (body included) outlasted the deadline.
    RequestDeadline,
    /// The response head is too large.
    HeadSize,
    /// A manifest body is too large.
    ManifestSize,
    /// A JSON body is too large.
    JsonSize,
    /// A body went past the length it announced or was asked for.
    BodyLength,
    /// A JSON body nests too deep.
    JsonDepth,
    /// A redirect chain is too long (or loops).
    Redirects,
}

impl LimitKind {
    /// Stable kebab-case name (finding rule ids `limits.<name>`, load error kinds).
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::ConnectTimeout => "connect-timeout",
            LimitKind::HeadersTimeout => "headers-timeout",
            LimitKind::RequestDeadline => "request-deadline",
            LimitKind::HeadSize => "head-size",
            LimitKind::ManifestSize => "manifest-size",
            LimitKind::JsonSize => "json-size",
            LimitKind::BodyLength => "body-length",
            LimitKind::JsonDepth => "json-depth",
            LimitKind::Redirects => "redirects",
        }
    }
}

/// A limit breach: which limit, and a sentence saying what arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The limit.
    pub kind: LimitKind,
    /// E.g. `body exceeds 4 MiB manifest limit (Content-Length 10737418240)`.
    pub detail: String,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// `4 MiB`, `64 KiB`, `12 bytes`.
pub fn human(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// How a response body is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyClass {
    /// Blob content (registry blob GET, or a 2xx from another host such as blob storage):
    /// streamed through the hasher, bounded only by its expected length.
    Blob,
    /// A manifest: bounded by `max_manifest_bytes`.
    Manifest,
    /// Anything else (listings, tokens, ACR metadata, errors): bounded by `max_json_bytes`.
    Json,
    /// No body may follow (HEAD, 204, 304): its `Content-Length` describes the GET's body and
    /// is not a size to judge.
    NoBody,
}

impl BodyClass {
    /// Classifies a response by the request that caused it. `foreign` is true for URLs off the
    /// target's origin (redirect targets such as storage hosts).
    pub fn of(method: &str, url: &Url, status: u16, foreign: bool) -> BodyClass {
        if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 {
            return BodyClass::NoBody;
        }
        if !(200..300).contains(&status) {
            return BodyClass::Json;
        }
        let path = url.path();
        let is_get = method.eq_ignore_ascii_case("GET");
        if foreign {
            return BodyClass::Blob;
        }
        if path.starts_with("/v2/") && path.contains("/manifests/") {
            return BodyClass::Manifest;
        }
        if is_get
            && path.starts_with("/v2/")
            && path.contains("/blobs/")
            && !path.contains("/blobs/uploads")
        {
            return BodyClass::Blob;
        }
        BodyClass::Json
    }
}

/// The most bytes a body may have before reading stops, and how to describe the breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Largest acceptable body (`None`: unbounded, only the deadline applies).
    pub max: Option<u64>,
    /// Limit that applies when `max` is exceeded.
    pub kind: LimitKind,
}

impl Budget {
    /// The budget of a body of `class`, given the response's `Content-Length` and the length a
    /// `Range: bytes=a-b` request asked for.
    pub fn new(
        limits: &Limits,
        class: BodyClass,
        content_length: Option<u64>,
        requested: Option<u64>,
    ) -> Budget {
        match class {
            BodyClass::Manifest => Budget {
                max: Some(limits.max_manifest_bytes),
                kind: LimitKind::ManifestSize,
            },
            BodyClass::Json => Budget {
                max: Some(limits.max_json_bytes),
                kind: LimitKind::JsonSize,
            },
            BodyClass::Blob => Budget {
                max: content_length.or(requested),
                kind: LimitKind::BodyLength,
            },
            BodyClass::NoBody => Budget {
                max: None,
                kind: LimitKind::BodyLength,
            },
        }
    }

    /// What the limit is, for messages: `4 MiB manifest limit`.
    pub fn describe(&self) -> String {
        let max = self.max.unwrap_or(u64::MAX);
        match self.kind {
            LimitKind::ManifestSize => format!("{} manifest limit", human(max)),
            LimitKind::JsonSize => format!("{} JSON body limit", human(max)),
            _ => format!("its expected length of {max} bytes"),
        }
    }

    /// A breach when a declared `Content-Length` is already over budget.
    pub fn check_declared(&self, content_length: Option<u64>) -> Result<(), Breach> {
        match (self.max, content_length) {
            (Some(max), Some(cl)) if cl > max && self.kind != LimitKind::BodyLength => {
                Err(Breach {
                    kind: self.kind,
                    detail: format!("body exceeds {} (Content-Length {cl})", self.describe()),
                })
            }
            _ => Ok(()),
        }
    }

    /// A breach once `received` bytes are over budget.
    pub fn check_received(&self, received: u64) -> Result<(), Breach> {
        match self.max {
            Some(max) if received > max => Err(Breach {
                kind: self.kind,
                detail: format!(
                    "body exceeds {} (more than {max} bytes arrived; reading stopped at {received})",
                    self.describe()
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// The length a request's `Range: bytes=a-b` asks for.
pub fn requested_length(headers: &[(String, String)]) -> Option<u64> {
    let v = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("range"))
        .map(|(_, v)| v.trim())?;
    let (a, b) = v.strip_prefix("bytes=")?.split_once('-')?;
    let (a, b): (u64, u64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    b.checked_sub(a).map(|d| d.saturating_add(1))
}

/// Size of a response head as sent: status line, `name: value\r\n` per header, blank line.
pub fn head_size<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> u64 {
    let fields: u64 = headers
        .into_iter()
        .map(|(k, v)| (k.len() + v.len() + 4) as u64)
        .sum();
    fields + "HTTP/1.1 200 OK\r\n\r\n".len() as u64
}

/// A breach when the head is larger than allowed.
pub fn check_head(limits: &Limits, size: u64) -> Result<(), Breach> {
    if size > limits.max_head_bytes {
        return Err(Breach {
            kind: LimitKind::HeadSize,
            detail: format!(
                "response head exceeds the {} head limit ({size} bytes)",
                human(limits.max_head_bytes)
            ),
        });
    }
    Ok(())
}

/// Maximum nesting depth of `[`/`{` in a JSON text (strings skipped), stopping early once
/// `stop_above` is exceeded. Works on any bytes; never recurses.
pub fn json_depth(bytes: &[u8], stop_above: usize) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    max = depth;
                    if max > stop_above {
                        return max;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A breach when a JSON-looking body nests deeper than allowed.
pub fn check_json_depth(limits: &Limits, bytes: &[u8]) -> Result<(), Breach> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if !matches!(first, Some(b'[' | b'{')) {
        return Ok(());
    }
    let depth = json_depth(bytes, limits.max_json_depth);
    if depth > limits.max_json_depth {
        return Err(Breach {
            kind: LimitKind::JsonDepth,
            detail: format!(
                "JSON body nests deeper than the limit of {} levels (more than {} levels arrived)",
                limits.max_json_depth, limits.max_json_depth
            ),
        });
    }
    Ok(())
}

impl super::Client {
    /// The instant by which the head of a response to a request sent now must arrive: the
    /// headers timeout, or only the request deadline when the request body is large (its
    /// upload is part of the wait).
    pub fn headers_deadline(&self, request_body_len: u64) -> tokio::time::Instant {
        let deadline = self.deadline();
        if request_body_len <= MIB {
            deadline.min(tokio::time::Instant::now() + self.options.limits.headers_timeout)
        } else {
            deadline
        }
    }

    /// The breach when no head arrived by the instant [`Self::headers_deadline`] gave for a
    /// request body of this length (`u64::MAX`: the request deadline passed).
    pub fn head_timeout(&self, request: &str, request_body_len: u64) -> ClientError {
        let lim = &self.options.limits;
        let breach = if request_body_len <= MIB && lim.headers_timeout < self.options.timeout {
            Breach {
                kind: LimitKind::HeadersTimeout,
                detail: format!(
                    "no response head within {}s (raise --headers-timeout for slow targets)",
                    lim.headers_timeout.as_secs()
                ),
            }
        } else {
            Breach {
                kind: LimitKind::RequestDeadline,
                detail: format!(
                    "no response within {}s, the request deadline (raise --timeout for slow targets)",
                    self.options.timeout.as_secs()
                ),
            }
        };
        ClientError::Limit {
            request: request.to_string(),
            breach,
        }
    }

    /// Checks a response head against the limits (head size; declared length for its body
    /// class) and returns the budget its body must keep to. Also for callers that drive
    /// [`Self::http`] themselves, such as the load engine.
    pub fn admit(
        &self,
        method: &str,
        url: &Url,
        request_headers: &[(String, String)],
        resp: &reqwest::Response,
    ) -> Result<(BodyClass, Budget), ClientError> {
        let lim = &self.options.limits;
        let request = super::request_label(method, url, &self.options.target);
        let limit = |breach| ClientError::Limit {
            request: request.clone(),
            breach,
        };
        let size = head_size(
            resp.headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_bytes())),
        );
        check_head(lim, size).map_err(limit)?;
        let foreign = !super::same_origin(url, &self.options.target);
        let class = BodyClass::of(method, url, resp.status().as_u16(), foreign);
        let content_length = resp.content_length();
        let budget = Budget::new(
            lim,
            class,
            content_length,
            requested_length(request_headers),
        );
        budget.check_declared(content_length).map_err(limit)?;
        Ok((class, budget))
    }
}

/// Why reading a body stopped early.
#[derive(Debug)]
pub enum ReadStop {
    /// A limit was breached.
    Breach(Breach),
    /// The whole-request deadline passed.
    Deadline {
        /// Bytes received before it passed.
        received: u64,
    },
}

/// Streams a response body through sha256 within `budget` and before `deadline`, keeping it
/// when it is at most `keep` bytes. A body that breaks off is reported in
/// `ObservedBody::incomplete` (a finding about the response, not a failure to get one).
pub async fn read_body(
    resp: reqwest::Response,
    budget: Budget,
    keep: u64,
    deadline: tokio::time::Instant,
) -> Result<ObservedBody, ReadStop> {
    let mut hasher = Sha256::new();
    let mut kept: Vec<u8> = Vec::new();
    let mut len: u64 = 0;
    let mut stream = resp.bytes_stream();
    let mut incomplete = None;
    loop {
        let next = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(n) => n,
            Err(_) => return Err(ReadStop::Deadline { received: len }),
        };
        let Some(chunk) = next else { break };
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) if e.is_timeout() => return Err(ReadStop::Deadline { received: len }),
            Err(e) => {
                incomplete = Some(super::root_cause(&e));
                break;
            }
        };
        len += chunk.len() as u64;
        budget.check_received(len).map_err(ReadStop::Breach)?;
        hasher.update(&chunk);
        if len <= keep {
            kept.extend_from_slice(&chunk);
        } else if !kept.is_empty() {
            kept = Vec::new();
        }
    }
    Ok(ObservedBody {
        len,
        digest: format!("sha256:{}", hex::encode(hasher.finalize())),
        bytes: (len <= keep).then(|| Bytes::from(kept)),
        incomplete,
    })
}

/// Reads a JSON body (token endpoints) within the JSON size and depth limits.
pub async fn read_json(
    resp: reqwest::Response,
    limits: &Limits,
    deadline: tokio::time::Instant,
) -> Result<serde_json::Value, String> {
    let cl = resp.content_length();
    let budget = Budget::new(limits, BodyClass::Json, cl, None);
    budget.check_declared(cl).map_err(|b| b.detail)?;
    let body = read_body(resp, budget, limits.max_json_bytes, deadline)
        .await
        .map_err(|stop| match stop {
            ReadStop::Breach(b) => b.detail,
            ReadStop::Deadline { received } => {
                format!("the body did not arrive before the deadline ({received} bytes arrived)")
            }
        })?;
    if let Some(why) = body.incomplete {
        return Err(format!(
            "the body broke off after {} bytes: {why}",
            body.len
        ));
    }
    let bytes = body.bytes.unwrap_or_default();
    check_json_depth(limits, &bytes).map_err(|b| b.detail)?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_request() {
        let u = |p: &str| Url::parse("http://h:1").unwrap().join(p).unwrap();
        let c = |m, p: &str, s| BodyClass::of(m, &u(p), s, false);
        assert_eq!(c("GET", "/v2/a/manifests/latest", 200), BodyClass::Manifest);
        assert_eq!(c("GET", "/v2/a/blobs/sha256:00", 200), BodyClass::Blob);
        assert_eq!(c("GET", "/v2/a/blobs/sha256:00", 404), BodyClass::Json);
        assert_eq!(c("PATCH", "/v2/a/blobs/uploads/x", 202), BodyClass::Json);
        assert_eq!(c("GET", "/v2/a/tags/list", 200), BodyClass::Json);
        assert_eq!(BodyClass::of("GET", &u("/x"), 200, true), BodyClass::Blob);
        // A HEAD announces the GET's length: a 10 GiB blob or manifest is not a breach.
        assert_eq!(c("HEAD", "/v2/a/blobs/sha256:00", 200), BodyClass::NoBody);
        assert_eq!(c("HEAD", "/v2/a/manifests/v1", 200), BodyClass::NoBody);
        let l = Limits::default();
        let head = Budget::new(&l, BodyClass::NoBody, Some(10 << 30), None);
        assert!(head.check_declared(Some(10 << 30)).is_ok());
    }

    #[test]
    fn declared_and_received_sizes_are_bounded() {
        let l = Limits::default();
        let b = Budget::new(&l, BodyClass::Manifest, Some(10_737_418_240), None);
        let err = b.check_declared(Some(10_737_418_240)).unwrap_err();
        assert_eq!(err.kind, LimitKind::ManifestSize);
        assert_eq!(
            err.detail,
            "body exceeds 4 MiB manifest limit (Content-Length 10737418240)"
        );
        assert!(b.check_declared(Some(4 * MIB)).is_ok());
        assert!(b.check_received(4 * MIB + 1).is_err());
        let blob = Budget::new(&l, BodyClass::Blob, Some(10), None);
        assert!(blob.check_declared(Some(10)).is_ok());
        assert!(blob.check_received(10).is_ok());
        assert_eq!(
            blob.check_received(11).unwrap_err().kind,
            LimitKind::BodyLength
        );
        let ranged = Budget::new(&l, BodyClass::Blob, None, Some(5));
        assert!(ranged.check_received(6).is_err());
        assert!(
            Budget::new(&l, BodyClass::Blob, None, None)
                .check_received(u64::MAX)
                .is_ok()
        );
    }

    #[test]
    fn requested_lengths_come_from_byte_ranges() {
        let h = |v: &str| vec![("Range".to_string(), v.to_string())];
        assert_eq!(requested_length(&h("bytes=0-9")), Some(10));
        assert_eq!(requested_length(&h("bytes=9-0")), None);
        assert_eq!(requested_length(&h("0-9")), None);
        assert_eq!(
            requested_length(&h("bytes=0-18446744073709551615")),
            Some(u64::MAX)
        );
        assert_eq!(requested_length(&[]), None);
    }

    #[test]
    fn depth_ignores_strings_and_stops_early() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[["}]}"#, 100), 3);
        assert_eq!(json_depth(br#"{"a":"\"[[["}"#, 100), 1);
        let deep = "[".repeat(100_000);
        assert_eq!(json_depth(deep.as_bytes(), 64), 65);
        let l = Limits::default();
        assert_eq!(
            check_json_depth(&l, deep.as_bytes()).unwrap_err().kind,
            LimitKind::JsonDepth
        );
        assert!(check_json_depth(&l, b"not json [[[[").is_ok());
        assert!(check_json_depth(&l, br#"{"tags":["a"]}"#).is_ok());
    }

    #[test]
    fn heads_are_bounded() {
        let l = Limits::default();
        let big = vec![b'a'; 70_000];
        let size = head_size([("x-big", big.as_slice())]);
        assert_eq!(check_head(&l, size).unwrap_err().kind, LimitKind::HeadSize);
        assert!(check_head(&l, head_size([("content-length", &b"5"[..])])).is_ok());
        assert_eq!(human(4 * MIB), "4 MiB");
        assert_eq!(human(65536), "64 KiB");
        assert_eq!(human(7), "7 bytes");
    }
}
