//! Embedded reference registry (axum on tokio): the default target of `regcheck run` and the
//! test fixture with injectable faults.
//!
//! It implements the ACR data-plane surface — Docker Registry v2 / OCI distribution (`/v2/...`),
//! the ACR metadata extensions (`/acr/v1/...`) and the token endpoints (`/oauth2/...`) — as
//! described in `acr-contract.md` and the OCI distribution spec. Each [`Fault`] turns exactly one
//! contract rule into a violation so the harness's checks can be tested against it.
//!
//! Documented behaviour choices (where the contract leaves room):
//! * Unmatched routes and invalid repository names (e.g. upper case) answer ACR's router miss:
//!   `404 text/plain` `404 page not found` (no auth challenge), like real ACR.
//! * Manifest `Accept` negotiation: when `Accept` is present and lists neither the stored media
//!   type nor a wildcard (`*/*`, `application/*`), GET/HEAD answer `404 MANIFEST_UNKNOWN`
//!   (Distribution's answer for a non-matching OCI manifest).
//! * `DELETE /v2/<name>/manifests/<tag>` is supported (OCI 1.1): `202`, removes only the tag.
//! * A manifest list / index that names an unknown child manifest, and an image manifest that
//!   names an unlinked config/layer blob, are refused with `400` and one `MANIFEST_BLOB_UNKNOWN`
//!   error per missing reference (`detail: {"digest": ...}`).
//! * Changeable attributes are enforced. A refusal is `403` with
//!   `{"errors":[{"code":"DENIED","message":"The operation is disallowed on this registry, repository or image."}]}`
//!   (OCI's DENIED; ACR's exact status for locks is UNVERIFIED). Like ACR's image lock,
//!   `writeEnabled=false` also blocks deletes.
//! * `sha256` and `sha512` digests are accepted for uploads (a sha512 blob is stored and served
//!   under its sha512 digest); other algorithms → `400 DIGEST_INVALID`.
//! * The OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`, `routes/referrers.rs`)
//!   is served, and a manifest PUT (image or index) with a `subject` answers `OCI-Subject`;
//!   an unknown subject or repository lists no referrers (an empty index, never 404).
//! * Auth: `basic` mode challenges with `Basic realm="regcheck"`; `token` mode challenges with
//!   ACR's `Bearer realm=...,service=...,scope=...`. Like ACR, both modes accept the configured
//!   Basic credentials (or the null-GUID user with one of our refresh tokens as password) and
//!   bearer access tokens from `/oauth2/token` (checked against their scope). Anonymous
//!   `grant_type=password` tokens grant nothing.
//! * Tokens are JWT-shaped `header.claims.signature` strings signed with HMAC-SHA256 using a
//!   per-process random key (tokens do not survive a restart).

mod auth;
mod digest;
mod errors;
mod faults;
mod hostile;
mod range;
mod routes;
mod server;
mod store;
mod surface;
mod timefmt;
mod tls;

pub use faults::{Fault, ParseFaultError};
pub use hostile::{ParseTriggerError, Trigger as FaultTrigger};
pub use server::{RunningRegistry, start};
pub use surface::Surface;
pub use tls::{GENERATED_NAMES, TlsSetup, generate as generate_certificates};

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// How the embedded registry authenticates `/v2` and `/acr` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// No authentication at all.
    #[default]
    None,
    /// HTTP Basic with the configured username/password.
    Basic,
    /// ACR-style bearer tokens from `/oauth2/token` (challenge `WWW-Authenticate: Bearer ...`).
    Token,
}

impl AuthMode {
    /// The name used on the command line (`none`, `basic`, `token`).
    pub fn name(self) -> &'static str {
        match self {
            AuthMode::None => "none",
            AuthMode::Basic => "basic",
            AuthMode::Token => "token",
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuthMode {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(AuthMode::None),
            "basic" => Ok(AuthMode::Basic),
            "token" => Ok(AuthMode::Token),
            other => Err(RegistryError::UnknownAuthMode(other.to_owned())),
        }
    }
}

/// The identities the embedded registry accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Basic-auth user name.
    pub username: String,
    /// Basic-auth password.
    pub password: String,
    /// The value accepted as an "AAD access token" by `POST /oauth2/exchange`.
    pub aad_token: String,
    /// The value accepted as an "AAD refresh token" by `POST /oauth2/exchange`
    /// (`grant_type=refresh_token` and `access_token_refresh_token`).
    pub aad_refresh_token: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            username: "regcheck".to_owned(),
            password: "regcheck-password".to_owned(),
            aad_token: "regcheck-aad-token".to_owned(),
            aad_refresh_token: "regcheck-aad-refresh-token".to_owned(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("aad_token", &"<redacted>")
            .field("aad_refresh_token", &"<redacted>")
            .finish()
    }
}

/// Configuration of one embedded registry instance.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Listen address of the registry (default `127.0.0.1:0`, an ephemeral port).
    pub addr: SocketAddr,
    /// Authentication mode.
    pub auth: AuthMode,
    /// Accepted credentials.
    pub credentials: Credentials,
    /// `None`: in memory. `Some(dir)`: blobs and metadata persisted under `dir`.
    pub storage: Option<PathBuf>,
    /// Answer blob GET/HEAD with `307` to a second loopback "storage" listener (like ACR → Azure
    /// Storage) instead of serving bytes directly.
    pub redirect_blobs: bool,
    /// Injected contract violations.
    pub faults: Vec<Fault>,
    /// Which requests the hostile faults answer (`None`: each fault's own operation).
    pub fault_on: Option<FaultTrigger>,
    /// Serve https (registry and storage listener) instead of plain http.
    pub tls: Option<TlsSetup>,
    /// The full ACR-like surface, or only what OCI 1.1.1 requires ([`Surface`]).
    pub surface: Surface,
    /// Answer one request at a time, each after this delay: a registry of known capacity
    /// (1/delay requests a second), for testing capacity searches. Not a contract violation.
    pub one_at_a_time: Option<std::time::Duration>,
    /// A minimum chunk size, as S3-backed registries have: the POST of an upload answers
    /// `OCI-Chunk-Min-Length: <bytes>` and the closing PUT refuses (400 BLOB_UPLOAD_INVALID) an
    /// upload whose chunks before the last were shorter. Not a contract violation.
    pub chunk_min_length: Option<u64>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            auth: AuthMode::None,
            credentials: Credentials::default(),
            storage: None,
            redirect_blobs: false,
            faults: Vec::new(),
            fault_on: None,
            tls: None,
            surface: Surface::Full,
            one_at_a_time: None,
            chunk_min_length: None,
        }
    }
}

/// Errors starting or running the embedded registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source} (pick another address or port)")]
    Bind {
        /// The address that was tried.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The storage directory could not be read or written.
    #[error("storage directory {path}: {source} (check that it exists and is writable)")]
    Storage {
        /// The file or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The persisted metadata file is not valid.
    #[error(
        "metadata file {path} is corrupt: {source} (restore it or start with an empty directory)"
    )]
    CorruptMetadata {
        /// The metadata file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// An unknown `--auth` value.
    #[error("unknown auth mode `{0}` (expected none, basic or token)")]
    UnknownAuthMode(String),
    /// TLS could not be set up (certificate generation, unreadable or mismatched PEM files).
    #[error("TLS: {0}")]
    Tls(String),
    /// The options cannot be combined.
    #[error("{0}")]
    Conflict(String),
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(#[source] std::io::Error),
}

/// Starts the registry, waits for Ctrl-C, then shuts it down. Prints nothing itself.
pub async fn serve_until_ctrl_c(config: RegistryConfig) -> Result<(), RegistryError> {
    let running = start(config).await?;
    let waited = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    waited.map_err(RegistryError::Signal)
}
