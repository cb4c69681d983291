//! The client's lean path for the load engine: the shared connection pool and the
//! authentication answers, without transcripts, checks or body capture. Requests still carry
//! credentials only to the target's origin, and the token cache is the one `execute` uses
//! (one fetch for concurrent requests, refreshed before expiry and after a 401).

use super::{Client, ClientError, OutgoingBody, OutgoingRequest, challenge};
use reqwest::Method;
use url::Url;

impl Client {
    /// The connection pool (redirects are not followed; the caller decides about each hop).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
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
