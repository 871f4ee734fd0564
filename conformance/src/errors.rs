//! Errors of the conformance crate. Exit codes are documented in the CLI (`src/main.rs`).

/// A failure to talk to the server (not a judgement of it): the wire's own error.
pub use gauntlet_wire::WireError as ProbeError;

/// Why a run could not start or complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The target is unreachable.
    #[error("{0}")]
    Unreachable(String),
    /// The target answered, but not like an A2A server (no usable agent card).
    #[error("{0}")]
    NotA2a(String),
    /// The options are inconsistent.
    #[error("{0}")]
    Usage(String),
    /// The server refuses unauthenticated calls (HTTP 401) and no token, or no accepted one,
    /// was given: every case would only see the refusal.
    #[error("{0}")]
    AuthRequired(String),
}

/// Why a lifecycle operation (start/stop of the server under test) failed.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// Starting failed; the message says why.
    #[error("start failed: {0}")]
    Start(String),
    /// Stopping failed.
    #[error("stop failed: {0}")]
    Stop(String),
}
