//! TLS for the embedded registry: a throwaway CA and a server certificate for `127.0.0.1`,
//! `::1` and `localhost` generated at start (`rcgen`; the CA's PEM is written to a file the
//! caller can trust, removed when the registry stops), or a certificate and key from PEM
//! files; and a listener that completes handshakes concurrently (`tokio-rustls`, the TLS
//! stack reqwest already uses) and hands finished streams to axum.

use super::RegistryError;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Where the registry's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetup {
    /// Generate a throwaway CA and a server certificate for 127.0.0.1, ::1 and localhost.
    Generate,
    /// PEM files: certificate chain and private key.
    Files {
        /// Certificate chain (server certificate first).
        cert: PathBuf,
        /// Private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

/// Host names the generated certificate is valid for.
pub const GENERATED_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];
/// Longest a client may take to complete its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for the server to take them.
const BACKLOG: usize = 64;

/// The TLS side of a running registry.
pub(crate) struct ServerTls {
    pub acceptor: TlsAcceptor,
    /// The generated CA certificate (PEM file), when generated.
    pub ca_file: Option<PathBuf>,
    /// The directory holding it, removed at shutdown.
    pub dir: Option<PathBuf>,
}

fn tls_err(what: &str, e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Tls(format!("{what}: {e}"))
}

/// PEMs of a fresh CA certificate, a server certificate it signed for `names`, and that
/// certificate's private key.
pub fn generate(names: &[&str]) -> Result<(String, String, String), RegistryError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_err("CA parameters", e))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "regcheck throwaway CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(|e| tls_err("CA key", e))?;
    let ca_cert = ca
        .self_signed(&ca_key)
        .map_err(|e| tls_err("CA certificate", e))?;
    let issuer = Issuer::new(ca, ca_key);
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut leaf =
        CertificateParams::new(names).map_err(|e| tls_err("server certificate names", e))?;
    leaf.distinguished_name
        .push(DnType::CommonName, "regcheck embedded registry");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate().map_err(|e| tls_err("server key", e))?;
    let cert = leaf
        .signed_by(&key, &issuer)
        .map_err(|e| tls_err("server certificate", e))?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

/// A rustls server configuration from PEM text.
fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<ServerConfig, RegistryError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err("certificate PEM", e))?;
    if certs.is_empty() {
        return Err(RegistryError::Tls(
            "no certificate in the certificate file (expected PEM `CERTIFICATE` blocks)".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| tls_err("private key PEM (expected PKCS#8, PKCS#1 or SEC1)", e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("TLS versions", e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err("certificate and key do not match or are unusable", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, RegistryError> {
    let meta =
        std::fs::metadata(path).map_err(|e| tls_err(&format!("{what} {}", path.display()), e))?;
    if meta.len() > 1024 * 1024 {
        return Err(RegistryError::Tls(format!(
            "{what} {} is larger than 1 MiB; expected PEM",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|e| tls_err(&format!("{what} {}", path.display()), e))
}

impl ServerTls {
    /// Sets up TLS as asked; a generated CA is written to a fresh temp directory.
    pub fn new(setup: &TlsSetup) -> Result<ServerTls, RegistryError> {
        match setup {
            TlsSetup::Files { cert, key } => {
                let config =
                    server_config(&read_pem(cert, "--tls-cert")?, &read_pem(key, "--tls-key")?)?;
                Ok(ServerTls {
                    acceptor: TlsAcceptor::from(Arc::new(config)),
                    ca_file: None,
                    dir: None,
                })
            }
            TlsSetup::Generate => {
                let (ca, cert, key) = generate(GENERATED_NAMES)?;
                let config = server_config(cert.as_bytes(), key.as_bytes())?;
                let dir =
                    std::env::temp_dir().join(format!("regcheck-tls-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).map_err(|e| tls_err("CA directory", e))?;
                let ca_file = dir.join("ca.pem");
                std::fs::write(&ca_file, ca).map_err(|e| tls_err("CA file", e))?;
                Ok(ServerTls {
                    acceptor: TlsAcceptor::from(Arc::new(config)),
                    ca_file: Some(ca_file),
                    dir: Some(dir),
                })
            }
        }
    }
}

/// Most request bytes read and discarded after the response, before the socket closes.
const LINGER_BYTES: u64 = 64 * 1024 * 1024;
/// Longest time spent doing so.
const LINGER_TIME: Duration = Duration::from_secs(5);

/// A connection that, when the server closes it, first keeps reading (and discarding) what
/// the client still sends — bounded in bytes and time — instead of closing with unread bytes,
/// which makes the kernel answer with a reset. An error answered before an upload body was
/// read (a 401 challenge to a 4 MiB PATCH) then reaches clients that only read the response
/// once their upload is sent, as TLS clients (Python's ssl) do.
pub(crate) struct Lingering<S> {
    inner: S,
    linger: Option<(std::pin::Pin<Box<tokio::time::Sleep>>, u64)>,
}

impl<S> Lingering<S> {
    fn new(inner: S) -> Self {
        Lingering {
            inner,
            linger: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Lingering<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Lingering<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.linger.is_none() {
            // The response is flushed; the client may still be sending its body.
            this.linger = Some((Box::pin(tokio::time::sleep(LINGER_TIME)), 0));
        }
        let mut scratch = [0u8; 16 * 1024];
        while let Some((deadline, read)) = this.linger.as_mut() {
            if *read >= LINGER_BYTES || deadline.as_mut().poll(cx).is_ready() {
                break;
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) if buf.filled().is_empty() => break,
                Poll::Ready(Ok(())) => *read += buf.filled().len() as u64,
                Poll::Ready(Err(_)) => break,
            }
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// A TCP listener whose connections come out TLS-handshaken. Handshakes run concurrently
/// (a slow or silent client cannot hold up others; each has 10 s); failed ones are dropped.
pub(crate) struct TlsListener {
    rx: mpsc::Receiver<(Lingering<TlsStream<tokio::net::TcpStream>>, SocketAddr)>,
    local: SocketAddr,
    task: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(BACKLOG);
        let task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        // Out of file descriptors and the like: back off, as axum does.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    break;
                }
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
                    {
                        let _ = tx.send((Lingering::new(tls), peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { rx, local, task })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = Lingering<TlsStream<tokio::net::TcpStream>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task ended (aborted at shutdown): no more connections, ever.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_load_and_bad_files_are_explained() {
        let (ca, cert, key) = generate(GENERATED_NAMES).expect("generate");
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(server_config(cert.as_bytes(), key.as_bytes()).is_ok());
        // A key that does not match the certificate.
        let (_, _, other_key) = generate(&["localhost"]).expect("generate");
        let e = server_config(cert.as_bytes(), other_key.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("do not match"), "{e}");
        let e = server_config(b"nothing", key.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("no certificate"), "{e}");
        let e = server_config(cert.as_bytes(), b"nothing").unwrap_err();
        assert!(e.to_string().contains("private key"), "{e}");
    }
}
