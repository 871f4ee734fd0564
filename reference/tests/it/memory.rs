//! Memory is bounded in bytes: stored chunks are compact, the store keeps to its byte budget,
//! and a stalled stream costs no more than its bounded buffer (issue 11, defect 1).

use std::net::SocketAddr;

use gauntlet_reference::Server;
use http::Method;
use serde_json::json;

use crate::support::{message, req, rpc, start, Sse};

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
    let body =
        json!({"jsonrpc":"2.0","id":1,"method":"SendStreamingMessage","params":message(text)});
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
    assert!(
        stored <= payload + 64.0,
        "{stored} accounted bytes per chunk"
    );
    assert!(
        rss <= payload + 64.0 + 32.0,
        "{rss} resident bytes per chunk"
    );
    server.shutdown().await;
}

/// A blocking SendMessage of `text`; returns the JSON-RPC answer.
async fn send(addr: SocketAddr, params: serde_json::Value) -> serde_json::Value {
    rpc(addr, "SendMessage", params).await.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_tasks_are_evicted_to_keep_the_store_and_rss_within_the_byte_budget() {
    const BUDGET: usize = 4 << 20;
    // The runtime, the connections and the allocator's hold on freed request buffers (each
    // request parses and renders its message several times): independent of what is stored.
    const MARGIN_KIB: u64 = 24 << 10;
    const TASKS: usize = 48;
    let mut builder = Server::builder();
    builder.config_mut().max_store_bytes = BUDGET;
    let server = start(builder).await;
    let addr = server.local_addr();
    let rss0 = rss_kib();
    // Tasks of ~512 KiB each (256 KiB in history, the same again as the echo artifact): six
    // times the budget in all.
    let text = "x".repeat(256 << 10);
    let mut first = None;
    let mut rss_full = 0;
    for i in 0..TASKS {
        let v = send(addr, message(&text)).await;
        let task = &v["result"]["task"];
        assert_eq!(
            task["status"]["state"], "TASK_STATE_COMPLETED",
            "{}",
            v["error"]
        );
        first.get_or_insert_with(|| task["id"].as_str().unwrap().to_owned());
        assert!(server.stored_bytes() <= BUDGET, "{}", server.stored_bytes());
        if i == TASKS / 3 {
            // Twice the budget sent so far: the store has been evicting for a while.
            rss_full = rss_kib();
        }
    }
    let rss_end = rss_kib();
    eprintln!(
        "RSS {rss0} KiB at start, {rss_full} KiB once the store was full, {rss_end} KiB after {TASKS} tasks ({} KiB budget, {} bytes stored)",
        BUDGET >> 10,
        server.stored_bytes()
    );
    assert!(
        rss_end.saturating_sub(rss0) <= (BUDGET as u64 >> 10) + MARGIN_KIB,
        "RSS grew {} KiB",
        rss_end - rss0
    );
    // Keeping everything would add 16 MiB after that point.
    assert!(
        rss_end.saturating_sub(rss_full) <= (BUDGET as u64 >> 10),
        "RSS kept growing once the store was full: +{} KiB",
        rss_end - rss_full
    );
    // The oldest finished task made room: it reads as TaskNotFound.
    let gone = rpc(addr, "GetTask", json!({"id": first.unwrap()}))
        .await
        .json();
    assert_eq!(gone["error"]["code"], -32001, "{gone}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_tasks_are_never_evicted_and_fail_when_the_store_is_full() {
    const BUDGET: usize = 512 << 10;
    let mut builder = Server::builder();
    builder.config_mut().max_store_bytes = BUDGET;
    let server = start(builder).await;
    let addr = server.local_addr();
    // Eight concurrent `stream 5000` tasks want ~170 KiB each: more than the budget holds.
    let runs: Vec<_> = (0..8)
        .map(|_| tokio::spawn(stream_to_end(addr, "stream 5000 0")))
        .collect();
    let mut completed = 0;
    let mut failed = 0;
    for r in runs {
        let last = r.await.unwrap();
        match final_state(&last) {
            "TASK_STATE_COMPLETED" => completed += 1,
            "TASK_STATE_FAILED" => {
                let why = last["result"]["statusUpdate"]["status"]["message"]["parts"][0]["text"]
                    .as_str()
                    .unwrap_or("");
                assert!(why.contains("store is full"), "{why}");
                failed += 1;
            }
            other => panic!("stream ended in {other:?}: {last}"),
        }
        assert!(server.stored_bytes() <= BUDGET, "{}", server.stored_bytes());
    }
    assert!(
        failed >= 1 && completed >= 1,
        "{completed} completed, {failed} failed"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_message_over_the_per_task_limit_is_invalid_params_on_both_bindings() {
    let mut builder = Server::builder();
    builder.config_mut().max_task_bytes = 64 << 10;
    let server = start(builder).await;
    let addr = server.local_addr();
    let big = "y".repeat(40 << 10);
    let v = send(addr, message("input-required")).await;
    let task = v["result"]["task"]["id"].as_str().unwrap().to_owned();
    let follow_up = |text: &str| {
        let mut m = message(text);
        m["message"]["taskId"] = json!(task);
        m
    };
    // The first 40 KiB follow-up fits (and is echoed: ~80 KiB would not, so the agent fails
    // the task); a fresh interrupted task takes the second one over the limit.
    let v = send(addr, follow_up(&big)).await;
    assert_eq!(
        v["result"]["task"]["status"]["state"], "TASK_STATE_FAILED",
        "{v}"
    );
    let v = send(addr, message("input-required")).await;
    let task = v["result"]["task"]["id"].as_str().unwrap().to_owned();
    let again = |text: &str| {
        let mut m = message(text);
        m["message"]["taskId"] = json!(task);
        m
    };
    let v = send(addr, again(&"z".repeat(70 << 10))).await;
    assert_eq!(v["error"]["code"], -32602, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("65536"), "{msg}");
    let rest = req(addr, Method::POST, "/message:send")
        .json(&again(&"z".repeat(70 << 10)))
        .send()
        .await;
    assert_eq!(rest.status, http::StatusCode::BAD_REQUEST);
    assert_eq!(rest.json()["error"]["status"], "INVALID_ARGUMENT");
    // The task is untouched by the refused messages and still takes one that fits.
    let v = send(addr, again("fits")).await;
    assert_eq!(
        v["result"]["task"]["status"]["state"], "TASK_STATE_COMPLETED",
        "{v}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn agent_output_over_the_per_task_limit_fails_the_task_and_says_why() {
    let mut builder = Server::builder();
    builder.config_mut().max_task_bytes = 64 << 10;
    let server = start(builder).await;
    let last = stream_to_end(server.local_addr(), "stream 5000 0").await;
    assert_eq!(final_state(&last), "TASK_STATE_FAILED", "{last}");
    let why = last["result"]["statusUpdate"]["status"]["message"]["parts"][0]["text"]
        .as_str()
        .unwrap_or("");
    assert!(why.contains("65536 bytes per task"), "{why}");
    server.shutdown().await;
}
