//! Memory is bounded in bytes: stored chunks are compact, the store keeps to its byte budget,
//! and a stalled stream costs no more than its bounded buffer (issue 11, defect 1).

use std::net::SocketAddr;

use gauntlet_reference::Server;
use http::Method;
use serde_json::json;

use crate::support::{message, req, start, Sse};

/// Resident memory of this process in KiB (each nextest test is its own process).
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// Runs `text` with SendStreamingMessage and reads the stream to its end; returns the last
/// event (the terminal status update).
async fn stream_to_end(addr: SocketAddr, text: &str) -> serde_json::Value {
    let body = json!({"jsonrpc":"2.0","id":1,"method":"SendStreamingMessage","params":message(text)});
    let mut sse = Sse::new(req(addr, Method::POST, "/").json(&body).open().await);
    let mut last = serde_json::Value::Null;
    while let Some(ev) = sse.next_json().await {
        last = ev;
    }
    last
}

fn final_state(ev: &serde_json::Value) -> &str {
    ev["result"]["statusUpdate"]["status"]["state"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_stream_chunk_costs_little_more_than_its_json() {
    let server = start(Server::builder()).await;
    let addr = server.local_addr();
    const N: u64 = 20_000;
    const TASKS: u64 = 5;
    // One run first, so the allocator's and the connection's own buffers are in the baseline.
    stream_to_end(addr, &format!("stream {N} 0")).await;
    let (rss0, stored0) = (rss_kib(), server.stored_bytes());
    for _ in 0..TASKS {
        let last = stream_to_end(addr, &format!("stream {N} 0")).await;
        assert_eq!(final_state(&last), "TASK_STATE_COMPLETED", "{last}");
    }
    let chunks = (N * TASKS) as f64;
    let rss = (rss_kib().saturating_sub(rss0) * 1024) as f64 / chunks;
    let stored = (server.stored_bytes() - stored0) as f64 / chunks;
    // `{"data":{"seq":12345,"of":20000}}` is 33 bytes of JSON, 30 on average over 0..N.
    let payload = format!("{{\"data\":{{\"seq\":{},\"of\":{N}}}}}", N / 2).len() as f64;
    eprintln!(
        "per stored chunk: {rss:.1} bytes resident, {stored:.1} bytes accounted, payload {payload}"
    );
    assert!(stored <= payload + 64.0, "{stored} accounted bytes per chunk");
    assert!(rss <= payload + 64.0 + 32.0, "{rss} resident bytes per chunk");
    server.shutdown().await;
}
