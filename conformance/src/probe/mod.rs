//! The wire probe: the only way the suite talks to a server.
//!
//! Raw HTTP/1.1 over hyper with a deadline on every call. Responses are kept as status, headers,
//! bytes and (when the body parses) a `serde_json::Value`. Streams are read by our own strict SSE
//! parser ([`sse`]), which reports framing faults instead of hiding them. Every exchange is
//! recorded in a [`Transcript`] and can be rendered as a curl command.

pub mod sse;
pub mod transcript;

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

pub use sse::{SseEvent, SseFault, SseParser};
pub use transcript::{Exchange, Transcript};

use crate::errors::ProbeError;

/// One HTTP request as the suite sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRequest {
    /// HTTP method (`GET`, `POST`, `DELETE`, …).
    pub method: String,
    /// Absolute URL (`http://127.0.0.1:7420/tasks/abc`).
    pub url: String,
    /// Request headers in order (names as sent).
    pub headers: Vec<(String, String)>,
    /// Request body (may be empty, may be deliberately invalid).
    pub body: Bytes,
}

impl RawRequest {
    /// A request with no headers and no body.
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        Self {
            method: method.to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    /// Sets a JSON body and `Content-Type: application/json` if no content type is set.
    pub fn json(mut self, body: &Value) -> Self {
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            self.headers
                .push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        self.body = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
        self
    }
    /// Sets raw body bytes.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }
    /// The curl command line that reproduces this request.
    pub fn curl(&self) -> String {
        transcript::curl(self)
    }
}

/// A complete (non-streaming) HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers in order (names lower-cased).
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Bytes,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// Time from sending to the last body byte.
    pub elapsed: Duration,
}

impl RawResponse {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The media type of `Content-Type`, lower-cased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }
}

/// An open streaming response: the head has arrived, events are read one by one.
pub struct RawStream {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (names lower-cased).
    pub headers: Vec<(String, String)>,
    inner: StreamInner,
}

struct StreamInner;

impl RawStream {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The next complete SSE event. `Ok(None)` is a clean end of stream (EOF after a complete
    /// event). A deadline expiry is `Err(ProbeError::Timeout)`; a framing fault is
    /// `Err(ProbeError::Sse(..))`; an abrupt close mid-event is reported as a framing fault.
    pub async fn next_event(&mut self, timeout: Duration) -> Result<Option<SseEvent>, ProbeError> {
        let _ = (timeout, &self.inner);
        todo!()
    }

    /// If the response was not an event stream: reads the rest of the body (for pre-stream errors).
    pub async fn into_response(self, timeout: Duration) -> Result<RawResponse, ProbeError> {
        let _ = timeout;
        todo!()
    }

    /// Comment lines (keep-alives) seen so far.
    pub fn comments_seen(&self) -> usize {
        todo!()
    }
}

/// The HTTP client used by every case. Cheap to clone; each call opens a fresh connection
/// (cases never share connection state) and records into its transcript.
#[derive(Clone)]
pub struct Probe {
    transcript: Transcript,
    timeout: Duration,
}

impl Probe {
    /// A probe with a default per-call deadline, recording into `transcript`.
    pub fn new(transcript: Transcript, timeout: Duration) -> Self {
        Self {
            transcript,
            timeout,
        }
    }

    /// The default per-call deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The transcript this probe records into.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// Sends `req` and reads the whole response within the probe's deadline.
    pub async fn send(&self, req: RawRequest) -> Result<RawResponse, ProbeError> {
        let _ = req;
        todo!()
    }

    /// Sends `req` and returns once the response head arrives; the body is read as SSE.
    pub async fn open_stream(&self, req: RawRequest) -> Result<RawStream, ProbeError> {
        let _ = req;
        todo!()
    }
}
