//! Sending a step's request: the namespace guard (writes only inside the run namespace) and
//! `send_following`, which sends and follows redirects hop by hop, keeping every answer.

use super::paths;
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

/// Sends a request and follows redirects (each hop is returned for checking). On a foreign
/// origin, credentials are never sent and `Authorization` headers are removed.
/// Every hop passes the namespace guard; a write is never redirected to another host.
/// A chain longer than the client's `max_redirects` (a loop, say) is a transport finding.
pub(super) async fn send_following(
    client: &Client,
    mut req: OutgoingRequest,
    creds: Credentials,
    follow: bool,
    namespace: &str,
) -> Result<Vec<Observed>, SendError> {
    let mut hops = Vec::new();
    let mut creds_now = creds;
    let max_redirects = client.options().limits.max_redirects;
    loop {
        guard(&req, namespace).map_err(SendError::Refused)?;
        let foreign = !client::same_origin(&req.url, &client.options().target);
        if foreign && !matches!(req.method.as_str(), "GET" | "HEAD") {
            return Err(SendError::Refused(format!(
                "refusing to follow a redirect of {} to another host ({})",
                req.method,
                client::strip_query(&req.url)
            )));
        }
        let observed = match client.execute(&req, creds_now).await {
            Ok(o) => o,
            Err(error) => return Err(SendError::Transport { hops, error }),
        };
        let status = observed.response.status;
        let location = observed.response.header("location").map(str::to_string);
        hops.push(observed);
        let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
        let (true, true, Some(loc)) = (follow, redirect, location) else {
            break;
        };
        if hops.len() > max_redirects {
            let error = client::ClientError::Limit {
                request: client::request_label(
                    req.method.as_str(),
                    &req.url,
                    &client.options().target,
                ),
                breach: client::limits::Breach {
                    kind: client::limits::LimitKind::Redirects,
                    detail: format!(
                        "more than {max_redirects} redirects (the last one, {status}, points to {})",
                        loc.split('?').next().unwrap_or_default()
                    ),
                },
            };
            return Err(SendError::Transport { hops, error });
        }
        let Ok(next) = req.url.join(&loc) else {
            break;
        };
        if !client::same_origin(&next, &client.options().target) {
            creds_now = Credentials::Never;
            req.headers.retain(|(k, _)| !secret::is_sensitive_header(k));
        }
        if status == 303 {
            req.method = reqwest::Method::GET;
            req.body = client::OutgoingBody::Empty;
        }
        req.url = next;
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
