//! The probe's stream path over a real socket, against a hand-written server that controls the
//! exact bytes: events split at awkward places, keep-alives, faults, stalls, truncation, and
//! that dropping a stream really closes the connection.

use std::time::Duration;

use gauntlet_conformance::errors::ProbeError;
use gauntlet_conformance::probe::{Probe, RawRequest, SseFault, Transcript};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// A one-connection server: answers with an SSE head, then writes whatever the test sends down
/// the channel (`None` closes the connection). Reports when the client hangs up.
async fn sse_server() -> (
    String,
    mpsc::UnboundedSender<Option<Vec<u8>>>,
    tokio::sync::oneshot::Receiver<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/stream", listener.local_addr().expect("addr"));
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<Vec<u8>>>();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        read_head(&mut sock).await;
        let head =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
        if sock.write_all(head).await.is_err() {
            return;
        }
        let (mut read, mut write) = sock.into_split();
        let hangup = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            // The client never sends more; a 0-byte read means it closed the connection.
            while let Ok(n) = read.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
            let _ = closed_tx.send(());
        });
        while let Some(Some(chunk)) = rx.recv().await {
            if write.write_all(&chunk).await.is_err() {
                break;
            }
        }
        drop(write);
        let _ = hangup.await;
    });
    (url, tx, closed_rx)
}

async fn read_head(sock: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn events_split_anywhere_arrive_whole_with_comments_and_tolerated_faults() {
    let (url, tx, _closed) = sse_server().await;
    let transcript = Transcript::new();
    let probe = Probe::new(transcript.clone(), Duration::from_secs(5));
    let mut stream = probe
        .open_stream(RawRequest::new("POST", url))
        .await
        .expect("head");
    assert_eq!(stream.status, 200);
    assert_eq!(stream.media_type().as_deref(), Some("text/event-stream"));
    let euro = "€".as_bytes();
    for chunk in [
        b": keep-alive\r".to_vec(),
        b"\ndata: {\"a\":".to_vec(),
        [b"\"".as_slice(), &euro[..1]].concat(),
        [&euro[1..], b"\"}\r".as_slice()].concat(),
        b"\n\r\nbogus: 1\ndata: 2\n".to_vec(),
        b"\n".to_vec(),
    ] {
        tx.send(Some(chunk)).expect("server alive");
    }
    let first = stream
        .next_event(Duration::from_secs(5))
        .await
        .expect("ok")
        .expect("an event");
    assert_eq!(first.data, "{\"a\":\"€\"}");
    assert_eq!(first.comments, 1);
    let second = stream
        .next_event(Duration::from_secs(5))
        .await
        .expect("ok")
        .expect("an event");
    assert_eq!(second.data, "2");
    tx.send(None).expect("server alive");
    assert_eq!(stream.next_event(Duration::from_secs(5)).await, Ok(None));
    assert_eq!(stream.comments_seen(), 1);
    assert_eq!(stream.faults(), [SseFault::UnknownField("bogus".into())]);
    let x = &transcript.exchanges()[0];
    assert_eq!(x.events, ["{\"a\":\"€\"}", "2"]);
    assert!(x.is_stream() && x.curl().contains(" -N "), "{}", x.curl());
}

#[tokio::test]
async fn a_silent_stream_times_out_and_a_cut_event_is_a_framing_fault() {
    let (url, tx, _closed) = sse_server().await;
    let probe = Probe::new(Transcript::new(), Duration::from_secs(5));
    let mut stream = probe
        .open_stream(RawRequest::new("POST", url))
        .await
        .expect("head");
    let waited = stream.next_event(Duration::from_millis(100)).await;
    assert_eq!(waited, Err(ProbeError::Timeout(Duration::from_millis(100))));
    tx.send(Some(b"data: half".to_vec())).expect("server alive");
    tx.send(None).expect("server alive");
    let end = stream.next_event(Duration::from_secs(5)).await;
    assert!(
        matches!(end, Err(ProbeError::Sse(ref m)) if m.contains("middle of an event")),
        "{end:?}"
    );
    let x = &probe.transcript().exchanges()[0];
    assert!(
        x.error.as_deref().is_some_and(|e| e.contains("SSE")),
        "{x:?}"
    );
}

#[tokio::test]
async fn dropping_a_stream_closes_its_connection() {
    let (url, tx, closed) = sse_server().await;
    let probe = Probe::new(Transcript::new(), Duration::from_secs(5));
    let mut stream = probe
        .open_stream(RawRequest::new("POST", url))
        .await
        .expect("head");
    tx.send(Some(b"data: 1\n\n".to_vec()))
        .expect("server alive");
    assert!(stream
        .next_event(Duration::from_secs(5))
        .await
        .expect("ok")
        .is_some());
    drop(stream);
    tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("the server sees the hang-up")
        .expect("reported");
}
