//! `ClientError`: why a request could not be completed (as opposed to a response that failed a
//! check, which is a finding).

/// A request that produced no usable response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// TCP/TLS connection failed.
    #[error(
        "cannot connect to {url}: {detail}; is the registry running and the --target URL right?"
    )]
    Connect {
        /// URL attempted.
        url: String,
        /// Cause.
        detail: String,
    },
    /// No complete response within the timeout.
    #[error("no complete response from {url} within {secs}s (raise --timeout for slow targets)")]
    Timeout {
        /// URL attempted.
        url: String,
        /// Timeout in seconds.
        secs: u64,
    },
    /// Protocol-level failure (garbage response, reset mid-body).
    #[error("request to {url} failed: {detail}")]
    Http {
        /// URL attempted.
        url: String,
        /// Cause.
        detail: String,
    },
    /// The request itself could not be built (bad header value, bad URL).
    #[error("cannot build request: {0}")]
    Build(String),
    /// Authentication could not be completed.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The response broke one of the client's limits (size, time, depth, redirects).
    #[error("{request}: {breach}")]
    Limit {
        /// `METHOD /path` of the request (no query).
        request: String,
        /// Which limit, and what arrived.
        breach: super::limits::Breach,
    },
    /// The TLS handshake failed (unknown CA, wrong host name, not TLS).
    #[error("TLS connection to {url} failed: {hint} ({detail})")]
    Tls {
        /// URL attempted.
        url: String,
        /// What to do about it.
        hint: String,
        /// Cause.
        detail: String,
    },
    /// A transport the user did not allow (plain http off loopback, https→http downgrade).
    #[error("{0}")]
    Insecure(String),
}

impl ClientError {
    /// A stable short kind for findings and load error counts: `connect`, `timeout`,
    /// `protocol`, `build`, `auth`, or `limits.<limit>` (e.g. `limits.manifest-size`).
    pub fn kind(&self) -> String {
        match self {
            ClientError::Connect { .. } => "connect".into(),
            ClientError::Timeout { .. } => "timeout".into(),
            ClientError::Http { .. } => "protocol".into(),
            ClientError::Build(_) => "build".into(),
            ClientError::Auth(_) => "auth".into(),
            ClientError::Limit { breach, .. } => format!("limits.{}", breach.kind.name()),
            ClientError::Tls { .. } => "tls".into(),
            ClientError::Insecure(_) => "insecure".into(),
        }
    }

    /// Whether the target caused it (a finding about the target) rather than the harness's
    /// own request or configuration.
    pub fn is_target_fault(&self) -> bool {
        !matches!(self, ClientError::Build(_))
    }
}
