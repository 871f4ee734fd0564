//! `transport/*`, `errors/*` and `baseline/bare_hyper/send`: one request (or one stream) at a
//! time on a persistent keep-alive connection.
//!
//! Runtime: current-thread. Client and server tasks share one thread, so each wakeup is local;
//! on a multi-thread runtime the answer wakes a parked worker some of the time and not at
//! others, and the distribution turns bimodal. These numbers are the CPU cost of one exchange
//! (client + loopback + server), which is what the reference/bare-hyper ratio compares.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gauntlet_benches::{self as h, Expect};
use gauntlet_conformance::load::{self, Binding};

/// Chunks per stream in `transport/*/stream`.
const STREAM_CHUNKS: u64 = 100;

fn transport(c: &mut Criterion) {
    let rt = h::current_thread();
    let server = h::start_reference(&rt);
    let target = h::target(server.local_addr());
    let mut group = c.benchmark_group("transport");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    for binding in Binding::ALL {
        // SendMessage `echo`: completes inside the call.
        let mut conn = h::connect(&rt, target.addr);
        let mut req = load::send_message(&target, binding, "echo bench", false);
        let expect = Expect::Ok(b"\"task\"");
        rt.block_on(h::warm(&mut conn, &mut req, 100, expect));
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("{}/send", binding.short()), |b| {
            b.iter_custom(|iters| rt.block_on(h::time_requests(&mut conn, &mut req, iters, expect)))
        });

        // SendStreamingMessage `stream 100 0`, drained to EOF. Warm-up drains streams first.
        let mut req = load::stream_message(&target, binding, &format!("stream {STREAM_CHUNKS} 0"));
        let want = h::stream_events(STREAM_CHUNKS);
        rt.block_on(async {
            for _ in 0..20 {
                h::drain_stream(&mut conn, req.next_request(), want).await;
            }
        });
        group.throughput(Throughput::Elements(want));
        group.bench_function(format!("{}/stream", binding.short()), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(
                            h::drain_stream(&mut conn, black_box(req.next_request()), want).await,
                        );
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("errors");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .throughput(Throughput::Elements(1));
    let mut conn = h::connect(&rt, target.addr);
    // Unparseable JSON-RPC body: -32700.
    let mut req = load::RequestTemplate::new(load::http_request(
        &target,
        "POST",
        "/",
        Some("application/json"),
        br#"{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"#,
    ));
    let expect = Expect::Error(b"-32700");
    rt.block_on(h::warm(&mut conn, &mut req, 50, expect));
    group.bench_function("malformed", |b| {
        b.iter_custom(|iters| rt.block_on(h::time_requests(&mut conn, &mut req, iters, expect)))
    });
    // GetTask of an unknown id: -32001.
    let mut req = load::RequestTemplate::new(load::get_task(
        &target,
        Binding::JsonRpc,
        "00000000-0000-4000-8000-00000000dead",
    ));
    let expect = Expect::Error(b"-32001");
    rt.block_on(h::warm(&mut conn, &mut req, 50, expect));
    group.bench_function("task_not_found", |b| {
        b.iter_custom(|iters| rt.block_on(h::time_requests(&mut conn, &mut req, iters, expect)))
    });
    group.finish();
    rt.block_on(server.shutdown());

    // The same SendMessage against the bare hyper server, same runtime shape, same client.
    let bare = h::start_bare(&rt);
    let target = h::target(bare.local_addr());
    let mut group = c.benchmark_group("baseline");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .throughput(Throughput::Elements(1));
    let mut conn = h::connect(&rt, target.addr);
    let mut req = load::send_message(&target, Binding::JsonRpc, "echo bench", false);
    let expect = Expect::Ok(b"\"task\"");
    rt.block_on(h::warm(&mut conn, &mut req, 100, expect));
    group.bench_function("bare_hyper/send", |b| {
        b.iter_custom(|iters| rt.block_on(h::time_requests(&mut conn, &mut req, iters, expect)))
    });
    group.finish();
    rt.block_on(bare.shutdown());
}

criterion_group!(benches, transport);
criterion_main!(benches);
