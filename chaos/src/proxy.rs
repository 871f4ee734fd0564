//! The fault proxy: a loopback TCP relay in front of the target that delays, throttles, slices,
//! resets, black-holes or slowly closes connections. It rewrites nothing. It is SSE-aware only
//! in that it counts `\n\n`-terminated events flowing to the client, to time a fault.
//!
//! ```text
//! client ──▶ 127.0.0.1:proxy ──(faults)──▶ 127.0.0.1:target
//! ```
//!
//! Each direction is a reader task feeding a small bounded queue and a writer task that applies
//! the plan, so latency is a pipe delay (not a throughput cap) and a stalled writer stops the
//! reader after a few chunks, which is what makes a black-hole hold the server's sends.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use gauntlet_wire::sse::SseParser;

use crate::errors::ChaosError;

/// Which way a fault applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Client → server (requests).
    ToServer,
    /// Server → client (responses, SSE).
    #[default]
    ToClient,
    /// Both.
    Both,
}

impl Direction {
    fn covers(self, to_client: bool) -> bool {
        match self {
            Direction::Both => true,
            Direction::ToClient => to_client,
            Direction::ToServer => !to_client,
        }
    }
}

/// When a one-shot fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// After this many bytes were forwarded in the faulted direction.
    Bytes(u64),
    /// Right after the k-th complete SSE event (1-based) was forwarded to the client.
    Event(u64),
}

/// What the proxy does to every connection.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    /// Which direction the shaping faults (latency, bandwidth, slicing, byte triggers) apply to.
    pub direction: Direction,
    /// One-way delay added to every chunk.
    pub latency: Duration,
    /// Extra random delay, uniformly 0..jitter (order is kept).
    pub jitter: Duration,
    /// Bandwidth cap in bytes per second.
    pub bandwidth: Option<u64>,
    /// Largest single write; each slice is written separately.
    pub slice: Option<usize>,
    /// Also cut writes right after the first byte of every multi-byte UTF-8 code point.
    pub split_utf8: bool,
    /// Pause between slices.
    pub slice_gap: Duration,
    /// Reset both sides (RST via `SO_LINGER` 0) when this fires.
    pub reset: Option<Trigger>,
    /// Stop forwarding in both directions, keeping both sockets open, when this fires.
    pub black_hole: Option<Trigger>,
    /// Hold a FIN this long before passing it on.
    pub slow_close: Option<Duration>,
    /// `SO_RCVBUF` of the proxy's upstream socket (small: a black-hole backs up into the server).
    pub upstream_recv_buffer: Option<u32>,
    /// The one-shot faults (`reset`, `black_hole`) hit only the first this-many connections;
    /// later ones are forwarded untouched (None: every connection).
    pub faulty_connections: Option<usize>,
}

/// Counters of a running proxy.
#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Connections accepted.
    pub connections: AtomicUsize,
    /// Bytes forwarded to the server.
    pub to_server: AtomicU64,
    /// Bytes forwarded to the client.
    pub to_client: AtomicU64,
    /// Complete SSE events forwarded to clients.
    pub events: AtomicU64,
    /// Connections reset by the plan.
    pub resets: AtomicUsize,
    /// Connections black-holed by the plan.
    pub black_holed: AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    BlackHole,
    Close,
}

/// One proxied connection: its two sockets (held weakly: the relay owns them) and its fault mode.
struct Relayed {
    client: Weak<TcpStream>,
    upstream: Weak<TcpStream>,
    mode: watch::Sender<Mode>,
}

/// A running fault proxy on `127.0.0.1:0`.
pub struct FaultProxy {
    addr: SocketAddr,
    stats: Arc<ProxyStats>,
    conns: Arc<Mutex<Vec<Relayed>>>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (which must be loopback) applying `plan`.
    pub async fn start(upstream: SocketAddr, plan: FaultPlan) -> Result<FaultProxy, ChaosError> {
        if !upstream.ip().is_loopback() {
            return Err(ChaosError::NotLoopback(upstream.to_string()));
        }
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| ChaosError::io("bind proxy", &e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ChaosError::io("proxy address", &e))?;
        let stats = Arc::new(ProxyStats::default());
        let conns: Arc<Mutex<Vec<Relayed>>> = Arc::default();
        let plan = Arc::new(plan);
        let accept = {
            let stats = stats.clone();
            let conns = conns.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let index = stats.connections.fetch_add(1, Ordering::Relaxed);
                    let faulty = plan.faulty_connections.is_none_or(|n| index < n);
                    let upstream_sock = match connect_upstream(upstream, &plan).await {
                        Ok(s) => s,
                        Err(_) => {
                            crate::wire::reset(client);
                            continue;
                        }
                    };
                    let _ = client.set_nodelay(true);
                    let client = Arc::new(client);
                    let upstream_sock = Arc::new(upstream_sock);
                    let (mode_tx, mode_rx) = watch::channel(Mode::Forward);
                    let link = Link {
                        client: client.clone(),
                        upstream: upstream_sock.clone(),
                        mode: mode_tx.clone(),
                        stats: stats.clone(),
                        plan: plan.clone(),
                        faulty,
                    };
                    pump(link.clone(), mode_rx.clone(), false);
                    pump(link, mode_rx, true);
                    if let Ok(mut c) = conns.lock() {
                        c.retain(|c| c.client.strong_count() > 0);
                        c.push(Relayed {
                            client: Arc::downgrade(&client),
                            upstream: Arc::downgrade(&upstream_sock),
                            mode: mode_tx,
                        });
                    }
                }
            })
        };
        Ok(FaultProxy {
            addr,
            stats,
            conns,
            accept,
        })
    }

    /// The proxy's address: point the client here.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Live counters.
    pub fn stats(&self) -> &ProxyStats {
        &self.stats
    }

    /// Ends every black-holed connection with a FIN on both sides.
    pub fn release(&self) {
        if let Ok(mut conns) = self.conns.lock() {
            for c in conns.iter() {
                if *c.mode.borrow() == Mode::BlackHole {
                    for s in [c.client.upgrade(), c.upstream.upgrade()]
                        .into_iter()
                        .flatten()
                    {
                        shutdown_write(&s);
                    }
                    let _ = c.mode.send(Mode::Close);
                }
            }
            conns.retain(|c| c.client.strong_count() > 0);
        }
    }

    /// Stops accepting and closes every connection.
    pub fn stop(self) {
        self.accept.abort();
        if let Ok(mut conns) = self.conns.lock() {
            for c in conns.drain(..) {
                let _ = c.mode.send(Mode::Close);
            }
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        if let Ok(mut conns) = self.conns.lock() {
            for c in conns.drain(..) {
                let _ = c.mode.send(Mode::Close);
            }
        }
    }
}

async fn connect_upstream(addr: SocketAddr, plan: &FaultPlan) -> std::io::Result<TcpStream> {
    let sock = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(n) = plan.upstream_recv_buffer {
        sock.set_recv_buffer_size(n)?;
    }
    let s = tokio::time::timeout(Duration::from_secs(5), sock.connect(addr))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let _ = s.set_nodelay(true);
    Ok(s)
}

fn shutdown_write(s: &TcpStream) {
    let _ = socket2::SockRef::from(s).shutdown(std::net::Shutdown::Write);
}

fn set_rst(s: &TcpStream) {
    let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
}

#[derive(Clone)]
struct Link {
    client: Arc<TcpStream>,
    upstream: Arc<TcpStream>,
    mode: watch::Sender<Mode>,
    stats: Arc<ProxyStats>,
    plan: Arc<FaultPlan>,
    faulty: bool,
}

enum Item {
    Data(Vec<u8>, Instant),
    Eof,
}

/// Starts the reader and writer tasks of one direction.
fn pump(link: Link, mode: watch::Receiver<Mode>, to_client: bool) {
    let (src, dst) = if to_client {
        (link.upstream.clone(), link.client.clone())
    } else {
        (link.client.clone(), link.upstream.clone())
    };
    let (tx, rx) = mpsc::channel::<Item>(4);
    let reader_mode = mode.clone();
    let reader_link = link.clone();
    tokio::spawn(read_side(src, tx, reader_mode, reader_link));
    tokio::spawn(write_side(dst, rx, mode, link, to_client));
}

async fn read_side(
    src: Arc<TcpStream>,
    tx: mpsc::Sender<Item>,
    mut mode: watch::Receiver<Mode>,
    link: Link,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if *mode.borrow() != Mode::Forward {
            break;
        }
        tokio::select! {
            _ = mode.changed() => continue,
            r = src.readable() => {
                if r.is_err() {
                    break;
                }
            }
        }
        match src.try_read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(Item::Eof).await;
                return;
            }
            Ok(n) => {
                let item = Item::Data(buf[..n].to_vec(), Instant::now());
                tokio::select! {
                    r = tx.send(item) => if r.is_err() { break },
                    _ = wait_not_forward(&mut mode) => break,
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => {
                // The peer reset: pass the reset on.
                set_rst(&link.client);
                set_rst(&link.upstream);
                let _ = link.mode.send(Mode::Close);
                break;
            }
        }
    }
    hold_while_black_holed(&mut mode).await;
}

async fn wait_not_forward(mode: &mut watch::Receiver<Mode>) {
    while *mode.borrow_and_update() == Mode::Forward {
        if mode.changed().await.is_err() {
            return;
        }
    }
}

async fn hold_while_black_holed(mode: &mut watch::Receiver<Mode>) {
    while *mode.borrow_and_update() == Mode::BlackHole {
        if mode.changed().await.is_err() {
            return;
        }
    }
}

struct Shaper {
    rng: u64,
    next_slot: Instant,
}

impl Shaper {
    fn jitter(&mut self, max: Duration) -> Duration {
        if max.is_zero() {
            return Duration::ZERO;
        }
        // xorshift64: good enough for jitter.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        max.mul_f64((self.rng % 10_000) as f64 / 10_000.0)
    }
}

async fn write_side(
    dst: Arc<TcpStream>,
    mut rx: mpsc::Receiver<Item>,
    mut mode: watch::Receiver<Mode>,
    link: Link,
    to_client: bool,
) {
    let plan = link.plan.clone();
    let shaped = plan.direction.covers(to_client);
    let mut shaper = Shaper {
        rng: 0x9E37_79B9_7F4A_7C15
            ^ (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1),
        next_slot: Instant::now(),
    };
    let mut forwarded: u64 = 0;
    let mut events: u64 = 0;
    let mut counter = EventTap::default();
    loop {
        let item = tokio::select! {
            item = rx.recv() => item,
            _ = wait_not_forward(&mut mode) => None,
        };
        let Some(item) = item else { break };
        let (data, at) = match item {
            Item::Data(d, at) => (d, at),
            Item::Eof => {
                if let Some(d) = plan.slow_close {
                    tokio::time::sleep(d).await;
                }
                shutdown_write(&dst);
                return;
            }
        };
        if shaped {
            let delay = plan.latency + shaper.jitter(plan.jitter);
            tokio::time::sleep_until(at + delay).await;
        }
        // Where a one-shot fault fires inside this chunk, if it does.
        let mut cut: Option<(usize, bool)> = None; // (bytes to forward first, is_reset)
        let one_shots = if link.faulty {
            [(plan.reset, true), (plan.black_hole, false)]
        } else {
            [(None, true), (None, false)]
        };
        for (trigger, is_reset) in one_shots {
            let at = match trigger {
                Some(Trigger::Bytes(n)) if shaped => {
                    let left = n.saturating_sub(forwarded);
                    (left < data.len() as u64 || left == 0).then_some(left as usize)
                }
                Some(Trigger::Event(k)) if to_client => {
                    if events >= k {
                        Some(0)
                    } else {
                        let mut probe = counter.clone();
                        let mut seen = events;
                        data.iter().enumerate().find_map(|(i, &b)| {
                            if probe.feed(b) {
                                seen += 1;
                            }
                            (seen >= k).then_some(i + 1)
                        })
                    }
                }
                _ => None,
            };
            if let Some(at) = at {
                if cut.is_none_or(|(c, _)| at < c) {
                    cut = Some((at, is_reset));
                }
            }
        }
        let upto = cut.map_or(data.len(), |(c, _)| c.min(data.len()));
        let head = &data[..upto];
        if !head.is_empty() {
            if write_shaped(&dst, head, &plan, shaped, &mut shaper)
                .await
                .is_err()
            {
                let _ = link.mode.send(Mode::Close);
                break;
            }
            forwarded += head.len() as u64;
            let bytes_counter = if to_client {
                &link.stats.to_client
            } else {
                &link.stats.to_server
            };
            bytes_counter.fetch_add(head.len() as u64, Ordering::Relaxed);
            if to_client {
                for &b in head {
                    if counter.feed(b) {
                        events += 1;
                        link.stats.events.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        match cut {
            Some((_, true)) => {
                link.stats.resets.fetch_add(1, Ordering::Relaxed);
                set_rst(&link.client);
                set_rst(&link.upstream);
                let _ = link.mode.send(Mode::Close);
                break;
            }
            Some((_, false)) => {
                link.stats.black_holed.fetch_add(1, Ordering::Relaxed);
                let _ = link.mode.send(Mode::BlackHole);
                break;
            }
            None => {}
        }
    }
    hold_while_black_holed(&mut mode).await;
}

/// Counts SSE events in the raw bytes of HTTP/1.1 responses: skips each response head, undoes
/// chunked framing, and hands the payload to the wire's SSE decoder in counting mode, so the
/// proxy counts exactly the events a client dispatches.
#[derive(Debug, Clone)]
struct EventTap {
    state: CountState,
    head: Vec<u8>,
    size_line: Vec<u8>,
    sse: SseParser,
}

impl Default for EventTap {
    fn default() -> Self {
        Self {
            state: CountState::default(),
            head: Vec::new(),
            size_line: Vec::new(),
            sse: SseParser::counting(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum CountState {
    #[default]
    Head,
    Plain,
    ChunkSize,
    ChunkData(u64),
    ChunkEnd(u8),
    Trailer(usize),
}

impl EventTap {
    /// Feeds one byte; true when it completes an SSE event.
    fn feed(&mut self, b: u8) -> bool {
        match self.state {
            CountState::Head => {
                self.head.push(b);
                if self.head.ends_with(b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&self.head).to_ascii_lowercase();
                    self.state = if head.contains("transfer-encoding: chunked") {
                        CountState::ChunkSize
                    } else {
                        CountState::Plain
                    };
                    self.head.clear();
                    self.sse = SseParser::counting();
                }
                false
            }
            CountState::Plain => self.payload(b),
            CountState::ChunkSize => {
                if b == b'\n' {
                    let line = String::from_utf8_lossy(&self.size_line).into_owned();
                    let size = line
                        .trim()
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_owned();
                    self.size_line.clear();
                    let n = u64::from_str_radix(&size, 16).unwrap_or(0);
                    self.state = if n == 0 {
                        CountState::Trailer(0)
                    } else {
                        CountState::ChunkData(n)
                    };
                } else {
                    self.size_line.push(b);
                }
                false
            }
            CountState::ChunkData(n) => {
                self.state = if n == 1 {
                    CountState::ChunkEnd(0)
                } else {
                    CountState::ChunkData(n - 1)
                };
                self.payload(b)
            }
            CountState::ChunkEnd(seen) => {
                if b == b'\n' || seen >= 1 {
                    self.state = CountState::ChunkSize;
                } else {
                    self.state = CountState::ChunkEnd(seen + 1);
                }
                false
            }
            CountState::Trailer(len) => {
                if b == b'\n' {
                    self.state = if len == 0 {
                        CountState::Head
                    } else {
                        CountState::Trailer(0)
                    };
                } else if b != b'\r' {
                    self.state = CountState::Trailer(len + 1);
                }
                false
            }
        }
    }

    fn payload(&mut self, b: u8) -> bool {
        let before = self.sse.events();
        self.sse.feed(&[b]);
        self.sse.events() > before
    }
}

async fn write_shaped(
    dst: &TcpStream,
    data: &[u8],
    plan: &FaultPlan,
    shaped: bool,
    shaper: &mut Shaper,
) -> std::io::Result<()> {
    if !shaped {
        return write_all(dst, data).await;
    }
    let mut cuts: Vec<usize> = Vec::new();
    if let Some(s) = plan.slice {
        cuts.extend((1..data.len()).filter(|i| i % s.max(1) == 0));
    }
    if plan.split_utf8 {
        cuts.extend(
            data.iter()
                .enumerate()
                .filter(|(_, &b)| b >= 0xC0)
                .map(|(i, _)| i + 1),
        );
    }
    cuts.push(data.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut start = 0;
    for end in cuts {
        if end <= start || end > data.len() {
            continue;
        }
        let piece = &data[start..end];
        if let Some(bw) = plan.bandwidth {
            let now = Instant::now();
            if shaper.next_slot > now {
                tokio::time::sleep_until(shaper.next_slot).await;
            }
            let cost = Duration::from_secs_f64(piece.len() as f64 / bw.max(1) as f64);
            shaper.next_slot = shaper.next_slot.max(now) + cost;
        }
        write_all(dst, piece).await?;
        start = end;
        if start < data.len() && !plan.slice_gap.is_zero() {
            tokio::time::sleep(plan.slice_gap).await;
        }
    }
    Ok(())
}

async fn write_all(dst: &TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        dst.writable().await?;
        match dst.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(bytes: &[u8]) -> usize {
        let mut c = EventTap::default();
        bytes.iter().filter(|&&b| c.feed(b)).count()
    }

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An upstream that sends `payload` to every connection and then holds it open.
    async fn upstream(payload: &'static [u8]) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let _ = s.write_all(payload).await;
                    let mut b = [0u8; 64];
                    while let Ok(n) = s.read(&mut b).await {
                        if n == 0 {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    const SSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n\
        data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n";

    #[tokio::test]
    async fn a_reset_after_event_two_forwards_exactly_two_events_then_rsts() {
        let up = upstream(SSE).await;
        let p = FaultProxy::start(
            up,
            FaultPlan {
                reset: Some(Trigger::Event(2)),
                ..FaultPlan::default()
            },
        )
        .await
        .unwrap();
        let mut c = TcpStream::connect(p.addr()).await.unwrap();
        let mut got = Vec::new();
        let mut b = [0u8; 256];
        let end = loop {
            match c.read(&mut b).await {
                Ok(0) => break "eof",
                Ok(n) => got.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break "reset",
                Err(_) => break "error",
            }
        };
        assert_eq!(end, "reset");
        let text = String::from_utf8_lossy(&got);
        assert!(text.ends_with("data: 1\n\ndata: 2\n\n"), "{text}");
        assert_eq!(p.stats().resets.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_black_hole_holds_the_connection_silently_until_released() {
        let up = upstream(SSE).await;
        let p = FaultProxy::start(
            up,
            FaultPlan {
                black_hole: Some(Trigger::Event(1)),
                ..FaultPlan::default()
            },
        )
        .await
        .unwrap();
        let mut c = TcpStream::connect(p.addr()).await.unwrap();
        let mut got = Vec::new();
        let mut b = [0u8; 256];
        // Silence is the observation: nothing after event 1, and no close.
        while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(200), c.read(&mut b)).await
        {
            assert_ne!(n, 0, "a black-hole must not close the connection");
            got.extend_from_slice(&b[..n]);
        }
        assert!(String::from_utf8_lossy(&got).ends_with("data: 1\n\n"));
        p.release();
        let n = tokio::time::timeout(Duration::from_secs(5), c.read(&mut b))
            .await
            .expect("released connections close")
            .unwrap_or(0);
        assert_eq!(n, 0);
    }

    #[tokio::test]
    async fn slicing_and_latency_deliver_the_same_bytes() {
        let up = upstream(SSE).await;
        let p = FaultProxy::start(
            up,
            FaultPlan {
                latency: Duration::from_millis(5),
                jitter: Duration::from_millis(5),
                slice: Some(3),
                bandwidth: Some(64 * 1024),
                ..FaultPlan::default()
            },
        )
        .await
        .unwrap();
        let mut c = TcpStream::connect(p.addr()).await.unwrap();
        let mut got = vec![0u8; SSE.len()];
        tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, SSE);
        assert_eq!(p.stats().events.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn events_are_counted_in_plain_and_chunked_bodies() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
            data: a\n\n: keep-alive\n\ndata: b\r\n\r\n";
        assert_eq!(count(plain), 2);
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            9\r\ndata: a\n\n\r\n5\r\ndata:\r\n4\r\n b\n\n\r\n0\r\n\r\n";
        assert_eq!(count(chunked), 2);
    }
}
