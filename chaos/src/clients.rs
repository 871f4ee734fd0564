//! Misbehaving clients: the things real clients do to servers. Each is bounded in count and
//! time and talks to loopback only.
//!
//! * a true slow consumer: tiny `SO_RCVBUF` and small reads, paused or throttled
//!   ([`gauntlet_wire::ConnOpts`] on [`crate::a2a::Target::open_stream`]);
//! * disconnects mid-stream by FIN ([`fin`]) or RST ([`gauntlet_wire::reset`]);
//! * a request whose body never completes before the client half-closes ([`half_closed_body`]);
//! * slowloris headers ([`Slowloris`]), connection floods ([`flood`]) and idle keep-alive
//!   connections ([`idle_keepalive`]);
//! * raw bytes of any shape ([`raw_exchange`]) for malformed traffic;
//! * a request with a large body that the server answers before reading it, followed by
//!   another on the same keep-alive connection ([`early_answer_then_next`]).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use gauntlet_conformance::spec::ErrorCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::errors::ChaosError;
use crate::fmt_duration;
use gauntlet_wire::{self as wire, Conn, ConnOpts, ReadEnd};

/// Closes `stream` with a FIN (orderly close), as a client that goes away politely does.
pub fn fin(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).shutdown(std::net::Shutdown::Write);
    drop(stream);
}

/// How the server answered bytes we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawAnswer {
    /// A response head with this status arrived.
    Status(u16),
    /// An HTTP 200 whose body is a JSON-RPC error (the JSON-RPC binding's usual refusal).
    RpcError(i64),
    /// The server closed the connection (FIN) without a response.
    Closed,
    /// The server reset the connection.
    Reset,
    /// Nothing happened within the deadline: the connection is still held open.
    Silent,
}

impl RawAnswer {
    /// Whether this is a refusal a robust server may give to bad input: a 4xx/5xx status or a
    /// close. Silence is not.
    pub fn is_refusal(&self) -> bool {
        match self {
            RawAnswer::Status(s) => *s >= 400,
            RawAnswer::RpcError(_) => true,
            RawAnswer::Closed | RawAnswer::Reset => true,
            RawAnswer::Silent => false,
        }
    }
}

impl fmt::Display for RawAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawAnswer::Status(s) => write!(f, "HTTP {s}"),
            // The error's name as the digest (§7) spells it, e.g. `TaskNotFound`.
            RawAnswer::RpcError(code) => match ErrorCode::from_jsonrpc(*code) {
                Some(name) => write!(f, "JSON-RPC error {code} ({name:?})"),
                None => write!(f, "JSON-RPC error {code}"),
            },
            RawAnswer::Closed => f.write_str("closed"),
            RawAnswer::Reset => f.write_str("reset"),
            RawAnswer::Silent => f.write_str("no answer"),
        }
    }
}

/// Sends `bytes` on a fresh connection (optionally half-closing afterwards) and reports how the
/// server answered within `timeout`. Connecting, writing and reading share that one deadline,
/// and the answer is read while the bytes are still being written, so a server that stops
/// reading (with or without an answer) cannot hold the exchange up.
pub async fn raw_exchange(
    addr: SocketAddr,
    bytes: &[u8],
    half_close: bool,
    timeout: Duration,
) -> Result<RawAnswer, ChaosError> {
    let until = Instant::now() + timeout;
    let s = wire::connect_socket(addr, ConnOpts::default(), timeout).await?;
    let mut conn = Conn::from_stream(s, Some(4096), timeout);
    let enough = |b: &[u8]| response_complete(b) || b.len() > 64 * 1024;
    let sent =
        match tokio::time::timeout_at(until, conn.send_while_reading(bytes, half_close, enough))
            .await
        {
            Err(_) => return Ok(RawAnswer::Silent),
            Ok(sent) => sent?,
        };
    let buf = conn.buffered();
    if buf.is_empty() {
        // The server may close while we are still writing: that is an answer, not our failure.
        return Ok(
            if sent.read_end == Some(ReadEnd::Reset) || sent.write_failed {
                RawAnswer::Reset
            } else {
                RawAnswer::Closed
            },
        );
    }
    let text = String::from_utf8_lossy(buf);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok());
    let rpc_error = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(body.trim()).ok())
        .and_then(|v| v["error"]["code"].as_i64());
    Ok(match (status, rpc_error) {
        (Some(200), Some(code)) => RawAnswer::RpcError(code),
        (Some(s), _) if text.starts_with("HTTP/1.") => RawAnswer::Status(s),
        _ => RawAnswer::Closed,
    })
}

/// What became of a keep-alive connection whose request the server answered (or not) before
/// reading its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyAnswer {
    /// No answer to the first request; how the connection ended instead.
    None(RawAnswer),
    /// The answer (this status) said `Connection: close`.
    Announced(u16),
    /// The answer (`first`) kept the connection, and the next request on it got `next`.
    Next {
        /// Status of the answer to the request with the body.
        first: u16,
        /// Status of the answer to the next request.
        next: u16,
    },
    /// The answer (`first`) kept the connection, which then ended or stalled: `how`.
    Dropped {
        /// Status of the answer to the request with the body.
        first: u16,
        /// What happened to the connection.
        how: String,
    },
}

/// Sends `first` (a request with a body the server may answer without reading) and, when the
/// answer does not say `Connection: close`, the rest of its body and then `next` on the same
/// connection. Everything shares the one deadline `timeout`; a stall is reported, not an error.
pub async fn early_answer_then_next(
    addr: SocketAddr,
    first: &[u8],
    next: &[u8],
    timeout: Duration,
) -> Result<EarlyAnswer, ChaosError> {
    let until = Instant::now() + timeout;
    let s = wire::connect_socket(addr, ConnOpts::default(), timeout).await?;
    let mut conn = Conn::from_stream(s, None, timeout);
    let sent =
        match tokio::time::timeout_at(until, conn.send_while_reading(first, false, wire::has_head))
            .await
        {
            Err(_) => return Ok(EarlyAnswer::None(RawAnswer::Silent)),
            Ok(sent) => sent?,
        };
    if !wire::has_head(conn.buffered()) {
        return Ok(EarlyAnswer::None(
            if sent.read_end == Some(ReadEnd::Reset) || sent.write_failed {
                RawAnswer::Reset
            } else {
                RawAnswer::Closed
            },
        ));
    }
    let mut open = conn.read_response_head().await?;
    let status = open.head.status;
    let close = open
        .head
        .header("connection")
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
    if close {
        return Ok(EarlyAnswer::Announced(status));
    }
    let dropped = |how: String| Ok(EarlyAnswer::Dropped { first: status, how });
    if let Some(end) = sent.read_end {
        return dropped(format!("{end} right after the answer"));
    }
    let rest = async {
        // The answer promised a persistent connection: the rest of the body must go through,
        // and the next request must be served.
        if sent.write_failed {
            return Err("the rest of the body could not be written (closed)".to_owned());
        }
        conn.send(&first[sent.written..])
            .await
            .map_err(|e| format!("the rest of the body could not be written ({e})"))?;
        conn.read_to_end(&mut open)
            .await
            .map_err(|e| format!("inside the answer's body: {e}"))?;
        conn.send(next)
            .await
            .map_err(|e| format!("the next request could not be written ({e})"))?;
        conn.read_response_head()
            .await
            .map(|o| o.head.status)
            .map_err(|e| format!("the next request got no answer: {e}"))
    };
    match tokio::time::timeout_at(until, rest).await {
        Ok(Ok(next)) => Ok(EarlyAnswer::Next {
            first: status,
            next,
        }),
        Ok(Err(how)) => dropped(how),
        Err(_) => dropped(format!(
            "a stall: neither the body read nor the next request answered within {}",
            fmt_duration(timeout)
        )),
    }
}

/// Whether `buf` holds a whole response: the head, and the body its Content-Length announces
/// (a head without Content-Length counts as whole).
fn response_complete(buf: &[u8]) -> bool {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    buf.len() >= end + 4 + len
}

/// Sends a request head announcing `announced` body bytes, then only `sent` of them, then
/// half-closes. Reports how the server answered.
pub async fn half_closed_body(
    addr: SocketAddr,
    host: &str,
    path: &str,
    announced: usize,
    sent: usize,
    timeout: Duration,
) -> Result<RawAnswer, ChaosError> {
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         A2A-Version: 1.0\r\nContent-Length: {announced}\r\n\r\n"
    )
    .into_bytes();
    bytes.extend(std::iter::repeat_n(b' ', sent.min(announced)));
    raw_exchange(addr, &bytes, true, timeout).await
}

/// Opens `n` TCP connections that send nothing. Stops early if a connect fails.
pub async fn flood(addr: SocketAddr, n: usize, timeout: Duration) -> Vec<TcpStream> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        match wire::connect_socket(addr, ConnOpts::default(), timeout).await {
            Ok(s) => out.push(s),
            Err(_) => break,
        }
    }
    out
}

/// Opens `n` connections that each complete one request (`request`) and then stay idle with
/// HTTP/1.1 keep-alive. Returns the open connections.
pub async fn idle_keepalive(
    addr: SocketAddr,
    request: &[u8],
    n: usize,
    timeout: Duration,
) -> Vec<TcpStream> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let Ok(mut conn) = Conn::connect_with(addr, ConnOpts::default(), timeout).await else {
            break;
        };
        let ok = tokio::time::timeout(timeout, async {
            conn.send(request).await?;
            let mut open = conn.read_response_head().await?;
            conn.read_to_end(&mut open).await?;
            Ok::<_, ChaosError>(conn.into_socket())
        })
        .await;
        match ok {
            Ok(Ok(Some(s))) => out.push(s),
            _ => break,
        }
    }
    out
}

/// Slowloris: connections that send a request head one byte at a time and never finish it.
pub struct Slowloris {
    tasks: JoinSet<RawAnswer>,
}

impl Slowloris {
    /// Starts `n` connections dribbling one header byte every `interval`, for at most `for_at_most`.
    pub async fn start(
        addr: SocketAddr,
        n: usize,
        interval: Duration,
        for_at_most: Duration,
    ) -> Slowloris {
        let mut tasks = JoinSet::new();
        for i in 0..n {
            tasks.spawn(async move {
                let Ok(mut s) = TcpStream::connect(addr).await else {
                    return RawAnswer::Reset;
                };
                let head =
                    format!("GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\nX-Slow-{i}: ");
                let until = Instant::now() + for_at_most;
                let mut bytes = head.into_bytes().into_iter().chain(std::iter::repeat(b'a'));
                let mut buf = [0u8; 1024];
                while Instant::now() < until {
                    let Some(b) = bytes.next() else { break };
                    if s.write_all(&[b]).await.is_err() {
                        return RawAnswer::Reset;
                    }
                    // Dribbling is the fault's own timing; meanwhile notice if the server hangs up.
                    match tokio::time::timeout(interval, s.read(&mut buf)).await {
                        Ok(Ok(0)) => return RawAnswer::Closed,
                        Ok(Ok(_)) => return RawAnswer::Status(0),
                        Ok(Err(_)) => return RawAnswer::Reset,
                        Err(_) => {}
                    }
                }
                RawAnswer::Silent
            });
        }
        Slowloris { tasks }
    }

    /// Waits for every dribbler to finish; counts how each ended.
    pub async fn finish(mut self) -> Vec<RawAnswer> {
        let mut out = Vec::new();
        while let Some(r) = self.tasks.join_next().await {
            out.push(r.unwrap_or(RawAnswer::Reset));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;

    /// A peer that accepts one connection, optionally reads a head and writes `answer`, then
    /// holds the socket without reading anything more.
    async fn deaf_peer(answer: Option<&'static [u8]>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            if let Some(answer) = answer {
                let mut head = [0u8; 256];
                let _ = s.read(&mut head).await;
                let _ = s.write_all(answer).await;
            }
            std::future::pending::<()>().await;
        });
        (addr, task)
    }

    /// 64 MiB: past what loopback socket buffers can hold (`tcp_rmem` and `tcp_wmem` maxima).
    fn big_request() -> Vec<u8> {
        let mut bytes = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b' ', 64 * 1024 * 1024));
        bytes
    }

    #[tokio::test]
    async fn regression_a_peer_that_stops_reading_cannot_hold_an_exchange_past_its_deadline() {
        let (addr, peer) = deaf_peer(None).await;
        let t0 = Instant::now();
        let answer = raw_exchange(addr, &big_request(), false, Duration::from_millis(500))
            .await
            .unwrap();
        assert_eq!(answer, RawAnswer::Silent);
        assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
        peer.abort();
    }

    #[tokio::test]
    async fn an_answer_given_before_the_body_is_read_is_seen_while_still_writing() {
        let answer =
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        let (addr, peer) = deaf_peer(Some(answer)).await;
        let seen = raw_exchange(addr, &big_request(), false, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(seen, RawAnswer::Status(413));
        peer.abort();
    }
}
