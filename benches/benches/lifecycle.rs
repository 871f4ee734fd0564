//! `lifecycle/e2e` (send with returnImmediately → poll until completed → get) and
//! `push_config/{set,delete}_roundtrip`.
//!
//! Runtime: current-thread, for the reason given in `transport.rs` (no cross-thread wakeups).
//! The push benches upsert a fixed set of pre-created config ids on one `hang` task, so the
//! server's per-task state is the same size at every iteration.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gauntlet_benches::{self as h, Expect};
use gauntlet_load::{self as load, Binding, Conn, Endpoint};
use tokio::runtime::Runtime;

/// Polls allowed before a task counts as stuck.
const MAX_POLLS: usize = 10_000;
/// Pre-created push config ids.
const CONFIGS: usize = 16;
/// A webhook URL that passes the SSRF guard; the `hang` task emits no events, so nothing is sent.
const WEBHOOK: &str = "https://example.com/gauntlet-bench";

async fn e2e(conn: &mut Conn, target: &Endpoint, send: &mut load::RequestTemplate) {
    let v = h::result(
        Binding::JsonRpc,
        h::call_json(conn, send.next_request()).await,
    );
    let id = h::task_id(&v);
    let get = load::get_task(target, Binding::JsonRpc, &id);
    let mut state = h::task_state(&v).to_owned();
    let mut polls = 0;
    while state != "TASK_STATE_COMPLETED" {
        polls += 1;
        assert!(polls <= MAX_POLLS, "task {id} stuck in {state}");
        let t = h::result(Binding::JsonRpc, h::call_json(conn, &get).await);
        state = h::task_state(&t).to_owned();
    }
    let task = h::result(Binding::JsonRpc, h::call_json(conn, &get).await);
    assert_eq!(h::task_state(&task), "TASK_STATE_COMPLETED");
    black_box(task);
}

fn lifecycle(c: &mut Criterion) {
    let rt = h::current_thread();
    let server = h::start_reference(&rt);
    let target = h::target(server.local_addr());
    let mut conn = h::connect(&rt, target.addr);

    let mut group = c.benchmark_group("lifecycle");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .throughput(Throughput::Elements(1));
    let mut send = load::send_message(&target, Binding::JsonRpc, "echo lifecycle", true);
    rt.block_on(async {
        for _ in 0..50 {
            e2e(&mut conn, &target, &mut send).await;
        }
    });
    group.bench_function("e2e", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    e2e(&mut conn, &target, &mut send).await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();

    push(c, &rt, &target, &mut conn);
    rt.block_on(server.shutdown());
}

fn push(c: &mut Criterion, rt: &Runtime, target: &Endpoint, conn: &mut Conn) {
    let binding = Binding::JsonRpc;
    let task = rt.block_on(async {
        let mut send = load::send_message(target, binding, "hang", true);
        h::task_id(&h::result(
            binding,
            h::call_json(conn, send.next_request()).await,
        ))
    });
    let ids: Vec<String> = (0..CONFIGS).map(|i| format!("bench-cfg-{i}")).collect();
    let creates: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| load::create_push_config(target, binding, &task, id, WEBHOOK))
        .collect();
    let gets: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| {
            load::jsonrpc(
                target,
                "GetTaskPushNotificationConfig",
                serde_json::json!({"taskId": task, "id": id}),
            )
        })
        .collect();
    let deletes: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| load::delete_push_config(target, binding, &task, id))
        .collect();
    rt.block_on(async {
        for r in &creates {
            h::result(binding, h::call_json(conn, r).await);
        }
    });

    let mut group = c.benchmark_group("push_config");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .throughput(Throughput::Elements(1));
    // Upsert an existing id, then read it back.
    let mut i = 0;
    group.bench_function("set_roundtrip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let k = i % CONFIGS;
                    i += 1;
                    h::expect_ok(conn, black_box(&creates[k]), Expect::Ok(b"\"result\"")).await;
                    h::expect_ok(conn, black_box(&gets[k]), Expect::Ok(WEBHOOK.as_bytes())).await;
                }
                start.elapsed()
            })
        })
    });
    // Delete an existing id, then re-create it, so the next iteration finds it again.
    group.bench_function("delete_roundtrip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let k = i % CONFIGS;
                    i += 1;
                    h::expect_ok(conn, black_box(&deletes[k]), Expect::Ok(b"\"result\"")).await;
                    h::expect_ok(conn, black_box(&creates[k]), Expect::Ok(b"\"result\"")).await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    rt.block_on(async {
        let cancel = load::jsonrpc(target, "CancelTask", serde_json::json!({"id": task}));
        h::result(binding, h::call_json(conn, &cancel).await);
    });
}

criterion_group!(benches, lifecycle);
criterion_main!(benches);
