//! The wire probe: the only way the suite talks to a server.
//!
//! Raw HTTP/1.1 over the wire's own connection ([`gauntlet_wire::Conn`]) with a deadline on
//! every call. Responses are kept as status, headers, bytes and (when the body parses) a
//! `serde_json::Value`. Streams are read by the wire's strict SSE decoder ([`sse`]), which
//! reports framing faults instead of hiding them. Every exchange is recorded in a [`Transcript`]
//! and can be rendered as a curl command.
//!
//! Each call opens its own TCP connection, so no case sees another's connection state. The
//! request is written while the answer is read, so a server that answers early (a 413 during an
//! upload) is heard. Header names go out lower-cased; values and order are kept as given.

/// The strict SSE decoder is the wire's own.
pub use gauntlet_wire::sse;
pub mod transcript;

use std::time::{Duration, Instant};

use bytes::Bytes;
use gauntlet_wire::{Conn, ConnOpts, OpenStream, SseStream, WireError};
use serde_json::Value;

pub use gauntlet_wire::endpoint::{parse_url, ParsedUrl};
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

struct StreamInner {
    sse: SseStream,
    transcript: Transcript,
    index: usize,
    started: Instant,
}

/// Body bytes kept by a stream for a later `into_response`.
const STREAM_RAW_CAP: usize = 1 << 20;

impl RawStream {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of `Content-Type`, lower-cased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(media_type_of)
    }

    /// The next complete SSE event. `Ok(None)` is a clean end of stream (EOF after a complete
    /// event). A deadline expiry is `Err(ProbeError::Timeout)`; a framing fault is
    /// `Err(ProbeError::Sse(..))`; an abrupt close mid-event is reported as a framing fault.
    pub async fn next_event(&mut self, timeout: Duration) -> Result<Option<SseEvent>, ProbeError> {
        let inner = &mut self.inner;
        let next = match tokio::time::timeout(timeout, inner.sse.next_event()).await {
            Err(_) => Err(ProbeError::Timeout(timeout)),
            Ok(r) => r.map_err(probe_error),
        };
        let elapsed = inner.started.elapsed();
        match next {
            Ok(Some(ev)) => {
                let data = transcript::truncate(&ev.data, transcript::MAX_BODY);
                inner.transcript.update(inner.index, |x| {
                    if x.events.len() < transcript::MAX_EVENTS {
                        x.events.push(data);
                    }
                    x.elapsed = elapsed;
                });
                Ok(Some(ev))
            }
            Ok(None) => {
                inner
                    .transcript
                    .update(inner.index, |x| x.elapsed = elapsed);
                Ok(None)
            }
            Err(err) => {
                inner.record_error(&err);
                Err(err)
            }
        }
    }

    /// If the response was not an event stream: reads the rest of the body (for pre-stream errors).
    pub async fn into_response(self, timeout: Duration) -> Result<RawResponse, ProbeError> {
        let RawStream {
            status,
            headers,
            inner:
                StreamInner {
                    sse,
                    transcript,
                    index,
                    started,
                },
        } = self;
        let outcome = match tokio::time::timeout(timeout, sse.into_body()).await {
            Ok(r) => r.map_err(probe_error),
            Err(_) => Err(ProbeError::Timeout(timeout)),
        };
        let body = match outcome {
            Ok(body) => Bytes::from(body),
            Err(e) => {
                record_error(&transcript, index, started, &e);
                return Err(e);
            }
        };
        let elapsed = started.elapsed();
        let text = transcript::truncate(&String::from_utf8_lossy(&body), transcript::MAX_BODY);
        transcript.update(index, |x| {
            x.body = text;
            x.elapsed = elapsed;
        });
        Ok(RawResponse {
            status,
            headers,
            json: parse_json(&body),
            body,
            elapsed,
        })
    }

    /// Comment lines (keep-alives) seen so far.
    pub fn comments_seen(&self) -> usize {
        self.inner.sse.comments()
    }

    /// Every framing fault seen so far, including tolerated ones (unknown fields, bad `retry`).
    pub fn faults(&self) -> &[SseFault] {
        self.inner.sse.faults()
    }
}

impl StreamInner {
    fn record_error(&self, err: &ProbeError) {
        record_error(&self.transcript, self.index, self.started, err);
    }
}

fn record_error(transcript: &Transcript, index: usize, started: Instant, err: &ProbeError) {
    let elapsed = started.elapsed();
    let text = err.to_string();
    transcript.update(index, |x| {
        x.error = Some(text);
        x.elapsed = elapsed;
    });
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
        self.send_within(req, self.timeout).await
    }

    /// Sends `req` and reads the whole response within `timeout`.
    pub async fn send_within(
        &self,
        req: RawRequest,
        timeout: Duration,
    ) -> Result<RawResponse, ProbeError> {
        let index = self.transcript.push(Exchange::new(req.clone()));
        let started = Instant::now();
        let exchange = async {
            let (mut conn, mut open) = open(&req, timeout).await?;
            let body = conn.read_to_end(&mut open).await.map_err(probe_error)?;
            let headers = header_list(std::mem::take(&mut open.head.headers));
            Ok::<_, ProbeError>((open.head.status, headers, Bytes::from(body)))
        };
        let result = match tokio::time::timeout(timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(ProbeError::Timeout(timeout)),
        };
        let elapsed = started.elapsed();
        match result {
            Ok((status, headers, body)) => {
                let text =
                    transcript::truncate(&String::from_utf8_lossy(&body), transcript::MAX_BODY);
                let recorded_headers = headers.clone();
                self.transcript.update(index, |x| {
                    x.status = Some(status);
                    x.headers = recorded_headers;
                    x.body = text;
                    x.elapsed = elapsed;
                });
                Ok(RawResponse {
                    status,
                    headers,
                    json: parse_json(&body),
                    body,
                    elapsed,
                })
            }
            Err(e) => {
                let text = e.to_string();
                self.transcript.update(index, |x| {
                    x.error = Some(text);
                    x.elapsed = elapsed;
                });
                Err(e)
            }
        }
    }

    /// Sends `req` and returns once the response head arrives; the body is read as SSE.
    pub async fn open_stream(&self, req: RawRequest) -> Result<RawStream, ProbeError> {
        self.open_stream_within(req, self.timeout).await
    }

    /// Like [`Probe::open_stream`] with an explicit deadline for the head.
    pub async fn open_stream_within(
        &self,
        req: RawRequest,
        timeout: Duration,
    ) -> Result<RawStream, ProbeError> {
        let index = self.transcript.push(Exchange::new(req.clone()));
        let started = Instant::now();
        let result = match tokio::time::timeout(timeout, open(&req, timeout)).await {
            Ok(r) => r,
            Err(_) => Err(ProbeError::Timeout(timeout)),
        };
        let elapsed = started.elapsed();
        match result {
            Ok((conn, mut open)) => {
                let status = open.head.status;
                let headers = header_list(std::mem::take(&mut open.head.headers));
                let recorded_headers = headers.clone();
                self.transcript.update(index, |x| {
                    x.status = Some(status);
                    x.headers = recorded_headers;
                    x.elapsed = elapsed;
                });
                Ok(RawStream {
                    status,
                    headers,
                    inner: StreamInner {
                        sse: SseStream::new(conn, open).keeping_raw(STREAM_RAW_CAP),
                        transcript: self.transcript.clone(),
                        index,
                        started,
                    },
                })
            }
            Err(e) => {
                let text = e.to_string();
                self.transcript.update(index, |x| {
                    x.error = Some(text);
                    x.elapsed = elapsed;
                });
                Err(e)
            }
        }
    }
}

/// Connects, sends `req` (reading the answer meanwhile) and waits for the response head, past
/// any informational `1xx` answer. No deadline of its own: callers bound it.
async fn open(req: &RawRequest, timeout: Duration) -> Result<(Conn, OpenStream), ProbeError> {
    let url = parse_url(&req.url)?;
    let bytes = request_bytes(req, &url)?;
    let mut conn = connect(&url.host, url.port, timeout).await?;
    conn.send_while_reading(&bytes, false, gauntlet_wire::has_head)
        .await
        .map_err(probe_error)?;
    loop {
        let mut open = conn.read_response_head().await.map_err(probe_error)?;
        if req.method.eq_ignore_ascii_case("HEAD") {
            open.skip_body();
        }
        if !(100..200).contains(&open.head.status) || open.head.status == 101 {
            return Ok((conn, open));
        }
    }
}

/// A connection to `host:port`, trying each resolved address in turn.
async fn connect(host: &str, port: u16, timeout: Duration) -> Result<Conn, ProbeError> {
    let addr = format!("{host}:{port}");
    let failed = |reason: String| ProbeError::Connect {
        addr: addr.clone(),
        reason,
    };
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut last = failed("no address".into());
    for a in addrs {
        match Conn::connect_with(a, ConnOpts::default(), timeout).await {
            Ok(conn) => return Ok(conn),
            Err(WireError::Connect { reason, .. }) => last = failed(reason),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The request as it goes on the wire: request line, `host` and `content-length` unless given,
/// then the headers in order with lower-cased names, then the body. Refuses what HTTP/1.1 cannot
/// carry (a method that is not a token, a target or header with control bytes).
fn request_bytes(req: &RawRequest, url: &ParsedUrl) -> Result<Vec<u8>, ProbeError> {
    let cannot = |what: String| ProbeError::Http(format!("cannot build the request: {what}"));
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    if !token(&req.method) {
        return Err(ProbeError::Http(format!("invalid method `{}`", req.method)));
    }
    if !url
        .path_and_query
        .bytes()
        .all(|b| (0x21..0x7f).contains(&b))
    {
        return Err(cannot(format!("invalid target `{}`", url.path_and_query)));
    }
    let has = |name: &str| {
        req.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, url.path_and_query);
    if !has("host") {
        head.push_str(&format!("host: {}\r\n", url.authority));
    }
    if !has("content-length")
        && (!req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH"))
    {
        head.push_str(&format!("content-length: {}\r\n", req.body.len()));
    }
    for (n, v) in &req.headers {
        if !token(n) {
            return Err(cannot(format!("invalid header name `{n}`")));
        }
        if v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(cannot(format!("invalid value of header `{n}`")));
        }
        head.push_str(&n.to_ascii_lowercase());
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&req.body);
    Ok(bytes)
}

/// The wire's errors as the probe reports them: an early close is an HTTP error.
fn probe_error(e: WireError) -> ProbeError {
    match e {
        WireError::Closed(at) => ProbeError::Http(format!("connection closed {at}")),
        other => other,
    }
}

/// Response headers grouped by name in first-seen order (names are already lower-cased), as a
/// header map lists them.
fn header_list(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (n, v) in headers {
        match out.iter().rposition(|(m, _)| *m == n) {
            Some(i) => out.insert(i + 1, (n, v)),
            None => out.push((n, v)),
        }
    }
    out
}

fn parse_json(body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        return None;
    }
    serde_json::from_slice(body).ok()
}

fn media_type_of(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
