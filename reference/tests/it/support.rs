//! Test support: start a reference server on 127.0.0.1:0 and talk to it over real HTTP/1.1
//! with a tiny hyper client (one connection per request), plus an SSE reader.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use gauntlet_reference::{Server, ServerBuilder, ServerHandle};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::Value;
use tokio::net::TcpStream;

/// How long any single network step may take before a test gives up.
pub const STEP: Duration = Duration::from_secs(10);

/// Starts a server from `builder` on an ephemeral loopback port.
pub async fn start(builder: ServerBuilder) -> ServerHandle {
    builder
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind 127.0.0.1:0")
}

/// Starts a default server.
pub async fn start_default() -> ServerHandle {
    start(Server::builder()).await
}

/// A buffered HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    /// The body as JSON (panics with the body text when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header as a string ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A request under construction.
pub struct Req {
    addr: SocketAddr,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

/// Starts a request to `addr` with `A2A-Version: 1.0` already set.
pub fn req(addr: SocketAddr, method: Method, path: &str) -> Req {
    Req {
        addr,
        method,
        path: path.to_owned(),
        headers: vec![("A2A-Version".into(), "1.0".into())],
        body: Bytes::new(),
    }
}

impl Req {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Removes every header called `name` (case-insensitive).
    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Sets a JSON body (and its content type).
    pub fn json(mut self, v: &Value) -> Self {
        self.body = Bytes::from(serde_json::to_vec(v).unwrap());
        self.header("Content-Type", "application/json")
    }

    /// Sets a raw body.
    pub fn body(mut self, b: impl Into<Bytes>) -> Self {
        self.body = b.into();
        self
    }

    /// Sends the request and returns the response head with its streaming body.
    pub async fn open(self) -> hyper::Response<Incoming> {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("handshake");
        tokio::spawn(conn);
        let mut builder = Request::builder()
            .method(self.method)
            .uri(&self.path)
            .header("host", self.addr.to_string());
        for (n, v) in &self.headers {
            builder = builder.header(n.as_str(), v.as_str());
        }
        let request = builder.body(Full::new(self.body)).unwrap();
        tokio::time::timeout(STEP, sender.send_request(request))
            .await
            .expect("response head in time")
            .expect("response head")
    }

    /// Sends the request and reads the whole response.
    pub async fn send(self) -> Resp {
        let res = self.open().await;
        let (parts, body) = res.into_parts();
        let body = tokio::time::timeout(STEP, body.collect())
            .await
            .expect("body in time")
            .expect("body")
            .to_bytes();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// POSTs one JSON-RPC request with id 1 and returns the response.
pub async fn rpc(addr: SocketAddr, method: &str, params: Value) -> Resp {
    let body = serde_json::json!({"jsonrpc":"2.0","id":1,"method":method,"params":params});
    req(addr, Method::POST, "/").json(&body).send().await
}

/// A user message with `text`.
pub fn message(text: &str) -> Value {
    serde_json::json!({"message": {
        "messageId": format!("m-{}", unique()),
        "role": "ROLE_USER",
        "parts": [{"text": text}],
    }})
}

/// A process-unique number for ids.
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// One SSE block: the lines between blank lines.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A `data:` event (with its `event:` name, if any).
    Data { event: Option<String>, data: String },
    /// A comment-only block (`: keep-alive`).
    Comment(String),
}

/// Reads SSE blocks from a streaming response body.
pub struct Sse {
    body: Incoming,
    buf: Vec<u8>,
    /// Start of the unparsed bytes in `buf` (avoids shifting the buffer per event).
    start: usize,
    done: bool,
}

impl Sse {
    /// Wraps a response whose content type must be text/event-stream.
    pub fn new(res: hyper::Response<Incoming>) -> Self {
        assert_eq!(res.status(), StatusCode::OK);
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(ct.starts_with("text/event-stream"), "content type {ct:?}");
        Sse {
            body: res.into_body(),
            buf: Vec::new(),
            start: 0,
            done: false,
        }
    }

    /// The next block, or None at the end of the stream. Fails the test after [`STEP`].
    pub async fn next_block(&mut self) -> Option<Block> {
        loop {
            let pending = &self.buf[self.start..];
            if let Some(pos) = pending.windows(2).position(|w| w == b"\n\n") {
                let text = std::str::from_utf8(&pending[..pos]).expect("utf-8 event");
                let block = parse_block(text);
                self.start += pos + 2;
                return Some(block);
            }
            if self.done {
                assert!(pending.is_empty(), "trailing bytes {pending:?}");
                return None;
            }
            self.buf.drain(..self.start);
            self.start = 0;
            match tokio::time::timeout(STEP, self.body.frame())
                .await
                .expect("SSE data in time")
            {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => panic!("SSE body error: {e}"),
                None => self.done = true,
            }
        }
    }

    /// The next data event parsed as JSON, skipping comments; None at the end.
    pub async fn next_json(&mut self) -> Option<Value> {
        loop {
            match self.next_block().await? {
                Block::Data { data, .. } => return Some(serde_json::from_str(&data).unwrap()),
                Block::Comment(_) => continue,
            }
        }
    }

    /// Every remaining data event, until the end of the stream.
    pub async fn collect_json(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = self.next_json().await {
            out.push(v);
        }
        out
    }
}

fn parse_block(text: &str) -> Block {
    let mut event = None;
    let mut data: Option<String> = None;
    let mut comments = Vec::new();
    for line in text.split('\n') {
        if let Some(c) = line.strip_prefix(':') {
            comments.push(c.trim().to_owned());
        } else if let Some(d) = line.strip_prefix("data:") {
            let d = d.strip_prefix(' ').unwrap_or(d);
            data = Some(match data {
                Some(prev) => format!("{prev}\n{d}"),
                None => d.to_owned(),
            });
        } else if let Some(e) = line.strip_prefix("event:") {
            event = Some(e.trim().to_owned());
        }
    }
    match data {
        Some(data) => Block::Data { event, data },
        None => Block::Comment(comments.join("\n")),
    }
}
