//! Which scope a request needs (as ACR would name it in its challenge, acr-contract.md §6.3),
//! the challenge assumed when a 401 carries none, and the token cache key derived from both.

use super::challenge::Challenge;
use crate::client::credentials::RunCredentials;
use crate::client::origin::{host_port, origin};
use crate::client::request::OutgoingRequest;
use url::Url;

/// What to try when a 401 carries no (usable) challenge: Basic when a password was given and
/// no token credential, else ACR's token endpoint on the target itself (`/oauth2/token`,
/// service = host). The missing challenge is still reported by the contract rules on the 401.
pub(crate) fn assumed_challenge(
    creds: &RunCredentials,
    target: &Url,
    req: &OutgoingRequest,
) -> Challenge {
    if creds.aad_token.is_none() && creds.refresh_token.is_none() && creds.password.is_some() {
        return Challenge::bare("basic");
    }
    let realm = target
        .join("/oauth2/token")
        .map(|u| u.to_string())
        .unwrap_or_default();
    Challenge {
        scheme: "bearer".into(),
        params: [
            ("realm".to_string(), realm),
            ("service".to_string(), host_port(target)),
            ("scope".to_string(), assumed_scope(req)),
        ]
        .into_iter()
        .collect(),
    }
}

/// The scope ACR would put in its challenge for this request (acr-contract.md §6.3).
pub(crate) fn assumed_scope(req: &OutgoingRequest) -> String {
    let path = req.url.path();
    if path.ends_with("/_catalog") {
        return "registry:catalog:*".into();
    }
    let Some(repo) = crate::vocab::paths::repository_of(path) else {
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
pub(crate) fn cache_key(req: &OutgoingRequest) -> String {
    format!("{} {}", origin(&req.url), assumed_scope(req))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::request::OutgoingBody;

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
    fn a_missing_challenge_is_assumed_from_the_credentials() {
        let target = Url::parse("http://127.0.0.1:5000/").unwrap();
        let req = OutgoingRequest {
            method: reqwest::Method::GET,
            url: target.join("/v2/a/tags/list").unwrap(),
            headers: vec![],
            body: OutgoingBody::Empty,
        };
        let mut creds = RunCredentials {
            username: Some("u".into()),
            password: Some(crate::client::Secret::new("p")),
            ..Default::default()
        };
        assert_eq!(assumed_challenge(&creds, &target, &req).scheme, "basic");
        creds.aad_token = Some(crate::client::Secret::new("t"));
        let c = assumed_challenge(&creds, &target, &req);
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("http://127.0.0.1:5000/oauth2/token"));
        assert_eq!(c.param("service"), Some("127.0.0.1:5000"));
        assert_eq!(c.param("scope"), Some("repository:a:pull"));
    }
}
