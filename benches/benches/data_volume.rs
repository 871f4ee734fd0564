//! `data_volume/{get,list}/{1K,10K,100K}`: GetTask and ListTasks as the store grows.
//!
//! The store is filled once, growing 1K → 10K → 100K tasks (100 tasks per context). The tasks
//! are `input-required` ones: they stay in INPUT_REQUIRED, which is not terminal, so a server
//! that bounds how many terminal tasks it keeps (the reference keeps 50,000) still holds all
//! of them, and every GetTask finds its task. After each fill the CPU caches are flushed, and
//! the measured requests cycle through 1024 GetTask ids / 256 ListTasks contexts drawn at random
//! from everything stored, so the numbers are not those of the last few tasks the fill left hot.
//! In `--test` mode the fills are 100× smaller.
//!
//! Runtime: current-thread (see `transport.rs`).

use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use gauntlet_benches::{self as h, Cycle, Expect, XorShift};
use gauntlet_load::{self as load, Binding};
use serde_json::json;

fn data_volume(c: &mut Criterion) {
    let rt = h::current_thread();
    let server = h::start_reference(&rt);
    let target = h::target(server.local_addr());
    let mut conn = h::connect(&rt, target.addr);
    let scale = if h::smoke() { 100 } else { 1 };
    let mut ids: Vec<String> = Vec::new();
    let mut contexts: Vec<String> = Vec::new();
    let mut rng = XorShift::new(0x5EED);
    let mut group = c.benchmark_group("data_volume");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .throughput(Throughput::Elements(1));
    for (label, size) in [("1K", 1_000usize), ("10K", 10_000), ("100K", 100_000)] {
        let size = size / scale;
        let (new_ids, new_contexts) = h::fill(
            &rt,
            &target,
            "input-required",
            size - ids.len(),
            ids.len(),
            4,
        );
        ids.extend(new_ids);
        contexts.extend(new_contexts);
        let gets = Cycle::new(
            (0..1024)
                .map(|_| load::get_task(&target, Binding::JsonRpc, &ids[rng.below(ids.len())]))
                .collect(),
        );
        let lists = Cycle::new(
            (0..256)
                .map(|_| {
                    load::jsonrpc(
                        &target,
                        "ListTasks",
                        json!({"contextId": contexts[rng.below(contexts.len())], "pageSize": 50}),
                    )
                })
                .collect(),
        );
        for (name, mut reqs, expect) in [
            ("get", gets, Expect::Ok(b"\"TASK_STATE_INPUT_REQUIRED\"")),
            ("list", lists, Expect::Ok(b"\"tasks\"")),
        ] {
            // ListTasks at 100K takes milliseconds: linear sampling (1+2+…+30 iterations)
            // would overrun the measurement time, so list samples are flat.
            group.sampling_mode(if name == "list" {
                SamplingMode::Flat
            } else {
                SamplingMode::Auto
            });
            h::disturb_caches();
            group.bench_function(BenchmarkId::new(name, label), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(h::time_cycle(&mut conn, &mut reqs, iters, expect))
                })
            });
        }
    }
    group.finish();
    rt.block_on(server.shutdown());
}

criterion_group!(benches, data_volume);
criterion_main!(benches);
