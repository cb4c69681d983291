//! Hostile faults: a raw-socket layer in front of the registry's HTTP server. Each accepted
//! connection's request head is read here; when an active hostile fault's [`Trigger`] matches
//! (method and path), this layer answers with raw bytes that break HTTP itself (garbage status
//! line, sizes, framing, time, resets, compression); otherwise the connection, bytes already
//! read included, goes on to axum. While hostile faults are active the registry answers one
//! request per connection (`Connection: close`), so every request passes through here.
//!
//! Bounded on this side too: bodies are generated lazily, every answer ends by itself within
//! [`MAX_ANSWER_TIME`], and reading a request head stops at 64 KiB or 10 s.

mod gzip;
mod head;
mod respond;
mod rewind;

use super::faults::Fault;
use super::routes::App;
use axum::Router;
use axum::http::{HeaderValue, header};
use rewind::Rewind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// The longest any hostile answer takes before its connection is closed.
pub const MAX_ANSWER_TIME: Duration = Duration::from_secs(120);

/// Which requests a hostile fault answers: each fault's own default, or the one given with
/// `--fault-on` (`any`, `blob-get`, `manifest-get`, `tags-list`, `path:<substring>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Every request (the `/v2/` probe included).
    Any,
    /// `GET /v2/<name>/blobs/<digest>` (ranged or not) of a blob the registry holds: the
    /// blob GETs of conformance and load runs.
    GetBlob,
    /// `GET /v2/<name>/manifests/<reference>`.
    GetManifest,
    /// `GET /v2/<name>/tags/list`.
    ListTags,
    /// Any request whose path contains this text.
    PathContains(String),
}

/// A `--fault-on` value that names no trigger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault trigger `{0}` (use any, blob-get, manifest-get, tags-list or path:<text>)")]
pub struct ParseTriggerError(pub String);

impl std::str::FromStr for Trigger {
    type Err = ParseTriggerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s {
            "any" => Ok(Trigger::Any),
            "blob-get" => Ok(Trigger::GetBlob),
            "manifest-get" => Ok(Trigger::GetManifest),
            "tags-list" => Ok(Trigger::ListTags),
            _ => match s.strip_prefix("path:") {
                Some(p) if !p.is_empty() => Ok(Trigger::PathContains(p.to_string())),
                _ => Err(ParseTriggerError(s.to_string())),
            },
        }
    }
}

impl Trigger {
    /// Whether a request with this method and path (no query) is answered by the fault.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let get = method == "GET";
        let v2 = path.starts_with("/v2/");
        match self {
            Trigger::Any => true,
            Trigger::GetBlob => {
                get && v2 && path.contains("/blobs/") && !path.contains("/blobs/uploads")
            }
            Trigger::GetManifest => get && v2 && path.contains("/manifests/"),
            Trigger::ListTags => get && v2 && path.ends_with("/tags/list"),
            Trigger::PathContains(p) => path.contains(p.as_str()),
        }
    }
}

/// The requests a hostile fault answers; `None` for the narrow contract faults.
pub(crate) fn trigger(fault: Fault) -> Option<Trigger> {
    use Fault as F;
    Some(match fault {
        F::NonHttpBytes => Trigger::Any,
        F::GarbageStatusLine | F::HugeManifest | F::OversizedHeader | F::NeverAnswer => {
            Trigger::GetManifest
        }
        F::HugeJsonList | F::TruncatedJson | F::DeepJson => Trigger::ListTags,
        F::SlowBlobBody
        | F::BodyCutShort
        | F::ContentLengthShort
        | F::RedirectLoop
        | F::ResetMidBody
        | F::GzipBomb => Trigger::GetBlob,
        _ => return None,
    })
}

/// Connections that reached axum, handed over by the front acceptor.
pub(crate) struct HostileListener {
    rx: mpsc::Receiver<(Rewind, SocketAddr)>,
    addr: SocketAddr,
}

impl axum::serve::Listener for HostileListener {
    type Io = Rewind;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The acceptor stopped (shutdown): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// Starts accepting on `listener`: requests matching one of the app's hostile faults are
/// answered here, the rest are passed to the returned listener (serve it with
/// [`one_request_per_connection`]). Stops when `stop` turns true or its sender is dropped.
pub(crate) fn front(
    listener: TcpListener,
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<HostileListener> {
    let addr = listener.local_addr()?;
    let faults: Vec<(Fault, Trigger)> = app
        .config
        .faults
        .iter()
        .filter_map(|f| {
            let t = app.config.fault_on.clone().or_else(|| trigger(*f))?;
            trigger(*f).map(|_| (*f, t))
        })
        .collect();
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = stop.wait_for(|v| *v) => break,
                a = listener.accept() => a,
            };
            let Ok((stream, peer)) = accepted else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let (tx, app, faults) = (tx.clone(), app.clone(), faults.clone());
            tokio::spawn(async move {
                let Ok(Some((buf, head))) = head::read(&stream).await else {
                    return;
                };
                // Blob faults misbehave only with blobs the registry holds: a GET of an
                // unknown blob still gets its correct 404.
                let fault = faults
                    .iter()
                    .find(|(_, t)| {
                        t.matches(&head.method, &head.path)
                            && (t != &Trigger::GetBlob || respond::holds_blob(&head, &app))
                    })
                    .map(|(f, _)| *f);
                match fault {
                    Some(f) => {
                        let mut stream = stream;
                        let _ = tokio::time::timeout(
                            MAX_ANSWER_TIME,
                            respond::answer(f, &mut stream, &head, &app),
                        )
                        .await;
                    }
                    None => {
                        let _ = tx.send((Rewind::new(buf, stream), peer)).await;
                    }
                }
            });
        }
    });
    Ok(HostileListener { rx, addr })
}

/// Adds `Connection: close` to every answer so each request arrives on a new connection.
pub(crate) fn one_request_per_connection(router: Router) -> Router {
    router.layer(axum::middleware::map_response(
        |mut resp: axum::response::Response| async move {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            resp
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_match_their_operations_only() {
        let b = "/v2/ns/a/blobs/sha256:00";
        assert!(Trigger::GetBlob.matches("GET", b));
        assert!(!Trigger::GetBlob.matches("HEAD", b));
        assert!(!Trigger::GetBlob.matches("GET", "/v2/ns/a/blobs/uploads/x"));
        assert!(Trigger::GetManifest.matches("GET", "/v2/ns/a/manifests/v1"));
        assert!(!Trigger::GetManifest.matches("PUT", "/v2/ns/a/manifests/v1"));
        assert!(Trigger::ListTags.matches("GET", "/v2/ns/a/tags/list"));
        assert!(!Trigger::ListTags.matches("GET", "/acr/v1/ns/a/_tags"));
        assert!(Trigger::Any.matches("POST", "/oauth2/token"));
        let p: Trigger = "path:/tags/".parse().unwrap();
        assert!(p.matches("HEAD", "/v2/a/tags/list"));
        assert!(!p.matches("GET", "/v2/a/manifests/v1"));
        assert_eq!("blob-get".parse::<Trigger>(), Ok(Trigger::GetBlob));
        assert!("path:".parse::<Trigger>().is_err());
        assert!("blobs".parse::<Trigger>().is_err());
        for f in Fault::ALL {
            assert_eq!(
                f.is_hostile(),
                f.description().starts_with("hostile:"),
                "{f}"
            );
        }
    }
}
