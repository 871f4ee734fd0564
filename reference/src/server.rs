//! Listener, connections and graceful shutdown.
//!
//! The listener is built with socket2 (SO_REUSEADDR, SO_REUSEPORT on Linux, TCP_NODELAY on
//! accepted sockets, explicit backlog) and handed to tokio, so a server can be stopped and started
//! on the same port a thousand times in a row. Shutdown goes through a `tokio::sync::watch`
//! sender held by the [`ServerHandle`].
//!
//! Each connection's end is owned here too: above `max_connections` a new connection gets an
//! immediate 503; a head not finished within the header timeout gets 408 (hyper would close
//! silently); and every close is a lingering one (FIN, then the client's leftovers are read and
//! discarded for a bounded time), so a final answer is not destroyed by a reset. Accept errors
//! (EMFILE) back off and the loop keeps serving.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::{Config, Fault};
use crate::http::{App, Gauge};

/// Entry point: `Server::builder()…bind(addr)`.
pub struct Server;

impl Server {
    /// A builder with the default (full-featured) configuration.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            config: Config::default(),
        }
    }
}

/// Configures a server before binding it.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    config: Config,
}

impl ServerBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }
    /// Turns `capabilities.streaming` on or off.
    pub fn streaming(mut self, on: bool) -> Self {
        self.config.streaming = on;
        self
    }
    /// Turns `capabilities.pushNotifications` on or off.
    pub fn push_notifications(mut self, on: bool) -> Self {
        self.config.push_notifications = on;
        self
    }
    /// Turns `capabilities.extendedAgentCard` on or off.
    pub fn extended_card(mut self, on: bool) -> Self {
        self.config.extended_card = on;
        self
    }
    /// Adds an accepted bearer token (one identity per token); any token turns authentication on.
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.config.bearer_tokens.push(token.into());
        self
    }
    /// Allows webhooks on private/loopback addresses (turns the SSRF guard off).
    pub fn allow_private_webhooks(mut self, on: bool) -> Self {
        self.config.allow_private_webhooks = on;
        self
    }
    /// Sets the request body limit.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.config.max_body_bytes = n;
        self
    }
    /// Sets the connection limit (503 beyond it).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n;
        self
    }
    /// Sets the per-subscriber event buffer.
    pub fn subscriber_buffer(mut self, n: usize) -> Self {
        self.config.subscriber_buffer = n;
        self
    }
    /// Sets the SSE keep-alive interval.
    pub fn keepalive(mut self, d: Duration) -> Self {
        self.config.keepalive = d;
        self
    }
    /// Injects a deliberate bug (negative controls only).
    pub fn fault(mut self, fault: Option<Fault>) -> Self {
        self.config.fault = fault;
        self
    }
    /// Gives mutable access to the whole configuration.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Binds `addr` (use port 0 for an ephemeral port) and starts serving.
    pub async fn bind(self, addr: SocketAddr) -> std::io::Result<ServerHandle> {
        let config = Arc::new(self.config);
        let listener = TcpListener::from_std(listen(addr)?)?;
        let local_addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let app = Arc::new(App::new(
            config,
            &format!("http://{local_addr}"),
            stop_rx.clone(),
        ));
        let connections = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(accept_loop(
            listener,
            app.clone(),
            stop_rx,
            connections.clone(),
        ));
        tracing::info!(%local_addr, "serving A2A");
        Ok(ServerHandle {
            local_addr,
            stop: stop_tx,
            task: Some(task),
            connections,
            app,
        })
    }
}

/// A running server. Dropping it without [`ServerHandle::shutdown`] aborts it.
pub struct ServerHandle {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    connections: Arc<AtomicUsize>,
    app: Arc<App>,
}

impl ServerHandle {
    /// The bound address (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<local_addr>` — the base of every interface URL in the card.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Number of open client connections (a gauge for chaos scenarios).
    pub fn open_connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// Number of open SSE subscriptions.
    pub fn open_streams(&self) -> usize {
        self.app.streams.load(Ordering::Relaxed)
    }

    /// Bytes the task store accounts to its tasks (kept under `Config::max_store_bytes`).
    pub fn stored_bytes(&self) -> usize {
        self.app.service.stored_bytes()
    }

    /// Graceful shutdown: stop accepting, end open SSE streams cleanly, let in-flight requests
    /// finish, bounded by the configured deadline. Returns once the port is released.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "the accept loop ended abnormally");
            }
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        // Aborting the accept loop drops the listener and every connection task with it.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A nonblocking listening socket that can be rebound at once after a restart.
fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    if addr.port() != 0 {
        // SO_REUSEPORT would let a second server silently share a port that is in use; a probe
        // without it fails with AddrInUse on any live listener (TIME_WAIT does not count).
        let probe = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        probe.set_reuse_address(true)?;
        probe.bind(&addr.into())?;
    }
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // TIME_WAIT connections of a previous instance must not block the port.
    socket.set_reuse_address(true)?;
    #[cfg(target_os = "linux")]
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

const BACKLOG: i32 = 1024;

/// How long accepting pauses after an error such as EMFILE.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
/// Upper bound on lingering after a close: how long the client's leftovers are read...
const LINGER_TIME: Duration = Duration::from_millis(500);
/// ... and how many bytes of them: twice what the HTTP layer drains before it gives up on a
/// body, so a client still uploading an oversized request (SEC-005 sends 4 MiB) reads its 413
/// instead of a reset.
const LINGER_BYTES: usize = 8 * 1024 * 1024;
/// How long a connection-layer answer (408) may take to write.
const ANSWER_TIME: Duration = Duration::from_millis(100);

async fn accept_loop(
    listener: TcpListener,
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
    connections: Arc<AtomicUsize>,
) {
    let mut conns = JoinSet::new();
    let limit = app.config.max_connections;
    let stall = app.fault(Fault::StallAtConnectionLimit);
    let mut failing = false;
    loop {
        // The fault leaves new connections waiting in the backlog while the server is full.
        let full = stall && connections.load(Ordering::Relaxed) >= limit;
        tokio::select! {
            biased;
            // Err means the handle is gone: stop as well.
            _ = stopped(&mut stop) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept(), if !full => match accepted {
                Ok((stream, _)) => {
                    if failing {
                        tracing::info!("accepting again");
                        failing = false;
                    }
                    if connections.load(Ordering::Relaxed) >= limit {
                        refuse(&stream);
                        continue;
                    }
                    // Small writes (SSE events, short answers) must leave at once.
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve_connection(
                        stream,
                        app.clone(),
                        stop.clone(),
                        Gauge::enter(&connections),
                    ));
                }
                Err(e) => {
                    // Out of descriptors and similar: back off instead of spinning, keep serving
                    // the open connections, and say it once per episode.
                    if !failing {
                        tracing::warn!(error = %e, "accept failed; backing off");
                        failing = true;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                        _ = stopped(&mut stop) => break,
                    }
                }
            },
        }
    }
    // Release the port first, so a new instance can bind while this one drains.
    drop(listener);
    app.service.close_streams();
    let drained = tokio::time::timeout(app.config.shutdown_deadline, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            remaining = conns.len(),
            "shutdown deadline reached; dropping the remaining connections"
        );
        conns.shutdown().await;
    }
}

/// Answers a connection above the limit with 503 at once, without a task: whatever the client
/// already sent is read (it names the route's error shape and avoids a reset), the answer is
/// written without waiting, and the socket is closed.
fn refuse(stream: &TcpStream) {
    let mut head = [0u8; 512];
    let n = stream.try_read(&mut head).unwrap_or(0);
    let answer = crate::http::transport_error(
        &head[..n],
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is at its connection limit; retry later",
    );
    let _ = stream.try_write(&answer);
    let _ = socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Write);
}

async fn serve_connection(
    stream: TcpStream,
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
    _open: Gauge,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(app.config.header_read_timeout)
        .keep_alive(true);
    let handler = app.clone();
    let service = service_fn(move |req| crate::http::handle(handler.clone(), req));
    let mut conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut stopping = false;
    let ended = tokio::select! {
        res = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => res,
        _ = stopped(&mut stop) => {
            stopping = true;
            std::pin::Pin::new(&mut conn).graceful_shutdown();
            std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)).await
        }
    };
    let parts = conn.into_parts();
    let mut answer = None;
    if let Err(e) = ended {
        // A head was started but not finished in time: say 408 instead of vanishing. With no
        // bytes of a new request the connection was idle, and closing it is the idle timeout.
        if e.is_timeout() && !parts.read_buf.is_empty() {
            answer = Some(crate::http::transport_error(
                &parts.read_buf,
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the request head was not received within {} ms",
                    app.config.header_read_timeout.as_millis()
                ),
            ));
        } else {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }
    // A graceful shutdown lets in-flight requests finish reading, so there is nothing to wait
    // for; lingering would only hold the shutdown up for clients that keep idle connections.
    let linger_for = if stopping || *stop.borrow() {
        Duration::ZERO
    } else {
        LINGER_TIME
    };
    tokio::select! {
        _ = linger(parts.io.into_inner(), answer, linger_for) => {}
        _ = stopped(&mut stop) => {}
    }
}

/// Closes `stream` in stages: `answer` (if any), FIN, then the client's leftovers are read and
/// discarded until it closes too, within `time` and [`LINGER_BYTES`]. Closing with unread
/// input would send a reset that can destroy the last answer before the client reads it.
async fn linger(mut stream: TcpStream, answer: Option<Vec<u8>>, time: Duration) {
    let close = async {
        if let Some(answer) = answer {
            stream.write_all(&answer).await?;
        }
        stream.shutdown().await?;
        if time.is_zero() {
            return Ok(());
        }
        let mut sink = [0u8; 1024];
        let mut seen = 0usize;
        while seen <= LINGER_BYTES {
            match stream.read(&mut sink).await? {
                0 => break,
                n => seen += n,
            }
        }
        Ok::<_, std::io::Error>(())
    };
    // Writing the answer gets its own bound even when lingering is skipped.
    let _ = tokio::time::timeout(time.max(ANSWER_TIME), close).await;
}

/// Resolves once shutdown was requested (or the handle is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tracing_test::traced_test;

    use super::*;

    #[tokio::test]
    #[traced_test]
    async fn connections_still_busy_at_the_deadline_are_dropped_with_a_warning() {
        let mut builder = Server::builder();
        builder.config_mut().shutdown_deadline = Duration::from_millis(100);
        let server = builder.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        // A body that never completes keeps the request in flight; the 100-continue interim
        // answer shows the handler is already reading it.
        tcp.write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n",
        )
        .await
        .unwrap();
        let mut interim = [0u8; 25];
        tokio::time::timeout(Duration::from_secs(10), tcp.read_exact(&mut interim))
            .await
            .expect("100 Continue in time")
            .unwrap();
        tcp.write_all(b"{").await.unwrap();
        server.shutdown().await;
        assert!(logs_contain("shutdown deadline reached"));
    }

    /// Set in the child process of the EMFILE test.
    const EMFILE_CHILD: &str = "GAUNTLET_EMFILE_CHILD";

    #[test]
    fn regression_the_accept_loop_survives_running_out_of_file_descriptors() {
        // The descriptor limit is lowered for a child copy of this test binary only, so no
        // other test shares the shortage.
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
            .arg(exe)
            .args([
                "--exact",
                "server::tests::emfile_child_keeps_serving_after_accept_fails",
                "--nocapture",
            ])
            .env(EMFILE_CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(
            stdout.contains("1 passed"),
            "the child ran nothing: {stdout}"
        );
    }

    #[tokio::test]
    #[traced_test]
    async fn emfile_child_keeps_serving_after_accept_fails() {
        if std::env::var_os(EMFILE_CHILD).is_none() {
            return; // only meaningful under the parent's lowered descriptor limit
        }
        let server = Server::builder()
            .max_connections(100_000)
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = server.local_addr();
        let mut held = Vec::new();
        // Each client costs this process two descriptors (its socket and the accepted one), so
        // the server runs out long before 200 clients.
        for _ in 0..200 {
            match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
                Ok(Ok(tcp)) => held.push(tcp),
                _ => break,
            }
        }
        let seen = tokio::time::timeout(Duration::from_secs(10), async {
            while !logs_contain("accept failed") {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(
            seen.is_ok(),
            "accept never failed with {} clients",
            held.len()
        );
        drop(held);
        let served = tokio::time::timeout(Duration::from_secs(10), async {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            tcp.write_all(b"GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut head = [0u8; 12];
            tcp.read_exact(&mut head).await.unwrap();
            head
        })
        .await
        .expect("served again after the shortage");
        assert_eq!(&served, b"HTTP/1.1 200");
        assert!(logs_contain("accepting again"));
        server.shutdown().await;
    }

    #[tokio::test]
    #[traced_test]
    async fn an_idle_server_shuts_down_without_warnings() {
        let server = Server::builder()
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        server.shutdown().await;
        assert!(logs_contain("serving A2A"));
        assert!(!logs_contain("shutdown deadline reached"));
    }
}
