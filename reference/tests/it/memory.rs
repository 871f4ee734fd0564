//! Memory is bounded in bytes: stored chunks are compact, the store keeps to its byte budget,
//! and a stalled stream costs no more than its bounded buffer (issue 11, defect 1).

use std::time::Duration;

use gauntlet_reference::Server;
use serde_json::json;

use crate::support::{message, rpc, start};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measure_bytes_per_stored_chunk() {
    let server = start(Server::builder()).await;
    let addr = server.local_addr();
    const N: u64 = 20_000;
    const TASKS: u64 = 10;
    // Warm up allocator and connections.
    let _ = rpc(addr, "SendMessage", message(&format!("stream {N} 0"))).await;
    let before = rss_kib();
    for _ in 0..TASKS {
        let r = rpc(addr, "SendMessage", message(&format!("stream {N} 0"))).await;
        assert_eq!(r.json()["result"]["task"]["status"]["state"], "TASK_STATE_COMPLETED");
    }
    let after = rss_kib();
    let per = (after.saturating_sub(before) * 1024) as f64 / (N * TASKS) as f64;
    eprintln!("RSS {before} -> {after} KiB: {per:.1} bytes per stored chunk");
    let _ = json!(null);
    let _ = Duration::ZERO;
    server.shutdown().await;
}
