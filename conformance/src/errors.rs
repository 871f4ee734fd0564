//! Errors of the conformance crate. Exit codes are documented in the CLI (`src/main.rs`).

use std::time::Duration;

/// A failure to talk to the server (not a judgement of it).
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ProbeError {
    /// The URL could not be parsed or is not `http://`.
    #[error("invalid URL `{0}`")]
    InvalidUrl(String),
    /// The TCP connection could not be made.
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// host:port.
        addr: String,
        /// OS error text.
        reason: String,
    },
    /// The deadline passed before the answer was complete.
    #[error("no answer within {}", crate::report::human::seconds(*.0))]
    Timeout(Duration),
    /// The connection broke or the HTTP framing was invalid.
    #[error("HTTP error: {0}")]
    Http(String),
    /// The SSE stream violated the framing rules.
    #[error("SSE framing fault: {0}")]
    Sse(String),
}

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
