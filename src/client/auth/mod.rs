//! Answering authentication challenges with the run's credentials: Basic, or Bearer tokens
//! from the challenge's realm — the Docker token flow (GET with Basic or anonymous, POST form
//! fallback with `grant_type=password`), ACR's refresh-token grant with a given refresh token
//! or one obtained by exchanging an AAD token. Tokens are cached per (origin, scope), fetched
//! once for concurrent requests, refreshed before they expire and after a 401.
//!
//! Credentials only ever go to the target's origin: a realm elsewhere is refused.

pub mod basic;
pub mod cache;
pub mod challenge;
pub(crate) mod scope;
pub(crate) mod token;

pub use cache::AuthStats;

use crate::client::credentials::RunCredentials;
use crate::client::error::ClientError;
use crate::client::origin::{origin, same_origin};
use crate::client::request::OutgoingRequest;
use basic::basic_value;
use cache::{Cached, TokenCache};
use challenge::Challenge;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use token::{Issued, TokenClient, TokenFailure};
use url::Url;

/// Status codes that mean "this endpoint does not do GET": try the POST form instead.
const GET_REFUSED: &[u16] = &[400, 404, 405, 501];

/// The run's credentials, token cache and token endpoint client.
pub(crate) struct Authenticator {
    target: Url,
    creds: RunCredentials,
    http: reqwest::Client,
    timeout: Duration,
    cache: TokenCache,
    /// ACR refresh tokens obtained by exchanging the AAD token, by service; the lock makes
    /// concurrent first requests wait for one exchange.
    refresh_tokens: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Authenticator {
    pub fn new(
        target: Url,
        creds: RunCredentials,
        http: reqwest::Client,
        timeout: Duration,
    ) -> Self {
        Authenticator {
            target,
            creds,
            http,
            timeout,
            cache: TokenCache::default(),
            refresh_tokens: Default::default(),
        }
    }

    pub fn stats(&self) -> AuthStats {
        self.cache.stats()
    }

    /// The `Authorization` value to send with `req` before any challenge: a cached token for
    /// its scope (refreshed first when due, once for all waiting callers), else the Basic value
    /// the origin accepted before.
    pub async fn authorization_for(&self, req: &OutgoingRequest) -> Option<String> {
        if let Some(slot) = self.cache.existing(&scope::cache_key(req)) {
            match slot.get() {
                Some(c) if !c.due() => return Some(c.value),
                Some(_) => {
                    let _fetching = slot.fetch.lock().await;
                    // Refreshed by another caller while this one waited?
                    match slot.get() {
                        Some(c) if !c.due() => return Some(c.value),
                        Some(c) => {
                            slot.set(None);
                            if let Some(ch) = c.challenge
                                && let Ok(Some(fresh)) = self.fetch(&ch, true).await
                            {
                                let value = fresh.value.clone();
                                slot.set(Some(fresh));
                                return Some(value);
                            }
                        }
                        None => {}
                    }
                }
                None => {}
            }
        }
        self.cache.basic(&origin(&req.url))
    }

    /// The cached value for `req` without waiting: a token that is not due, else the origin's
    /// Basic value. For callers that cannot await (the load engine's request builder).
    pub fn peek(&self, req: &OutgoingRequest) -> Option<String> {
        if let Some(c) = self
            .cache
            .existing(&scope::cache_key(req))
            .and_then(|slot| slot.get())
            && !c.due()
        {
            return Some(c.value);
        }
        self.cache.basic(&origin(&req.url))
    }

    /// Answers a 401's challenge (or the assumed one when it carried none): the value to retry
    /// with, or `None` when there is nothing to offer. `rejected` is what the 401 was sent
    /// with; a cached token equal to it is fetched anew.
    pub async fn answer(
        &self,
        req: &OutgoingRequest,
        challenge: Option<Challenge>,
        rejected: Option<&str>,
    ) -> Result<Option<String>, ClientError> {
        let challenge =
            challenge.unwrap_or_else(|| scope::assumed_challenge(&self.creds, &self.target, req));
        match challenge.scheme.as_str() {
            "basic" => {
                let value = basic_value(&self.creds);
                if let Some(v) = &value {
                    self.cache.set_basic(&origin(&req.url), v);
                }
                Ok(value)
            }
            "bearer" => {
                let mut challenge = challenge;
                if challenge.param("scope").is_none_or(str::is_empty) {
                    // A challenge without a scope (the contract rules report it): ask for the
                    // scope the request needs, or the token would grant nothing.
                    challenge
                        .params
                        .insert("scope".into(), scope::assumed_scope(req));
                }
                let slot = self.cache.slot(&scope::cache_key(req));
                let _fetching = slot.fetch.lock().await;
                let current = slot.get();
                if let Some(c) = &current
                    && !c.due()
                    && Some(c.value.as_str()) != rejected
                {
                    // Fetched by a concurrent request while this one waited.
                    return Ok(Some(c.value.clone()));
                }
                let fresh = self.fetch(&challenge, current.is_some()).await?;
                let value = fresh.as_ref().map(|c| c.value.clone());
                slot.set(fresh);
                Ok(value)
            }
            _ => Ok(None),
        }
    }

    /// Fetches a token for a Bearer challenge (counted once).
    async fn fetch(
        &self,
        challenge: &Challenge,
        refresh: bool,
    ) -> Result<Option<Cached>, ClientError> {
        let Some(realm) = challenge.param("realm") else {
            return Ok(None);
        };
        let realm = Url::parse(realm)
            .or_else(|_| self.target.join(realm))
            .map_err(|e| ClientError::Auth(format!("bad realm `{realm}` in the challenge: {e}")))?;
        if !same_origin(&realm, &self.target) {
            return Err(ClientError::Auth(format!(
                "the token realm {realm} is not on the target's host; regcheck does not send credentials to another host"
            )));
        }
        let service = challenge.param("service").unwrap_or_default();
        let scope = challenge.param("scope").unwrap_or_default();
        self.cache.count_fetch(refresh);
        let fetched = Instant::now();
        let issued = self.issue(&realm, service, scope).await?;
        Ok(Some(Cached {
            value: format!("Bearer {}", issued.token),
            refresh_at: Some(cache::refresh_at(fetched, issued.lifetime)),
            challenge: Some(challenge.clone()),
        }))
    }

    /// Runs the flow the credentials allow: ACR refresh-token grant (given refresh token, or
    /// AAD exchange), else the Docker GET (Basic or anonymous) with the POST password grant as
    /// fallback when GET is refused.
    async fn issue(&self, realm: &Url, service: &str, scope: &str) -> Result<Issued, ClientError> {
        let tc = TokenClient {
            http: &self.http,
            timeout: self.timeout,
        };
        if let Some(given) = &self.creds.refresh_token {
            return tc
                .post(realm, service, scope, &[("grant_type", "refresh_token"), ("refresh_token", given.expose())])
                .await
                .map_err(|f| f.into_error("check the refresh token (--refresh-token, REGCHECK_REFRESH_TOKEN or identitytoken in the docker config)"));
        }
        if self.creds.aad_token.is_some() {
            // A refresh token that stopped working (expired) is exchanged for anew, once.
            for attempt in 0..2 {
                let rt = self
                    .exchanged_refresh_token(realm, service, attempt > 0)
                    .await?;
                match tc
                    .post(
                        realm,
                        service,
                        scope,
                        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                    )
                    .await
                {
                    Ok(issued) => return Ok(issued),
                    Err(TokenFailure::Status { status: 401, .. }) if attempt == 0 => continue,
                    Err(f) => return Err(f.into_error("check --aad-token / REGCHECK_AAD_TOKEN")),
                }
            }
        }
        let basic = basic_value(&self.creds);
        let hint = "check --username and the password (--password-stdin or REGCHECK_PASSWORD)";
        match tc.get(realm, service, scope, basic.as_deref()).await {
            Ok(issued) => Ok(issued),
            Err(TokenFailure::Status { status, .. }) if GET_REFUSED.contains(&status) => {
                let (user, pass) = match (&self.creds.username, &self.creds.password) {
                    (Some(u), Some(p)) => (u.as_str(), p.expose()),
                    _ => ("", ""),
                };
                let grant: &[(&str, &str)] = if user.is_empty() {
                    &[("grant_type", "password")]
                } else {
                    &[
                        ("grant_type", "password"),
                        ("username", user),
                        ("password", pass),
                    ]
                };
                tc.post(realm, service, scope, grant)
                    .await
                    .map_err(|f| f.into_error(hint))
            }
            Err(f) => Err(f.into_error(hint)),
        }
    }

    /// The refresh token for `service` from `/oauth2/exchange` (cached; `renew` exchanges
    /// again).
    async fn exchanged_refresh_token(
        &self,
        realm: &Url,
        service: &str,
        renew: bool,
    ) -> Result<String, ClientError> {
        let Some(aad) = &self.creds.aad_token else {
            return Err(ClientError::Auth("no AAD token to exchange".into()));
        };
        let mut tokens = self.refresh_tokens.lock().await;
        if !renew && let Some(t) = tokens.get(service) {
            return Ok(t.clone());
        }
        let exchange = realm
            .join("/oauth2/exchange")
            .map_err(|e| ClientError::Auth(e.to_string()))?;
        let tc = TokenClient {
            http: &self.http,
            timeout: self.timeout,
        };
        let rt = tc
            .exchange(&exchange, service, aad.expose())
            .await
            .map_err(|f| f.into_error("check --aad-token / REGCHECK_AAD_TOKEN"))?;
        tokens.insert(service.to_string(), rt.clone());
        Ok(rt)
    }
}
