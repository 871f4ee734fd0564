//! Server-sent events on both bindings: framing, ordering, closing, subscribe verbs,
//! keep-alives, fan-out, and cutting off a stalled subscriber.

use std::net::SocketAddr;
use std::time::Duration;

use gauntlet_reference::Server;
use http::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{message, req, rpc, start, start_default, unique, Block, Sse, STEP};

fn kind(event: &Value) -> &'static str {
    for k in ["task", "message", "statusUpdate", "artifactUpdate"] {
        if event.get(k).is_some() {
            return k;
        }
    }
    panic!("not a StreamResponse: {event}")
}

async fn rpc_stream(addr: SocketAddr, id: Value, method: &str, params: Value) -> Sse {
    let body = json!({"jsonrpc":"2.0","id":id,"method":method,"params":params});
    Sse::new(req(addr, Method::POST, "/").json(&body).open().await)
}

async fn start_hang(addr: SocketAddr) -> String {
    let mut params = message("hang");
    params["configuration"] = json!({"returnImmediately": true});
    let v = rpc(addr, "SendMessage", params).await.json();
    v["result"]["task"]["id"]
        .as_str()
        .expect("task id")
        .to_owned()
}

#[tokio::test]
async fn json_rpc_stream_wraps_every_event_and_closes_at_the_terminal_state() {
    let server = start_default().await;
    let mut sse = rpc_stream(
        server.local_addr(),
        json!("s-1"),
        "SendStreamingMessage",
        message("stream 5"),
    )
    .await;
    let mut events = Vec::new();
    while let Some(block) = sse.next_block().await {
        let Block::Data { event, data } = block else {
            continue;
        };
        assert_eq!(event, None);
        let v: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], "s-1");
        events.push(v["result"].clone());
    }
    let kinds: Vec<&str> = events.iter().map(kind).collect();
    assert_eq!(kinds[0], "task");
    assert_eq!(kinds.iter().filter(|k| **k == "artifactUpdate").count(), 5);
    let seqs: Vec<i64> = events
        .iter()
        .filter_map(|e| e["artifactUpdate"]["artifact"]["parts"][0]["data"]["seq"].as_i64())
        .collect();
    assert_eq!(seqs, vec![0, 1, 2, 3, 4]);
    let last = events.last().unwrap();
    assert_eq!(
        last["statusUpdate"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn rest_stream_sends_bare_stream_responses() {
    let server = start_default().await;
    let res = req(server.local_addr(), Method::POST, "/message:stream")
        .json(&message("stream 3"))
        .open()
        .await;
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let mut sse = Sse::new(res);
    let events = sse.collect_json().await;
    assert_eq!(kind(&events[0]), "task");
    assert!(events.iter().all(|e| e.get("jsonrpc").is_none()));
    assert_eq!(
        events.last().unwrap()["statusUpdate"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_message_reply_is_the_only_event() {
    let server = start_default().await;
    let mut sse = rpc_stream(
        server.local_addr(),
        json!(1),
        "SendStreamingMessage",
        message("message hi"),
    )
    .await;
    let events = sse.collect_json().await;
    assert_eq!(events.len(), 1);
    assert_eq!(kind(&events[0]["result"]), "message");
    server.shutdown().await;
}

#[tokio::test]
async fn subscribe_works_by_get_and_post_and_ends_at_cancel() {
    let server = start_default().await;
    let addr = server.local_addr();
    let id = start_hang(addr).await;
    let mut by_post = Sse::new(
        req(addr, Method::POST, &format!("/tasks/{id}:subscribe"))
            .open()
            .await,
    );
    let mut by_get = Sse::new(
        req(addr, Method::GET, &format!("/tasks/{id}:subscribe"))
            .open()
            .await,
    );
    let mut by_rpc = rpc_stream(addr, json!(9), "SubscribeToTask", json!({"id": id})).await;
    assert_eq!(kind(&by_post.next_json().await.unwrap()), "task");
    assert_eq!(kind(&by_get.next_json().await.unwrap()), "task");
    assert_eq!(kind(&by_rpc.next_json().await.unwrap()["result"]), "task");
    let canceled = rpc(addr, "CancelTask", json!({"id": id})).await.json();
    assert_eq!(canceled["result"]["status"]["state"], "TASK_STATE_CANCELED");
    for sse in [&mut by_post, &mut by_get] {
        let rest = sse.collect_json().await;
        assert_eq!(
            rest.last().unwrap()["statusUpdate"]["status"]["state"],
            "TASK_STATE_CANCELED"
        );
    }
    let rest = by_rpc.collect_json().await;
    assert_eq!(
        rest.last().unwrap()["result"]["statusUpdate"]["status"]["state"],
        "TASK_STATE_CANCELED"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn pre_stream_errors_are_plain_json_answers() {
    let server = start_default().await;
    let addr = server.local_addr();
    let res = req(addr, Method::POST, "/tasks/nope:subscribe")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res
        .header("content-type")
        .starts_with("application/a2a+json"));
    let v = rpc(addr, "SubscribeToTask", json!({"id": "nope"})).await;
    assert!(v.header("content-type").starts_with("application/json"));
    assert_eq!(v.json()["error"]["code"], -32001);
    server.shutdown().await;

    let server = start(Server::builder().streaming(false)).await;
    let v = rpc(server.local_addr(), "SendStreamingMessage", message("echo"))
        .await
        .json();
    assert_eq!(v["error"]["code"], -32004);
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_stream_gets_keep_alive_comments() {
    let server = start(Server::builder().keepalive(Duration::from_millis(50))).await;
    let addr = server.local_addr();
    let id = start_hang(addr).await;
    let mut sse = Sse::new(
        req(addr, Method::GET, &format!("/tasks/{id}:subscribe"))
            .open()
            .await,
    );
    assert_eq!(kind(&sse.next_json().await.unwrap()), "task");
    for _ in 0..2 {
        assert_eq!(
            sse.next_block().await,
            Some(Block::Comment("keep-alive".into()))
        );
    }
    rpc(addr, "CancelTask", json!({"id": id})).await;
    let rest = sse.collect_json().await;
    assert_eq!(
        rest.last().unwrap()["statusUpdate"]["status"]["state"],
        "TASK_STATE_CANCELED"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_subscribers_see_identical_sequences() {
    let server = start_default().await;
    let addr = server.local_addr();
    let mut params = message("input-required");
    params["configuration"] = json!({"returnImmediately": false});
    let v = rpc(addr, "SendMessage", params).await.json();
    let task = &v["result"]["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_INPUT_REQUIRED");
    let id = task["id"].as_str().unwrap().to_owned();
    let ctx = task["contextId"].as_str().unwrap().to_owned();
    let mut a = Sse::new(
        req(addr, Method::GET, &format!("/tasks/{id}:subscribe"))
            .open()
            .await,
    );
    let mut b = Sse::new(
        req(addr, Method::POST, &format!("/tasks/{id}:subscribe"))
            .open()
            .await,
    );
    let snap_a = a.next_json().await.unwrap();
    let snap_b = b.next_json().await.unwrap();
    assert_eq!(snap_a, snap_b);
    let mut follow = message("stream 20");
    follow["message"]["taskId"] = json!(id);
    follow["message"]["contextId"] = json!(ctx);
    let answer = rpc(addr, "SendMessage", follow).await.json();
    assert!(answer.get("result").is_some(), "{answer}");
    let seq_a = a.collect_json().await;
    let seq_b = b.collect_json().await;
    assert!(seq_a.len() >= 3, "{seq_a:?}");
    assert_eq!(seq_a, seq_b);
    assert_eq!(
        seq_a.last().unwrap()["statusUpdate"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );
    server.shutdown().await;
}

/// A raw HTTP/1.1 client that sends a streaming request and then does not read.
async fn stalled_client(addr: SocketAddr, body: &Value) -> tokio::net::TcpStream {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = serde_json::to_vec(body).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nA2A-Version: 1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&body).await.unwrap();
    tcp
}

/// Reads an HTTP/1.1 chunked response to EOF and returns its de-chunked body.
async fn read_chunked(tcp: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    tokio::time::timeout(STEP * 3, tcp.read_to_end(&mut raw))
        .await
        .expect("stalled stream drains in time")
        .expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head")
        + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut body = Vec::new();
    let mut rest = &raw[split..];
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16)
                .unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_is_cut_off_without_a_gap_and_harms_no_one() {
    const N: i64 = 4_000;
    let server = start(Server::builder().subscriber_buffer(64)).await;
    let addr = server.local_addr();
    // The producer's own stream is the healthy reader. A long contextId (copied into every
    // event) makes each event ~2 KiB, so a few thousand events outgrow every buffer between the
    // server and the stalled client.
    let mut params = message(&format!("stream {N}"));
    params["message"]["contextId"] = json!(format!("ctx-{}-{}", unique(), "x".repeat(2000)));
    let mut healthy = rpc_stream(addr, json!("h"), "SendStreamingMessage", params).await;
    let first = healthy.next_json().await.unwrap();
    let id = first["result"]["task"]["id"].as_str().unwrap().to_owned();
    let mut stalled = stalled_client(
        addr,
        &json!({"jsonrpc":"2.0","id":"s","method":"SubscribeToTask","params":{"id": id}}),
    )
    .await;
    let mut next = 0;
    let mut last_state = Value::Null;
    while let Some(e) = healthy.next_json().await {
        if let Some(seq) =
            e["result"]["artifactUpdate"]["artifact"]["parts"][0]["data"]["seq"].as_i64()
        {
            assert_eq!(seq, next, "the healthy stream has a gap");
            next += 1;
        }
        if let Some(s) = e["result"]["statusUpdate"]["status"]["state"].as_str() {
            last_state = json!(s);
        }
    }
    assert_eq!(next, N, "the healthy reader saw every chunk");
    assert_eq!(last_state, "TASK_STATE_COMPLETED");

    // Now read what the stalled client was sent: a snapshot, consecutive chunks, then EOF.
    let body = read_chunked(&mut stalled).await;
    let text = String::from_utf8(body).unwrap();
    let mut events = text
        .split("\n\n")
        .filter(|b| b.starts_with("data: "))
        .map(|b| serde_json::from_str::<Value>(&b[6..]).unwrap()["result"].clone());
    let snapshot = events.next().expect("a snapshot");
    let mut expected = snapshot["task"]["artifacts"][0]["parts"]
        .as_array()
        .map_or(0, |p| p.len() as i64);
    let mut chunks = 0;
    let mut terminal = false;
    for e in events {
        if let Some(seq) = e["artifactUpdate"]["artifact"]["parts"][0]["data"]["seq"].as_i64() {
            assert_eq!(seq, expected, "the stalled stream has a gap");
            expected += 1;
            chunks += 1;
        }
        terminal |= e["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED";
    }
    assert!(
        !terminal && expected < N,
        "the stalled client was never cut off ({chunks} chunks)"
    );
    assert_eq!(server.open_streams(), 0);
    server.shutdown().await;
}
