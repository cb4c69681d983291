//! Authentication and authorization: Basic credentials, self-issued JWT-shaped tokens
//! (`base64url(header).base64url(claims).base64url(HMAC-SHA256)`), scope grammar, and the
//! `401` challenges (`Basic realm=...` or ACR's `Bearer realm=...,service=...,scope=...`).

use super::errors::ApiError;
use super::{AuthMode, Credentials};
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

/// Lifetime of access tokens (ACR: 75 minutes).
pub(crate) const ACCESS_TTL_SECS: i64 = 75 * 60;
/// Lifetime of refresh tokens (ACR: about 3 hours).
pub(crate) const REFRESH_TTL_SECS: i64 = 3 * 60 * 60;
/// User name docker uses with an ACR refresh token as password.
pub(crate) const NULL_GUID: &str = "00000000-0000-0000-0000-000000000000";
/// Actions a full user can be granted on a repository.
const KNOWN_ACTIONS: &[&str] = &[
    "pull",
    "push",
    "delete",
    "metadata_read",
    "metadata_write",
    "*",
];

type HmacSha256 = Hmac<Sha256>;

/// One access entry of a token (PascalCase keys, like ACR's tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Access {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Actions")]
    pub actions: Vec<String>,
}

/// Token claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub jti: String,
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub grant_type: String,
    #[serde(default)]
    pub access: Vec<Access>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Invalid,
    Expired,
}

/// HMAC key holder: signs tokens, redirect URLs and upload state.
#[derive(Debug)]
pub(crate) struct Signer {
    key: [u8; 32],
}

pub(crate) fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Signer {
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Signer { key }
    }

    fn hmac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; a 32-byte key cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!())
    }

    /// Hex HMAC of `data`.
    pub fn mac_hex(&self, data: &[u8]) -> String {
        let mut m = self.hmac();
        m.update(data);
        hex::encode(m.finalize().into_bytes())
    }

    /// Constant-time check of a hex HMAC.
    pub fn verify_hex(&self, data: &[u8], sig_hex: &str) -> bool {
        let Ok(sig) = hex::decode(sig_hex) else {
            return false;
        };
        let mut m = self.hmac();
        m.update(data);
        m.verify_slice(&sig).is_ok()
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{body}");
        let mut m = self.hmac();
        m.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    /// The claims of a JWT-shaped token, without checking signature or expiry (the
    /// `token-not-verified` fault).
    pub fn decode_unverified(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = token.trim().split('.').nth(1).ok_or(TokenError::Invalid)?;
        let raw = URL_SAFE_NO_PAD
            .decode(claims.trim_end_matches('='))
            .map_err(|_| TokenError::Invalid)?;
        serde_json::from_slice(&raw).map_err(|_| TokenError::Invalid)
    }

    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.trim().split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Invalid);
        };
        let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Invalid)?;
        let mut m = self.hmac();
        m.update(h.as_bytes());
        m.update(b".");
        m.update(c.as_bytes());
        m.verify_slice(&sig).map_err(|_| TokenError::Invalid)?;
        let raw = URL_SAFE_NO_PAD.decode(c).map_err(|_| TokenError::Invalid)?;
        let claims: Claims = serde_json::from_slice(&raw).map_err(|_| TokenError::Invalid)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf > now + 60 {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }

    fn issue(
        &self,
        sub: &str,
        service: &str,
        grant_type: &str,
        ttl: i64,
        access: Vec<Access>,
    ) -> String {
        let now = unix_now();
        self.sign(&Claims {
            jti: uuid::Uuid::new_v4().to_string(),
            sub: sub.to_owned(),
            iss: "regcheck".to_owned(),
            aud: service.to_owned(),
            iat: now,
            nbf: now,
            exp: now + ttl,
            grant_type: grant_type.to_owned(),
            access,
        })
    }

    pub fn issue_refresh(&self, sub: &str, service: &str) -> String {
        self.issue(sub, service, "refresh_token", REFRESH_TTL_SECS, Vec::new())
    }

    pub fn issue_access(&self, sub: &str, service: &str, access: Vec<Access>) -> String {
        self.issue(sub, service, "access_token", ACCESS_TTL_SECS, access)
    }

    /// The subject of a valid refresh token.
    pub fn refresh_subject(&self, token: &str) -> Option<String> {
        self.verify(token, unix_now())
            .ok()
            .filter(|c| c.grant_type == "refresh_token")
            .map(|c| c.sub)
    }
}

/// A requested or required scope `type:name:action[,action]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Scope {
    pub fn repo(name: &str, actions: &[&str]) -> Self {
        Scope {
            kind: "repository".to_owned(),
            name: name.to_owned(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    pub fn catalog() -> Self {
        Scope {
            kind: "registry".to_owned(),
            name: "catalog".to_owned(),
            actions: vec!["*".to_owned()],
        }
    }

    pub fn render(&self) -> String {
        format!("{}:{}:{}", self.kind, self.name, self.actions.join(","))
    }

    /// Parses one `type[(class)]:name:actions` (name may contain one `:port`).
    pub fn parse(s: &str) -> Option<Scope> {
        let (rest, actions) = s.rsplit_once(':')?;
        let (kind, name) = rest.split_once(':')?;
        let kind = kind.split('(').next().unwrap_or(kind);
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(Scope {
            kind: kind.to_owned(),
            name: name.to_owned(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// Parses scope values (each may hold several space-separated scopes); bad entries are skipped.
pub(crate) fn parse_scopes<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Scope> {
    values
        .into_iter()
        .flat_map(str::split_whitespace)
        .filter_map(Scope::parse)
        .collect()
}

/// What a full user is granted for the requested scopes.
pub(crate) fn full_grant(requested: &[Scope]) -> Vec<Access> {
    requested
        .iter()
        .filter_map(|s| {
            let actions: Vec<String> = match s.kind.as_str() {
                "repository" => s
                    .actions
                    .iter()
                    .filter(|a| KNOWN_ACTIONS.contains(&a.as_str()))
                    .cloned()
                    .collect(),
                "registry" if s.name == "catalog" => s.actions.clone(),
                _ => Vec::new(),
            };
            (!actions.is_empty()).then(|| Access {
                kind: s.kind.clone(),
                name: s.name.clone(),
                actions,
            })
        })
        .collect()
}

/// What an authorized request may do.
#[derive(Debug, Clone)]
pub(crate) enum Grant {
    All,
    Token(Vec<Access>),
}

impl Grant {
    pub fn allows(&self, kind: &str, name: &str, action: &str) -> bool {
        match self {
            Grant::All => true,
            Grant::Token(access) => access.iter().any(|a| {
                a.kind == kind
                    && (a.name == name || a.name == "*")
                    && a.actions.iter().any(|x| x == action || x == "*")
            }),
        }
    }
}

/// Inputs of one authorization decision.
pub(crate) struct AuthCheck<'a> {
    pub mode: AuthMode,
    pub credentials: &'a Credentials,
    pub signer: &'a Signer,
    pub scope_not_enforced: bool,
    /// The `token-not-verified` fault: claims are trusted as they are.
    pub token_not_verified: bool,
    /// The `challenge-scope-missing` fault: challenges name no scope.
    pub challenge_scope_missing: bool,
    /// `host[:port]` of the request (for realm/service).
    pub host: &'a str,
    /// `http` or `https`: the scheme of the realm in challenges.
    pub scheme: &'static str,
}

/// Decodes `Authorization: Basic` into (user, password).
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim().to_owned())
}

impl AuthCheck<'_> {
    /// Whether Basic credentials (user/password, or null GUID + our refresh token) are valid.
    pub fn basic_ok(&self, headers: &HeaderMap) -> Option<String> {
        let (user, pass) = basic_credentials(headers)?;
        if user == self.credentials.username && pass == self.credentials.password {
            return Some(user);
        }
        if user == NULL_GUID {
            return self.signer.refresh_subject(&pass);
        }
        None
    }

    /// Authorizes a request needing every action of `required`.
    pub fn authorize(&self, headers: &HeaderMap, required: &[Scope]) -> Result<Grant, ApiError> {
        match self.mode {
            AuthMode::None => Ok(Grant::All),
            AuthMode::Basic => {
                if self.basic_ok(headers).is_some() {
                    return Ok(Grant::All);
                }
                // Like ACR, bearer tokens from /oauth2/token are accepted too.
                match self.bearer_grant(headers, required) {
                    Some(Ok(grant)) => Ok(grant),
                    _ => Err(unauthorized(required)
                        .with_header(header::WWW_AUTHENTICATE, r#"Basic realm="regcheck""#)),
                }
            }
            AuthMode::Token => {
                if self.basic_ok(headers).is_some() {
                    return Ok(Grant::All);
                }
                match self.bearer_grant(headers, required) {
                    None => Err(self.challenge(required, None)),
                    Some(Ok(grant)) => Ok(grant),
                    Some(Err(error)) => Err(self.challenge(required, Some(error))),
                }
            }
        }
    }

    /// `None`: no bearer token; `Err`: the challenge error (`invalid_token`, `insufficient_scope`).
    fn bearer_grant(
        &self,
        headers: &HeaderMap,
        required: &[Scope],
    ) -> Option<Result<Grant, &'static str>> {
        let token = bearer(headers)?;
        let checked = if self.token_not_verified {
            self.signer.decode_unverified(&token)
        } else {
            self.signer.verify(&token, unix_now())
        };
        let claims = match checked {
            Ok(c) if c.grant_type == "access_token" => c,
            _ => return Some(Err("invalid_token")),
        };
        if self.scope_not_enforced {
            return Some(Ok(Grant::All));
        }
        let grant = Grant::Token(claims.access);
        let ok = required
            .iter()
            .all(|s| s.actions.iter().all(|a| grant.allows(&s.kind, &s.name, a)));
        Some(if ok {
            Ok(grant)
        } else {
            Err("insufficient_scope")
        })
    }

    /// `401` with the Bearer challenge for `required`.
    pub fn challenge(&self, required: &[Scope], error: Option<&str>) -> ApiError {
        let mut value = format!(
            r#"Bearer realm="{scheme}://{host}/oauth2/token",service="{host}""#,
            scheme = self.scheme,
            host = self.host
        );
        if !required.is_empty() && !self.challenge_scope_missing {
            let scopes: Vec<String> = required.iter().map(Scope::render).collect();
            value.push_str(&format!(r#",scope="{}""#, scopes.join(" ")));
        }
        if let Some(e) = error {
            value.push_str(&format!(r#",error="{e}""#));
        }
        unauthorized(required).with_header(header::WWW_AUTHENTICATE, &value)
    }
}

fn unauthorized(required: &[Scope]) -> ApiError {
    let detail: Vec<Value> = required
        .iter()
        .flat_map(|s| {
            s.actions
                .iter()
                .map(move |a| json!({"Type": s.kind, "Name": s.name, "Action": a}))
        })
        .collect();
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "authentication required, visit https://aka.ms/acr/authorization for more information.",
    )
    .with_detail(Value::Array(detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trip_and_tamper() {
        let signer = Signer::new();
        let token = signer.issue_access("u", "svc", full_grant(&[Scope::repo("a", &["pull"])]));
        let claims = signer.verify(&token, unix_now()).expect("valid");
        assert_eq!(claims.access[0].name, "a");
        assert_eq!(
            signer.verify(&token, claims.exp).err(),
            Some(TokenError::Expired)
        );
        let mut tampered = token.clone();
        tampered.insert(token.len() / 2, 'x');
        assert_eq!(
            signer.verify(&tampered, unix_now()).err(),
            Some(TokenError::Invalid)
        );
        let other = Signer::new();
        assert_eq!(
            other.verify(&token, unix_now()).err(),
            Some(TokenError::Invalid)
        );
        assert!(signer.refresh_subject(&token).is_none());
        assert_eq!(
            signer
                .refresh_subject(&signer.issue_refresh("u", "s"))
                .as_deref(),
            Some("u")
        );
    }

    #[test]
    fn scope_grammar_and_grants() {
        let scopes = parse_scopes([
            "repository:a/b:push,pull registry:catalog:*",
            "repository:localhost:5000/x:pull",
            "junk",
        ]);
        assert_eq!(scopes.len(), 3);
        assert_eq!(scopes[0].actions, vec!["push", "pull"]);
        assert_eq!(scopes[2].name, "localhost:5000/x");
        let grant = Grant::Token(full_grant(&scopes));
        assert!(grant.allows("repository", "a/b", "push"));
        assert!(!grant.allows("repository", "a/c", "pull"));
        assert!(!grant.allows("repository", "a/b", "delete"));
        assert!(grant.allows("registry", "catalog", "*"));
    }
}
