//! Transcripts: every exchange a case makes, kept as evidence and renderable as curl commands.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::RawRequest;

/// One recorded request/response (or request/stream) exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// What was sent.
    pub request: RawRequest,
    /// Response status, if a head arrived.
    pub status: Option<u16>,
    /// Response headers (lower-cased names).
    pub headers: Vec<(String, String)>,
    /// Response body text (lossy UTF-8), truncated for reports.
    pub body: String,
    /// SSE events' data, in order (truncated for reports).
    pub events: Vec<String>,
    /// Probe error, if the exchange did not complete.
    pub error: Option<String>,
    /// Time until the answer completed (or failed).
    pub elapsed: Duration,
}

/// A shared, append-only list of exchanges. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    inner: Arc<Mutex<Vec<Exchange>>>,
}

/// The curl command line that reproduces `req`.
pub fn curl(req: &RawRequest) -> String {
    let _ = req;
    todo!()
}
