//! `/v2/`, the registry's root: the target must answer it as a registry does. Its anonymous
//! answer decides `auth` (challenged) and `token-auth` (challenged with Bearer); the answer
//! with credentials tells whether it carries the API version header.

use super::capabilities::Evidence;
use super::http::{execute_as, send};
use crate::client::simple::request as req;
use crate::client::{Client, Credentials, OutgoingBody};
use crate::exchange::ObservedResponse;
use crate::runner::error::RunnerError;
use reqwest::Method;

/// What `/v2/` answered.
pub(super) struct Root {
    /// The answer to an anonymous `GET /v2/`.
    pub anonymous: ObservedResponse,
    /// `/v2/` carried `Docker-Distribution-Api-Version: registry/2.0`.
    pub api_version_header: bool,
}

/// `/v2/` without credentials (the challenge), then with them when challenged; an error when
/// the target is no registry or refuses the credentials.
pub(super) async fn root(client: &Client) -> Result<Root, RunnerError> {
    let anonymous = execute_as(
        client,
        &req(client, Method::GET, "/v2/", OutgoingBody::Empty),
        Credentials::Never,
    )
    .await?
    .response;
    let authenticated = if anonymous.status == 401 {
        Some(send(client, Method::GET, "/v2/").await?.response)
    } else {
        None
    };
    let v2 = authenticated.as_ref().unwrap_or(&anonymous);
    let api_version_header = registry_answer(client, v2)?;
    Ok(Root {
        anonymous,
        api_version_header,
    })
}

/// Whether `v2` (the answer the client gets to `GET /v2/`) is a registry's: a whole body and
/// 200; then whether it carries the API version header.
fn registry_answer(client: &Client, v2: &ObservedResponse) -> Result<bool, RunnerError> {
    let target = client.options().target.to_string();
    if let Some(broken) = &v2.body.incomplete {
        return Err(RunnerError::NotARegistry {
            target,
            detail: format!("the body of GET /v2/ broke off: {broken}"),
        });
    }
    match v2.status {
        200 => {}
        401 => {
            return Err(RunnerError::Config(format!(
                "{target} refused the credentials for /v2/ (401); pass --username/--password or --aad-token"
            )));
        }
        s => {
            return Err(RunnerError::NotARegistry {
                target,
                detail: format!("GET /v2/ answered {s}, expected 200 or 401"),
            });
        }
    }
    Ok(v2
        .header("docker-distribution-api-version")
        .is_some_and(|v| v.trim() == "registry/2.0"))
}

/// The challenge of an anonymous `/v2/` answer (empty when there is none).
fn challenge(anonymous: &ObservedResponse) -> &str {
    anonymous.header("www-authenticate").unwrap_or_default()
}

/// `auth`: an anonymous `GET /v2/` is challenged (401).
pub(super) fn auth(anonymous: &ObservedResponse) -> Evidence {
    let challenged = anonymous.status == 401;
    let challenge = challenge(anonymous);
    Evidence::new(
        challenged,
        if !challenged {
            format!("anonymous GET /v2/ answered {}", anonymous.status)
        } else if challenge.is_empty() {
            "anonymous GET /v2/ answered 401 without a challenge".to_string()
        } else {
            format!(
                "anonymous GET /v2/ answered 401, challenge scheme {}",
                challenge.split_whitespace().next().unwrap_or("")
            )
        },
    )
}

/// `token-auth`: the anonymous `/v2/` challenge is Bearer.
pub(super) fn token_auth(anonymous: &ObservedResponse) -> Evidence {
    let challenged = anonymous.status == 401;
    let bearer = challenge(anonymous)
        .to_ascii_lowercase()
        .starts_with("bearer");
    Evidence::new(
        bearer,
        if bearer {
            "anonymous GET /v2/ was challenged with Bearer".to_string()
        } else if challenged {
            "the /v2/ challenge is not Bearer".to_string()
        } else {
            "anonymous GET /v2/ was not challenged".to_string()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, challenge: Option<&str>) -> ObservedResponse {
        ObservedResponse {
            status,
            headers: challenge
                .map(|c| ("WWW-Authenticate".to_string(), c.to_string()))
                .into_iter()
                .collect(),
            body: Default::default(),
        }
    }

    #[test]
    fn auth_and_token_auth_come_from_the_anonymous_challenge() {
        let bearer = answer(401, Some("Bearer realm=\"http://x/token\""));
        assert_eq!(
            auth(&bearer),
            Evidence::new(
                true,
                "anonymous GET /v2/ answered 401, challenge scheme Bearer"
            )
        );
        assert!(token_auth(&bearer).present);
        let basic = answer(401, Some("Basic realm=x"));
        assert!(auth(&basic).present);
        assert_eq!(
            token_auth(&basic),
            Evidence::new(false, "the /v2/ challenge is not Bearer")
        );
        let bare = answer(401, None);
        assert_eq!(
            auth(&bare).text,
            "anonymous GET /v2/ answered 401 without a challenge"
        );
        let open = answer(200, None);
        assert_eq!(
            auth(&open),
            Evidence::new(false, "anonymous GET /v2/ answered 200")
        );
        assert_eq!(
            token_auth(&open).text,
            "anonymous GET /v2/ was not challenged"
        );
    }
}
