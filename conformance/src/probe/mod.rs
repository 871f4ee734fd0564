//! The wire probe: the only way the suite talks to a server.
//!
//! Raw HTTP/1.1 over hyper with a deadline on every call. Responses are kept as status, headers,
//! bytes and (when the body parses) a `serde_json::Value`. Streams are read by our own strict SSE
//! parser ([`sse`]), which reports framing faults instead of hiding them. Every exchange is
//! recorded in a [`Transcript`] and can be rendered as a curl command.
//!
//! Each call opens its own TCP connection, so no case sees another's connection state. Header
//! names go out lower-cased (hyper's HTTP/1 writer); values and order are kept as given.

/// The strict SSE decoder is the wire's own.
pub use gauntlet_wire::sse;
pub mod transcript;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

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
    body: Incoming,
    parser: SseParser,
    /// Every body byte read so far (for [`RawStream::into_response`]), up to a cap.
    raw: Vec<u8>,
    eof: bool,
    transcript: Transcript,
    index: usize,
    started: Instant,
    conn: JoinHandle<()>,
}

impl Drop for StreamInner {
    fn drop(&mut self) {
        // Dropping a stream must really close the connection (STRM-008 depends on it).
        self.conn.abort();
    }
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
        let deadline = tokio::time::Instant::now() + timeout;
        let inner = &mut self.inner;
        loop {
            while let Some(item) = inner.parser.next_item() {
                match item {
                    Ok(ev) => {
                        let elapsed = inner.started.elapsed();
                        let data = transcript::truncate(&ev.data, transcript::MAX_BODY);
                        inner.transcript.update(inner.index, |x| {
                            if x.events.len() < transcript::MAX_EVENTS {
                                x.events.push(data);
                            }
                            x.elapsed = elapsed;
                        });
                        return Ok(Some(ev));
                    }
                    Err(f) if f.is_fatal() => {
                        let err = ProbeError::Sse(f.to_string());
                        inner.record_error(&err);
                        return Err(err);
                    }
                    // Tolerated faults stay available through `faults()`.
                    Err(_) => continue,
                }
            }
            if inner.eof {
                let elapsed = inner.started.elapsed();
                inner
                    .transcript
                    .update(inner.index, |x| x.elapsed = elapsed);
                return Ok(None);
            }
            match tokio::time::timeout_at(deadline, inner.body.frame()).await {
                Err(_) => {
                    let err = ProbeError::Timeout(timeout);
                    inner.record_error(&err);
                    return Err(err);
                }
                Ok(None) => {
                    inner.eof = true;
                    inner.parser.finish();
                }
                Ok(Some(Err(e))) => {
                    inner.eof = true;
                    inner.parser.finish();
                    let err = ProbeError::Http(error_chain(&e));
                    inner.record_error(&err);
                    return Err(err);
                }
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        if inner.raw.len() < STREAM_RAW_CAP {
                            inner.raw.extend_from_slice(&data);
                        }
                        inner.parser.feed(&data);
                    }
                }
            }
        }
    }

    /// If the response was not an event stream: reads the rest of the body (for pre-stream errors).
    pub async fn into_response(mut self, timeout: Duration) -> Result<RawResponse, ProbeError> {
        let inner = &mut self.inner;
        let read = async {
            while !inner.eof {
                match inner.body.frame().await {
                    None => inner.eof = true,
                    Some(Err(e)) => return Err(ProbeError::Http(error_chain(&e))),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            inner.raw.extend_from_slice(&data);
                        }
                    }
                }
            }
            Ok(())
        };
        let outcome = match tokio::time::timeout(timeout, read).await {
            Ok(r) => r,
            Err(_) => Err(ProbeError::Timeout(timeout)),
        };
        if let Err(e) = outcome {
            inner.record_error(&e);
            return Err(e);
        }
        let body = Bytes::from(std::mem::take(&mut inner.raw));
        let elapsed = inner.started.elapsed();
        let text = transcript::truncate(&String::from_utf8_lossy(&body), transcript::MAX_BODY);
        inner.transcript.update(inner.index, |x| {
            x.body = text;
            x.elapsed = elapsed;
        });
        Ok(RawResponse {
            status: self.status,
            headers: std::mem::take(&mut self.headers),
            json: parse_json(&body),
            body,
            elapsed,
        })
    }

    /// Comment lines (keep-alives) seen so far.
    pub fn comments_seen(&self) -> usize {
        self.inner.parser.comments()
    }

    /// Every framing fault seen so far, including tolerated ones (unknown fields, bad `retry`).
    pub fn faults(&self) -> &[SseFault] {
        self.inner.parser.faults()
    }
}

impl StreamInner {
    fn record_error(&self, err: &ProbeError) {
        let elapsed = self.started.elapsed();
        let text = err.to_string();
        self.transcript.update(self.index, |x| {
            x.error = Some(text);
            x.elapsed = elapsed;
        });
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
            let (resp, conn) = open(&req).await?;
            let status = resp.status().as_u16();
            let headers = header_list(resp.headers());
            let collected = resp.into_body().collect().await;
            conn.abort();
            let body = collected
                .map_err(|e| ProbeError::Http(error_chain(&e)))?
                .to_bytes();
            Ok::<_, ProbeError>((status, headers, body))
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
        let result = match tokio::time::timeout(timeout, open(&req)).await {
            Ok(r) => r,
            Err(_) => Err(ProbeError::Timeout(timeout)),
        };
        let elapsed = started.elapsed();
        match result {
            Ok((resp, conn)) => {
                let status = resp.status().as_u16();
                let headers = header_list(resp.headers());
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
                        body: resp.into_body(),
                        parser: SseParser::new(),
                        raw: Vec::new(),
                        eof: false,
                        transcript: self.transcript.clone(),
                        index,
                        started,
                        conn,
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

/// Connects, sends `req` and waits for the response head. The connection task is returned so
/// the caller decides when the connection dies.
async fn open(req: &RawRequest) -> Result<(hyper::Response<Incoming>, JoinHandle<()>), ProbeError> {
    let url = parse_url(&req.url)?;
    let addr = format!("{}:{}", url.host, url.port);
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| ProbeError::Connect {
            addr: addr.clone(),
            reason: e.to_string(),
        })?;
    let _ = tcp.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| ProbeError::Http(error_chain(&e)))?;
    let conn = tokio::spawn(async move {
        // Connection errors surface through the response or body futures.
        let _ = conn.await;
    });
    let method = http::Method::from_bytes(req.method.as_bytes())
        .map_err(|e| ProbeError::Http(format!("invalid method `{}`: {e}", req.method)))?;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(url.path_and_query.as_str());
    let has = |name: &str| {
        req.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has("host") {
        builder = builder.header("host", url.authority.as_str());
    }
    if !has("content-length")
        && (!req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH"))
    {
        builder = builder.header("content-length", req.body.len());
    }
    for (n, v) in &req.headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    let request = builder
        .body(Full::new(req.body.clone()))
        .map_err(|e| ProbeError::Http(format!("cannot build the request: {e}")))?;
    match sender.send_request(request).await {
        Ok(resp) => Ok((resp, conn)),
        Err(e) => {
            conn.abort();
            Err(ProbeError::Http(error_chain(&e)))
        }
    }
}

fn header_list(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
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

/// An error with its sources, for one-line evidence.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
