//! Errors of the chaos crate: failures of the harness itself, never judgements of the server.

use std::time::Duration;

/// A failure of the chaos harness while talking to the target or setting up a fault.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ChaosError {
    /// The target is not on loopback; chaos traffic is confined to 127.0.0.1.
    #[error("chaos runs only against loopback targets, not `{0}`")]
    NotLoopback(String),
    /// The URL could not be understood.
    #[error("invalid URL `{0}`")]
    InvalidUrl(String),
    /// A socket operation failed.
    #[error("{context}: {reason}")]
    Io {
        /// What we were doing.
        context: String,
        /// OS error text.
        reason: String,
    },
    /// The deadline passed.
    #[error("{what}: no answer within {}", crate::fmt_duration(*.after))]
    Timeout {
        /// What we were waiting for.
        what: String,
        /// The deadline.
        after: Duration,
    },
    /// The peer's bytes were not valid HTTP/1.1 or SSE.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// A streaming call was answered without a stream (a pre-stream error, digest §1.3).
    #[error("refused with HTTP {status}: {body}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The body as text.
        body: String,
    },
    /// Discovery found no usable A2A server (the sentence says why).
    #[error("{0}")]
    Discover(#[from] gauntlet_a2a::DiscoverError),
    /// The connection ended before the answer was complete.
    #[error("connection ended early: {0}")]
    Closed(String),
}

impl From<gauntlet_wire::WireError> for ChaosError {
    fn from(e: gauntlet_wire::WireError) -> Self {
        use gauntlet_wire::WireError;
        match e {
            WireError::InvalidUrl(u) => ChaosError::InvalidUrl(u),
            WireError::NotLoopback(u) => ChaosError::NotLoopback(u),
            WireError::Connect { addr, reason } => ChaosError::Io {
                context: format!("connect to {addr}"),
                reason,
            },
            WireError::Timeout(after) => ChaosError::timeout("the answer", after),
            WireError::Http(reason) => ChaosError::Io {
                context: "HTTP/1.1 exchange".into(),
                reason,
            },
            WireError::Closed(at) => ChaosError::Closed(at),
            WireError::Sse(fault) => ChaosError::Malformed(fault),
        }
    }
}

impl ChaosError {
    /// Wraps an I/O error with what we were doing.
    pub fn io(context: impl Into<String>, e: &std::io::Error) -> Self {
        ChaosError::Io {
            context: context.into(),
            reason: e.to_string(),
        }
    }

    /// A timeout while waiting for `what`.
    pub fn timeout(what: impl Into<String>, after: Duration) -> Self {
        ChaosError::Timeout {
            what: what.into(),
            after,
        }
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, ChaosError::Timeout { .. })
    }
}
