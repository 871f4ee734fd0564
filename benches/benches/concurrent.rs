//! `concurrent/sends/{1,4,16,64}`: N clients, each on its own keep-alive connection, send
//! SendMessage back to back; one iteration is one request from every client (throughput is in
//! requests).
//!
//! Runtime: multi-thread with 2 workers (the bench machine has 2 cores), because the point is
//! how the server scales with parallel clients; the client tasks share those workers with the
//! server, so the numbers are the whole machine's capacity, not the server's alone.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gauntlet_benches::{self as h, Expect};
use gauntlet_load::{self as load, Binding, Conn, RequestTemplate};

fn concurrent(c: &mut Criterion) {
    let rt = h::multi_thread(2);
    let server = h::start_reference(&rt);
    let target = h::target(server.local_addr());
    let expect = Expect::Ok(b"\"task\"");
    let mut group = c.benchmark_group("concurrent");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    for clients in [1usize, 4, 16, 64] {
        // Connections and requests are made once and handed to the client tasks per sample.
        let mut pool: Vec<(Conn, RequestTemplate)> = (0..clients)
            .map(|w| {
                let conn = h::connect(&rt, target.addr);
                let req = load::send_message(&target, Binding::JsonRpc, "echo concurrent", false)
                    .with_counter((w as u64) << 40);
                (conn, req)
            })
            .collect();
        pool = rt.block_on(run(pool, 20, expect)).1;
        group.throughput(Throughput::Elements(clients as u64));
        group.bench_function(BenchmarkId::new("sends", clients), |b| {
            b.iter_custom(|iters| {
                let taken = std::mem::take(&mut pool);
                let (elapsed, back) = rt.block_on(run(taken, iters, expect));
                pool = back;
                elapsed
            })
        });
    }
    group.finish();
    rt.block_on(server.shutdown());
}

/// Every client sends `iters` requests; returns the wall time and the pool.
async fn run(
    pool: Vec<(Conn, RequestTemplate)>,
    iters: u64,
    expect: Expect,
) -> (Duration, Vec<(Conn, RequestTemplate)>) {
    let start = Instant::now();
    let handles: Vec<_> = pool
        .into_iter()
        .map(|(mut conn, mut req)| {
            tokio::spawn(async move {
                h::time_requests(&mut conn, &mut req, iters, expect).await;
                (conn, req)
            })
        })
        .collect();
    let mut back = Vec::with_capacity(handles.len());
    for handle in handles {
        back.push(handle.await.expect("a client task"));
    }
    (start.elapsed(), back)
}

criterion_group!(benches, concurrent);
criterion_main!(benches);
