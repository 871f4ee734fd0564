//! The wire: how every part of A2A Gauntlet that talks to a server puts bytes on a socket and
//! reads them back. It owns the one raw HTTP/1.1 connection ([`conn`]: the keep-alive path of
//! load and the benches, and the controlled path of the probe and chaos — headers, socket
//! options, bounded reads, RST, writing while reading, bodies piece by piece), the one SSE
//! decoder ([`sse`]: strict, or counting), URLs and endpoints ([`endpoint`]), request bytes
//! ([`request`]) and the one error of talking to a server ([`WireError`]).
//!
//! It knows nothing of A2A and must never import the oracle (conformance), chaos, load or the
//! reference: those build on it, so a fault here is a fault everywhere and is tested here.

pub mod conn;
pub mod endpoint;
pub mod hosts;
pub mod request;
pub mod sse;

pub use conn::{
    connect_socket, has_head, reset, round_trip, Conn, ConnOpts, Head, OpenStream, ReadEnd,
    Response, Sent, SseStream, StreamOutcome,
};
pub use endpoint::{parse_loopback_url, parse_url, Endpoint, ParsedUrl};
pub use request::{encode_segment, find, request_bytes, RequestTemplate};
pub use sse::{SseEvent, SseFault, SseParser};

use std::time::Duration;

/// A failure to talk to a server (not a judgement of it).
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum WireError {
    /// The URL could not be parsed or is not `http://`.
    #[error("invalid URL `{0}`")]
    InvalidUrl(String),
    /// The address is not on loopback where only loopback is allowed.
    #[error("only loopback targets are allowed, not `{0}`")]
    NotLoopback(String),
    /// The TCP connection could not be made.
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// host:port.
        addr: String,
        /// OS error text.
        reason: String,
    },
    /// The deadline passed before the answer was complete.
    #[error("no answer within {}", seconds(*.0))]
    Timeout(Duration),
    /// The connection broke or the HTTP framing was invalid.
    #[error("HTTP error: {0}")]
    Http(String),
    /// The connection closed before the answer was complete (where: `inside the body`, …).
    #[error("HTTP error: connection closed {0}")]
    Closed(String),
    /// The SSE stream violated the framing rules.
    #[error("SSE framing fault: {0}")]
    Sse(String),
}

/// A duration as people read it in every message of the tool: `2.50 s`.
pub fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
