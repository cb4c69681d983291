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
