//! `backpressure/*`: how streaming cost behaves with volume, a stalled reader, and many
//! subscribers.
//!
//! * `stream_volume/{10,100,1000,10000}`: one `stream N 0` stream drained to EOF; throughput is
//!   N chunks, so criterion's per-element time is the cost per chunk. Flat within 1.2× from 10
//!   to 10,000 means no per-chunk cost grows with the stream (no re-serialising the artifact,
//!   no quadratic append).
//! * `slow_consumer/{alone,stalled_peer}`: a `stream 1000 0` drained while another connection's
//!   `stream 4000 0` is left unread (more than its subscriber buffer of 1024 events and the
//!   socket buffers hold). The stalled
//!   stream is opened before and drained after the timed part of each iteration.
//! * `fanout/{1,16,64,256}`: N SubscribeToTask streams on one `input-required` task; timed from
//!   the follow-up message to the last subscriber's EOF (throughput is in subscribers).
//!
//! Runtime: current-thread (see `transport.rs`): the timings are CPU cost, free of cross-thread
//! wakeups whose latency would depend on whether a worker happened to be parked.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use gauntlet_benches as h;
use gauntlet_load::{self as load, Binding, Conn, Endpoint};
use serde_json::json;

/// Chunks of the measured stream in `slow_consumer`.
const SLOW_FAST_CHUNKS: u64 = 1000;
/// Chunks of the stalled stream in `slow_consumer`: far more than the socket buffers hold.
const SLOW_STALLED_CHUNKS: u64 = 4000;
/// Polls allowed while waiting for a task to finish between iterations.
const MAX_POLLS: usize = 100_000;

fn backpressure(c: &mut Criterion) {
    let rt = h::current_thread();
    let server = h::start_reference(&rt);
    let target = h::target(server.local_addr());
    let mut conn = h::connect(&rt, target.addr);
    let mut group = c.benchmark_group("backpressure");

    // Per-chunk cost against stream length.
    for n in [10u64, 100, 1000, 10_000] {
        let mut req = load::stream_message(&target, Binding::JsonRpc, &format!("stream {n} 0"));
        let want = h::stream_events(n);
        rt.block_on(async {
            for _ in 0..(20_000 / n).clamp(2, 200) {
                h::drain_stream(&mut conn, req.next_request(), want).await;
            }
        });
        if n >= 1000 {
            // 10 samples of equal size: ~10-100 ms per iteration would make linear sampling
            // (1+2+…+n iterations) overrun any sensible measurement time.
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(4));
        } else {
            group
                .sampling_mode(SamplingMode::Auto)
                .sample_size(30)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3));
        }
        group.throughput(Throughput::Elements(n));
        group.bench_function(BenchmarkId::new("stream_volume", n), |b| {
            b.iter_custom(|iters| h::time_streams(&rt, &mut conn, &mut req, want, iters))
        });
    }

    // One stalled reader next to a measured one.
    let mut slow_conn = h::connect(&rt, target.addr);
    let mut fast = load::stream_message(
        &target,
        Binding::JsonRpc,
        &format!("stream {SLOW_FAST_CHUNKS} 0"),
    );
    let mut slow = load::stream_message(
        &target,
        Binding::JsonRpc,
        &format!("stream {SLOW_STALLED_CHUNKS} 0"),
    );
    let fast_events = h::stream_events(SLOW_FAST_CHUNKS);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        // The stalled stream is drained outside the timed part (~4× the timed work), so a short
        // measurement time keeps the wall time of this pair near 10 s.
        .measurement_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(SLOW_FAST_CHUNKS));
    for stalled in [false, true] {
        let name = if stalled { "stalled_peer" } else { "alone" };
        group.bench_function(BenchmarkId::new("slow_consumer", name), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let stalled_stream = if stalled {
                            Some(h::open_stream(&mut slow_conn, slow.next_request()).await)
                        } else {
                            None
                        };
                        let start = Instant::now();
                        black_box(
                            h::drain_stream(&mut conn, black_box(fast.next_request()), fast_events)
                                .await,
                        );
                        timed += start.elapsed();
                        if let Some((mut open, first)) = stalled_stream {
                            // The server may cut a lagging subscriber off; either way, wait
                            // until the stalled task has finished before the next iteration.
                            let _ = slow_conn.drain(&mut open, h::STREAM_TIMEOUT).await;
                            let id = h::task_id(&h::result(Binding::JsonRpc, first));
                            wait_terminal(&mut conn, &target, &id).await;
                        }
                    }
                    timed
                })
            })
        });
    }

    // Fan-out of one task's events to N subscribers. Opening the N subscriptions is untimed and
    // costs ~15× the timed delivery, hence the short timed budget (~5 s of wall time per N).
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300));
    let mut subscribers: Vec<Conn> = Vec::new();
    for n in [1usize, 16, 64, 256] {
        while subscribers.len() < n {
            subscribers.push(h::connect(&rt, target.addr));
        }
        let mut ask = load::send_message(&target, Binding::JsonRpc, "input-required", false);
        rt.block_on(fanout_once(
            &mut conn,
            &mut subscribers[..n],
            &target,
            &mut ask,
        ));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("fanout", n), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        timed +=
                            fanout_once(&mut conn, &mut subscribers[..n], &target, &mut ask).await;
                    }
                    timed
                })
            })
        });
    }
    group.finish();
    rt.block_on(server.shutdown());
}

/// One fan-out round; returns the timed part (follow-up message → every subscriber at EOF).
async fn fanout_once(
    conn: &mut Conn,
    subscribers: &mut [Conn],
    target: &Endpoint,
    ask: &mut load::RequestTemplate,
) -> Duration {
    let v = h::result(
        Binding::JsonRpc,
        h::call_json(conn, ask.next_request()).await,
    );
    let id = h::task_id(&v);
    let subscribe = load::jsonrpc(target, "SubscribeToTask", json!({"id": id}));
    let mut open = Vec::with_capacity(subscribers.len());
    for sub in subscribers.iter_mut() {
        open.push(h::open_stream(sub, &subscribe).await.0);
    }
    let follow_up = load::jsonrpc(
        target,
        "SendMessage",
        json!({"message": {"messageId": format!("fanout-{id}"), "taskId": id,
                           "role": "ROLE_USER", "parts": [{"text": "go"}]}}),
    );
    let start = Instant::now();
    h::result(Binding::JsonRpc, h::call_json(conn, &follow_up).await);
    for (sub, stream) in subscribers.iter_mut().zip(open.iter_mut()) {
        sub.drain(stream, h::STREAM_TIMEOUT)
            .await
            .expect("a subscriber stream");
        assert!(stream.ended());
    }
    start.elapsed()
}

/// Polls GetTask until the task is in a terminal state (bounded).
async fn wait_terminal(conn: &mut Conn, target: &Endpoint, id: &str) {
    let get = load::get_task(target, Binding::JsonRpc, id);
    for _ in 0..MAX_POLLS {
        let t = h::result(Binding::JsonRpc, h::call_json(conn, &get).await);
        if matches!(
            h::task_state(&t),
            "TASK_STATE_COMPLETED"
                | "TASK_STATE_FAILED"
                | "TASK_STATE_CANCELED"
                | "TASK_STATE_REJECTED"
        ) {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("task {id} did not finish");
}

criterion_group!(benches, backpressure);
criterion_main!(benches);
