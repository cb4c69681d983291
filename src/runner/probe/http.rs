//! The probe's requests: sent with the client's plain helpers, a transport failure making the
//! target unreachable (the run cannot happen).

use crate::client::simple::{self, request as req};
use crate::client::{Client, ClientError, Credentials, Observed, OutgoingBody, OutgoingRequest};
use crate::runner::error::RunnerError;
use reqwest::Method;

/// Sends one request with credentials as needed; a transport failure makes the target
/// unreachable.
pub(super) async fn send(
    client: &Client,
    method: Method,
    path: &str,
) -> Result<Observed, RunnerError> {
    execute(client, &req(client, method, path, OutgoingBody::Empty)).await
}

pub(super) async fn execute(client: &Client, r: &OutgoingRequest) -> Result<Observed, RunnerError> {
    execute_as(client, r, Credentials::Auto).await
}

/// [`execute`] with the given credential policy (`Never`: see what an anonymous client gets).
pub(super) async fn execute_as(
    client: &Client,
    r: &OutgoingRequest,
    creds: Credentials,
) -> Result<Observed, RunnerError> {
    match client.execute(r, creds).await {
        // A GET or HEAD that died before any answer (the connection reset as it was sent: a
        // keep-alive connection the server was closing, RFC 9112 §9.3.1) is tried once more on
        // a fresh connection before the target counts as unreachable.
        Err(ClientError::Http { detail, .. })
            if is_idempotent(r) && detail.contains("SendRequest") =>
        {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            client
                .execute(r, creds)
                .await
                .map_err(|source| unreachable(client, source))
        }
        other => other.map_err(|source| unreachable(client, source)),
    }
}

/// GET and HEAD: safe to send again.
fn is_idempotent(r: &OutgoingRequest) -> bool {
    r.method == Method::GET || r.method == Method::HEAD
}

fn unreachable(client: &Client, source: ClientError) -> RunnerError {
    RunnerError::Unreachable {
        target: client.options().target.to_string(),
        source,
    }
}

/// Uploads one blob ([`simple::push_blob`]); a transport failure makes the target unreachable.
pub(super) async fn push_blob(
    client: &Client,
    repo: &str,
    content: &[u8],
) -> Result<Result<(), String>, RunnerError> {
    simple::push_blob(client, repo, content)
        .await
        .map_err(|source| unreachable(client, source))
}
