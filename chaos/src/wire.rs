//! A raw HTTP/1.1 and SSE client of our own, over plain tokio sockets.
//!
//! Chaos needs control the conformance probe deliberately hides: the receive buffer of the
//! socket, when (and how little) we read, and how the connection ends (FIN or RST). So this
//! module writes request bytes itself and decodes `Content-Length`, chunked and close-delimited
//! bodies, and SSE framing (LF, CRLF, comments, multi-line `data:`) incrementally. Nothing here
//! knows A2A; see [`crate::a2a`] for that.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::errors::ChaosError;

/// Largest response head we accept.
const MAX_HEAD: usize = 64 * 1024;

/// Splits `http://host:port/path` into a loopback socket address and a path.
///
/// Only `127.0.0.0/8`, `::1` and `localhost` are accepted: chaos traffic never leaves the
/// machine.
pub fn parse_loopback_url(url: &str) -> Result<(SocketAddr, String), ChaosError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| ChaosError::InvalidUrl(url.to_owned()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], &authority[i + 1..]),
        _ => (authority, "80"),
    };
    let port: u16 = port
        .parse()
        .map_err(|_| ChaosError::InvalidUrl(url.to_owned()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse()
            .map_err(|_| ChaosError::NotLoopback(url.to_owned()))?
    };
    if !ip.is_loopback() {
        return Err(ChaosError::NotLoopback(url.to_owned()));
    }
    Ok((SocketAddr::new(ip, port), path))
}

/// Socket options for a client connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnOpts {
    /// `SO_RCVBUF` set before connecting (a true slow consumer advertises a tiny window).
    pub recv_buffer: Option<u32>,
    /// Largest single read; small values make a throttled reader.
    pub read_size: Option<usize>,
}

/// Connects to a loopback address with `opts`, within `timeout`.
pub async fn connect(
    addr: SocketAddr,
    opts: ConnOpts,
    timeout: Duration,
) -> Result<TcpStream, ChaosError> {
    if !addr.ip().is_loopback() {
        return Err(ChaosError::NotLoopback(addr.to_string()));
    }
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| ChaosError::io("socket", &e))?;
    if let Some(n) = opts.recv_buffer {
        socket
            .set_recv_buffer_size(n)
            .map_err(|e| ChaosError::io("SO_RCVBUF", &e))?;
    }
    let stream = tokio::time::timeout(timeout, socket.connect(addr))
        .await
        .map_err(|_| ChaosError::timeout(format!("connect to {addr}"), timeout))?
        .map_err(|e| ChaosError::io(format!("connect to {addr}"), &e))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Closes `stream` with a RST instead of a FIN (`SO_LINGER` 0, then close).
pub fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// Serialises one HTTP/1.1 request. `Host` and `Content-Length` (when there is a body or the
/// method is POST) are added.
pub fn request_bytes(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (n, v) in headers {
        out.push_str(n);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// First value of `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn framing(&self) -> Framing {
        if self
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
        {
            Framing::Chunked(ChunkState::Size)
        } else if let Some(n) = self
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            Framing::Length(n)
        } else if self.status == 204 || self.status == 304 || self.status < 200 {
            Framing::Length(0)
        } else {
            Framing::UntilClose
        }
    }
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The head.
    pub head: Head,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// One HTTP/1.1 connection with a read buffer.
#[derive(Debug)]
pub struct HttpConn {
    stream: TcpStream,
    buf: Vec<u8>,
    read_size: usize,
}

impl HttpConn {
    /// Wraps a connected stream. `read_size` bounds each read (default 16 KiB).
    pub fn new(stream: TcpStream, read_size: Option<usize>) -> Self {
        Self {
            stream,
            buf: Vec::new(),
            read_size: read_size.unwrap_or(16 * 1024).max(1),
        }
    }

    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Gives the socket back (buffered bytes are lost).
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    /// Writes all of `bytes`.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), ChaosError> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| ChaosError::io("write request", &e))
    }

    async fn fill(&mut self) -> Result<usize, ChaosError> {
        let mut chunk = vec![0u8; self.read_size];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| ChaosError::io("read", &e))?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// The bytes read but not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Writes `bytes` and reads whatever comes back at the same time, until `enough` holds for
    /// the bytes read so far ([`HttpConn::buffered`]) or the server ends its side; with
    /// `half_close`, a FIN follows the last byte written. A server may answer before it has read
    /// the whole request and then stop reading, so writing first and reading afterwards could
    /// wait forever. No deadline: wrap the call.
    pub async fn send_while_reading(
        &mut self,
        bytes: &[u8],
        half_close: bool,
        enough: impl Fn(&[u8]) -> bool,
    ) -> Result<Sent, ChaosError> {
        let mut sent = Sent {
            written: 0,
            write_failed: false,
            read_end: None,
        };
        let mut chunk = vec![0u8; self.read_size];
        let mut fin_sent = false;
        loop {
            if enough(&self.buf) {
                return Ok(sent);
            }
            let writing = sent.written < bytes.len() && !sent.write_failed;
            if !writing && half_close && !fin_sent {
                let _ = socket2::SockRef::from(&self.stream).shutdown(std::net::Shutdown::Write);
                fin_sent = true;
            }
            let (mut rd, mut wr) = self.stream.split();
            // Both futures are cancel-safe: a write either happened (and is counted) or not.
            tokio::select! {
                w = wr.write(&bytes[sent.written..]), if writing => match w {
                    Ok(0) | Err(_) => sent.write_failed = true,
                    Ok(n) => sent.written += n,
                },
                r = rd.read(&mut chunk) => match r {
                    Ok(0) => {
                        sent.read_end = Some(ReadEnd::Eof);
                        return Ok(sent);
                    }
                    Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                        sent.read_end = Some(ReadEnd::Reset);
                        return Ok(sent);
                    }
                    Err(e) => return Err(ChaosError::io("read answer", &e)),
                },
            }
        }
    }

    /// Reads a response head (no deadline: wrap the call).
    pub async fn read_head(&mut self) -> Result<Head, ChaosError> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 4);
                return parse_head(&text);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ChaosError::Malformed("response head over 64 KiB".into()));
            }
            if self.fill().await? == 0 {
                return Err(ChaosError::Closed(if self.buf.is_empty() {
                    "no response".into()
                } else {
                    "inside the response head".into()
                }));
            }
        }
    }

    /// Turns the connection into a reader of the body announced by `head`.
    pub fn into_body(self, head: &Head) -> BodyReader {
        BodyReader {
            framing: head.framing(),
            conn: self,
            done: false,
        }
    }

    /// Sends `request` and reads the whole response.
    pub async fn exchange(mut self, request: &[u8]) -> Result<Response, ChaosError> {
        self.send(request).await?;
        let head = self.read_head().await?;
        let mut body = self.into_body(&head);
        let bytes = body.read_to_end().await?;
        Ok(Response { head, body: bytes })
    }
}

/// How [`HttpConn::send_while_reading`] ended.
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

/// Whether a complete response head is among `bytes`.
pub fn has_head(bytes: &[u8]) -> bool {
    find(bytes, b"\r\n\r\n").is_some()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(text: &str) -> Result<Head, ChaosError> {
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(ChaosError::Malformed(format!(
            "status line `{status_line}`"
        )));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| ChaosError::Malformed(format!("status line `{status_line}`")))?;
    let mut headers = Vec::new();
    for line in lines {
        if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    Ok(Head { status, headers })
}

#[derive(Debug, Clone, Copy)]
enum ChunkState {
    Size,
    Data(u64),
    DataEnd,
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    Length(u64),
    Chunked(ChunkState),
    UntilClose,
}

/// Reads a response body piece by piece as it arrives.
#[derive(Debug)]
pub struct BodyReader {
    conn: HttpConn,
    framing: Framing,
    done: bool,
}

impl BodyReader {
    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        &self.conn.stream
    }

    /// Gives the socket back.
    pub fn into_stream(self) -> TcpStream {
        self.conn.stream
    }

    /// Gives the connection back with what it read past this body, for the next request.
    pub fn into_conn(self) -> HttpConn {
        self.conn
    }

    /// Whether the body ended cleanly (its framing said so).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next body bytes; `Ok(None)` at the clean end of the body. An early close is
    /// [`ChaosError::Closed`].
    pub async fn next_bytes(&mut self) -> Result<Option<Vec<u8>>, ChaosError> {
        loop {
            if self.done {
                return Ok(None);
            }
            match self.framing {
                Framing::Length(0) => {
                    self.done = true;
                }
                Framing::Length(left) => {
                    if self.conn.buf.is_empty() && self.conn.fill().await? == 0 {
                        return Err(ChaosError::Closed(format!("{left} body bytes missing")));
                    }
                    let n = (left as usize).min(self.conn.buf.len());
                    let out: Vec<u8> = self.conn.buf.drain(..n).collect();
                    self.framing = Framing::Length(left - n as u64);
                    return Ok(Some(out));
                }
                Framing::UntilClose => {
                    if self.conn.buf.is_empty() && self.conn.fill().await? == 0 {
                        self.done = true;
                        continue;
                    }
                    return Ok(Some(std::mem::take(&mut self.conn.buf)));
                }
                Framing::Chunked(ChunkState::Size) => {
                    let Some(eol) = find(&self.conn.buf, b"\r\n") else {
                        if self.conn.fill().await? == 0 {
                            return Err(ChaosError::Closed("before the next chunk".into()));
                        }
                        continue;
                    };
                    let line = String::from_utf8_lossy(&self.conn.buf[..eol]).into_owned();
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = u64::from_str_radix(size, 16)
                        .map_err(|_| ChaosError::Malformed(format!("chunk size `{line}`")))?;
                    self.conn.buf.drain(..eol + 2);
                    if size == 0 {
                        // Trailers end with an empty line.
                        loop {
                            if let Some(eol) = find(&self.conn.buf, b"\r\n") {
                                let empty = eol == 0;
                                self.conn.buf.drain(..eol + 2);
                                if empty {
                                    break;
                                }
                            } else if self.conn.fill().await? == 0 {
                                break;
                            }
                        }
                        self.done = true;
                    } else {
                        self.framing = Framing::Chunked(ChunkState::Data(size));
                    }
                }
                Framing::Chunked(ChunkState::Data(left)) => {
                    if self.conn.buf.is_empty() && self.conn.fill().await? == 0 {
                        return Err(ChaosError::Closed("inside a chunk".into()));
                    }
                    let n = (left as usize).min(self.conn.buf.len());
                    let out: Vec<u8> = self.conn.buf.drain(..n).collect();
                    let left = left - n as u64;
                    self.framing = Framing::Chunked(if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    });
                    return Ok(Some(out));
                }
                Framing::Chunked(ChunkState::DataEnd) => {
                    while self.conn.buf.len() < 2 {
                        if self.conn.fill().await? == 0 {
                            return Err(ChaosError::Closed("after a chunk".into()));
                        }
                    }
                    if &self.conn.buf[..2] != b"\r\n" {
                        return Err(ChaosError::Malformed("chunk not followed by CRLF".into()));
                    }
                    self.conn.buf.drain(..2);
                    self.framing = Framing::Chunked(ChunkState::Size);
                }
            }
        }
    }

    /// Reads the rest of the body.
    pub async fn read_to_end(&mut self) -> Result<Vec<u8>, ChaosError> {
        let mut out = Vec::new();
        while let Some(b) = self.next_bytes().await? {
            out.extend_from_slice(&b);
        }
        Ok(out)
    }
}

/// One SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// `data:` lines joined with `\n`.
    pub data: String,
    /// `event:` field.
    pub event: Option<String>,
}

/// Decodes SSE events from a body.
#[derive(Debug)]
pub struct SseReader {
    body: BodyReader,
    buf: Vec<u8>,
    pending: Option<SseEvent>,
    comments: usize,
}

impl SseReader {
    /// Reads events from `body`.
    pub fn new(body: BodyReader) -> Self {
        Self {
            body,
            buf: Vec::new(),
            pending: None,
            comments: 0,
        }
    }

    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        self.body.stream()
    }

    /// Gives the socket back.
    pub fn into_stream(self) -> TcpStream {
        self.body.into_stream()
    }

    /// Comment lines (keep-alives) seen so far.
    pub fn comments(&self) -> usize {
        self.comments
    }

    /// The next event; `Ok(None)` when the body ended cleanly after a complete event.
    pub async fn next_event(&mut self) -> Result<Option<SseEvent>, ChaosError> {
        loop {
            while let Some(eol) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=eol).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let line = String::from_utf8(line)
                    .map_err(|_| ChaosError::Malformed("SSE line is not UTF-8".into()))?;
                if line.is_empty() {
                    if let Some(ev) = self.pending.take() {
                        return Ok(Some(ev));
                    }
                    continue;
                }
                if line.starts_with(':') {
                    self.comments += 1;
                    continue;
                }
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f.to_owned(), v.strip_prefix(' ').unwrap_or(v).to_owned()),
                    None => (line.clone(), String::new()),
                };
                let ev = self.pending.get_or_insert_with(SseEvent::default);
                match field.as_str() {
                    "data" => {
                        if !ev.data.is_empty() {
                            ev.data.push('\n');
                        }
                        ev.data.push_str(&value);
                    }
                    "event" => ev.event = Some(value),
                    _ => {}
                }
            }
            match self.body.next_bytes().await? {
                Some(bytes) => self.buf.extend_from_slice(&bytes),
                None => {
                    if self.pending.is_some() || !self.buf.is_empty() {
                        return Err(ChaosError::Closed("inside an SSE event".into()));
                    }
                    return Ok(None);
                }
            }
        }
    }
}

/// Sends one request on a fresh connection and reads the whole answer within `timeout`.
pub async fn round_trip(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> Result<Response, ChaosError> {
    let fut = async {
        let stream = connect(addr, ConnOpts::default(), timeout).await?;
        HttpConn::new(stream, None).exchange(request).await
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| ChaosError::timeout(format!("answer from {addr}"), timeout))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_accepted_and_others_refused() {
        let (addr, path) = parse_loopback_url("http://127.0.0.1:7420/a2a").unwrap();
        assert_eq!(addr.port(), 7420);
        assert_eq!(path, "/a2a");
        let (addr, path) = parse_loopback_url("http://localhost:80").unwrap();
        assert!(addr.ip().is_loopback());
        assert_eq!(path, "/");
        assert!(parse_loopback_url("http://[::1]:9/").is_ok());
        assert!(matches!(
            parse_loopback_url("http://10.0.0.1:80/"),
            Err(ChaosError::NotLoopback(_))
        ));
        assert!(parse_loopback_url("https://127.0.0.1/").is_err());
    }
}
