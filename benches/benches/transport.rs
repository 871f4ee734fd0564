//! `transport/*`, `errors/*` and `baseline/bare_hyper/send`: one request (or one stream) at a
//! time on a persistent keep-alive connection.
//!
//! Runtime: current-thread. Client and server tasks share one thread, so each wakeup is local;
//! on a multi-thread runtime the answer wakes a parked worker some of the time and not at
//! others, and the distribution turns bimodal. These numbers are the CPU cost of one exchange
//! (client + loopback + server), which is what the reference/bare-hyper ratio compares.
//!
//! `transport/jsonrpc/send` and `baseline/bare_hyper/send` run back to back, with both servers
//! up, so that a change in machine load between the two skews their ratio as little as possible.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use gauntlet_benches::{self as h, Expect};
use gauntlet_load::{self as load, Binding, Endpoint};
use tokio::runtime::Runtime;

/// Chunks per stream in `transport/*/stream`.
const STREAM_CHUNKS: u64 = 100;

fn settings(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
}

/// SendMessage `echo` (completes inside the call) on one keep-alive connection.
fn send(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime, target: &Endpoint, id: &str) {
    let binding = if id.starts_with("rest") {
        Binding::Rest
    } else {
        Binding::JsonRpc
    };
    let mut conn = h::connect(rt, target.addr);
    let mut req = load::send_message(target, binding, "echo bench", false);
    let expect = Expect::Ok(b"\"task\"");
    rt.block_on(h::warm(&mut conn, &mut req, 100, expect));
    group.throughput(Throughput::Elements(1));
    group.bench_function(id, |b| {
        b.iter_custom(|iters| rt.block_on(h::time_requests(&mut conn, &mut req, iters, expect)))
    });
}

/// SendStreamingMessage `stream 100 0`, drained to EOF; warm-up drains 20 streams first.
fn stream(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    target: &Endpoint,
    binding: Binding,
) {
    let mut conn = h::connect(rt, target.addr);
    let mut req = load::stream_message(target, binding, &format!("stream {STREAM_CHUNKS} 0"));
    let want = h::stream_events(STREAM_CHUNKS);
    rt.block_on(async {
        for _ in 0..20 {
            h::drain_stream(&mut conn, req.next_request(), want).await;
        }
    });
    group.throughput(Throughput::Elements(want));
    group.bench_function(format!("{}/stream", binding.short()), |b| {
        b.iter_custom(|iters| h::time_streams(rt, &mut conn, &mut req, want, iters))
    });
}

fn transport(c: &mut Criterion) {
    let rt = h::current_thread();
    let server = h::start_reference(&rt);
    let target = h::target(server.local_addr());
    let bare = h::start_bare(&rt);
    let bare_target = h::target(bare.local_addr());

    // The throughput pair, back to back.
    let mut group = c.benchmark_group("transport");
    settings(&mut group);
    send(&mut group, &rt, &target, "jsonrpc/send");
    group.finish();
    let mut group = c.benchmark_group("baseline");
    settings(&mut group);
    send(&mut group, &rt, &bare_target, "bare_hyper/send");
    group.finish();
    rt.block_on(bare.shutdown());

    let mut group = c.benchmark_group("transport");
    settings(&mut group);
    send(&mut group, &rt, &target, "rest/send");
    for binding in Binding::ALL {
        stream(&mut group, &rt, &target, binding);
    }
    group.finish();

    let mut group = c.benchmark_group("errors");
    settings(&mut group);
    group
        .measurement_time(Duration::from_secs(2))
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
}

criterion_group!(benches, transport);
criterion_main!(benches);
