//! Token endpoint requests: the Docker token flow (`GET realm?service=&scope=` with Basic or
//! anonymous, and the OAuth2 `POST` form with `grant_type=password` or `refresh_token`) and
//! ACR's `POST /oauth2/exchange` (AAD access token → refresh token). Answers are read with a
//! size cap and never echoed: errors name the endpoint and the status only.

use crate::client::error::ClientError;
use crate::client::origin::strip_query;
use crate::client::{map_err, root_cause};
use futures::StreamExt;
use std::time::Duration;
use url::Url;

/// Largest token endpoint answer read (tokens are a few KiB; a hostile endpoint must not make
/// the harness allocate without limit).
pub const MAX_TOKEN_BODY: usize = 1024 * 1024;
/// Longest accepted token value.
const MAX_TOKEN_LEN: usize = 64 * 1024;
/// Lifetime assumed when the answer has no `expires_in` (the Docker token spec's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Longest lifetime believed (a day); anything longer is capped.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// An access token as issued.
#[derive(Clone)]
pub(crate) struct Issued {
    pub token: String,
    pub lifetime: Duration,
}

/// Why a token request produced no token.
#[derive(Debug)]
pub(crate) enum TokenFailure {
    /// The endpoint answered this non-2xx status.
    Status { url: String, status: u16 },
    /// Transport error, unreadable answer, or an answer without a token.
    Client(ClientError),
}

impl From<ClientError> for TokenFailure {
    fn from(e: ClientError) -> Self {
        TokenFailure::Client(e)
    }
}

impl TokenFailure {
    /// The error to report, with `hint` telling the user what to check after a refusal.
    pub fn into_error(self, hint: &str) -> ClientError {
        match self {
            TokenFailure::Status { url, status } => {
                ClientError::Auth(format!("token endpoint {url} answered {status}; {hint}"))
            }
            TokenFailure::Client(e) => e,
        }
    }
}

/// Talks to one registry's token endpoints.
pub(crate) struct TokenClient<'a> {
    pub http: &'a reqwest::Client,
    pub timeout: Duration,
}

impl TokenClient<'_> {
    /// Docker token flow: `GET realm?service=S&scope=A&scope=B`, with Basic credentials or
    /// anonymous.
    pub async fn get(
        &self,
        realm: &Url,
        service: &str,
        scope: &str,
        basic: Option<&str>,
    ) -> Result<Issued, TokenFailure> {
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
        if let Some(v) = basic {
            rb = rb.header("authorization", v);
        }
        let body = self.send(rb, &url).await?;
        issued(&body, &url)
    }

    /// OAuth2 form variant: `POST realm` with `grant_type` and its fields, plus service and
    /// scope (ACR's `/oauth2/token`, Docker's OAuth2 token endpoint).
    pub async fn post(
        &self,
        realm: &Url,
        service: &str,
        scope: &str,
        grant: &[(&str, &str)],
    ) -> Result<Issued, TokenFailure> {
        let mut form: Vec<(&str, &str)> = grant.to_vec();
        form.push(("service", service));
        if !scope.is_empty() {
            form.push(("scope", scope));
        }
        form.push(("client_id", "regcheck"));
        let body = self.post_form(realm, &form).await?;
        issued(&body, realm)
    }

    /// ACR: `POST /oauth2/exchange` trades an AAD access token for a refresh token.
    pub async fn exchange(
        &self,
        exchange: &Url,
        service: &str,
        aad_token: &str,
    ) -> Result<String, TokenFailure> {
        let body = self
            .post_form(
                exchange,
                &[
                    ("grant_type", "access_token"),
                    ("service", service),
                    ("access_token", aad_token),
                ],
            )
            .await?;
        token_field(&body, &["refresh_token"]).ok_or_else(|| {
            TokenFailure::Client(ClientError::Auth(format!(
                "{} answered without a refresh_token",
                strip_query(exchange)
            )))
        })
    }

    async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, TokenFailure> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let rb = self
            .http
            .post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(rb, url).await
    }

    async fn send(
        &self,
        rb: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<serde_json::Value, TokenFailure> {
        let resp = rb.send().await.map_err(|e| map_err(url, e, self.timeout))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(TokenFailure::Status {
                url: strip_query(url),
                status: status.as_u16(),
            });
        }
        let bytes = read_capped(resp, url, MAX_TOKEN_BODY, self.timeout).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            TokenFailure::Client(ClientError::Auth(format!(
                "token endpoint {} sent no JSON object ({e})",
                strip_query(url)
            )))
        })
    }
}

/// Reads a body of at most `max` bytes; a longer one (announced or actual) is an error.
pub(crate) async fn read_capped(
    resp: reqwest::Response,
    url: &Url,
    max: usize,
    timeout: Duration,
) -> Result<Vec<u8>, ClientError> {
    let too_big = |what: String| ClientError::Http {
        url: strip_query(url),
        detail: format!("answer {what} exceeds the {max}-byte limit for token and error bodies"),
    };
    if let Some(len) = resp.content_length()
        && len > max as u64
    {
        return Err(too_big(format!("(Content-Length {len})")));
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if e.is_timeout() {
                map_err(url, e, timeout)
            } else {
                ClientError::Http {
                    url: strip_query(url),
                    detail: root_cause(&e),
                }
            }
        })?;
        if out.len() + chunk.len() > max {
            return Err(too_big("body".into()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A string field that is a plausible token: non-empty, bounded, visible ASCII only (it goes
/// into a header).
fn token_field(body: &serde_json::Value, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| body.get(*n).and_then(|v| v.as_str()))
        .find(|t| !t.is_empty())
        .filter(|t| t.len() <= MAX_TOKEN_LEN && t.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
}

/// The token (`token` or `access_token`) and its lifetime (`expires_in`, default 60 s).
fn issued(body: &serde_json::Value, url: &Url) -> Result<Issued, TokenFailure> {
    let token = token_field(body, &["token", "access_token"]).ok_or_else(|| {
        TokenFailure::Client(ClientError::Auth(format!(
            "token endpoint {} answered without a usable token or access_token",
            strip_query(url)
        )))
    })?;
    let lifetime = body
        .get("expires_in")
        .and_then(|v| v.as_f64())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(MAX_LIFETIME.as_secs_f64())))
        .unwrap_or(DEFAULT_LIFETIME);
    Ok(Issued { token, lifetime })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_answers_are_read_like_docker_and_acr_send_them() {
        let url = Url::parse("http://r/token").unwrap();
        let i = issued(&json!({"token": "abc", "expires_in": 300}), &url).unwrap();
        assert_eq!((i.token.as_str(), i.lifetime.as_secs()), ("abc", 300));
        let i = issued(&json!({"access_token": "xyz"}), &url).unwrap();
        assert_eq!((i.token.as_str(), i.lifetime), ("xyz", DEFAULT_LIFETIME));
        // Docker Hub sends both; `token` wins. Empty `token` falls back to `access_token`.
        let i = issued(&json!({"token": "", "access_token": "b"}), &url).unwrap();
        assert_eq!(i.token, "b");
        let i = issued(&json!({"token": "t", "expires_in": 1e300}), &url).unwrap();
        assert_eq!(i.lifetime, MAX_LIFETIME);
        let i = issued(&json!({"token": "t", "expires_in": -5}), &url).unwrap();
        assert_eq!(i.lifetime, DEFAULT_LIFETIME);
        let i = issued(&json!({"token": "t", "expires_in": "soon"}), &url).unwrap();
        assert_eq!(i.lifetime, DEFAULT_LIFETIME);
        for bad in [
            json!({}),
            json!({"token": 5}),
            json!({"token": "a\r\nX-Injected: 1"}),
            json!({"token": "a b"}),
            json!([1, 2]),
        ] {
            assert!(issued(&bad, &url).is_err(), "{bad}");
        }
    }
}
