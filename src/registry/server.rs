//! Binding, spawning and stopping the registry (and, in redirect mode, the storage listener),
//! over plain http or TLS (both listeners alike).

use super::auth::Signer;
use super::faults::FaultSet;
use super::routes::uploads::Sessions;
use super::routes::{App, dispatch, storage};
use super::store::Store;
use super::tls::{ServerTls, TlsListener};
use super::{AuthMode, RegistryConfig, RegistryError, Surface};
use axum::Router;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A started registry. Dropping it stops the server (without waiting).
#[derive(Debug)]
pub struct RunningRegistry {
    addr: SocketAddr,
    storage_addr: Option<SocketAddr>,
    config: RegistryConfig,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The generated CA certificate file (`TlsSetup::Generate`).
    ca_file: Option<std::path::PathBuf>,
    /// Its directory, removed when the registry stops.
    tls_dir: Option<std::path::PathBuf>,
}

fn loopback_if_unspecified(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
    } else {
        addr
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), RegistryError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| RegistryError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| RegistryError::Bind { addr, source })?;
    Ok((listener, local))
}

fn spawn_server<L>(listener: L, router: Router, mut stop: watch::Receiver<bool>) -> JoinHandle<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    tokio::spawn(async move {
        let shutdown = async move {
            // Ends when `true` is sent or the sender is dropped.
            let _ = stop.wait_for(|v| *v).await;
        };
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
    })
}

/// `spawn_server` over TLS when `tls` is given.
fn spawn_maybe_tls(
    listener: TcpListener,
    tls: Option<&ServerTls>,
    router: Router,
    stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, RegistryError> {
    Ok(match tls {
        None => spawn_server(listener, router, stop),
        Some(tls) => {
            let listener = TlsListener::new(listener, tls.acceptor.clone())
                .map_err(|e| RegistryError::Tls(format!("listener: {e}")))?;
            spawn_server(listener, router, stop)
        }
    })
}

/// Binds and starts the registry described by `config`.
pub async fn start(config: RegistryConfig) -> Result<RunningRegistry, RegistryError> {
    check_surface(&config)?;
    let (listener, addr) = bind(config.addr).await?;
    let storage = if config.redirect_blobs {
        Some(bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?)
    } else {
        None
    };
    let store_root = config.storage.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(store_root))
        .await
        .map_err(|e| RegistryError::Storage {
            path: config.storage.clone().unwrap_or_default(),
            source: std::io::Error::other(e),
        })??;
    let public = loopback_if_unspecified(addr);
    let tls = config.tls.as_ref().map(ServerTls::new).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let app = Arc::new(App {
        faults: FaultSet::new(&config.faults),
        sessions: Sessions::new(store.upload_dir()),
        store,
        signer: Signer::new(),
        storage_url: storage.as_ref().map(|(_, a)| format!("{scheme}://{a}")),
        default_host: public.to_string(),
        config: config.clone(),
        one_at_a_time: tokio::sync::Mutex::new(()),
    });
    let (tx, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let router = Router::new().fallback(dispatch).with_state(app.clone());
    if config.faults.iter().any(|f| f.is_hostile()) {
        if tls.is_some() {
            return Err(RegistryError::Tls(
                "hostile faults are served on plain http only; drop --tls".into(),
            ));
        }
        // Hostile faults answer below HTTP: a raw-socket layer in front of the router.
        let front = super::hostile::front(listener, app.clone(), rx.clone())
            .map_err(|source| RegistryError::Bind { addr, source })?;
        let router = super::hostile::one_request_per_connection(router);
        tasks.push(spawn_server(front, router, rx.clone()));
    } else {
        tasks.push(spawn_maybe_tls(listener, tls.as_ref(), router, rx.clone())?);
    }
    let mut storage_addr = None;
    if let Some((listener, a)) = storage {
        storage_addr = Some(a);
        let router = Router::new().fallback(storage::handle).with_state(app);
        tasks.push(spawn_maybe_tls(listener, tls.as_ref(), router, rx)?);
    }
    Ok(RunningRegistry {
        addr: public,
        storage_addr,
        config,
        shutdown: tx,
        tasks,
        ca_file: tls.as_ref().and_then(|t| t.ca_file.clone()),
        tls_dir: tls.and_then(|t| t.dir),
    })
}

/// The minimal surface offers neither token auth nor blob redirects (both beyond OCI).
fn check_surface(config: &RegistryConfig) -> Result<(), RegistryError> {
    if config.surface != Surface::Minimal {
        return Ok(());
    }
    if config.auth == AuthMode::Token {
        return Err(RegistryError::Conflict(
            "the minimal registry has no token endpoints: use auth none or basic".into(),
        ));
    }
    if config.redirect_blobs {
        return Err(RegistryError::Conflict(
            "the minimal registry serves blobs itself: drop the blob redirect option".into(),
        ));
    }
    Ok(())
}

impl RunningRegistry {
    /// Base URL, e.g. `http://127.0.0.1:41234` (`https://` with TLS).
    pub fn url(&self) -> String {
        let scheme = if self.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The generated CA certificate (PEM) clients must trust, when TLS certificates were
    /// generated. The file is removed when the registry stops.
    pub fn ca_cert_path(&self) -> Option<&std::path::Path> {
        self.ca_file.as_deref()
    }

    /// The bound address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The storage listener's address in redirect mode.
    pub fn storage_addr(&self) -> Option<SocketAddr> {
        self.storage_addr
    }

    /// The configuration the registry was started with.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s), then stops.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for RunningRegistry {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for task in &self.tasks {
            task.abort();
        }
        if let Some(dir) = self.tls_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
