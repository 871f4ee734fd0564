//! A hostile network at the HTTP layer: early errors with large unread bodies on keep-alive
//! connections, stalled and trickling bodies, half-sent heads, connection floods above the limit,
//! and missing, duplicate or invalid `Host` headers. Every exchange is raw bytes on a real
//! loopback socket, so framing is judged exactly as a client sees it.

use std::time::{Duration, Instant};

use gauntlet_reference::{Fault, Server, ServerBuilder, ServerHandle};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{start, STEP};

/// One response as read off the wire.
#[derive(Debug)]
struct Raw {
    status: u16,
    /// Lower-cased header names with their values.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn says_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Reads one response (head plus a Content-Length body) from `tcp`; None on EOF or reset before
/// a complete head.
async fn read_response(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Raw> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                match tcp.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return Some(Raw {
                status,
                headers,
                body,
            });
        }
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Sends `request` on `tcp` and reads the answer, writing and reading at once so a server that
/// answers before reading cannot deadlock the exchange.
async fn exchange(tcp: &mut TcpStream, request: &[u8]) -> Option<Raw> {
    let (mut rd, mut wr) = tcp.split();
    let write = async {
        // The server may answer and close while we write: that is for the reader to judge.
        let _ = wr.write_all(request).await;
    };
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if find(&buf, b"\r\n\r\n").is_some() {
                break;
            }
            match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        Some(buf)
    };
    let (_, head) = tokio::time::timeout(STEP, async { tokio::join!(write, read) })
        .await
        .expect("an answer within STEP");
    let mut buf = head?;
    tokio::time::timeout(STEP, read_response(tcp, &mut buf))
        .await
        .expect("the whole answer within STEP")
}

fn card_request() -> Vec<u8> {
    b"GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()
}

fn with_body(head: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{head}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// The early errors of defect 2: each is answered before the body is read.
fn early_errors() -> Vec<(&'static str, String)> {
    let v = "A2A-Version: 1.0\r\n";
    vec![
        (
            "JSON-RPC with a foreign content type",
            format!("POST / HTTP/1.1\r\nHost: x\r\n{v}Content-Type: text/xml\r\n"),
        ),
        (
            "GET on / with a body",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{v}Content-Type: application/json\r\n"),
        ),
        (
            "REST without A2A-Version",
            "POST /message:send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".into(),
        ),
        (
            "REST with A2A-Version 0.3",
            "POST /message:send HTTP/1.1\r\nHost: x\r\nA2A-Version: 0.3\r\nContent-Type: application/json\r\n".into(),
        ),
        (
            "REST 405",
            format!("PUT /tasks/x HTTP/1.1\r\nHost: x\r\n{v}Content-Type: application/json\r\n"),
        ),
        (
            "unknown route",
            format!("POST /nope HTTP/1.1\r\nHost: x\r\n{v}Content-Type: application/json\r\n"),
        ),
        (
            "POST on the card",
            format!("POST /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\n{v}Content-Type: application/json\r\n"),
        ),
    ]
}

/// Sends each early-error request with a 64 KiB body on one keep-alive connection, then a valid
/// request; returns, per case, whether the connection was honest (next request served, or the
/// error said `Connection: close`).
async fn early_error_outcomes(server: &ServerHandle) -> Vec<(&'static str, bool, String)> {
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(64 * 1024));
    let mut out = Vec::new();
    for (name, head) in early_errors() {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        let first = exchange(&mut tcp, &with_body(&head, body.as_bytes()))
            .await
            .unwrap_or_else(|| panic!("{name}: no answer at all"));
        // JSON-RPC refuses with HTTP 200 and an error object.
        assert!(
            first.status >= 400 || first.json().get("error").is_some(),
            "{name}: {first:?}"
        );
        let honest = if first.says_close() {
            true
        } else {
            let next = exchange(&mut tcp, &card_request()).await;
            next.is_some_and(|r| r.status == 200)
        };
        out.push((
            name,
            honest,
            format!("{} close={}", first.status, first.says_close()),
        ));
    }
    out
}

#[tokio::test]
async fn regression_early_errors_with_a_large_unread_body_never_drop_the_connection_silently() {
    let server = start(Server::builder()).await;
    for (name, honest, seen) in early_error_outcomes(&server).await {
        assert!(
            honest,
            "{name}: the connection was dropped without `Connection: close` ({seen})"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn control_the_silent_early_close_fault_drops_keep_alive_connections_unannounced() {
    let server = start(Server::builder().fault(Some(Fault::SilentEarlyClose))).await;
    let outcomes = early_error_outcomes(&server).await;
    assert!(
        outcomes.iter().any(|(_, honest, _)| !honest),
        "the fault had no effect: {outcomes:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_small_body_read_in_full_keeps_the_connection_alive() {
    let server = start(Server::builder()).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let call = br#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"nope"}}"#;
    let head =
        "POST / HTTP/1.1\r\nHost: x\r\nA2A-Version: 1.0\r\nContent-Type: application/json\r\n";
    let first = exchange(&mut tcp, &with_body(head, call)).await.unwrap();
    assert_eq!(first.status, 200);
    assert!(!first.says_close(), "{first:?}");
    let next = exchange(&mut tcp, &card_request()).await.unwrap();
    assert_eq!(next.status, 200);
    server.shutdown().await;
}

/// A server with short body and header deadlines, so timeouts are observed quickly.
fn impatient() -> ServerBuilder {
    let mut builder = Server::builder();
    let config = builder.config_mut();
    config.body_read_timeout = Duration::from_millis(300);
    config.header_read_timeout = Duration::from_millis(300);
    config.min_body_rate = 1000;
    builder
}

/// Sends `bytes`, then waits (within STEP) for an answer or the end of the connection.
async fn answer_after(tcp: &mut TcpStream, bytes: &[u8]) -> Option<Raw> {
    tcp.write_all(bytes).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(STEP, read_response(tcp, &mut buf))
        .await
        .expect("an answer or a close within STEP")
}

#[tokio::test]
async fn regression_a_body_that_stalls_after_one_byte_gets_408_on_both_bindings() {
    let server = start(impatient()).await;
    for (path, rpc) in [("/", true), ("/message:send", false)] {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nA2A-Version: 1.0\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        );
        let t0 = Instant::now();
        let res = answer_after(&mut tcp, head.as_bytes())
            .await
            .unwrap_or_else(|| panic!("{path}: closed without a 408"));
        assert!(
            t0.elapsed() >= Duration::from_millis(250),
            "{path}: too early"
        );
        assert_eq!(res.status, 408, "{path}: {res:?}");
        assert!(res.says_close(), "{path}");
        let v = res.json();
        if rpc {
            assert_eq!(v["error"]["code"], -32600, "{v}");
        } else {
            assert_eq!(v["error"]["code"], 408, "{v}");
        }
        // After the answer the server closes the connection.
        let mut rest = Vec::new();
        let end = tokio::time::timeout(STEP, tcp.read_to_end(&mut rest)).await;
        assert!(
            end.is_ok(),
            "{path}: the connection stayed open after the 408"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_trickling_below_the_minimum_rate_is_cut_off() {
    let server = start(impatient()).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(b"POST /message:send HTTP/1.1\r\nHost: x\r\nA2A-Version: 1.0\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        .await
        .unwrap();
    let t0 = Instant::now();
    let (mut rd, mut wr) = tcp.split();
    // 20 bytes/s, far below the 1000 bytes/s minimum: the deadline barely moves.
    let trickle = async {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tick.tick().await;
            if wr.write_all(b" ").await.is_err() {
                return;
            }
        }
    };
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => return buf,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if find(&buf, b"\r\n\r\n").is_some() {
                return buf;
            }
        }
    };
    let head = tokio::time::timeout(STEP, async {
        tokio::select! {
            head = read => head,
            _ = trickle => Vec::new(),
        }
    })
    .await
    .expect("cut off within STEP");
    let text = String::from_utf8_lossy(&head);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn regression_a_half_sent_head_gets_408_in_the_routes_error_shape() {
    let server = start(impatient()).await;
    for (head, rpc) in [
        ("POST / HTTP/1.1\r\nHost: x\r\nA2A-Ver", true),
        ("GET /tasks HTTP/1.1\r\nHost: x\r\n", false),
    ] {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        let t0 = Instant::now();
        let res = answer_after(&mut tcp, head.as_bytes())
            .await
            .unwrap_or_else(|| panic!("{head:?}: closed without a 408"));
        assert!(t0.elapsed() >= Duration::from_millis(250));
        assert_eq!(res.status, 408, "{res:?}");
        assert!(res.says_close());
        let v = res.json();
        if rpc {
            assert_eq!(v["jsonrpc"], "2.0", "{v}");
            assert_eq!(v["error"]["code"], -32600, "{v}");
        } else {
            assert_eq!(v["error"]["code"], 408, "{v}");
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_without_a_stray_408() {
    let server = start(impatient()).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let first = exchange(&mut tcp, &card_request()).await.unwrap();
    assert_eq!(first.status, 200);
    // Nothing more is sent: after the header timeout the server hangs up without an answer.
    let mut rest = Vec::new();
    tokio::time::timeout(STEP, tcp.read_to_end(&mut rest))
        .await
        .expect("closed within STEP")
        .unwrap();
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    server.shutdown().await;
}

/// Waits (within STEP) until the server's connection gauge satisfies `ok`.
async fn until_connections(server: &ServerHandle, ok: impl Fn(usize) -> bool) {
    tokio::time::timeout(STEP, async {
        while !ok(server.open_connections()) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("open_connections stuck at {}", server.open_connections()));
}

#[tokio::test]
async fn regression_above_the_connection_limit_new_clients_get_a_fast_503() {
    let server = start(Server::builder().max_connections(4)).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(server.local_addr()).await.unwrap());
    }
    until_connections(&server, |n| n == 4).await;
    let mut extra = TcpStream::connect(server.local_addr()).await.unwrap();
    let t0 = Instant::now();
    let res = exchange(&mut extra, &card_request())
        .await
        .expect("a 503, not a bare close");
    assert_eq!(res.status, 503, "{res:?}");
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    assert_eq!(res.header("retry-after"), Some("1"));
    assert!(res.says_close());
    assert_eq!(res.json()["error"]["code"], 503);
    // A JSON-RPC client is refused in its binding's shape.
    let mut rpc = TcpStream::connect(server.local_addr()).await.unwrap();
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}"#;
    let head =
        "POST / HTTP/1.1\r\nHost: x\r\nA2A-Version: 1.0\r\nContent-Type: application/json\r\n";
    let res = exchange(&mut rpc, &with_body(head, body)).await.unwrap();
    assert_eq!(res.status, 503);
    assert_eq!(res.json()["jsonrpc"], "2.0");
    // Below the limit again, everyone is served.
    held.truncate(3);
    until_connections(&server, |n| n <= 3).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    assert_eq!(
        exchange(&mut tcp, &card_request()).await.unwrap().status,
        200
    );
    server.shutdown().await;
}

fn host_cases() -> Vec<(&'static str, &'static str)> {
    vec![
        ("no Host", ""),
        ("two Hosts", "Host: a\r\nHost: b\r\n"),
        ("a Host with a space", "Host: a b\r\n"),
        ("a Host with userinfo", "Host: user@a\r\n"),
        ("a Host with a bad port", "Host: a:http\r\n"),
    ]
}

#[tokio::test]
async fn regression_missing_duplicate_or_invalid_host_is_400_in_the_bindings_shape() {
    let server = start(Server::builder()).await;
    for (name, host) in host_cases() {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        let body = br#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}"#;
        let head = format!(
            "POST / HTTP/1.1\r\n{host}A2A-Version: 1.0\r\nContent-Type: application/json\r\n"
        );
        let res = exchange(&mut tcp, &with_body(&head, body)).await.unwrap();
        assert_eq!(res.status, 400, "JSON-RPC, {name}: {res:?}");
        let v = res.json();
        assert_eq!(v["error"]["code"], -32600, "{name}: {v}");

        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        let head = format!("GET /tasks HTTP/1.1\r\n{host}A2A-Version: 1.0\r\n\r\n");
        let res = exchange(&mut tcp, head.as_bytes()).await.unwrap();
        assert_eq!(res.status, 400, "REST, {name}: {res:?}");
        let v = res.json();
        assert_eq!(v["error"]["code"], 400, "{name}: {v}");
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT", "{name}: {v}");
    }
    // HTTP/1.0 may omit Host.
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let res = exchange(
        &mut tcp,
        b"GET /.well-known/agent-card.json HTTP/1.0\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(res.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn control_the_no_host_check_fault_serves_a_request_without_host() {
    let server = start(Server::builder().fault(Some(Fault::NoHostCheck))).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let res = exchange(
        &mut tcp,
        b"GET /.well-known/agent-card.json HTTP/1.1\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(res.status, 200);
    server.shutdown().await;
}
