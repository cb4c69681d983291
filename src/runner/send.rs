//! Sending a step's request: the namespace guard (writes only inside the run namespace) and
//! `send_following`, which sends and follows redirects hop by hop, keeping every answer.

use super::paths;
use crate::client::redirect::{self, RedirectError, Redirects};
use crate::client::{self, Client, Credentials, Observed, OutgoingRequest, secret};

/// Why `send_following` produced no final answer.
pub(super) enum SendError {
    /// The runner refused to send (namespace guard, write redirected to another host).
    Refused(String),
    /// The target gave no usable answer (limit breached, deadline passed, protocol broken):
    /// a finding. `hops` are the answers before it.
    Transport {
        hops: Vec<Observed>,
        error: client::ClientError,
    },
}

/// The namespace guard: writes only inside the run namespace.
fn guard(req: &OutgoingRequest, namespace: &str) -> Result<(), String> {
    if matches!(req.method.as_str(), "GET" | "HEAD") {
        return Ok(());
    }
    let path = req.url.path();
    if path.starts_with("/oauth2/") {
        return Ok(());
    }
    match paths::repository_of(path) {
        Some(repo) if repo.starts_with(&format!("{namespace}/")) => Ok(()),
        Some(repo) => Err(format!(
            "refusing to {} in repository `{repo}`: outside the run namespace `{namespace}`",
            req.method
        )),
        None => Ok(()),
    }
}

/// Sends a request and follows redirects (each hop is returned for checking) through the
/// client's one redirect policy: on a foreign origin credentials are never sent and credential
/// headers are removed, a write is never redirected to another host, and a chain longer than
/// the client's `max_redirects` (a loop, say) is a transport finding. Every hop also passes
/// the namespace guard.
pub(super) async fn send_following(
    client: &Client,
    mut req: OutgoingRequest,
    creds: Credentials,
    follow: bool,
    namespace: &str,
) -> Result<Vec<Observed>, SendError> {
    let target = &client.options().target;
    let mut redirects = Redirects::new(target, client.options().limits.max_redirects);
    let mut hops = Vec::new();
    let mut creds_now = creds;
    redirect::refuse_foreign_write(target, &req.method, &req.url).map_err(SendError::Refused)?;
    loop {
        guard(&req, namespace).map_err(SendError::Refused)?;
        let observed = match client.execute(&req, creds_now).await {
            Ok(o) => o,
            Err(error) => return Err(SendError::Transport { hops, error }),
        };
        let status = observed.response.status;
        let location = observed.response.header("location").map(str::to_string);
        hops.push(observed);
        if !follow {
            break;
        }
        let hop = match redirects.next(&req.method, &req.url, status, location.as_deref()) {
            Ok(Some(hop)) => hop,
            Ok(None) => break,
            Err(RedirectError::ForeignWrite(why)) => return Err(SendError::Refused(why)),
            Err(RedirectError::TooMany {
                max,
                status,
                location,
            }) => {
                let error = client::ClientError::Limit {
                    request: client::request_label(req.method.as_str(), &req.url, target),
                    breach: client::limits::Breach {
                        kind: client::limits::LimitKind::Redirects,
                        detail: format!(
                            "more than {max} redirects (the last one, {status}, points to {location})"
                        ),
                    },
                };
                return Err(SendError::Transport { hops, error });
            }
        };
        if !hop.credentials {
            creds_now = Credentials::Never;
            req.headers.retain(|(k, _)| !secret::is_sensitive_header(k));
        }
        if hop.drop_body {
            req.body = client::OutgoingBody::Empty;
        }
        req.method = hop.method;
        req.url = hop.url;
    }
    Ok(hops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::OutgoingBody;
    use url::Url;

    fn req(method: &str, path: &str) -> OutgoingRequest {
        OutgoingRequest {
            method: reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            url: Url::parse("http://127.0.0.1:1")
                .unwrap()
                .join(path)
                .unwrap(),
            headers: vec![],
            body: OutgoingBody::Empty,
        }
    }

    #[test]
    fn guard_refuses_writes_outside_the_namespace() {
        assert!(guard(&req("DELETE", "/v2/ns1/a/manifests/sha256:00"), "ns1").is_ok());
        assert!(guard(&req("DELETE", "/v2/other/a/manifests/sha256:00"), "ns1").is_err());
        assert!(guard(&req("PATCH", "/acr/v1/library/hello"), "ns1").is_err());
        assert!(guard(&req("DELETE", "/acr/v1/ns1x/a"), "ns1").is_err());
        assert!(guard(&req("GET", "/v2/other/a/manifests/v1"), "ns1").is_ok());
        assert!(guard(&req("POST", "/oauth2/token"), "ns1").is_ok());
    }
}
