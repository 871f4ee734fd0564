//! The one raw HTTP/1.1 connection: a keep-alive socket that writes request bytes exactly as
//! given and reads `Content-Length`, chunked and close-delimited answers into a reused buffer,
//! every wait under a deadline.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::request::find;
use crate::sse::SseParser;
use crate::WireError;

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
    Sse(&'a mut SseParser),
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
    /// SSE events counted so far (the decoder in counting mode).
    pub counter: SseParser,
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
            events: self.counter.events(),
            bytes: self.counter.bytes(),
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
        };
        conn.reconnect().await?;
        Ok(conn)
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
            self.finish(&head, &body);
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
            self.finish(&open.head, &open.body);
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
    ) -> Result<(), WireError> {
        loop {
            if let (Some(n), Sink::Sse(c)) = (stop_at, &sink) {
                if c.events() >= n {
                    return Ok(());
                }
            }
            match *state {
                BodyState::Done => return Ok(()),
                BodyState::Length(left) | BodyState::ChunkData(left) => {
                    if self.pos == self.buf.len() && self.fill().await? == 0 {
                        return Err(WireError::Http("connection closed inside the body".into()));
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
    async fn fill(&mut self) -> Result<usize, WireError> {
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
            if self.buf.len() - self.pos > 64 * 1024 {
                return Err(WireError::Http("line too long".into()));
            }
            if self.fill().await? == 0 {
                return Err(WireError::Http("connection closed mid-line".into()));
            }
        }
    }

    async fn read_head(&mut self) -> Result<(Head, Framing), WireError> {
        let end = loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n\r\n") {
                break self.pos + i;
            }
            if self.buf.len() - self.pos > 64 * 1024 {
                return Err(WireError::Http("response head too large".into()));
            }
            if self.fill().await? == 0 {
                return Err(WireError::Http(
                    "connection closed before a response".into(),
                ));
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
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
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
            },
            framing,
        ))
    }
}

fn io_err(e: std::io::Error) -> WireError {
    WireError::Http(e.to_string())
}
