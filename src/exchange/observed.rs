//! What the checks look at: one observed HTTP exchange (request sent, response received), in a
//! form independent of the HTTP client. The runner builds these; `contract` and scenario
//! expectations evaluate them.

use crate::vocab::Operation;
use bytes::Bytes;

/// Largest body the runner keeps in memory for JSON checks; larger bodies are only hashed.
pub const KEEP_BODY_LIMIT: u64 = 4 * 1024 * 1024;

/// The request as sent (headers with secrets already redacted).
#[derive(Debug, Clone, Default)]
pub struct ObservedRequest {
    /// HTTP method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Request headers in send order (credentials redacted).
    pub headers: Vec<(String, String)>,
    /// Body length in bytes.
    pub body_len: u64,
    /// The body bytes, kept only for small bodies (manifests, JSON, forms; at most
    /// `KEEP_BODY_LIMIT`). Rules that compare the response with what was sent (manifest digest,
    /// PATCHed attributes) use it and are not applicable when it is `None`.
    pub body: Option<Bytes>,
}

/// The body of a response: always hashed while streamed, kept when small.
#[derive(Debug, Clone, Default)]
pub struct ObservedBody {
    /// Bytes received.
    pub len: u64,
    /// `sha256:<hex>` of the bytes received.
    pub digest: String,
    /// The bytes, when `len <= KEEP_BODY_LIMIT`.
    pub bytes: Option<Bytes>,
    /// The connection failed mid-body (e.g. fewer bytes than `Content-Length`): what happened.
    pub incomplete: Option<String>,
}

/// The response as received.
#[derive(Debug, Clone, Default)]
pub struct ObservedResponse {
    /// Status code.
    pub status: u16,
    /// Headers in received order (a name may repeat).
    pub headers: Vec<(String, String)>,
    /// Body summary.
    pub body: ObservedBody,
}

impl ObservedResponse {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All values of a header (case-insensitive name).
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it was kept and parses.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.body
            .bytes
            .as_ref()
            .and_then(|b| serde_json::from_slice(b).ok())
    }
}

impl ObservedRequest {
    /// First value of a request header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Facts about the target and the request that rules need besides the raw exchange.
#[derive(Debug, Clone, Default)]
pub struct ExchangeContext {
    /// The `/v2/` probe answered with `Docker-Distribution-Api-Version: registry/2.0`, so every
    /// registry response must carry it.
    pub expects_api_version_header: bool,
    /// This response came from following a redirect to another origin (e.g. blob storage):
    /// registry-only header rules do not apply.
    pub via_redirect: bool,
    /// The target advertised `Accept-Ranges: bytes` on blobs.
    pub ranges_advertised: bool,
    /// The request carried credentials (for rules about 401 challenges).
    pub authenticated: bool,
    /// The target claims the OCI 1.1 referrers API (probe evidence), so the sentences that bind
    /// "a registry that supports the referrers API" apply.
    pub referrers_api: bool,
    /// The profile the target is judged by: which texts bind it.
    pub target: crate::vocab::Target,
}

/// One request/response pair attributed to a contract operation.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The operation the step declared.
    pub op: Operation,
    /// What was sent.
    pub request: ObservedRequest,
    /// What came back.
    pub response: ObservedResponse,
    /// Extra facts.
    pub context: ExchangeContext,
}
