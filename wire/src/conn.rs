//! The one raw HTTP/1.1 connection ([`Conn`]): a socket that writes request bytes exactly as
//! given and reads `Content-Length`, chunked and close-delimited answers into a reused buffer.
//!
//! It serves two kinds of callers. The keep-alive path ([`Conn::connect`], [`Conn::request`],
//! [`Conn::stream`]) reconnects by itself, bounds every exchange by the connection's timeout and
//! keeps no header: load and the benches measure through it, so it allocates nothing per
//! request. The controlled path ([`Conn::connect_with`], [`Conn::from_stream`]) is one socket
//! the caller steers: socket options and read sizes ([`ConnOpts`]), the response headers
//! ([`Head::headers`]), writing while reading ([`Conn::send_while_reading`]), the body piece by
//! piece ([`Conn::next_bytes`]) or as SSE events ([`SseStream`]), and how the connection ends
//! ([`reset`]); its waits have no deadline of their own, callers bound them.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::request::find;
use crate::sse::{SseEvent, SseFault, SseParser};
use crate::WireError;

/// Largest response head (and chunk-size or trailer line) accepted.
const MAX_HEAD: usize = 64 * 1024;

/// Socket options of a controlled connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnOpts {
    /// `SO_RCVBUF` set before connecting (a true slow consumer advertises a tiny window).
    pub recv_buffer: Option<u32>,
    /// Largest single read; small values make a throttled reader.
    pub read_size: Option<usize>,
}

/// Connects a TCP socket to `addr` with `opts` (TCP_NODELAY on), within `timeout`.
pub async fn connect_socket(
    addr: SocketAddr,
    opts: ConnOpts,
    timeout: Duration,
) -> Result<TcpStream, WireError> {
    let failed = |e: std::io::Error| WireError::Connect {
        addr: addr.to_string(),
        reason: e.to_string(),
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(failed)?;
    if let Some(n) = opts.recv_buffer {
        socket.set_recv_buffer_size(n).map_err(failed)?;
    }
    let stream = tokio::time::timeout(timeout, socket.connect(addr))
        .await
        .map_err(|_| WireError::Timeout(timeout))?
        .map_err(failed)?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Closes `stream` with a RST instead of a FIN (`SO_LINGER` 0, then close).
pub fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// Whether a complete response head is among `bytes`.
pub fn has_head(bytes: &[u8]) -> bool {
    find(bytes, b"\r\n\r\n").is_some()
}

/// Sends one request on a fresh connection and reads the whole answer (headers kept) within
/// `timeout`.
pub async fn round_trip(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> Result<Response, WireError> {
    let fut = async {
        let mut conn = Conn::connect_with(addr, ConnOpts::default(), timeout).await?;
        conn.send(request).await?;
        let mut open = conn.read_response_head().await?;
        let body = conn.read_to_end(&mut open).await?;
        Ok(Response {
            head: open.head,
            body,
        })
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| WireError::Timeout(timeout))?
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The head.
    pub head: Head,
    /// The whole body.
    pub body: Vec<u8>,
}

/// How [`Conn::send_while_reading`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Request bytes written: fewer than all when the server answered first or stopped reading.
    pub written: usize,
    /// Writing failed: the server closed or reset its side.
    pub write_failed: bool,
    /// How the server ended its side, if it did.
    pub read_end: Option<ReadEnd>,
}

/// How a server ended its side of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadEnd {
    /// An orderly close (FIN).
    Eof,
    /// A reset.
    Reset,
}

impl std::fmt::Display for ReadEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReadEnd::Eof => "closed",
            ReadEnd::Reset => "reset",
        })
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// HTTP status code.
    pub status: u16,
    /// Whether the response is `text/event-stream`.
    pub event_stream: bool,
    /// Whether the server will close the connection after this response.
    pub close: bool,
    /// Headers in order, names lower-cased, values trimmed: kept on a controlled connection
    /// only (the keep-alive path leaves this empty, so it allocates nothing).
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// First value of header `name` (case-insensitive), when headers are kept.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Where body bytes go.
enum Sink<'a> {
    Body,
    Sse(&'a mut SseParser),
    /// The range of the buffer holding the next piece (the read stops there).
    Piece(&'a mut Option<(usize, usize)>),
}

impl Sink<'_> {
    fn feed(&mut self, buf: &[u8], from: usize, to: usize, body: &mut Vec<u8>) {
        match self {
            Sink::Body => body.extend_from_slice(&buf[from..to]),
            Sink::Sse(c) => c.feed(&buf[from..to]),
            Sink::Piece(r) => **r = Some((from, to)),
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
    /// SSE events counted so far (the decoder in counting mode).
    pub counter: SseParser,
}

impl OpenStream {
    /// Whether the whole body has been read.
    pub fn ended(&self) -> bool {
        self.body == BodyState::Done
    }

    /// Treats the body as empty whatever the head announces (the answer to a `HEAD` request).
    pub fn skip_body(&mut self) {
        self.body = BodyState::Done;
    }

    /// Head and counts so far.
    pub fn outcome(&self) -> StreamOutcome {
        StreamOutcome {
            head: self.head.clone(),
            events: self.counter.events(),
            bytes: self.counter.bytes(),
        }
    }
}

/// What a drained SSE stream (or non-stream answer) looked like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOutcome {
    /// Response status and headers.
    pub head: Head,
    /// Number of SSE events with data (comments and keep-alives not counted).
    pub events: u64,
    /// Body bytes received.
    pub bytes: u64,
}

/// One HTTP/1.1 connection that sends request bytes as given and reads answers into a reused
/// buffer. On the keep-alive path it reconnects by itself when the server closes the
/// connection; a controlled connection keeps its one socket.
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
    /// Keep-alive path: reconnect when needed, drop the socket when the server will close it.
    auto: bool,
    /// Keep response headers in [`Head::headers`].
    keep_headers: bool,
    /// Largest single read (`None`: as much as the buffer takes).
    read_size: Option<usize>,
}

impl Conn {
    /// Connects to `addr` (TCP_NODELAY on); `timeout` bounds the connect and every exchange.
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Self, WireError> {
        let mut conn = Self {
            addr,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
            pos: 0,
            body: Vec::with_capacity(4 * 1024),
            timeout,
            stream_eof: false,
            reused: false,
            auto: true,
            keep_headers: false,
            read_size: None,
        };
        conn.reconnect().await?;
        Ok(conn)
    }

    /// A controlled connection to `addr` with `opts`; `timeout` bounds the connect (and the
    /// exchanges of [`Conn::request`] and [`Conn::open`], if used).
    pub async fn connect_with(
        addr: SocketAddr,
        opts: ConnOpts,
        timeout: Duration,
    ) -> Result<Self, WireError> {
        let stream = connect_socket(addr, opts, timeout).await?;
        Ok(Self::from_stream(stream, opts.read_size, timeout))
    }

    /// A controlled connection over a connected `stream`; `read_size` bounds each read.
    pub fn from_stream(stream: TcpStream, read_size: Option<usize>, timeout: Duration) -> Self {
        let addr = stream
            .peer_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        Self {
            addr,
            stream: Some(stream),
            buf: Vec::with_capacity(16 * 1024),
            pos: 0,
            body: Vec::new(),
            timeout,
            stream_eof: false,
            reused: false,
            auto: false,
            keep_headers: true,
            read_size: read_size.map(|n| n.max(1)),
        }
    }

    /// The socket, while connected.
    pub fn socket(&self) -> Option<&TcpStream> {
        self.stream.as_ref()
    }

    /// Gives the socket back (buffered bytes are lost); `None` once the connection was dropped
    /// after a failure.
    pub fn into_socket(self) -> Option<TcpStream> {
        self.stream
    }

    /// The bytes read but not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Writes all of `bytes` (no deadline: wrap the call).
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| WireError::Http("not connected".into()))?;
        stream
            .write_all(bytes)
            .await
            .map_err(|e| WireError::Http(format!("cannot send the request: {e}")))
    }

    /// Writes `bytes` and reads whatever comes back at the same time, until `enough` holds for
    /// the bytes read so far ([`Conn::buffered`]) or the server ends its side; with
    /// `half_close`, a FIN follows the last byte written. A server may answer before it has read
    /// the whole request and then stop reading, so writing first and reading afterwards could
    /// wait forever. No deadline: wrap the call.
    pub async fn send_while_reading(
        &mut self,
        bytes: &[u8],
        half_close: bool,
        enough: impl Fn(&[u8]) -> bool,
    ) -> Result<Sent, WireError> {
        let mut sent = Sent {
            written: 0,
            write_failed: false,
            read_end: None,
        };
        let mut fin_sent = false;
        let read_size = self.read_size.unwrap_or(16 * 1024);
        loop {
            if enough(&self.buf[self.pos..]) {
                return Ok(sent);
            }
            let stream = self
                .stream
                .as_mut()
                .ok_or_else(|| WireError::Http("not connected".into()))?;
            let writing = sent.written < bytes.len() && !sent.write_failed;
            if !writing && half_close && !fin_sent {
                let _ = socket2::SockRef::from(&*stream).shutdown(std::net::Shutdown::Write);
                fin_sent = true;
            }
            let start = self.buf.len();
            self.buf.resize(start + read_size, 0);
            let (mut rd, mut wr) = stream.split();
            // Both futures are cancel-safe: a write either happened (and is counted) or not.
            let read = tokio::select! {
                w = wr.write(&bytes[sent.written..]), if writing => {
                    match w {
                        Ok(0) | Err(_) => sent.write_failed = true,
                        Ok(n) => sent.written += n,
                    }
                    None
                },
                r = rd.read(&mut self.buf[start..]) => Some(r),
            };
            let got = match &read {
                Some(Ok(n)) => *n,
                _ => 0,
            };
            self.buf.truncate(start + got);
            match read {
                None => {}
                Some(Ok(0)) => {
                    sent.read_end = Some(ReadEnd::Eof);
                    return Ok(sent);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    sent.read_end = Some(ReadEnd::Reset);
                    return Ok(sent);
                }
                Some(Err(e)) => {
                    return Err(WireError::Http(format!("cannot read the answer: {e}")))
                }
            }
        }
    }

    /// Reads a response head (headers kept on a controlled connection); read its body with
    /// [`Conn::next_bytes`], [`Conn::read_to_end`] or [`SseStream`]. No deadline: wrap the call.
    pub async fn read_response_head(&mut self) -> Result<OpenStream, WireError> {
        let (head, framing) = self.read_head().await?;
        Ok(OpenStream {
            head,
            body: framing.into(),
            counter: SseParser::counting(),
        })
    }

    /// The next piece of `open`'s body as it arrives; `Ok(None)` at the end its framing
    /// announces. An early close is [`WireError::Closed`]. No deadline: wrap the call.
    pub async fn next_bytes(&mut self, open: &mut OpenStream) -> Result<Option<&[u8]>, WireError> {
        self.next_piece(&open.head, &mut open.body).await
    }

    /// [`Conn::next_bytes`] on a head and body state held apart.
    async fn next_piece(
        &mut self,
        head: &Head,
        body: &mut BodyState,
    ) -> Result<Option<&[u8]>, WireError> {
        let mut piece = None;
        self.read_body(body, Sink::Piece(&mut piece), None).await?;
        if *body == BodyState::Done {
            self.finish(head);
        }
        Ok(piece.map(|(from, to)| &self.buf[from..to]))
    }

    /// Reads the rest of `open`'s body. No deadline: wrap the call.
    pub async fn read_to_end(&mut self, open: &mut OpenStream) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        while let Some(piece) = self.next_bytes(open).await? {
            out.extend_from_slice(piece);
        }
        Ok(out)
    }

    /// The server address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    async fn reconnect(&mut self) -> Result<(), WireError> {
        self.stream = None;
        self.reused = false;
        self.buf.clear();
        self.pos = 0;
        let stream = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr))
            .await
            .map_err(|_| WireError::Timeout(self.timeout))?
            .map_err(|e| WireError::Connect {
                addr: self.addr.to_string(),
                reason: e.to_string(),
            })?;
        let _ = stream.set_nodelay(true);
        self.stream = Some(stream);
        Ok(())
    }

    /// Sends `req` and reads the whole answer; returns its head and body (valid until the next
    /// call). A de-chunked body is copied into a reused buffer.
    pub async fn request(&mut self, req: &[u8]) -> Result<(Head, &[u8]), WireError> {
        let timeout = self.timeout;
        let fut = async {
            let (head, mut body) = self.start(req).await?;
            self.body.clear();
            self.read_body(&mut body, Sink::Body, None).await?;
            self.finish(&head);
            Ok::<_, WireError>(head)
        };
        let head = match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r?,
            Err(_) => {
                self.stream = None;
                return Err(WireError::Timeout(timeout));
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
    ) -> Result<StreamOutcome, WireError> {
        let mut open = tokio::time::timeout(deadline, self.open(req))
            .await
            .map_err(|_| {
                self.stream = None;
                WireError::Timeout(deadline)
            })??;
        self.drain(&mut open, deadline).await?;
        Ok(open.outcome())
    }

    /// Sends `req` and reads only the response head; read the body with [`Conn::read_until`] or
    /// [`Conn::drain`]. Bounded by the connection's timeout.
    pub async fn open(&mut self, req: &[u8]) -> Result<OpenStream, WireError> {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.start(req)).await {
            Ok(r) => {
                let (head, body) = r?;
                Ok(OpenStream {
                    head,
                    body,
                    counter: SseParser::keeping_first(),
                })
            }
            Err(_) => {
                self.stream = None;
                Err(WireError::Timeout(timeout))
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
    ) -> Result<bool, WireError> {
        let fut = self.read_body(&mut open.body, Sink::Sse(&mut open.counter), Some(events));
        match tokio::time::timeout(deadline, fut).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.stream = None;
                return Err(e);
            }
            Err(_) => {
                self.stream = None;
                return Err(WireError::Timeout(deadline));
            }
        }
        let ended = open.body == BodyState::Done;
        if ended {
            self.finish(&open.head);
        }
        Ok(ended)
    }

    /// Reads `open`'s body to its end within `deadline`.
    pub async fn drain(
        &mut self,
        open: &mut OpenStream,
        deadline: Duration,
    ) -> Result<(), WireError> {
        self.read_until(open, u64::MAX, deadline).await.map(|_| ())
    }

    /// Writes the request and reads the head. A kept-alive connection that the server closed
    /// while idle (the write fails, or EOF comes before any answer byte) gets one fresh attempt.
    async fn start(&mut self, req: &[u8]) -> Result<(Head, BodyState), WireError> {
        let mut retry = self.stream.is_some() && self.reused;
        if self.stream.is_none() {
            self.reconnect().await?;
        }
        let (head, framing) = loop {
            let stream = self
                .stream
                .as_mut()
                .ok_or_else(|| WireError::Http("not connected".into()))?;
            let attempt = match stream.write_all(req).await {
                Ok(()) => self.read_head().await,
                Err(e) => Err(WireError::Http(format!("cannot send the request: {e}"))),
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
        Ok((head, framing.into()))
    }

    /// After a complete body on the keep-alive path: drop the connection if the server will
    /// close it.
    fn finish(&mut self, head: &Head) {
        if self.auto && (head.close || self.stream_eof) {
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
    ) -> Result<(), WireError> {
        loop {
            match (&sink, stop_at) {
                (Sink::Sse(c), Some(n)) if c.events() >= n => return Ok(()),
                (Sink::Piece(Some(_)), _) => return Ok(()),
                _ => {}
            }
            match *state {
                BodyState::Done => return Ok(()),
                BodyState::Length(left) | BodyState::ChunkData(left) => {
                    if self.pos == self.buf.len() && self.fill().await? == 0 {
                        return Err(WireError::Closed("inside the body".into()));
                    }
                    let take = left.min(self.buf.len() - self.pos);
                    sink.feed(&self.buf, self.pos, self.pos + take, &mut self.body);
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
                        .map_err(|_| WireError::Http("bad chunk size".into()))?;
                    let size_text = size_text.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(size_text, 16)
                        .map_err(|_| WireError::Http(format!("bad chunk size `{size_text}`")))?;
                    *state = if size == 0 {
                        BodyState::Trailers
                    } else {
                        BodyState::ChunkData(size)
                    };
                }
                BodyState::ChunkEnd => {
                    let (s, e) = self.line().await?;
                    if s != e {
                        return Err(WireError::Http("chunk not followed by CRLF".into()));
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
                        sink.feed(&self.buf, self.pos, self.buf.len(), &mut self.body);
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
    async fn fill(&mut self) -> Result<usize, WireError> {
        if let Some(n) = self.read_size {
            return self.fill_at_most(n).await;
        }
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
            .ok_or_else(|| WireError::Http("not connected".into()))?;
        stream.read_buf(&mut self.buf).await.map_err(io_err)
    }

    /// [`Conn::fill`] with reads of at most `n` bytes (a throttled reader).
    async fn fill_at_most(&mut self, n: usize) -> Result<usize, WireError> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| WireError::Http("not connected".into()))?;
        let start = self.buf.len();
        self.buf.resize(start + n, 0);
        let read = stream.read(&mut self.buf[start..]).await;
        let got = *read.as_ref().unwrap_or(&0);
        self.buf.truncate(start + got);
        read.map_err(io_err)
    }

    /// The next CRLF-terminated line as a range of `buf` (without the CRLF), consumed.
    async fn line(&mut self) -> Result<(usize, usize), WireError> {
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
            if self.buf.len() - self.pos > MAX_HEAD {
                return Err(WireError::Http("line too long".into()));
            }
            if self.fill().await? == 0 {
                return Err(WireError::Closed("mid-line".into()));
            }
        }
    }

    async fn read_head(&mut self) -> Result<(Head, Framing), WireError> {
        let end = loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n\r\n") {
                break self.pos + i;
            }
            if self.buf.len() - self.pos > MAX_HEAD {
                return Err(WireError::Http("response head too large".into()));
            }
            if self.fill().await? == 0 {
                return Err(WireError::Closed(if self.pos == self.buf.len() {
                    "before a response".into()
                } else {
                    "inside the response head".into()
                }));
            }
        };
        let text = std::str::from_utf8(&self.buf[self.pos..end])
            .map_err(|_| WireError::Http("response head is not UTF-8".into()))?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| WireError::Http(format!("bad status line `{status_line}`")))?;
        let mut framing = Framing::Eof;
        let mut close = status_line.starts_with("HTTP/1.0");
        let mut event_stream = false;
        let mut headers = Vec::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if self.keep_headers {
                headers.push((name.trim().to_ascii_lowercase(), value.to_owned()));
            }
            if name.eq_ignore_ascii_case("content-length") {
                if framing != Framing::Chunked {
                    let n = value
                        .parse()
                        .map_err(|_| WireError::Http("bad content-length".into()))?;
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
                headers,
            },
            framing,
        ))
    }
}

impl From<Framing> for BodyState {
    fn from(framing: Framing) -> Self {
        match framing {
            Framing::Length(0) => BodyState::Done,
            Framing::Length(n) => BodyState::Length(n),
            Framing::Chunked => BodyState::ChunkSize,
            Framing::Eof => BodyState::Eof,
        }
    }
}

/// A response body read as SSE events by the strict decoder, over a controlled connection.
#[derive(Debug)]
pub struct SseStream {
    conn: Conn,
    head: Head,
    body: BodyState,
    /// Boxed: the decoder is large and a stream is moved around by value.
    parser: Box<SseParser>,
    /// Body bytes kept for [`SseStream::into_body`], up to `raw_cap`.
    raw: Vec<u8>,
    raw_cap: usize,
    ended: bool,
}

impl SseStream {
    /// Reads `open`'s body (whose head `conn` has just read) as SSE.
    pub fn new(conn: Conn, open: OpenStream) -> Self {
        Self {
            conn,
            head: open.head,
            body: open.body,
            parser: Box::new(SseParser::new()),
            raw: Vec::new(),
            raw_cap: 0,
            ended: false,
        }
    }

    /// Also keeps up to `cap` body bytes, for [`SseStream::into_body`].
    pub fn keeping_raw(mut self, cap: usize) -> Self {
        self.raw_cap = cap;
        self
    }

    /// The response head.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// The socket, while connected.
    pub fn socket(&self) -> Option<&TcpStream> {
        self.conn.socket()
    }

    /// Gives the socket back, e.g. to close it with FIN or RST.
    pub fn into_socket(self) -> Option<TcpStream> {
        self.conn.into_socket()
    }

    /// Comment lines (keep-alives) seen so far.
    pub fn comments(&self) -> usize {
        self.parser.comments()
    }

    /// Every framing fault seen so far, including tolerated ones.
    pub fn faults(&self) -> &[SseFault] {
        self.parser.faults()
    }

    /// The next event; `Ok(None)` at the end of the body after a complete event. A fatal
    /// framing fault (invalid UTF-8, EOF inside an event) is [`WireError::Sse`]; tolerated ones
    /// stay in [`SseStream::faults`]. After a broken connection the parser is finished, so a
    /// half-received event is reported by the next call. No deadline: wrap the call (it is
    /// cancel-safe: bytes read stay buffered).
    pub async fn next_event(&mut self) -> Result<Option<SseEvent>, WireError> {
        loop {
            while let Some(item) = self.parser.next_item() {
                match item {
                    Ok(ev) => return Ok(Some(ev)),
                    Err(f) if f.is_fatal() => return Err(WireError::Sse(f.to_string())),
                    Err(_) => continue,
                }
            }
            if self.ended {
                return Ok(None);
            }
            match self.conn.next_piece(&self.head, &mut self.body).await {
                Ok(Some(piece)) => {
                    if self.raw.len() < self.raw_cap {
                        self.raw.extend_from_slice(piece);
                    }
                    self.parser.feed(piece);
                }
                Ok(None) => {
                    self.ended = true;
                    self.parser.finish();
                }
                Err(e) => {
                    self.ended = true;
                    self.parser.finish();
                    return Err(e);
                }
            }
        }
    }

    /// Reads the rest of the body and returns it after the bytes kept so far (for an answer
    /// that is not a stream). No deadline: wrap the call.
    pub async fn into_body(mut self) -> Result<Vec<u8>, WireError> {
        if !self.ended {
            while let Some(piece) = self.conn.next_piece(&self.head, &mut self.body).await? {
                self.raw.extend_from_slice(piece);
            }
        }
        Ok(self.raw)
    }
}

fn io_err(e: std::io::Error) -> WireError {
    WireError::Http(e.to_string())
}
