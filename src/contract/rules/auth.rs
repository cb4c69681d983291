//! Authentication rules: 401 challenges and the token endpoints' bodies.

use super::Rule;
use super::support::{catalogue_body_schema, check, fail, media_type_base, shown};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::exchange::{Exchange, Verdict};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "all.auth-challenge",
        ops: &[],
        explanation: "A 401 carries WWW-Authenticate: Basic realm=… or Bearer realm=…,service=…",
        bindings: norms::B_AUTH_CHALLENGE,
        check: auth_challenge,
    },
    Rule {
        id: "ExchangeAadAccessTokenForAcrRefreshToken.schema",
        ops: &[O::ExchangeAadAccessTokenForAcrRefreshToken],
        explanation: "200 body is {\"refresh_token\": non-empty string}",
        bindings: norms::B_ACR_TOKENS,
        check: catalogue_body_schema,
    },
    Rule {
        id: "ExchangeAadAccessTokenForAcrRefreshToken.content-type-json",
        ops: &[O::ExchangeAadAccessTokenForAcrRefreshToken],
        explanation: "200 is served as application/json",
        bindings: norms::B_ACR_TOKENS,
        check: token_json_content_type,
    },
    Rule {
        id: "ExchangeAcrRefreshTokenForAcrAccessToken.schema",
        ops: &[O::ExchangeAcrRefreshTokenForAcrAccessToken],
        explanation: "200 body is {\"access_token\": non-empty string}",
        bindings: norms::B_ACR_TOKENS,
        check: catalogue_body_schema,
    },
    Rule {
        id: "ExchangeAcrRefreshTokenForAcrAccessToken.content-type-json",
        ops: &[O::ExchangeAcrRefreshTokenForAcrAccessToken],
        explanation: "200 is served as application/json",
        bindings: norms::B_ACR_TOKENS,
        check: token_json_content_type,
    },
    Rule {
        id: "GetAcrAccessTokenFromLogin.schema",
        ops: &[O::GetAcrAccessTokenFromLogin],
        explanation: "200 body is {\"access_token\": non-empty string}",
        bindings: norms::B_ACR_TOKENS,
        check: catalogue_body_schema,
    },
    Rule {
        id: "GetAcrAccessTokenFromLogin.content-type-json",
        ops: &[O::GetAcrAccessTokenFromLogin],
        explanation: "200 is served as application/json",
        bindings: norms::B_ACR_TOKENS,
        check: token_json_content_type,
    },
];

/// A parsed challenge: scheme and `key="value"` parameters.
#[derive(Debug)]
pub(super) struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    fn param(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `Scheme k="v", k2="v2"` (quoted or token values). `None` when malformed.
pub(super) fn parse_challenge(s: &str) -> Option<Challenge> {
    let t = s.trim();
    let (scheme, rest) = t.split_once(' ').unwrap_or((t, ""));
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = rest.trim();
    let mut guard = 0;
    while !rest.is_empty() {
        guard += 1;
        if guard > 64 {
            return None;
        }
        let (k, after) = rest.split_once('=')?;
        let k = k.trim().trim_start_matches(',').trim();
        if k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return None;
        }
        let after = after.trim_start();
        let (v, remaining) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        params.push((k.to_string(), v.to_string()));
        rest = remaining.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(Challenge {
        scheme: scheme.to_string(),
        params,
    })
}

fn auth_challenge(ex: &Exchange) -> Verdict {
    // Token endpoints answer bad grants per OAuth2 (RFC 6749 §5.2), not with a challenge.
    if ex.response.status != 401 || ex.op.surface() == crate::contract::Surface::OAuth2 {
        return Verdict::NotApplicable;
    }
    let expected = "WWW-Authenticate: Bearer realm=\"…\",service=\"…\" (or Basic realm=\"…\")";
    let Some(v) = ex.response.header("WWW-Authenticate") else {
        return fail(
            "401 without a WWW-Authenticate challenge",
            expected,
            "<absent>",
        );
    };
    let Some(c) = parse_challenge(v) else {
        return fail("WWW-Authenticate is not a valid challenge", expected, v);
    };
    let has = |k: &str| c.param(k).is_some_and(|x| !x.is_empty());
    if c.scheme.eq_ignore_ascii_case("bearer") {
        check(has("realm") && has("service"), || {
            fail("Bearer challenge must name realm and service", expected, v)
        })
    } else if c.scheme.eq_ignore_ascii_case("basic") {
        check(has("realm"), || {
            fail("Basic challenge must name a realm", expected, v)
        })
    } else {
        fail("challenge scheme is neither Basic nor Bearer", expected, v)
    }
}

fn token_json_content_type(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let ct = ex.response.header("Content-Type");
    check(
        ct.is_some_and(|c| media_type_base(c) == "application/json"),
        || {
            fail(
                "token response Content-Type is not application/json",
                "Content-Type: application/json",
                shown(ct),
            )
        },
    )
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, ex};
    use serde_json::json;
    let aad = || {
        ex(
            O::ExchangeAadAccessTokenForAcrRefreshToken,
            "POST",
            "/oauth2/exchange",
        )
    };
    let tok = || {
        ex(
            O::ExchangeAcrRefreshTokenForAcrAccessToken,
            "POST",
            "/oauth2/token",
        )
    };
    let login = || {
        ex(
            O::GetAcrAccessTokenFromLogin,
            "GET",
            "/oauth2/token?service=r&scope=x",
        )
    };
    let json_ct = "application/json; charset=utf-8";
    vec![
        case(
            "all.auth-challenge",
            ex(O::GetManifest, "GET", "/v2/r/manifests/t")
                .status(401)
                .header("WWW-Authenticate", "Bearer realm=\"https://r/oauth2/token\""),
            ex(O::GetManifest, "GET", "/v2/r/manifests/t").status(401).header(
                "WWW-Authenticate",
                "Bearer realm=\"https://r.azurecr.io/oauth2/token\",service=\"r.azurecr.io\",scope=\"repository:r:pull\",error=\"insufficient_scope\"",
            ),
        ),
        case(
            "all.auth-challenge",
            ex(O::CheckDockerV2Support, "GET", "/v2/").status(401),
            ex(O::CheckDockerV2Support, "GET", "/v2/")
                .status(401)
                .header("WWW-Authenticate", "Basic realm=\"Registry Realm\""),
        ),
        case(
            "ExchangeAadAccessTokenForAcrRefreshToken.schema",
            aad().json(json!({"access_token":"x"})),
            aad().json(json!({"refresh_token":"eyJ0"})),
        ),
        case(
            "ExchangeAadAccessTokenForAcrRefreshToken.content-type-json",
            aad().header("Content-Type", "text/plain"),
            aad().header("Content-Type", json_ct),
        ),
        case(
            "ExchangeAcrRefreshTokenForAcrAccessToken.schema",
            tok().json(json!({"access_token":""})),
            tok().json(json!({"access_token":"eyJ0"})),
        ),
        case(
            "ExchangeAcrRefreshTokenForAcrAccessToken.content-type-json",
            tok(),
            tok().header("Content-Type", json_ct),
        ),
        case(
            "GetAcrAccessTokenFromLogin.schema",
            login().body("not json"),
            login().json(json!({"access_token":"eyJ0","extra":1})),
        ),
        case(
            "GetAcrAccessTokenFromLogin.content-type-json",
            login().header("Content-Type", "text/html"),
            login().header("Content-Type", "application/json"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = parse_challenge("Bearer realm=\"https://r/oauth2/token\",service=\"r\",scope=\"repository:a:pull,push\"").unwrap();
        assert_eq!(c.scheme, "Bearer");
        assert_eq!(c.param("scope"), Some("repository:a:pull,push"));
        assert_eq!(c.param("service"), Some("r"));
        let c = parse_challenge("Basic realm=x").unwrap();
        assert_eq!(c.param("realm"), Some("x"));
        assert!(parse_challenge("Bearer realm=\"unterminated").is_none());
        assert!(parse_challenge("Bearer realm=\"a\" service=\"b\"").is_none());
    }
}

#[cfg(test)]
mod oauth2_tests {
    use super::*;
    use crate::contract::rules::testkit::ex;

    /// Token endpoints refuse bad grants the OAuth2 way (RFC 6749 §5.2): no challenge needed
    /// there, while the same 401 on a registry path fails.
    #[test]
    fn token_endpoint_401_needs_no_challenge() {
        let token = ex(
            O::ExchangeAcrRefreshTokenForAcrAccessToken,
            "POST",
            "/oauth2/token",
        )
        .status(401)
        .build();
        assert_eq!(auth_challenge(&token), Verdict::NotApplicable);
        let registry = ex(O::GetTags, "GET", "/acr/v1/r/_tags").status(401).build();
        assert!(matches!(auth_challenge(&registry), Verdict::Fail(_)));
    }
}
