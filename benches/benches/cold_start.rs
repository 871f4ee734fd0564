//! `cold_start`: from `bind` to the first SendMessage answer, on one fixed port.
//!
//! Every iteration binds the same port (the reference's listener sets SO_REUSEADDR, so a port
//! whose previous owner has just shut down can be bound again at once), connects, sends one
//! SendMessage and reads the answer; shutdown happens outside the timed part.
//!
//! Runtime: current-thread (see `transport.rs`).

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use gauntlet_benches::{self as h, Expect};
use gauntlet_load::{self as load, Binding, Conn};
use gauntlet_reference::Server;

fn cold_start(c: &mut Criterion) {
    let rt = h::current_thread();
    // Pick a free port once, then reuse it for every iteration.
    let first = h::start_reference(&rt);
    let addr: SocketAddr = first.local_addr();
    rt.block_on(first.shutdown());
    let target = h::target(addr);
    let mut req = load::send_message(&target, Binding::JsonRpc, "echo cold", false);
    let mut group = c.benchmark_group("cold_start");
    // Each iteration also shuts the server down (untimed, ~10× the timed part), so the timed
    // budget is small: 0.4 s of timed work is ~2,000 starts and ~5 s of wall time.
    group
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300))
        .sample_size(10);
    group.bench_function("bind_to_first_response", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let server = Server::builder()
                        .bind(black_box(addr))
                        .await
                        .expect("the fixed port binds again");
                    let mut conn = Conn::connect(addr, h::REQUEST_TIMEOUT)
                        .await
                        .expect("a connection");
                    h::expect_ok(&mut conn, req.next_request(), Expect::Ok(b"\"task\"")).await;
                    timed += start.elapsed();
                    drop(conn);
                    server.shutdown().await;
                }
                timed
            })
        })
    });
    group.finish();
}

criterion_group!(benches, cold_start);
criterion_main!(benches);
