//! Errors of the load engine: bad configuration (exit 2) and a target that cannot be loaded at
//! all (the prepare phase failed). Failures of single requests under load are not errors of the
//! engine: they are counted by kind in the report.

/// Why a load run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Flags or a load profile make no sense.
    #[error("load configuration: {0}")]
    Config(String),
    /// A load profile file could not be read or parsed.
    #[error("{path}: {message}")]
    Profile {
        /// File.
        path: String,
        /// What is wrong (with line:column when known).
        message: String,
    },
    /// The prepare phase (pushing the pool) failed, so nothing can be measured.
    #[error("prepare phase: {0}")]
    Prepare(String),
    /// The HTTP client could not be built or the target not reached.
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
    /// Writing an output file failed.
    #[error("cannot write {path}: {message}")]
    Output {
        /// File.
        path: String,
        /// Cause.
        message: String,
    },
}
