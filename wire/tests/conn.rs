//! The controlled connection against real sockets: headers kept, bounded reads, piecewise
//! chunked bodies, SSE over a connection, and an answer heard while the request is written.

use std::net::SocketAddr;
use std::time::Duration;

use gauntlet_wire::{request_bytes, round_trip, Conn, ConnOpts, SseStream, WireError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const T: Duration = Duration::from_secs(5);

/// A server that reads one request head, answers `answer` and then holds the connection
/// (reading and discarding) until the client leaves.
async fn server(answer: &'static [u8]) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut b = [0u8; 1024];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&b[..n]),
                    }
                }
                let _ = s.write_all(answer).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_round_trip_keeps_headers_and_reads_a_chunked_body() {
    let addr = server(
        b"HTTP/1.1 200 OK\r\nX-One: a \r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    )
    .await;
    let req = request_bytes("GET", &addr.to_string(), "/", &[], b"");
    let resp = round_trip(addr, &req, T).await.unwrap();
    assert_eq!(resp.head.status, 200);
    assert_eq!(resp.head.header("x-one"), Some("a"));
    assert_eq!(resp.head.headers[0].0, "x-one");
    assert_eq!(resp.body, b"abcde");
}

#[tokio::test]
async fn bounded_reads_deliver_the_body_piece_by_piece() {
    let addr = server(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789").await;
    let opts = ConnOpts {
        recv_buffer: Some(4096),
        read_size: Some(3),
    };
    let mut conn = Conn::connect_with(addr, opts, T).await.unwrap();
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut open = conn.read_response_head().await.unwrap();
    let mut pieces = Vec::new();
    while let Some(p) = conn.next_bytes(&mut open).await.unwrap() {
        assert!(p.len() <= 3);
        pieces.extend_from_slice(p);
    }
    assert_eq!(pieces, b"0123456789");
    assert!(open.ended());
}

#[tokio::test]
async fn an_early_close_inside_the_body_is_reported() {
    let addr = server(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234").await;
    let req = request_bytes("GET", "x", "/", &[], b"");
    let err = round_trip(addr, &req, T).await.unwrap_err();
    assert!(matches!(err, WireError::Closed(_)), "{err}");
}

#[tokio::test]
async fn an_answer_is_heard_while_the_request_is_still_written() {
    // The server answers after the head and never reads the 8 MiB body.
    let addr = server(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n").await;
    let mut conn = Conn::connect_with(addr, ConnOpts::default(), T)
        .await
        .unwrap();
    let body = vec![b'a'; 8 << 20];
    let req = request_bytes("POST", "x", "/", &[], &body);
    let sent = tokio::time::timeout(
        T,
        conn.send_while_reading(&req, false, gauntlet_wire::has_head),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(sent.written < req.len());
    let open = conn.read_response_head().await.unwrap();
    assert_eq!(open.head.status, 413);
}

#[tokio::test]
async fn sse_over_a_connection_reports_a_truncated_event() {
    let addr = server(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hi\r\ndata: 1\r\n\r\ndata: 2\n",
    )
    .await;
    let mut conn = Conn::connect_with(addr, ConnOpts::default(), T)
        .await
        .unwrap();
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let open = conn.read_response_head().await.unwrap();
    assert!(open.head.event_stream);
    let mut sse = SseStream::new(conn, open);
    assert_eq!(
        sse.next_event().await.unwrap().map(|e| e.data),
        Some("1".into())
    );
    assert_eq!(sse.comments(), 1);
    let err = sse.next_event().await.unwrap_err();
    assert!(
        matches!(err, WireError::Sse(ref m) if m.contains("middle of an event")),
        "{err}"
    );
}
