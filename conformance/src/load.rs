//! Load generation against any A2A server (`gauntlet load`), and a trivial bare hyper server that
//! answers the same requests, to measure the generator's own ceiling and the reference's overhead.
//!
//! The generator is **closed-loop**: each of N workers owns one keep-alive connection and sends
//! its next request as soon as the previous answer is complete. That measures the capacity of the
//! server at a fixed concurrency, which is what a conformance tool can honestly report from one
//! machine. Its known blind spot is *coordinated omission*: while the server stalls, a closed-loop
//! worker stops sending, so the stall is recorded once instead of once per request that an
//! open-loop (fixed arrival rate) client would have issued during it. Latency percentiles from a
//! closed loop are therefore a lower bound for the same throughput under an open-loop arrival
//! process; `max` is the number that shows a stall. See `benches/README.md`.
//!
//! To keep the generator cheap, it speaks HTTP/1.1 by hand over a [`tokio::net::TcpStream`]:
//! request bytes are serialized once ([`RequestTemplate`]; only a fixed-width message counter is
//! rewritten in place), the read buffer is reused, and bodies are scanned rather than parsed.
//! Latencies go into a hand-written log-bucket [`Histogram`] (HDR-like, ~3% relative error).
//!
//! Nothing here uses the reference server's types: the target is any `http://` URL.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

pub use crate::case::Binding;
use crate::errors::ProbeError;

pub use crate::spec::TEST_AGENT_SKILL;

// ---------------------------------------------------------------------------------------------
// Target
// ---------------------------------------------------------------------------------------------

/// Where requests go: a socket address, the `Host` header and the interface path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Resolved socket address.
    pub addr: SocketAddr,
    /// `Host` header value (`host:port`).
    pub host: String,
    /// Interface path without a trailing slash (`""` for the root).
    pub path: String,
}

impl Target {
    /// A target at the root of `addr`.
    pub fn from_addr(addr: SocketAddr) -> Self {
        Self {
            addr,
            host: addr.to_string(),
            path: String::new(),
        }
    }

    /// Parses and resolves an `http://host[:port][/path]` URL.
    pub async fn resolve(url: &str) -> Result<Self, ProbeError> {
        let bad = || ProbeError::InvalidUrl(url.to_owned());
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let with_port = if authority.starts_with('[') {
            if authority.contains("]:") {
                authority.to_owned()
            } else {
                format!("{authority}:80")
            }
        } else if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host(with_port.as_str()),
        )
        .await
        .map_err(|_| ProbeError::Timeout(Duration::from_secs(5)))?
        .map_err(|e| ProbeError::Connect {
            addr: with_port.clone(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(bad)?;
        let path = path.split(['?', '#']).next().unwrap_or("");
        Ok(Self {
            addr,
            host: authority.to_owned(),
            path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// The same host with another interface path.
    pub fn with_path(&self, path: &str) -> Self {
        Self {
            path: path.trim_end_matches('/').to_owned(),
            ..self.clone()
        }
    }

    /// `http://host` (no path).
    pub fn origin(&self) -> String {
        format!("http://{}", self.host)
    }
}

// ---------------------------------------------------------------------------------------------
// Pre-serialized requests
// ---------------------------------------------------------------------------------------------

/// Marker written where a request carries a per-request counter (16 hex digits).
const COUNTER_SLOT: &str = "0000000000000000";

/// Serializes one HTTP/1.1 request with `A2A-Version: 1.0`.
pub fn http_request(
    target: &Target,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let path = if path.is_empty() { "/" } else { path };
    let mut out = Vec::with_capacity(160 + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(target.host.as_bytes());
    out.extend_from_slice(
        b"\r\na2a-version: 1.0\r\naccept: application/json, text/event-stream\r\n",
    );
    if let Some(ct) = content_type {
        out.extend_from_slice(b"content-type: ");
        out.extend_from_slice(ct.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A JSON-RPC call to the target's interface path (request `id` 1).
pub fn jsonrpc(target: &Target, method: &str, params: Value) -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    http_request(
        target,
        "POST",
        &target.path,
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

/// A REST call: `method` on the interface path + `suffix`, with an optional JSON body.
pub fn rest(target: &Target, method: &str, suffix: &str, body: Option<&Value>) -> Vec<u8> {
    let path = format!("{}{}", target.path, suffix);
    match body {
        Some(b) => http_request(
            target,
            method,
            &path,
            Some("application/a2a+json"),
            b.to_string().as_bytes(),
        ),
        None => http_request(target, method, &path, None, b""),
    }
}

/// `SendMessageRequest` params with a user text message. The message id carries the counter slot.
pub fn send_params(text: &str, return_immediately: bool) -> Value {
    let mut params = json!({
        "message": {
            "messageId": format!("load-{COUNTER_SLOT}"),
            "role": "ROLE_USER",
            "parts": [{"text": text}]
        }
    });
    if return_immediately {
        params["configuration"] = json!({"returnImmediately": true});
    }
    params
}

/// SendMessage with `text` on `binding`.
pub fn send_message(
    target: &Target,
    binding: Binding,
    text: &str,
    return_immediately: bool,
) -> RequestTemplate {
    let params = send_params(text, return_immediately);
    RequestTemplate::new(match binding {
        Binding::JsonRpc => jsonrpc(target, "SendMessage", params),
        Binding::Rest => rest(target, "POST", "/message:send", Some(&params)),
    })
}

/// SendStreamingMessage with `text` on `binding`.
pub fn stream_message(target: &Target, binding: Binding, text: &str) -> RequestTemplate {
    let params = send_params(text, false);
    RequestTemplate::new(match binding {
        Binding::JsonRpc => jsonrpc(target, "SendStreamingMessage", params),
        Binding::Rest => rest(target, "POST", "/message:stream", Some(&params)),
    })
}

/// GetTask for `id`.
pub fn get_task(target: &Target, binding: Binding, id: &str) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(target, "GetTask", json!({"id": id})),
        Binding::Rest => rest(
            target,
            "GET",
            &format!("/tasks/{}", encode_segment(id)),
            None,
        ),
    }
}

/// ListTasks with `pageSize`.
pub fn list_tasks(target: &Target, binding: Binding, page_size: u32) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(target, "ListTasks", json!({"pageSize": page_size})),
        Binding::Rest => rest(target, "GET", &format!("/tasks?pageSize={page_size}"), None),
    }
}

/// CreateTaskPushNotificationConfig with a client-chosen config id (an upsert).
pub fn create_push_config(
    target: &Target,
    binding: Binding,
    task_id: &str,
    config_id: &str,
    url: &str,
) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(
            target,
            "CreateTaskPushNotificationConfig",
            json!({"taskId": task_id, "id": config_id, "url": url, "token": "load"}),
        ),
        Binding::Rest => rest(
            target,
            "POST",
            &format!("/tasks/{}/pushNotificationConfigs", encode_segment(task_id)),
            Some(&json!({"id": config_id, "url": url, "token": "load"})),
        ),
    }
}

/// DeleteTaskPushNotificationConfig.
pub fn delete_push_config(
    target: &Target,
    binding: Binding,
    task_id: &str,
    config_id: &str,
) -> Vec<u8> {
    match binding {
        Binding::JsonRpc => jsonrpc(
            target,
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": task_id, "id": config_id}),
        ),
        Binding::Rest => rest(
            target,
            "DELETE",
            &format!(
                "/tasks/{}/pushNotificationConfigs/{}",
                encode_segment(task_id),
                encode_segment(config_id)
            ),
            None,
        ),
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters pass).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Serialized request bytes, with an optional 16-hex-digit counter slot rewritten in place on
/// every [`RequestTemplate::next_request`], so each message id is unique without re-serializing.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    bytes: Vec<u8>,
    slot: Option<usize>,
    counter: u64,
}

impl RequestTemplate {
    /// Wraps `bytes`; the first run of 16 `0` digits in the body (if any) becomes the counter.
    pub fn new(bytes: Vec<u8>) -> Self {
        let slot = find(&bytes, COUNTER_SLOT.as_bytes());
        Self {
            bytes,
            slot,
            counter: 0,
        }
    }

    /// Starts the counter at `base` (give each worker its own range).
    pub fn with_counter(mut self, base: u64) -> Self {
        self.counter = base;
        self
    }

    /// The bytes of the next request.
    pub fn next_request(&mut self) -> &[u8] {
        if let Some(at) = self.slot {
            let mut c = self.counter;
            for i in (0..16).rev() {
                self.bytes[at + i] = b"0123456789abcdef"[(c & 15) as usize];
                c >>= 4;
            }
            self.counter = self.counter.wrapping_add(1);
        }
        &self.bytes
    }

    /// The bytes as they are now (without advancing the counter).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// First index of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut from = 0;
    while let Some(i) = hay[from..=hay.len() - needle.len()]
        .iter()
        .position(|&b| b == first)
    {
        let at = from + i;
        if &hay[at..at + needle.len()] == needle {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Connection: hand-written HTTP/1.1 client
// ---------------------------------------------------------------------------------------------

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
    Eof,
}

/// Status and headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// HTTP status code.
    pub status: u16,
    /// Whether the response is `text/event-stream`.
    pub event_stream: bool,
    /// Whether the server will close the connection after this response.
    pub close: bool,
}

/// Where body bytes go.
enum Sink<'a> {
    Body,
    Sse(&'a mut SseCounter),
}

impl Sink<'_> {
    fn feed(&mut self, data: &[u8], body: &mut Vec<u8>) {
        match self {
            Sink::Body => body.extend_from_slice(data),
            Sink::Sse(c) => c.feed(data),
        }
    }
}

/// Where a response body reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    Length(usize),
    ChunkSize,
    ChunkData(usize),
    ChunkEnd,
    Trailers,
    Eof,
    Done,
}

/// A response whose head has been read and whose body is being read piecewise.
#[derive(Debug)]
pub struct OpenStream {
    /// Status and headers.
    pub head: Head,
    body: BodyState,
    /// SSE events counted so far.
    pub counter: SseCounter,
}

impl OpenStream {
    /// Whether the whole body has been read.
    pub fn ended(&self) -> bool {
        self.body == BodyState::Done
    }

    /// Head and counts so far.
    pub fn outcome(&self) -> StreamOutcome {
        StreamOutcome {
            head: self.head,
            events: self.counter.events,
            bytes: self.counter.bytes,
        }
    }
}

/// What a drained SSE stream (or non-stream answer) looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOutcome {
    /// Response status and headers.
    pub head: Head,
    /// Number of SSE events with data (comments and keep-alives not counted).
    pub events: u64,
    /// Body bytes received.
    pub bytes: u64,
}

/// One persistent keep-alive connection that sends pre-serialized requests and reads answers
/// into a reused buffer. It reconnects by itself when the server closes the connection.
#[derive(Debug)]
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    pos: usize,
    body: Vec<u8>,
    timeout: Duration,
    stream_eof: bool,
    reused: bool,
}

impl Conn {
    /// Connects to `addr` (TCP_NODELAY on); `timeout` bounds the connect and every exchange.
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Self, ProbeError> {
        let mut conn = Self {
            addr,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
            pos: 0,
            body: Vec::with_capacity(4 * 1024),
            timeout,
            stream_eof: false,
            reused: false,
        };
        conn.reconnect().await?;
        Ok(conn)
    }

    /// The server address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    async fn reconnect(&mut self) -> Result<(), ProbeError> {
        self.stream = None;
        self.reused = false;
        self.buf.clear();
        self.pos = 0;
        let stream = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr))
            .await
            .map_err(|_| ProbeError::Timeout(self.timeout))?
            .map_err(|e| ProbeError::Connect {
                addr: self.addr.to_string(),
                reason: e.to_string(),
            })?;
        let _ = stream.set_nodelay(true);
        self.stream = Some(stream);
        Ok(())
    }

    /// Sends `req` and reads the whole answer; returns its head and body (valid until the next
    /// call). A de-chunked body is copied into a reused buffer.
    pub async fn request(&mut self, req: &[u8]) -> Result<(Head, &[u8]), ProbeError> {
        let timeout = self.timeout;
        let fut = async {
            let (head, mut body) = self.start(req).await?;
            self.body.clear();
            self.read_body(&mut body, Sink::Body, None).await?;
            self.finish(&head, &body);
            Ok::<_, ProbeError>(head)
        };
        let head = match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r?,
            Err(_) => {
                self.stream = None;
                return Err(ProbeError::Timeout(timeout));
            }
        };
        Ok((head, &self.body))
    }

    /// Sends `req` and drains the answer, counting SSE events, bounded by `deadline` for the whole
    /// stream. Nothing of the body is kept.
    pub async fn stream(
        &mut self,
        req: &[u8],
        deadline: Duration,
    ) -> Result<StreamOutcome, ProbeError> {
        let mut open = tokio::time::timeout(deadline, self.open(req))
            .await
            .map_err(|_| {
                self.stream = None;
                ProbeError::Timeout(deadline)
            })??;
        self.drain(&mut open, deadline).await?;
        Ok(open.outcome())
    }

    /// Sends `req` and reads only the response head; read the body with [`Conn::read_until`] or
    /// [`Conn::drain`]. Bounded by the connection's timeout.
    pub async fn open(&mut self, req: &[u8]) -> Result<OpenStream, ProbeError> {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.start(req)).await {
            Ok(r) => {
                let (head, body) = r?;
                Ok(OpenStream {
                    head,
                    body,
                    counter: SseCounter::keeping_first(),
                })
            }
            Err(_) => {
                self.stream = None;
                Err(ProbeError::Timeout(timeout))
            }
        }
    }

    /// Reads `open`'s body until at least `events` SSE events have arrived in total (or the body
    /// ends; returns whether it ended), within `deadline`.
    pub async fn read_until(
        &mut self,
        open: &mut OpenStream,
        events: u64,
        deadline: Duration,
    ) -> Result<bool, ProbeError> {
        let fut = self.read_body(&mut open.body, Sink::Sse(&mut open.counter), Some(events));
        match tokio::time::timeout(deadline, fut).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.stream = None;
                return Err(e);
            }
            Err(_) => {
                self.stream = None;
                return Err(ProbeError::Timeout(deadline));
            }
        }
        let ended = open.body == BodyState::Done;
        if ended {
            self.finish(&open.head, &open.body);
        }
        Ok(ended)
    }

    /// Reads `open`'s body to its end within `deadline`.
    pub async fn drain(
        &mut self,
        open: &mut OpenStream,
        deadline: Duration,
    ) -> Result<(), ProbeError> {
        self.read_until(open, u64::MAX, deadline).await.map(|_| ())
    }

    /// Writes the request and reads the head. A kept-alive connection that the server closed
    /// while idle (the write fails, or EOF comes before any answer byte) gets one fresh attempt.
    async fn start(&mut self, req: &[u8]) -> Result<(Head, BodyState), ProbeError> {
        let mut retry = self.stream.is_some() && self.reused;
        if self.stream.is_none() {
            self.reconnect().await?;
        }
        let (head, framing) = loop {
            let stream = self
                .stream
                .as_mut()
                .ok_or_else(|| ProbeError::Http("not connected".into()))?;
            let attempt = match stream.write_all(req).await {
                Ok(()) => self.read_head().await,
                Err(e) => Err(ProbeError::Http(format!("cannot send the request: {e}"))),
            };
            match attempt {
                Ok(h) => break h,
                Err(e) => {
                    self.stream = None;
                    if !(retry && self.pos == self.buf.len()) {
                        return Err(e);
                    }
                    retry = false;
                    self.reconnect().await?;
                }
            }
        };
        self.reused = true;
        let body = match framing {
            Framing::Length(0) => BodyState::Done,
            Framing::Length(n) => BodyState::Length(n),
            Framing::Chunked => BodyState::ChunkSize,
            Framing::Eof => BodyState::Eof,
        };
        Ok((head, body))
    }

    /// After a complete body: drop the connection if the server will close it.
    fn finish(&mut self, head: &Head, _body: &BodyState) {
        if head.close || self.stream_eof {
            self.stream = None;
            self.stream_eof = false;
        }
    }

    /// Reads body bytes into `sink` until the body ends or (for an SSE sink) `stop_at` events.
    async fn read_body(
        &mut self,
        state: &mut BodyState,
        mut sink: Sink<'_>,
        stop_at: Option<u64>,
    ) -> Result<(), ProbeError> {
        loop {
            if let (Some(n), Sink::Sse(c)) = (stop_at, &sink) {
                if c.events >= n {
                    return Ok(());
                }
            }
            match *state {
                BodyState::Done => return Ok(()),
                BodyState::Length(left) | BodyState::ChunkData(left) => {
                    if self.pos == self.buf.len() && self.fill().await? == 0 {
                        return Err(ProbeError::Http("connection closed inside the body".into()));
                    }
                    let take = left.min(self.buf.len() - self.pos);
                    sink.feed(&self.buf[self.pos..self.pos + take], &mut self.body);
                    self.pos += take;
                    *state = match (*state, left - take) {
                        (BodyState::Length(_), 0) => BodyState::Done,
                        (BodyState::Length(_), l) => BodyState::Length(l),
                        (_, 0) => BodyState::ChunkEnd,
                        (_, l) => BodyState::ChunkData(l),
                    };
                }
                BodyState::ChunkSize => {
                    let (s, e) = self.line().await?;
                    let size_text = std::str::from_utf8(&self.buf[s..e])
                        .map_err(|_| ProbeError::Http("bad chunk size".into()))?;
                    let size_text = size_text.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(size_text, 16)
                        .map_err(|_| ProbeError::Http(format!("bad chunk size `{size_text}`")))?;
                    *state = if size == 0 {
                        BodyState::Trailers
                    } else {
                        BodyState::ChunkData(size)
                    };
                }
                BodyState::ChunkEnd => {
                    let (s, e) = self.line().await?;
                    if s != e {
                        return Err(ProbeError::Http("chunk not followed by CRLF".into()));
                    }
                    *state = BodyState::ChunkSize;
                }
                BodyState::Trailers => {
                    let (s, e) = self.line().await?;
                    if s == e {
                        *state = BodyState::Done;
                    }
                }
                BodyState::Eof => {
                    if self.pos < self.buf.len() {
                        sink.feed(&self.buf[self.pos..], &mut self.body);
                        self.pos = self.buf.len();
                    } else if self.fill().await? == 0 {
                        self.stream_eof = true;
                        *state = BodyState::Done;
                    }
                }
            }
        }
    }

    /// Reads more bytes; returns how many (0 at EOF).
    async fn fill(&mut self) -> Result<usize, ProbeError> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 0 && self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| ProbeError::Http("not connected".into()))?;
        stream.read_buf(&mut self.buf).await.map_err(io_err)
    }

    /// The next CRLF-terminated line as a range of `buf` (without the CRLF), consumed.
    async fn line(&mut self) -> Result<(usize, usize), ProbeError> {
        loop {
            if let Some(i) = self.buf[self.pos..].iter().position(|&b| b == b'\n') {
                let start = self.pos;
                let mut end = start + i;
                self.pos = end + 1;
                if end > start && self.buf[end - 1] == b'\r' {
                    end -= 1;
                }
                return Ok((start, end));
            }
            if self.buf.len() - self.pos > 64 * 1024 {
                return Err(ProbeError::Http("line too long".into()));
            }
            if self.fill().await? == 0 {
                return Err(ProbeError::Http("connection closed mid-line".into()));
            }
        }
    }

    async fn read_head(&mut self) -> Result<(Head, Framing), ProbeError> {
        let end = loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n\r\n") {
                break self.pos + i;
            }
            if self.buf.len() - self.pos > 64 * 1024 {
                return Err(ProbeError::Http("response head too large".into()));
            }
            if self.fill().await? == 0 {
                return Err(ProbeError::Http(
                    "connection closed before a response".into(),
                ));
            }
        };
        let text = std::str::from_utf8(&self.buf[self.pos..end])
            .map_err(|_| ProbeError::Http("response head is not UTF-8".into()))?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ProbeError::Http(format!("bad status line `{status_line}`")))?;
        let mut framing = Framing::Eof;
        let mut close = status_line.starts_with("HTTP/1.0");
        let mut event_stream = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                if framing != Framing::Chunked {
                    let n = value
                        .parse()
                        .map_err(|_| ProbeError::Http("bad content-length".into()))?;
                    framing = Framing::Length(n);
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                if value.to_ascii_lowercase().contains("chunked") {
                    framing = Framing::Chunked;
                }
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            } else if name.eq_ignore_ascii_case("content-type") {
                event_stream = value.to_ascii_lowercase().starts_with("text/event-stream");
            }
        }
        if status == 204 || status == 304 || (100..200).contains(&status) {
            framing = Framing::Length(0);
        }
        self.pos = end + 4;
        Ok((
            Head {
                status,
                event_stream,
                close,
            },
            framing,
        ))
    }
}

fn io_err(e: std::io::Error) -> ProbeError {
    ProbeError::Http(e.to_string())
}

/// Counts SSE events (blocks with at least one `data` line, ended by a blank line) in a byte
/// stream fed piecewise; accepts LF and CRLF line ends.
#[derive(Debug, Default, Clone)]
pub struct SseCounter {
    head: [u8; 5],
    head_len: usize,
    line_len: usize,
    last: u8,
    has_data: bool,
    keep_first: bool,
    raw_first: Vec<u8>,
    /// Complete events seen.
    pub events: u64,
    /// Bytes fed.
    pub bytes: u64,
}

impl SseCounter {
    /// A counter that also keeps the bytes up to the first event, for [`SseCounter::first_data`].
    pub fn keeping_first() -> Self {
        Self {
            keep_first: true,
            ..Self::default()
        }
    }

    /// The `data` of the first complete event (lines joined with `\n`), when kept.
    pub fn first_data(&self) -> Option<Vec<u8>> {
        let mut out: Vec<u8> = Vec::new();
        let mut seen = false;
        for line in self.raw_first.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                if seen {
                    return Some(out);
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix(b"data") {
                if rest.is_empty() || rest[0] == b':' {
                    let rest = rest.strip_prefix(b":").unwrap_or(rest);
                    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
                    if seen {
                        out.push(b'\n');
                    }
                    out.extend_from_slice(rest);
                    seen = true;
                }
            }
        }
        None
    }

    /// Feeds the next piece of the body.
    pub fn feed(&mut self, mut data: &[u8]) {
        self.bytes += data.len() as u64;
        if self.keep_first && self.events == 0 {
            self.raw_first.extend_from_slice(data);
        }
        while !data.is_empty() {
            match data.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.take(&data[..i]);
                    self.end_line();
                    data = &data[i + 1..];
                }
                None => {
                    self.take(data);
                    break;
                }
            }
        }
    }

    fn take(&mut self, part: &[u8]) {
        if part.is_empty() {
            return;
        }
        let room = 5 - self.head_len;
        let n = room.min(part.len());
        self.head[self.head_len..self.head_len + n].copy_from_slice(&part[..n]);
        self.head_len += n;
        self.line_len += part.len();
        self.last = part[part.len() - 1];
    }

    fn end_line(&mut self) {
        let len = if self.line_len > 0 && self.last == b'\r' {
            self.line_len - 1
        } else {
            self.line_len
        };
        if len == 0 {
            if self.has_data {
                self.events += 1;
                self.has_data = false;
            }
        } else if len >= 4
            && &self.head[..4] == b"data"
            && (len == 4 || self.head_len < 5 || self.head[4] == b':')
        {
            self.has_data = true;
        }
        self.head_len = 0;
        self.line_len = 0;
        self.last = 0;
    }
}

// ---------------------------------------------------------------------------------------------
// Histogram
// ---------------------------------------------------------------------------------------------

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
const EXACT: u64 = 2 * SUB;
const BUCKETS: usize = (EXACT + (64 - SUB_BITS as u64 - 1) * SUB) as usize;

/// A log-bucket latency histogram (HDR-like): values below 64 are exact, above that each power
/// of two is split into 32 buckets, so any recorded value is known within ~3%. Values are
/// nanoseconds; recording is a few instructions and never allocates.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("min", &self.min)
            .field("max", &self.max)
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

fn bucket_of(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let e = 63 - v.leading_zeros();
    let shift = e - SUB_BITS;
    let mantissa = v >> shift;
    (EXACT + (shift as u64 - 1) * SUB + (mantissa - SUB)) as usize
}

fn bucket_high(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let j = i - EXACT;
    let shift = j / SUB + 1;
    let mantissa = j % SUB + SUB;
    let high = (u128::from(mantissa + 1) << shift) - 1;
    u64::try_from(high).unwrap_or(u64::MAX)
}

impl Histogram {
    /// Records one value (nanoseconds).
    pub fn record(&mut self, v: u64) {
        self.counts[bucket_of(v)] += 1;
        self.count += 1;
        self.sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Records a duration.
    pub fn record_duration(&mut self, d: Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Largest recorded value (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Smallest recorded value (0 when empty).
    pub fn min(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.min
        }
    }

    /// Arithmetic mean (0 when empty).
    pub fn mean(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            (self.sum / self.count as u128) as u64
        }
    }

    /// The value at quantile `q` (0.0..=1.0): the upper edge of its bucket, capped at `max`.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return bucket_high(i).min(self.max).max(self.min);
            }
        }
        self.max
    }

    /// p50/p90/p99/max and friends.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count,
            min: Duration::from_nanos(self.min()),
            mean: Duration::from_nanos(self.mean()),
            p50: Duration::from_nanos(self.quantile(0.50)),
            p90: Duration::from_nanos(self.quantile(0.90)),
            p99: Duration::from_nanos(self.quantile(0.99)),
            max: Duration::from_nanos(self.max),
        }
    }
}

/// Latency percentiles of one histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    /// Number of values.
    pub count: u64,
    /// Smallest.
    pub min: Duration,
    /// Mean.
    pub mean: Duration,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

impl LatencySummary {
    /// As JSON, in microseconds.
    pub fn to_json(&self) -> Value {
        let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
        json!({
            "count": self.count,
            "min_us": us(self.min),
            "mean_us": us(self.mean),
            "p50_us": us(self.p50),
            "p90_us": us(self.p90),
            "p99_us": us(self.p99),
            "max_us": us(self.max),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------------

/// What the agent card says about load targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Target for the JSON-RPC interface (the given URL when the card names none).
    pub jsonrpc: Target,
    /// Target for the REST interface (the given URL when the card names none).
    pub rest: Target,
    /// The card lists the `gauntlet-test-agent` skill.
    pub test_agent: bool,
    /// `capabilities.streaming` is true.
    pub streaming: bool,
}

impl Discovered {
    /// The target for `binding`.
    pub fn target(&self, binding: Binding) -> &Target {
        match binding {
            Binding::JsonRpc => &self.jsonrpc,
            Binding::Rest => &self.rest,
        }
    }
}

/// Fetches `/.well-known/agent-card.json` from the URL's host and picks interface URLs.
pub async fn discover(url: &str, timeout: Duration) -> Result<Discovered, ProbeError> {
    let base = Target::resolve(url).await?;
    let mut conn = Conn::connect(base.addr, timeout).await?;
    let req = http_request(&base, "GET", "/.well-known/agent-card.json", None, b"");
    let (head, body) = conn.request(&req).await?;
    if head.status != 200 {
        return Err(ProbeError::Http(format!(
            "the agent card answered HTTP {}",
            head.status
        )));
    }
    let card: Value = serde_json::from_slice(body)
        .map_err(|e| ProbeError::Http(format!("the agent card is not JSON: {e}")))?;
    let test_agent = card["skills"]
        .as_array()
        .is_some_and(|s| s.iter().any(|k| k["id"] == TEST_AGENT_SKILL));
    let streaming = card["capabilities"]["streaming"] == Value::Bool(true);
    let mut found = Discovered {
        jsonrpc: base.clone(),
        rest: base.clone(),
        test_agent,
        streaming,
    };
    for binding in [Binding::Rest, Binding::JsonRpc] {
        let iface = card["supportedInterfaces"].as_array().and_then(|all| {
            all.iter()
                .find(|i| i["protocolBinding"] == binding.protocol_binding())
                .and_then(|i| i["url"].as_str())
        });
        if let Some(u) = iface {
            // An interface URL that does not resolve: keep the given URL for that binding.
            let Ok(t) = Target::resolve(u).await else {
                continue;
            };
            match binding {
                Binding::JsonRpc => found.jsonrpc = t,
                Binding::Rest => found.rest = t,
            }
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Closed-loop load
// ---------------------------------------------------------------------------------------------

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Binding for SendMessage and streams.
    pub binding: Binding,
    /// Workers for the SendMessage phase (one keep-alive connection each).
    pub concurrency: usize,
    /// Length of each phase.
    pub duration: Duration,
    /// Concurrent streams for the streaming phase (0: skip it).
    pub streams: usize,
    /// Artifact chunks per stream (`stream N 0`).
    pub events: u32,
    /// Deadline for connecting and for each request.
    pub request_timeout: Duration,
    /// Deadline for one whole stream.
    pub stream_timeout: Duration,
    /// The running figures of the phase under way, for a live display.
    pub live: Live,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            binding: Binding::JsonRpc,
            concurrency: 16,
            duration: Duration::from_secs(10),
            streams: 16,
            events: 1000,
            request_timeout: Duration::from_secs(5),
            stream_timeout: Duration::from_secs(60),
            live: Live::default(),
        }
    }
}

/// A load phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Closed-loop SendMessage.
    Send,
    /// Concurrent `stream N 0` streams.
    Stream,
}

impl Phase {
    /// Its name in the summary table.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Send => "SendMessage",
            Phase::Stream => "Streaming",
        }
    }
}

/// The running figures of the phase under way, shared by its workers and a display
/// (`gauntlet load` prints [`Live::figures`] every second). Errors and events are atomics;
/// each worker records latencies into its own histogram behind its own mutex, which only the
/// (once a second) reader ever contends, so the generator's ceiling does not move.
#[derive(Debug, Clone, Default)]
pub struct Live(Arc<LiveState>);

#[derive(Debug, Default)]
struct LiveState {
    phase: Mutex<Option<(Phase, Instant)>>,
    errors: AtomicU64,
    events: AtomicU64,
    workers: Mutex<Vec<Arc<Mutex<Histogram>>>>,
}

/// What a phase has done so far.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveFigures {
    /// The phase.
    pub phase: Phase,
    /// Since it began.
    pub elapsed: Duration,
    /// Successful requests (SendMessage) or drained streams.
    pub ok: u64,
    /// Failed ones.
    pub errors: u64,
    /// Stream events received (streaming phase).
    pub events: u64,
    /// Median latency (SendMessage) or stream time so far.
    pub p50: Option<Duration>,
}

impl LiveFigures {
    /// One line: `SendMessage 2.0 s: 8123 ok, 0 errors, 4061 req/s, p50 3.9 ms`.
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let p50 = self.p50.map_or_else(
            || "p50 -".to_owned(),
            |d| format!("p50 {:.1} ms", d.as_secs_f64() * 1000.0),
        );
        match self.phase {
            Phase::Send => format!(
                "{} {:.1} s: {} ok, {} errors, {:.0} req/s, {p50}",
                self.phase.name(),
                self.elapsed.as_secs_f64(),
                self.ok,
                self.errors,
                self.ok as f64 / secs
            ),
            Phase::Stream => format!(
                "{} {:.1} s: {} drained, {} errors, {} events, {:.0} events/s, {p50}",
                self.phase.name(),
                self.elapsed.as_secs_f64(),
                self.ok,
                self.errors,
                self.events,
                self.events as f64 / secs
            ),
        }
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Live {
    /// Starts `phase` from zero.
    fn begin(&self, phase: Phase) {
        locked(&self.0.workers).clear();
        self.0.errors.store(0, Ordering::Relaxed);
        self.0.events.store(0, Ordering::Relaxed);
        *locked(&self.0.phase) = Some((phase, Instant::now()));
    }

    /// A new worker's latency histogram, read by [`Live::figures`].
    fn worker(&self) -> Arc<Mutex<Histogram>> {
        let h = Arc::new(Mutex::new(Histogram::default()));
        locked(&self.0.workers).push(h.clone());
        h
    }

    fn error(&self) {
        self.0.errors.fetch_add(1, Ordering::Relaxed);
    }

    fn events(&self, n: u64) {
        self.0.events.fetch_add(n, Ordering::Relaxed);
    }

    /// The figures of the phase under way; `None` before the first phase begins.
    pub fn figures(&self) -> Option<LiveFigures> {
        let (phase, since) = (*locked(&self.0.phase))?;
        let mut all = Histogram::default();
        for w in locked(&self.0.workers).iter() {
            all.merge(&locked(w));
        }
        Some(LiveFigures {
            phase,
            elapsed: since.elapsed(),
            ok: all.count(),
            errors: self.0.errors.load(Ordering::Relaxed),
            events: self.0.events.load(Ordering::Relaxed),
            p50: (all.count() > 0).then(|| Duration::from_nanos(all.quantile(0.5))),
        })
    }
}

/// Result of the SendMessage phase.
#[derive(Debug, Clone)]
pub struct SendReport {
    /// Workers.
    pub concurrency: usize,
    /// Successful answers.
    pub ok: u64,
    /// Error answers, broken connections and timeouts.
    pub errors: u64,
    /// First error seen, for the summary.
    pub first_error: Option<String>,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Latency of successful requests.
    pub latency: LatencySummary,
}

impl SendReport {
    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Result of the streaming phase.
#[derive(Debug, Clone)]
pub struct StreamReport {
    /// Concurrent streams.
    pub streams: usize,
    /// Chunks requested per stream.
    pub events_per_stream: u32,
    /// Streams drained to the end.
    pub completed: u64,
    /// Failed or short streams.
    pub errors: u64,
    /// First error seen, for the summary.
    pub first_error: Option<String>,
    /// SSE events received (all streams, complete or not).
    pub events: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Time to drain one whole stream.
    pub stream_time: LatencySummary,
}

impl StreamReport {
    /// Events per second over all streams.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Both phases.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Human label of the target.
    pub target: String,
    /// Binding used.
    pub binding: Binding,
    /// SendMessage phase.
    pub send: SendReport,
    /// Streaming phase, when run.
    pub stream: Option<StreamReport>,
    /// Why the streaming phase did not run.
    pub stream_skipped: Option<String>,
}

impl LoadReport {
    /// Machine-readable form (`--json`).
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "target": self.target,
            "binding": self.binding.short(),
            "mode": "closed-loop",
            "send": {
                "concurrency": self.send.concurrency,
                "ok": self.send.ok,
                "errors": self.send.errors,
                "first_error": self.send.first_error,
                "elapsed_s": self.send.elapsed.as_secs_f64(),
                "requests_per_sec": self.send.rps(),
                "latency": self.send.latency.to_json(),
            },
            "stream": Value::Null,
            "stream_skipped": self.stream_skipped,
        });
        if let Some(s) = &self.stream {
            out["stream"] = json!({
                "streams": s.streams,
                "events_per_stream": s.events_per_stream,
                "completed": s.completed,
                "errors": s.errors,
                "first_error": s.first_error,
                "events": s.events,
                "bytes": s.bytes,
                "elapsed_s": s.elapsed.as_secs_f64(),
                "events_per_sec": s.events_per_sec(),
                "ns_per_event": if s.events > 0 {
                    (s.elapsed.as_nanos() as f64 * s.streams as f64) / s.events as f64
                } else { 0.0 },
                "stream_time": s.stream_time.to_json(),
            });
        }
        out
    }

    /// The human summary table.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let us = |d: Duration| format!("{:.1}", d.as_nanos() as f64 / 1000.0);
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        let mut t = String::new();
        let _ = writeln!(
            t,
            "gauntlet load: {} ({}, closed loop)",
            self.target,
            self.binding.short()
        );
        let s = &self.send;
        let _ = writeln!(
            t,
            "\n  SendMessage   {} workers, {:.1} s: {} ok, {} errors, {:.0} req/s",
            s.concurrency,
            s.elapsed.as_secs_f64(),
            s.ok,
            s.errors,
            s.rps()
        );
        let _ = writeln!(
            t,
            "  latency µs    p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}  mean {:>9}",
            us(s.latency.p50),
            us(s.latency.p90),
            us(s.latency.p99),
            us(s.latency.max),
            us(s.latency.mean)
        );
        if let Some(e) = &s.first_error {
            let _ = writeln!(t, "  first error   {e}");
        }
        match (&self.stream, &self.stream_skipped) {
            (Some(st), _) => {
                let _ = writeln!(
                    t,
                    "\n  Streaming     {} streams × `stream {} 0`, {:.1} s: {} drained, {} errors, {} events, {:.0} events/s",
                    st.streams,
                    st.events_per_stream,
                    st.elapsed.as_secs_f64(),
                    st.completed,
                    st.errors,
                    st.events,
                    st.events_per_sec()
                );
                let _ = writeln!(
                    t,
                    "  stream ms     p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}",
                    ms(st.stream_time.p50),
                    ms(st.stream_time.p90),
                    ms(st.stream_time.p99),
                    ms(st.stream_time.max)
                );
                if let Some(e) = &st.first_error {
                    let _ = writeln!(t, "  first error   {e}");
                }
            }
            (None, Some(why)) => {
                let _ = writeln!(t, "\n  Streaming     skipped: {why}");
            }
            (None, None) => {}
        }
        t
    }
}

/// Whether an answer to SendMessage is a success (2xx, and for JSON-RPC a `result` member).
pub fn send_ok(binding: Binding, head: &Head, body: &[u8]) -> bool {
    (200..300).contains(&head.status)
        && match binding {
            Binding::JsonRpc => find(body, b"\"result\"").is_some(),
            Binding::Rest => true,
        }
}

/// Sends one SendMessage and checks that the answer is a real `{"task"}`/`{"message"}` result
/// (run before a load phase, so a wrong URL fails in one sentence instead of a wall of errors).
pub async fn preflight(
    target: &Target,
    binding: Binding,
    timeout: Duration,
) -> Result<(), ProbeError> {
    let mut conn = Conn::connect(target.addr, timeout).await?;
    let mut req = send_message(target, binding, "echo preflight", false);
    let (head, body) = conn.request(req.next_request()).await?;
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ProbeError::Http(format!(
            "SendMessage answered HTTP {} with a body that is not JSON",
            head.status
        ))
    })?;
    let result = match binding {
        Binding::JsonRpc => &value["result"],
        Binding::Rest => &value,
    };
    if (200..300).contains(&head.status)
        && (result.get("task").is_some() || result.get("message").is_some())
    {
        Ok(())
    } else {
        Err(ProbeError::Http(format!(
            "SendMessage answered HTTP {} without a task or message: {}",
            head.status,
            truncate(&value.to_string(), 200)
        )))
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_owned()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

/// Closed-loop SendMessage phase: `concurrency` workers, each on its own keep-alive connection,
/// send back to back until `duration` has passed.
pub async fn run_send(target: &Target, config: &LoadConfig) -> SendReport {
    let start = Instant::now();
    let end = start + config.duration;
    let mut set = JoinSet::new();
    config.live.begin(Phase::Send);
    for w in 0..config.concurrency.max(1) {
        let target = target.clone();
        let binding = config.binding;
        let timeout = config.request_timeout;
        let live = config.live.clone();
        set.spawn(async move {
            let hist = live.worker();
            let mut errors = 0u64;
            let mut first_error = None;
            let mut req =
                send_message(&target, binding, "echo load", false).with_counter((w as u64) << 40);
            let mut conn = match Conn::connect(target.addr, timeout).await {
                Ok(c) => c,
                Err(e) => {
                    live.error();
                    return (Histogram::default(), 1, Some(e.to_string()));
                }
            };
            while Instant::now() < end {
                let t0 = Instant::now();
                match conn.request(req.next_request()).await {
                    Ok((head, body)) if send_ok(binding, &head, body) => {
                        locked(&hist).record_duration(t0.elapsed());
                    }
                    Ok((head, body)) => {
                        errors += 1;
                        live.error();
                        first_error.get_or_insert_with(|| {
                            format!(
                                "HTTP {}: {}",
                                head.status,
                                truncate(&String::from_utf8_lossy(body), 160)
                            )
                        });
                    }
                    Err(e) => {
                        errors += 1;
                        live.error();
                        first_error.get_or_insert_with(|| e.to_string());
                        if matches!(e, ProbeError::Connect { .. }) {
                            break;
                        }
                    }
                }
            }
            let hist = locked(&hist).clone();
            (hist, errors, first_error)
        });
    }
    let mut hist = Histogram::default();
    let mut errors = 0;
    let mut first_error = None;
    while let Some(res) = set.join_next().await {
        match res {
            Ok((h, e, f)) => {
                hist.merge(&h);
                errors += e;
                if first_error.is_none() {
                    first_error = f;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    SendReport {
        concurrency: config.concurrency.max(1),
        ok: hist.count(),
        errors,
        first_error,
        elapsed: start.elapsed(),
        latency: hist.summary(),
    }
}

/// Streaming phase: `streams` workers each open `stream N 0` streams back to back and drain them
/// until `duration` has passed (a stream started before the end is drained, within its deadline).
pub async fn run_streams(target: &Target, config: &LoadConfig) -> StreamReport {
    let start = Instant::now();
    let end = start + config.duration;
    // task + WORKING + N chunks + COMPLETED.
    let expected = u64::from(config.events) + 3;
    let mut set = JoinSet::new();
    config.live.begin(Phase::Stream);
    for w in 0..config.streams.max(1) {
        let target = target.clone();
        let binding = config.binding;
        let text = format!("stream {} 0", config.events);
        let request_timeout = config.request_timeout;
        let stream_timeout = config.stream_timeout;
        let live = config.live.clone();
        set.spawn(async move {
            let hist = live.worker();
            let (mut events, mut bytes, mut errors) = (0u64, 0u64, 0u64);
            let mut first_error = None;
            let mut req = stream_message(&target, binding, &text).with_counter((w as u64) << 40);
            let mut conn = match Conn::connect(target.addr, request_timeout).await {
                Ok(c) => c,
                Err(e) => {
                    live.error();
                    return (Histogram::default(), 0, 0, 1, Some(e.to_string()));
                }
            };
            while Instant::now() < end {
                let t0 = Instant::now();
                match conn.stream(req.next_request(), stream_timeout).await {
                    Ok(o) => {
                        events += o.events;
                        bytes += o.bytes;
                        live.events(o.events);
                        if o.head.status == 200 && o.head.event_stream && o.events >= expected {
                            locked(&hist).record_duration(t0.elapsed());
                        } else {
                            errors += 1;
                            live.error();
                            first_error.get_or_insert_with(|| {
                                format!(
                                    "HTTP {} ({}), {} events where {} were expected",
                                    o.head.status,
                                    if o.head.event_stream {
                                        "text/event-stream"
                                    } else {
                                        "not a stream"
                                    },
                                    o.events,
                                    expected
                                )
                            });
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        live.error();
                        first_error.get_or_insert_with(|| e.to_string());
                        if matches!(e, ProbeError::Connect { .. }) {
                            break;
                        }
                    }
                }
            }
            let hist = locked(&hist).clone();
            (hist, events, bytes, errors, first_error)
        });
    }
    let mut hist = Histogram::default();
    let (mut events, mut bytes, mut errors) = (0, 0, 0);
    let mut first_error = None;
    while let Some(res) = set.join_next().await {
        match res {
            Ok((h, ev, by, er, f)) => {
                hist.merge(&h);
                events += ev;
                bytes += by;
                errors += er;
                if first_error.is_none() {
                    first_error = f;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    StreamReport {
        streams: config.streams.max(1),
        events_per_stream: config.events,
        completed: hist.count(),
        errors,
        first_error,
        events,
        bytes,
        elapsed: start.elapsed(),
        stream_time: hist.summary(),
    }
}

/// Discovers `url`, checks it with one SendMessage, then runs both phases (the streaming phase
/// only when the card advertises streaming and the test agent).
pub async fn run(url: &str, config: &LoadConfig) -> Result<LoadReport, ProbeError> {
    let found = discover(url, config.request_timeout).await?;
    let target = found.target(config.binding).clone();
    preflight(&target, config.binding, config.request_timeout).await?;
    let send = run_send(&target, config).await;
    let (stream, stream_skipped) = if config.streams == 0 {
        (None, Some("--streams 0".to_owned()))
    } else if !found.test_agent {
        (
            None,
            Some(format!(
                "the agent card does not list the `{TEST_AGENT_SKILL}` skill"
            )),
        )
    } else if !found.streaming {
        (
            None,
            Some("the agent card does not advertise streaming".to_owned()),
        )
    } else {
        (Some(run_streams(&target, config).await), None)
    };
    Ok(LoadReport {
        target: format!("{}{}", target.origin(), target.path),
        binding: config.binding,
        send,
        stream,
        stream_skipped,
    })
}

// ---------------------------------------------------------------------------------------------
// Bare hyper server
// ---------------------------------------------------------------------------------------------

/// The canned completed task every bare SendMessage answer carries.
fn canned_task() -> Value {
    json!({
        "id": "00000000-0000-4000-8000-000000000001",
        "contextId": "00000000-0000-4000-8000-000000000002",
        "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2026-01-01T00:00:00.000Z"},
        "artifacts": [{"artifactId": "echo", "name": "echo", "parts": [{"text": "echo: echo load"}]}],
        "history": [{"messageId": "load-0000000000000000",
                     "contextId": "00000000-0000-4000-8000-000000000002",
                     "taskId": "00000000-0000-4000-8000-000000000001",
                     "role": "ROLE_USER", "parts": [{"text": "echo load"}]}]
    })
}

struct Canned {
    jsonrpc: Bytes,
    rest: Bytes,
    card: Bytes,
}

/// A trivial hyper 1 HTTP/1.1 server that reads each request body and answers SendMessage on
/// both bindings (`POST /` and `POST /message:send`) with one canned completed task; the agent
/// card names both interfaces and no test-agent skill. It shows what the load generator and
/// hyper alone can do on this machine, the ceiling for any server measured the same way.
pub struct BareServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl BareServer {
    /// Binds `addr` (port 0 for an ephemeral port) and starts serving on the current runtime.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let task = canned_task();
        let canned = std::sync::Arc::new(Canned {
            jsonrpc: Bytes::from(
                json!({"jsonrpc": "2.0", "id": 1, "result": {"task": task}}).to_string(),
            ),
            rest: Bytes::from(json!({"task": task}).to_string()),
            card: Bytes::from(
                json!({
                    "name": "Bare hyper baseline",
                    "description": "Canned SendMessage answers",
                    "version": "0.0.0",
                    "supportedInterfaces": [
                        {"url": base, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
                        {"url": base, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}
                    ],
                    "capabilities": {"streaming": false},
                    "defaultInputModes": ["text/plain"],
                    "defaultOutputModes": ["text/plain"],
                    "skills": []
                })
                .to_string(),
            ),
        });
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let canned = canned.clone();
                        conns.spawn(async move {
                            let service = hyper::service::service_fn(move |req| {
                                bare_answer(canned.clone(), req)
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Ok(Self { addr, task })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<local_addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and drops every connection.
    pub async fn shutdown(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn bare_answer(
    canned: std::sync::Arc<Canned>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    // Read the whole body, as any real server must.
    let _ = body.collect().await;
    let (status, ct, bytes) = match (parts.method.as_str(), parts.uri.path()) {
        ("POST", "/") => (200, "application/json", canned.jsonrpc.clone()),
        ("POST", "/message:send") => (200, "application/a2a+json", canned.rest.clone()),
        ("GET", "/.well-known/agent-card.json") => (200, "application/json", canned.card.clone()),
        _ => (404, "text/plain", Bytes::from_static(b"not found")),
    };
    let mut resp = hyper::Response::new(Full::new(bytes));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(ct),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_continuous_and_tight() {
        let mut prev_high = None;
        for i in 0..BUCKETS {
            let high = bucket_high(i);
            if let Some(p) = prev_high {
                assert!(high > p, "bucket {i}");
            }
            assert_eq!(bucket_of(high), i, "bucket {i} high {high}");
            prev_high = Some(high);
        }
        for v in [0u64, 1, 63, 64, 65, 1000, 123_456, 10_000_000_000, u64::MAX] {
            let high = bucket_high(bucket_of(v));
            assert!(
                high >= v && (high - v) as f64 <= v as f64 / 32.0 + 1.0,
                "{v}"
            );
        }
    }

    #[test]
    fn histogram_quantiles_follow_the_data() {
        let mut h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.04, "{p50}");
        assert_eq!(h.quantile(1.0), 1_000_000);
        assert_eq!(h.max(), 1_000_000);
        assert_eq!(h.min(), 1000);
    }

    #[test]
    fn sse_counter_counts_data_events_across_splits() {
        let text =
            b": ping\n\ndata: {\"a\":1}\n\nevent: x\r\ndata: 2\r\ndata: 3\r\n\r\ndata\n\n: c\n\n";
        for split in 0..text.len() {
            let mut c = SseCounter::default();
            c.feed(&text[..split]);
            c.feed(&text[split..]);
            assert_eq!(c.events, 3, "split at {split}");
        }
    }

    #[test]
    fn request_template_rewrites_the_counter_in_place() {
        let target = Target::from_addr("127.0.0.1:1".parse().unwrap());
        let mut t = send_message(&target, Binding::Rest, "echo x", false).with_counter(0xab);
        let first = String::from_utf8(t.next_request().to_vec()).unwrap();
        assert!(first.contains("load-00000000000000ab"), "{first}");
        let second = String::from_utf8(t.next_request().to_vec()).unwrap();
        assert!(second.contains("load-00000000000000ac"));
        assert!(first.starts_with("POST /message:send HTTP/1.1\r\n"));
    }

    #[tokio::test]
    async fn the_generator_loads_the_reference_and_drains_its_streams() {
        let server = gauntlet_reference::Server::builder()
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        for binding in Binding::ALL {
            let config = LoadConfig {
                binding,
                concurrency: 2,
                duration: Duration::from_millis(100),
                streams: 2,
                events: 20,
                ..LoadConfig::default()
            };
            let report = run(&server.base_url(), &config).await.unwrap();
            assert!(report.send.ok > 0, "{report:?}");
            assert_eq!(report.send.errors, 0, "{report:?}");
            let stream = report
                .stream
                .as_ref()
                .expect("the test agent is advertised");
            assert!(stream.completed > 0, "{report:?}");
            assert_eq!(stream.errors, 0, "{report:?}");
            assert_eq!(stream.events, stream.completed * 23, "{report:?}");
            let json = report.to_json();
            assert_eq!(json["binding"], binding.short());
            assert!(json["stream"]["events_per_sec"].as_f64().unwrap() > 0.0);
        }
        server.shutdown().await;
    }

    #[tokio::test]
    async fn an_unreachable_url_is_one_error() {
        let err = run("http://127.0.0.1:1", &LoadConfig::default())
            .await
            .unwrap_err();
        assert!(matches!(err, ProbeError::Connect { .. }), "{err}");
        let err = run("https://example.com", &LoadConfig::default())
            .await
            .unwrap_err();
        assert!(matches!(err, ProbeError::InvalidUrl(_)), "{err}");
    }

    #[tokio::test]
    async fn the_generator_loads_the_bare_server() {
        let server = BareServer::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let config = LoadConfig {
            concurrency: 2,
            duration: Duration::from_millis(100),
            streams: 1,
            ..LoadConfig::default()
        };
        for binding in Binding::ALL {
            let config = LoadConfig {
                binding,
                ..config.clone()
            };
            let report = run(&server.base_url(), &config).await.unwrap();
            assert!(report.send.ok > 0, "{report:?}");
            assert_eq!(report.send.errors, 0, "{report:?}");
            assert!(report.stream.is_none());
            assert!(report.table().contains("req/s"));
        }
        server.shutdown().await;
    }
}
