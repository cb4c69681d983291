//! The client's lean path for the load engine: the shared connection pool and the
//! authentication answers, without transcripts, checks or body capture. Requests still carry
//! credentials only to the target's origin, and the token cache is the one `execute` uses.

use super::{Client, ClientError, OutgoingBody, OutgoingRequest, cache_key, challenge, origin};
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
        self.cached_auth(url, &cache_key(&bare(method, url)))
    }

    /// Answers the challenge of a 401 to `method url` (`www_authenticate` is its header, if it
    /// had one) and caches the result; `None` when there is nothing to offer or the URL is not
    /// on the target's origin.
    pub async fn authorize(
        &self,
        method: &Method,
        url: &Url,
        www_authenticate: Option<&str>,
    ) -> Result<Option<String>, ClientError> {
        if !super::same_origin(url, &self.options.target) {
            return Ok(None);
        }
        let req = bare(method, url);
        let challenge = www_authenticate
            .and_then(challenge::parse)
            .unwrap_or_else(|| self.assumed_challenge(&req));
        let Some(auth) = self.answer(&challenge).await? else {
            return Ok(None);
        };
        let key = if challenge.scheme == "basic" {
            origin(url)
        } else {
            cache_key(&req)
        };
        self.auth_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, auth.clone());
        Ok(Some(auth))
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
