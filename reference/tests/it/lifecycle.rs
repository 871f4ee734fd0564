//! Listener lifecycle: rebinding one port, graceful shutdown with open streams, gauges.

use std::time::{Duration, Instant};

use gauntlet_reference::Server;
use http::{Method, StatusCode};
use serde_json::json;

use crate::support::{message, req, start, Sse, STEP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_the_same_port_survives_1000_bind_shutdown_cycles() {
    let first = start(Server::builder()).await;
    let addr = first.local_addr();
    first.shutdown().await;
    for cycle in 0..1000 {
        let server = Server::builder()
            .bind(addr)
            .await
            .unwrap_or_else(|e| panic!("cycle {cycle}: rebinding {addr} failed: {e}"));
        // Every tenth cycle leaves a served connection behind (TIME_WAIT on the server side).
        if cycle % 10 == 0 {
            let res = req(addr, Method::GET, "/.well-known/agent-card.json")
                .send()
                .await;
            assert_eq!(res.status, StatusCode::OK);
        }
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_shutdown_ends_open_streams_within_the_deadline_and_frees_the_port() {
    let mut builder = Server::builder();
    builder.config_mut().shutdown_deadline = Duration::from_secs(3);
    let server = start(builder).await;
    let addr = server.local_addr();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let body = json!({"jsonrpc":"2.0","id":1,"method":"SendStreamingMessage","params":message("hang")});
        let mut sse = Sse::new(req(addr, Method::POST, "/").json(&body).open().await);
        let first = sse.next_json().await.expect("a first event");
        assert!(first["result"]["task"].is_object(), "{first}");
        streams.push(sse);
    }
    // One more on the REST binding, plus an idle keep-alive connection.
    let mut rest = Sse::new(
        req(addr, Method::POST, "/message:stream")
            .json(&message("hang"))
            .open()
            .await,
    );
    assert!(rest.next_json().await.unwrap()["task"].is_object());
    streams.push(rest);
    let idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert_eq!(server.open_streams(), 4);

    let started = Instant::now();
    tokio::time::timeout(STEP, server.shutdown())
        .await
        .expect("shutdown returns");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        started.elapsed()
    );
    for mut sse in streams {
        // Every stream ends cleanly (EOF after any remaining events).
        let _rest = sse.collect_json().await;
    }
    drop(idle);
    // The listener is closed (not merely shared through SO_REUSEPORT) and the port is free.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let again = Server::builder()
        .bind(addr)
        .await
        .expect("port free at once");
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_gauge_follows_clients() {
    let server = start(Server::builder()).await;
    let addr = server.local_addr();
    assert_eq!(server.open_connections(), 0);
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    wait_until(|| server.open_connections() == 1).await;
    drop(tcp);
    wait_until(|| server.open_connections() == 0).await;
    server.shutdown().await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let server = start(Server::builder()).await;
    let addr = server.local_addr();
    drop(server);
    // The listener goes with the aborted accept loop: connections are refused.
    let deadline = Instant::now() + STEP;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting after the handle was dropped"
        );
        tokio::task::yield_now().await;
    }
}

/// Polls `cond` until it holds, failing after [`STEP`].
async fn wait_until(cond: impl Fn() -> bool) {
    let deadline = Instant::now() + STEP;
    while !cond() {
        assert!(Instant::now() < deadline, "condition not reached in time");
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_a_stuck_request_cannot_hold_shutdown_past_the_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut builder = Server::builder();
    builder.config_mut().shutdown_deadline = Duration::from_millis(300);
    let server = start(builder).await;
    // Headers promise 100 body bytes; only 10 arrive, so the handler waits for the rest. The
    // 100-continue interim answer proves the request is in flight before shutdown starts.
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    tcp.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nA2A-Version: 1.0\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n")
        .await
        .unwrap();
    let mut interim = [0u8; 25];
    tokio::time::timeout(STEP, tcp.read_exact(&mut interim))
        .await
        .expect("100 Continue in time")
        .unwrap();
    assert!(interim.starts_with(b"HTTP/1.1 100"));
    tcp.write_all(b"{\"jsonrpc\"").await.unwrap();
    let started = Instant::now();
    tokio::time::timeout(STEP, server.shutdown())
        .await
        .expect("shutdown returns");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250),
        "returned before the deadline: {took:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "deadline not enforced: {took:?}"
    );
    // The stuck client's connection was dropped, not left open.
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(STEP, tcp.read(&mut buf))
        .await
        .expect("connection closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn serial_a_port_in_use_is_refused_even_between_reference_servers() {
    let first = start(Server::builder()).await;
    let addr = first.local_addr();
    let second = Server::builder().bind(addr).await;
    assert_eq!(
        second.err().map(|e| e.kind()),
        Some(std::io::ErrorKind::AddrInUse)
    );
    first.shutdown().await;
}
