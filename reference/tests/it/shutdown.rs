//! Graceful shutdown lets in-flight blocking sends finish within the deadline (issue 11): a
//! `slow` task in flight when shutdown starts is answered COMPLETED, not WORKING at once.

use std::time::{Duration, Instant};

use gauntlet_reference::Server;
use serde_json::json;

use crate::support::{message, rpc, start, STEP};

async fn working_tasks(addr: std::net::SocketAddr) -> u64 {
    let l = rpc(addr, "ListTasks", json!({"status": "TASK_STATE_WORKING"}))
        .await
        .json();
    l["result"]["totalSize"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_a_blocking_send_in_flight_at_shutdown_finishes_within_the_deadline() {
    let mut builder = Server::builder();
    builder.config_mut().shutdown_deadline = Duration::from_secs(5);
    let server = start(builder).await;
    let addr = server.local_addr();
    let slow = tokio::spawn(async move { rpc(addr, "SendMessage", message("slow 700")).await });
    // The send is in flight once its task is WORKING (a bounded wait on that condition).
    let deadline = Instant::now() + STEP;
    while working_tasks(addr).await == 0 {
        assert!(Instant::now() < deadline, "the slow task never started");
        tokio::task::yield_now().await;
    }
    let t0 = Instant::now();
    tokio::time::timeout(STEP, server.shutdown())
        .await
        .expect("shutdown returns");
    let answer = tokio::time::timeout(STEP, slow)
        .await
        .unwrap()
        .unwrap()
        .json();
    assert_eq!(
        answer["result"]["task"]["status"]["state"], "TASK_STATE_COMPLETED",
        "{answer}"
    );
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_a_hanging_send_is_answered_before_the_deadline_drops_its_connection() {
    let mut builder = Server::builder();
    builder.config_mut().shutdown_deadline = Duration::from_millis(600);
    let server = start(builder).await;
    let addr = server.local_addr();
    let hang = tokio::spawn(async move { rpc(addr, "SendMessage", message("hang")).await });
    let deadline = Instant::now() + STEP;
    while working_tasks(addr).await == 0 {
        assert!(Instant::now() < deadline, "the hang task never started");
        tokio::task::yield_now().await;
    }
    tokio::time::timeout(STEP, server.shutdown())
        .await
        .expect("shutdown returns");
    let answer = tokio::time::timeout(STEP, hang)
        .await
        .unwrap()
        .unwrap()
        .json();
    assert_eq!(
        answer["result"]["task"]["status"]["state"], "TASK_STATE_WORKING",
        "{answer}"
    );
}
